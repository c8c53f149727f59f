"""What every subcommand shares: loading settings from the ``--config`` option."""

from __future__ import annotations

import argparse

from dialer.settings import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))
