"""Virtual agents: sign in through the engine API, take calls, wrap up and set a disposition by themselves.

The voice side (phone answering, joining the conference, talking) is the simulated PBX's; this is the
panel side a person would do. Wrap-up times come from the shared customer model, on the engine's clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dialer.engine_api import DispositionInput, EngineError
from simulations.call_model import LogNormal

log = logging.getLogger(__name__)


def virtual_phone(user_id: int) -> str:
    """The dial string of a virtual agent's phone on the simulated PBX (it answers at once)."""
    return f"Local/agent-{user_id}@sim-agent-phone"


@dataclass
class VirtualAgents:
    """Runs ``user_ids`` as agents of ``campaign_id`` on ``engine`` until cancelled."""

    engine: object
    user_ids: Sequence[int]
    campaign_id: int
    seed: int = 1
    wrap: LogNormal = field(default_factory=lambda: LogNormal(8.0, 0.4))
    dispositions: Sequence[str] = ("sale", "not_interested", "not_interested", "wrong_number")
    # an inbound caller's call (no campaign) takes its queue's dispositions (a queue's defaults unless changed)
    inbound_dispositions: Sequence[str] = ("resolved", "resolved", "follow_up")
    dispositions_done: int = 0
    phone: Callable[[int], str] = virtual_phone    # each agent's phone dial string (a real Asterisk: from settings)
    # set: each agent ends its calls itself (the panel's hang-up) this long after the customer joined, unless the
    # customer hung up first (None: the customer ends every call)
    talk: LogNormal | None = None

    async def run(self) -> None:
        rng = random.Random(self.seed)
        tasks = [asyncio.create_task(self._agent(uid, random.Random(rng.random())), name=f"virtual-agent-{uid}")
                 for uid in self.user_ids]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _agent(self, user_id: int, rng: random.Random) -> None:
        engine = self.engine
        clock = engine.clock  # type: ignore[attr-defined]
        while True:
            try:
                # signed in already: an engine restart adopted this agent with the call it is on
                if engine.agent_state(user_id)["state"] == "logged_out":  # type: ignore[attr-defined]
                    await engine.agent_login(user_id, self.campaign_id, phone_dial_string=self.phone(user_id))  # type: ignore[attr-defined]
            except EngineError as exc:
                log.info("virtual agent %s cannot sign in yet: %s", user_id, exc)
                await clock.sleep(2.0)
                continue
            ended = None     # the call this agent last ended itself
            async for view in engine.subscribe_agent(user_id):  # type: ignore[attr-defined]
                state = view["state"]
                if (state == "on_call" and view.get("call") and self.talk is not None
                        and view["call"]["call_id"] != ended):
                    ended = view["call"]["call_id"]
                    await clock.sleep(self.talk.sample(rng))
                    for _ in range(10):     # the customer may still be on its way into the conference
                        try:
                            await engine.hangup(user_id)  # type: ignore[attr-defined]
                            break
                        except EngineError as exc:      # not connected yet, or the customer hung up meanwhile
                            log.info("virtual agent %s: %s", user_id, exc)
                            if engine.agent_state(user_id)["state"] != "on_call":  # type: ignore[attr-defined]
                                break
                            await clock.sleep(0.5)
                elif state == "wrap_up" and view.get("call"):
                    await clock.sleep(self.wrap.sample(rng))
                    inbound = view["call"].get("campaign_id") is None
                    code = rng.choice(list(self.inbound_dispositions if inbound else self.dispositions))
                    try:
                        await engine.set_disposition(user_id, DispositionInput(view["call"]["call_id"], code))  # type: ignore[attr-defined]
                        self.dispositions_done += 1
                    except EngineError as exc:
                        log.info("virtual agent %s: %s", user_id, exc)
                elif state == "logged_out":
                    break
            await clock.sleep(1.0)
