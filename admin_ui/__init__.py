"""Admin pages and JSON API for team leads, compliance officers and admins."""
