"""Subcommands of ``dialer``: one module each, with ``register(subparsers)``; found automatically."""
