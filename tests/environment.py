"""The environment of the servers and command lines the tests start as separate processes."""

from __future__ import annotations

import os

from dialer import password_cost


def without_dialer_settings() -> dict[str, str]:
    """This process's environment less every ``DIALER_*`` setting (each test names its own), but the password
    cost ``tests/conftest.py`` chose for the whole run."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DIALER_") or k == password_cost.ENV}
