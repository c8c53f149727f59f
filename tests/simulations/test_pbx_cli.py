"""``dialer pbx-sim`` runs the simulated PBX as its own process, logs each originate and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

from dialer.aio import wait_within
from simulations.pbx.probe import AmiProbe


async def test_dialer_pbx_sim_serves_ami_logs_originates_and_exits_cleanly_on_sigint():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dialer.cli",
        "pbx-sim",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--speed",
        "10",
        "--seed",
        "4",
        "--username",
        "dialer",
        "--secret",
        "s3cret",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        line = (await wait_within(proc.stdout.readline(), 20)).decode()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        probe = AmiProbe()
        assert await probe.connect("127.0.0.1", port) == "Asterisk Call Manager/11.0.0"
        assert (await probe.login("dialer", "s3cret", md5=True)).get("Message") == "Authentication accepted"
        await probe.action(
            "Originate",
            Channel="PJSIP/+33612345678@carrier",
            Context="dialer-customer",
            Exten="s",
            Priority="1",
            Async="true",
        )
        logged = (await wait_within(proc.stdout.readline(), 5)).decode()
        assert "originate PJSIP/+33612345678@carrier -> dialer-customer,s" in logged
        await probe.close()
        proc.send_signal(signal.SIGINT)
        assert await wait_within(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
