"""Replaying a recording made on the real Asterisk (``tests/live_asterisk/record_*.py``) on the simulated PBX: what
every ``test_pbx_*_recording.py`` does the same way.

A simulated PBX on a free port; one AMI connection of the shipped manager user; each client action of the
recording (Login and Logoff aside) sent once the simulated PBX has sent, channel by channel, as many of the watched
events as Asterisk had sent before that action (and, with ``speed``, once the action's time in the recording, scaled,
has come); the probe returned with everything it received, for the test to compare with the recording.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any

from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe, replay_client_actions
from simulations.pbx.transcripts import Message, label

Key = Callable[[Message], tuple[str, str]]


def by_channel(msg: Message) -> tuple[str, str]:
    """An event counted by its channel's Uniqueid and its label."""
    return (msg.get("Uniqueid"), label(msg))


@asynccontextmanager
async def running_pbx(**config: Any) -> AsyncIterator[SimulatedPbx]:
    """A simulated PBX (``PbxConfig(**config)``) listening on a free local port."""
    server = SimulatedPbx(PbxConfig(**config))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


async def replay(port: int, recorded: Sequence[Message], *, watched: Collection[str], timeout: float,
                 key: Key = by_channel, variables: Collection[str] = (), speed: float | None = None,
                 finish: bool = True, give_up_quietly: bool = False,
                 rewrite: Callable[[str, dict[str, str]], dict[str, str]] | None = None) -> AmiProbe:
    """Replay ``recorded``'s client actions on the PBX at ``port``; the probe, still connected, is the caller's to
    close.

    Before each action: wait up to ``timeout`` s until, for every ``key`` of an event labelled in ``watched`` (and
    every (Uniqueid, variable) of a VarSet of ``variables``), the PBX has sent at least as many as the recording had
    by then (``give_up_quietly``: go on after the timeout); with ``speed``, also until the action's recorded time
    divided by ``speed`` has passed. ``finish``: wait the same way for the whole recording after the last action.
    """

    def counts(messages: Sequence[Message]) -> Counter[tuple[str, str]]:
        seen = Counter(key(m) for m in messages if m.event and not m.sent_by_client and label(m) in watched
                       and key(m)[0])
        seen += Counter((m.get("Uniqueid"), m.get("Variable")) for m in messages if m.get("Variable") in variables)
        return seen

    probe = AmiProbe()
    try:
        await probe.connect("127.0.0.1", port)
        await probe.login("dialer", "dialer-secret")
        loop = asyncio.get_running_loop()
        start, t0 = loop.time(), recorded[0].at

        async def caught_up(before: Sequence[Message]) -> None:
            wanted = counts(before)
            try:
                await probe.wait_for(lambda _: counts(probe.events) >= wanted, timeout=timeout)
            except TimeoutError:
                if not give_up_quietly:
                    raise
            if speed is not None and len(before) < len(recorded):
                due = start + (recorded[len(before)].at - t0) / speed
                await asyncio.sleep(max(due - loop.time(), 0.0))

        await replay_client_actions(probe, recorded, caught_up, rewrite)
        if finish:
            await caught_up(recorded)
    except BaseException:
        await probe.close()
        raise
    return probe
