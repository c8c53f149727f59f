"""The engine's call recordings: who is recorded, the MixMonitor, the pause for a card payment, the row.

When a call meets its agent (``CONNECTED``) the desk reads the policy of its campaign, else of its inbound queue
(``recording_policies``, read at most every 10 s; a campaign with ``record_calls`` and no policy row: all),
draws from its own ``random.Random`` for a share (the same seed and the same calls: the same draws), sends
MixMonitor on the customer leg (both sides of the conference) and writes the ``recordings`` row. The agent on the
call (and only that agent: ``pause``) pauses and resumes it during a card payment: AMI ``MixMonitorMute`` on both
directions (recording g), each pause and resume timestamped on the row with its offset into the recording. When
the call ends for its agent (wrap-up, or the call ends) the recording stops (StopMixMonitor when the customer is still
there: a transfer to a queue, whose own policy may record the rest under the queue's record) and the row gets its
end, duration and, when this process can read the file (``files_dir``), its size.

File names are ``dialer/YYYY/MM/DD/call-<call id>.wav`` relative to the recordings folder: sent to Asterisk
under ``pbx_dir`` (``DIALER_RECORDINGS_PBX_DIR``) or relative (Asterisk's spool monitor folder), read by the web
server under ``DIALER_RECORDINGS_DIR``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dialer import recordings_store as store
from dialer.calls import Call, CallState
from dialer.engine_api import EngineError
from dialer.pbx_port import PbxError
from dialer.recordings import RecordingPolicy

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
POLICY_TTL_S = 10.0


@dataclass(slots=True)
class Active:
    """A recording under way."""

    recording_id: int
    leg_id: str
    started: float              # the engine clock's monotonic seconds at MixMonitor
    agent_id: int | None
    paused: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RecordingDesk:
    def __init__(self, engine: Engine, *, seed: int | None = None) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.files_dir: Path | None = None          # where this process reads recordings (size at the end)
        self.pbx_dir: str | None = None             # the recordings folder as Asterisk writes it; None: relative
        self.active: dict[int, Active] = {}         # call -> its recording under way
        self.decided: set[int] = set()              # calls already drawn (a call connected again is not redrawn)
        self._policies: dict[tuple[str, int], tuple[float, RecordingPolicy | None]] = {}

    # --- the policy -------------------------------------------------------------------------------
    async def _policy(self, target: str, target_id: int) -> RecordingPolicy | None:
        now = self.engine.clock.monotonic()
        cached = self._policies.get((target, target_id))
        if cached is not None and now - cached[0] < POLICY_TTL_S:
            return cached[1]
        policy = await store.policy_of(self.engine.pool, target, target_id)
        self._policies[(target, target_id)] = (now, policy)
        return policy

    async def policy_for(self, context: dict[str, Any]) -> RecordingPolicy:
        """The call's campaign's policy, else its queue's; none set: all when the campaign says record_calls."""
        campaign_id, queue_id = context.get("campaign_id"), context.get("queue_id")
        if campaign_id is not None and (found := await self._policy("campaign", int(campaign_id))) is not None:
            return found
        if queue_id is not None and (found := await self._policy("queue", int(queue_id))) is not None:
            return found
        return RecordingPolicy("all") if context.get("record") else RecordingPolicy("none")

    # --- the engine's change listener --------------------------------------------------------------
    def call_changed(self, before: Call, after: Call) -> None:
        call_id = after.call_id
        if after.state is CallState.CONNECTED and call_id not in self.decided:
            self.decided.add(call_id)
            self.engine.spawn(self._start(after), name=f"record-{call_id}")
        elif (after.state is CallState.WRAP_UP or after.terminal) and call_id in self.active:
            self.engine.spawn(self._finish(call_id), name=f"record-end-{call_id}")
        if after.terminal:
            self.decided.discard(call_id)

    def adopted(self, call: Call) -> None:
        """A conversation taken over after a restart (``Engine.adopt``): its MixMonitor still runs in Asterisk, so it
        is not drawn again; its open row, if any, is followed again (pause, resume, end)."""
        self.decided.add(call.call_id)
        self.engine.spawn(self._follow_again(call), name=f"record-adopt-{call.call_id}")

    async def _follow_again(self, call: Call) -> None:
        engine = self.engine
        row = await engine.pool.fetchrow("SELECT id, started_at, pauses FROM recordings WHERE call_record_id=$1"
                                         " AND ended_at IS NULL", call.call_id)
        if row is None:
            return
        pauses = row["pauses"] if isinstance(row["pauses"], list) else []
        paused = bool(pauses) and pauses[-1].get("action") == "pause"
        since = (engine.clock.now() - row["started_at"]).total_seconds()
        self.active[call.call_id] = Active(int(row["id"]), call.leg_id, engine.clock.monotonic() - since,
                                           call.agent_id, paused=paused)
        current = engine.calls.get(call.call_id)
        if current is None or current.state is not CallState.CONNECTED:
            await self._finish(call.call_id)
        elif call.agent_id is not None:
            engine._publish_agent(call.agent_id)

    async def _start(self, call: Call) -> None:
        engine = self.engine
        policy = await self.policy_for(engine.call_context.get(call.call_id, {}))
        if not policy.draws(self.rng):
            return
        relative = f"dialer/{engine.clock.now():%Y/%m/%d}/call-{call.call_id}.wav"
        sent = f"{self.pbx_dir.rstrip('/')}/{relative}" if self.pbx_dir else relative
        try:
            await engine.pbx.start_recording(call.leg_id, sent)
        except PbxError as exc:
            log.warning("recording of call %s could not start: %s", call.call_id, exc)
            return
        started = engine.clock.monotonic()
        recording_id = await store.start(engine.pool, call_record_id=call.call_id, file_path=relative,
                                         started_at=engine.clock.now())
        current = engine.calls.get(call.call_id)
        self.active[call.call_id] = Active(recording_id, call.leg_id, started, call.agent_id)
        if current is not None and (current.state is CallState.WRAP_UP or current.terminal):
            await self._finish(call.call_id)          # the customer left while the recording started
        elif call.agent_id is not None:
            engine._publish_agent(call.agent_id)

    async def _finish(self, call_id: int) -> None:
        active = self.active.pop(call_id, None)
        if active is None:
            return
        current = self.engine.calls.get(call_id)
        if current is None or current.state is CallState.WRAP_UP:
            try:    # the customer is still there (sent to a queue or a number): the file ends with its record
                await self.engine.pbx.stop_recording(active.leg_id)
            except PbxError:
                pass    # the customer hung up: the hang-up ended the recording (nothing is sent for a gone leg)
        size, duration = self._file_facts(await self._relative(active.recording_id))
        await store.finish(self.engine.pool, active.recording_id, ended_at=self.engine.clock.now(), size_bytes=size)
        if duration is not None:
            await store.set_size(self.engine.pool, active.recording_id, size or 0, duration)
        if active.agent_id is not None:
            self.engine._publish_agent(active.agent_id)

    async def _relative(self, recording_id: int) -> str:
        return str(await self.engine.pool.fetchval("SELECT file_path FROM recordings WHERE id=$1", recording_id) or "")

    def _file_facts(self, relative: str) -> tuple[int | None, float | None]:
        """Size and length of the file when this process can read it (else filled in later by the web side)."""
        if self.files_dir is None or not relative:
            return None, None
        return file_facts(self.files_dir / relative)

    # --- the agent's pause for a card payment ----------------------------------------------------
    async def pause(self, user_id: int, paused: bool) -> dict[str, Any]:
        """Pause (``paused``) or resume the recording of ``user_id``'s call; only the agent on it may."""
        engine = self.engine
        agent = engine.agents.get(user_id)
        call_id = agent.call_id if agent is not None else None
        call = engine.calls.get(call_id) if call_id is not None else None
        if call is None or call.agent_id != user_id or call.state is not CallState.CONNECTED:
            raise EngineError("you have no call whose recording you could pause")
        active = self.active.get(call.call_id)
        if active is None:
            raise EngineError("this call is not being recorded")
        async with active.lock:
            if active.paused != paused:
                try:
                    await engine.pbx.mute_recording(active.leg_id, muted=paused)
                except PbxError as exc:
                    raise EngineError(f"the recording could not be {'paused' if paused else 'resumed'}: {exc}") from exc
                active.paused = paused
                event = {"action": "pause" if paused else "resume", "at": engine.clock.now().isoformat(),
                         "offset_s": round(engine.clock.monotonic() - active.started, 2), "by": user_id}
                await store.add_pause_event(engine.pool, active.recording_id, event)
        engine._publish_agent(user_id)
        return self.view(call.call_id)

    def view(self, call_id: int) -> dict[str, Any]:
        """What the panel shows: whether the call is recorded, and whether the recording is paused."""
        active = self.active.get(call_id)
        return {"active": active is not None, "paused": bool(active and active.paused)}


def file_facts(path: Path) -> tuple[int | None, float | None]:
    """``(size in bytes, seconds)`` of a recording file; None for what cannot be read."""
    try:
        size = path.stat().st_size
    except OSError:
        return None, None
    try:
        with wave.open(str(path)) as wav:
            return size, wav.getnframes() / float(wav.getframerate())
    except (OSError, EOFError, wave.Error):
        return size, None


def recordings_folder(settings: Any) -> Path:
    """Where this process reads recordings: ``recordings_dir``, else ``data_dir/recordings``."""
    return Path(settings.recordings_dir or Path(settings.data_dir) / "recordings")
