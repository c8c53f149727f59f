"""``dialer demo``: the whole system on embedded defaults with a sample campaign and virtual agents.

Without ``DIALER_AMI_SERVERS`` it runs on the in-process simulated PBX; with it, on that Asterisk, and then
``DIALER_TRUNK_TEMPLATE`` and ``DIALER_AGENT_PHONE_TEMPLATE`` must say where the customers and the virtual
agents' phones are (``dialer.demo.demo_phones`` refuses to start otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket

from dialer.commands._common import settings_from
from dialer.commands.serve import serve
from dialer.services import Services
from dialer.settings import Settings

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run everything with a sample campaign, a simulated PBX (or your Asterisk) and "
                                    "virtual agents")
    p.add_argument("--host", help="listen address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: 8000)")
    p.add_argument("--agents", type=int, default=8, help="virtual agents (default: 8)")
    p.add_argument("--leads", type=int, default=600, help="leads in the generated list (default: 600)")
    p.set_defaults(func=run, no_engine=False, no_worker=False)


def run(args: argparse.Namespace) -> int:
    from dialer.demo import (
        DEMO_DID,
        DEMO_VIP_DID,
        demo_inbound_streams,
        demo_phones,
        seed_demo,
        seed_demo_queues,
    )
    from simulations.pbx.inbound_traffic import InboundTraffic
    from simulations.virtual_agents import VirtualAgents

    settings = settings_from(args)
    phones = demo_phones(settings)   # refuses a real Asterisk without dial strings, before anything starts
    # The simulated SMS provider: its port is bound now so the providers setting (read again by serve and by the
    # worker child from the environment) can name it; it starts with the engine.
    sms_sock, sms_sim_url, sms_names = _sms_simulator(args, settings)

    async def start_demo(services: Services) -> None:
        setup = await seed_demo(services.pool, now=services.clock.now(), leads=args.leads,
                                virtual_agents=args.agents, phones=phones)
        engine = services.extras["engine"]
        human = await services.pool.fetchval("SELECT id FROM users WHERE username = 'agent'")
        await seed_demo_queues(services.pool, agent_ids=[human, *setup.virtual_agent_ids])
        agents = VirtualAgents(engine, setup.virtual_agent_ids, setup.campaign_id, phone=phones.agent_phone)
        engine.spawn(agents.run(), name="virtual-agents")
        engine.spawn(_run_sms_simulator(sms_sock), name="sms-simulator")
        sim = services.extras["system"].sim
        if sim is not None:     # on a real Asterisk, people call the queues' DIDs themselves
            now = services.clock.now()
            traffic = InboundTraffic(sim, demo_inbound_streams(), duration_s=7 * 24 * 3600.0,
                                     start_hour=now.hour + now.minute / 60)
            traffic.start()
        host, port = args.host or settings.host, args.port or settings.port
        lines = [f"Demo running at http://{host}:{port}  ({len(setup.virtual_agent_ids)} virtual agents taking calls)",
                 f"  blended: the agents also serve two inbound queues, VIP line {DEMO_VIP_DID} and hotline {DEMO_DID}"
                 + (" (the simulated PBX sends them callers)" if sim is not None else "")]
        lines.append(f"  SMS: the simulated provider at {sms_sim_url} (providers {', '.join(sms_names)}; "
                     "it replies STOP to 2 % of the messages)")
        for username, password in setup.accounts.items():
            lines.append(f"  sign in as {username!r} with password {password!r}")
        if not setup.accounts:
            lines.append("  demo accounts: lead, compliance, agent (passwords were shown on the first demo start)")
        print("\n".join(lines), flush=True)

    asyncio.run(serve(args, before=start_demo, tick_s=1.0))
    return 0


def _sms_simulator(args: argparse.Namespace, settings: Settings) -> tuple[socket.socket, str, list[str]]:
    from dialer.demo import demo_sms_providers

    host = "127.0.0.1"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sim_url = f"http://{host}:{sock.getsockname()[1]}"
    web_host = args.host or settings.host
    if web_host in ("0.0.0.0", "::", ""):
        web_host = "127.0.0.1"
    providers = demo_sms_providers(settings, sim_url=sim_url, dialer_url=f"http://{web_host}:{args.port or settings.port}")
    os.environ["DIALER_SMS_PROVIDERS"] = json.dumps(providers)
    return sock, sim_url, [str(p["name"]) for p in providers]


async def _run_sms_simulator(sock: socket.socket) -> None:
    from sms.sim.server import SmsSimulator
    from sms.sim.state import SimConfig

    sim = SmsSimulator(SimConfig(report_delay_s=1.0, stop_share=0.02))
    await sim.start(sock=sock)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()
