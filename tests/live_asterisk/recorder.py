"""What every ``record_*.py`` recorder does the same way on the real Asterisk: one AMI session of the shipped
manager user, the test's Local channels originated (``ChannelId`` = our leg, ``OtherChannelId`` = ``<leg>-2``), the
agent phones waiting in their conferences, keys by ``PlayDTMF`` ``Receive: true``, the channels hung up at the end,
and the recording written with its header (scenario, server, what was observed, when).

A recorder is run by hand (``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_<name> [OUT]``); OUT (default: the committed recording) lets a re-run write elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Message, Seen, event

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
FILTERED = " (asterisk/manager_dialer.conf: Newexten, CEL, Cdr, DeviceStateChange filtered out)"
KEYS_BY_PLAYDTMF = "; keys by PlayDTMF Receive: true"


@asynccontextmanager
async def session(target: AmiTarget) -> AsyncIterator[AmiWatch]:
    """One AMI connection, logged in, closed however the scenario ends."""
    watch = AmiWatch(target)
    await watch.connect()
    try:
        yield watch
    finally:
        await watch.close()


async def ok(watch: AmiWatch, fields: Message) -> list[Message]:
    """Send an action; Asterisk must answer Success."""
    answer = await watch.action(fields)
    assert answer[0].get("Response") == "Success", answer
    return answer


async def originate(watch: AmiWatch, leg: str, channel: str, context: str, exten: str, **fields: str) -> None:
    """Originate a Local channel whose ;1 half is ``leg`` and ;2 half ``<leg>-2`` (``fields``: Variable, CallerID...)."""
    await ok(watch, {"Action": "Originate", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1",
                     "Async": "true", "ChannelId": leg, "OtherChannelId": f"{leg}-2", **fields})


async def agent_phone(watch: AmiWatch, leg: str, agent: str, phone: str | None = None) -> str:
    """An agent's phone (the lab's ``[sim-agent-phone]``) in its conference ``agent-<agent>``; returns ``leg``."""
    await originate(watch, leg, f"Local/{phone or agent}@sim-agent-phone", "dialer-agent", f"agent-{agent}",
                    Variable=f"DIALER_LEG_ID={leg},DIALER_AGENT_ID={agent}")
    await watch.wait_for(event("ConfbridgeJoin", Uniqueid=leg, Conference=f"agent-{agent}"), timeout_s=10)
    return leg


async def redirect(watch: AmiWatch, channel: str, context: str, exten: str) -> list[Message]:
    return await watch.action({"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten,
                               "Priority": "1"})


async def press(watch: AmiWatch, channel: str, digit: str = "1") -> None:
    """A key arriving on ``channel`` as a caller's would."""
    await ok(watch, {"Action": "PlayDTMF", "Channel": channel, "Digit": digit, "Receive": "true"})


async def hang_up(watch: AmiWatch, legs: Iterable[str], *, settle_s: float = 1.0) -> None:
    """Hang the legs up (cause 16), then give Asterisk ``settle_s`` to send their last events."""
    for leg in legs:
        await watch.action({"Action": "Hangup", "Channel": leg, "Cause": "16"})
    await asyncio.sleep(settle_s)


def user_event(name: str, uid: str) -> Callable[[Seen], bool]:
    def check(seen: Seen) -> bool:
        return seen.get("UserEvent") == name and seen.get("Uniqueid") == uid
    return check


def var_set(uid: str, variable: str, value: str | None = None) -> Callable[[Seen], bool]:
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == "VarSet" and seen.get("Uniqueid") == uid and seen.get("Variable") == variable
                and (value is None or seen.get("Value") == value))
    return check


def save(watch: AmiWatch, out: Path, target: AmiTarget, scenario: str, notes: list[str], *,
         keys: bool = False, started: float | None = None) -> None:
    """Write the recording with its header; ``started`` (a ``time.monotonic()``) adds how long it took."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    took = f" ({time.monotonic() - started:.1f} s)" if started is not None else ""
    version = os.environ.get("DIALER_ASTERISK_VERSION", "Asterisk 22.10.1")
    watch.save(out, [
        scenario,
        (f"Server: {version}, Local channels only, AMI on {target.host}:{target.port}, user {target.username}"
         + FILTERED + (KEYS_BY_PLAYDTMF if keys else "")),
        *(f"OBSERVED: {n}" for n in notes),
        f"Recorded: {stamp}{took}",
    ])


def main(record: Callable[[AmiTarget, Path], Awaitable[list[str]]], default_out: Path) -> None:
    """Run a recorder against ``DIALER_TEST_AMI``, writing to argv[1] or the committed recording; print the notes."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default_out
    print("\n".join(asyncio.run(record(AmiTarget.parse(os.environ["DIALER_TEST_AMI"]), out))))
