"""Route modules of the web app; each exposes ``router`` and is included by ``admin_ui.app``."""
