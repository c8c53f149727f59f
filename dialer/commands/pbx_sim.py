"""``dialer pbx-sim``: run the simulated PBX (AMI over TCP, our dialplan) as its own process until Ctrl-C.

Logs one line per Originate. Customers follow the shared call model (seeded); ``--speed`` runs
simulated time faster than real time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from typing import Any

from dialer.errors import SettingsError

log = logging.getLogger("dialer.pbx_sim")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("pbx-sim", help="run the simulated PBX (speaks AMI like Asterisk 22)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5038, help="AMI port (default 5038, 0: any free port)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the customers' behaviour (default 1)")
    parser.add_argument("--username", default="dialer", help="AMI user (default dialer)")
    parser.add_argument(
        "--secret", default=None, help="AMI secret (default: $DIALER_PBX_SIM_SECRET, else 'dialer-secret')"
    )
    parser.add_argument(
        "--hold-limit",
        type=float,
        default=None,
        help="seconds an answered customer waits before the safe-harbor message when its Originate sets no "
        "DIALER_HOLD_S (default: the dialplan's own, 1.8)",
    )
    parser.add_argument("--connect-rate", type=float, default=None, help="share of attempts a person answers")
    parser.set_defaults(func=run)


def _config(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from simulations.call_model import CustomerModel
    from simulations.pbx import PbxConfig

    secret = args.secret or os.environ.get("DIALER_PBX_SIM_SECRET") or "dialer-secret"
    model = CustomerModel()
    try:
        if args.connect_rate is not None:
            model = replace(model, connect_rate=args.connect_rate)
        return PbxConfig(
            username=args.username,
            secret=secret,
            seed=args.seed,
            speed=args.speed,
            customer_model=model,
            hold_limit_s=args.hold_limit,
        )
    except ValueError as exc:
        raise SettingsError(f"pbx-sim: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"pbx-sim: --port must be 0..65535, got {args.port}")
    config = _config(args)
    return asyncio.run(_serve(config, args.host, args.port))


async def _serve(config: Any, host: str, port: int) -> int:
    from simulations.pbx import SimulatedPbx

    pbx = SimulatedPbx(config)
    try:
        await pbx.start(host=host, port=port)
    except OSError as exc:
        raise SettingsError(f"pbx-sim: cannot listen on {host}:{port}: {exc}") from exc
    log.info(
        "simulated PBX listening on %s:%d (user %s, speed %g, seed %d); Ctrl-C to stop",
        host,
        pbx.port,
        config.username,
        config.speed,
        config.seed,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stats = pbx.statistics()
        await pbx.stop()
        log.info("simulated PBX stopped: %d originates, %d events sent", stats.originates, stats.events_sent)
    return 0
