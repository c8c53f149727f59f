"""``dialer sms-sim``: run the simulated SMS provider (Twilio, eSMS-style and generic APIs) until Ctrl-C.

It sends delivery reports to each message's callback URL, replies STOP to ``--stop-share`` of the messages and
injects faults on demand (``POST /_sim/faults``). With ``--dialer-url`` it prints the ``DIALER_SMS_PROVIDERS``
value that points a dialer at it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from typing import Any

from dialer.errors import SettingsError

log = logging.getLogger("sms.sim")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sms-sim", help="run the simulated SMS provider (Twilio, eSMS-style and generic APIs)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8025, help="port (default 8025, 0: any free port)")
    p.add_argument("--report-delay", type=float, default=1.0,
                   help="seconds from acceptance to the 'sent' report, and again to the final one (default 1)")
    p.add_argument("--fail-share", type=float, default=0.0, help="share of messages reported undelivered")
    p.add_argument("--stop-share", type=float, default=0.0, help="share of messages the recipient answers STOP")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulated decisions (default 1)")
    p.add_argument("--webhook-secret", default=None, help="HMAC secret of the generic reports (default: the sim's)")
    p.add_argument("--dialer-url", default=None,
                   help="the dialer's address for webhooks (e.g. http://127.0.0.1:8000): print DIALER_SMS_PROVIDERS")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sms.sim.state import SimConfig

    if not 0 <= args.port <= 65535:
        raise SettingsError(f"sms-sim: --port must be 0..65535, got {args.port}")
    try:
        config = SimConfig(report_delay_s=args.report_delay, fail_share=args.fail_share,
                           stop_share=args.stop_share, seed=args.seed)
        if args.webhook_secret:
            config = replace(config, webhook_secret=args.webhook_secret)
    except ValueError as exc:
        raise SettingsError(f"sms-sim: {exc}") from exc
    return asyncio.run(_serve(config, args.host, args.port, args.dialer_url))


async def _serve(config: Any, host: str, port: int, dialer_url: str | None) -> int:
    from sms.sim.server import SmsSimulator, sim_provider_settings

    sim = SmsSimulator(config)
    try:
        url = await sim.start(host=host, port=port)
    except (OSError, SystemExit) as exc:
        raise SettingsError(f"sms-sim: cannot listen on {host}:{port}: {exc}") from None
    print(f"simulated SMS provider at {url} (log: {url}/_sim/log, faults: POST {url}/_sim/faults); Ctrl-C to stop",
          flush=True)
    if dialer_url:
        entries = sim_provider_settings(url, config, callback_base_url=dialer_url.rstrip("/"))
        print(f"DIALER_SMS_PROVIDERS='{json.dumps(entries)}'", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stats = sim.state.stats
        await sim.stop()
        log.info("simulated SMS provider stopped: %d accepted, %d de-duplicated, %d reports sent", stats.accepted,
                 stats.deduplicated, stats.reports_sent)
    return 0
