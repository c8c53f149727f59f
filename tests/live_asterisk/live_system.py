"""The whole dialer against a real Asterisk, as a user runs it: ``dialer serve`` in its own process, and
virtual agents that sign in over the agent panel's websocket as a browser would.

``campaign_on_test_network`` makes a running campaign whose trunk is the test network and whose leads
are numbers of chosen kinds (``conftest.customer_number``); ``DialerProcess`` starts, kills (``SIGKILL``)
and stops ``dialer serve``; ``WebsocketAgent`` answers every call a human would: it talks until the
customer hangs up, then sets a disposition after a short wrap-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets

from campaigns import repository as campaigns_repo
from campaigns.model import Campaign, CampaignState, DialMode, Pacing
from campaigns.retry_policy import RetryPolicy, RetryRule
from dialer import users
from dialer.aio import wait_within
from dialer.demo import daytime_zones
from dialer.users import Role
from tests.live_asterisk.ami_watch import AmiTarget
from tests.live_asterisk.conftest import TEST_NETWORK

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    campaign: Campaign
    leads: dict[str, int]            # number -> lead id
    agents: list[int]
    tokens: dict[int, str]           # agent id -> API token


async def campaign_on_test_network(pool: asyncpg.Pool, *, numbers: list[str], agents: int, now: Any,
                                   mode: DialMode = DialMode.PREDICTIVE, name: str = "live",
                                   ratio: float = 1.0, amd: bool = True) -> LiveCampaign:
    """A running campaign dialling ``numbers`` through the test network, with agents whose phones are
    the test network's agent phones."""
    inside, _ = daytime_zones(now)
    policy = RetryPolicy(rules={k: RetryRule(DAY, 3) for k in ("busy", "no_answer", "machine", "abandoned", "failed")},
                         fallback=RetryRule(DAY, 3))
    async with pool.acquire() as conn:
        campaign = await campaigns_repo.create_campaign(conn, campaign=Campaign(
            id=0, name=name, trunk_template=f"Local/{{digits}}@{TEST_NETWORK}", dial_mode=mode,
            pacing=Pacing(target_abandon=0.03, ratio=ratio), caller_id="+15550000000", window_profile="us",
            retry_policy=policy, amd_enabled=amd))
        rows = await conn.fetch(
            "INSERT INTO leads (campaign_id, phone_e164, first_name, timezones)"
            " SELECT $1, n, 'Live ' || ordinality, ARRAY[$3::text] FROM unnest($2::text[]) WITH ORDINALITY AS t(n)"
            " RETURNING id, phone_e164", campaign.id, numbers, inside[0])
        agent_ids: list[int] = []
        tokens: dict[int, str] = {}
        for i in range(agents):
            user = await users.create_user(conn, username=f"{name}-agent-{i}", password="agent-password-1",
                                           role=Role.AGENT, phone_dial_string="")
            await conn.execute("UPDATE users SET phone_dial_string = $2 WHERE id = $1", user.id,
                               f"Local/agent-{user.id}@{TEST_NETWORK}")
            agent_ids.append(user.id)
            tokens[user.id] = await users.create_api_token(conn, user_id=user.id, label="live suite")
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=agent_ids)
        campaign = await campaigns_repo.set_campaign_state(conn, campaign_id=campaign.id,
                                                           target=CampaignState.RUNNING)
    return LiveCampaign(campaign, {r["phone_e164"]: r["id"] for r in rows}, agent_ids, tokens)


@dataclass
class DialerProcess:
    """``dialer serve`` on the test's PostgreSQL and Redis, talking to the real Asterisk."""

    database_url: str
    redis_url: str
    ami: AmiTarget
    data_dir: Path
    engine_id: str = "live"
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout_s: float = 60.0) -> None:
        servers = [{"name": "live", "host": self.ami.host, "port": self.ami.port, "username": self.ami.username,
                    "secret": self.ami.secret}]
        env = {**os.environ, "DIALER_DATABASE_URL": self.database_url, "DIALER_REDIS_URL": self.redis_url,
               "DIALER_AMI_SERVERS": json.dumps(servers), "DIALER_PORT": str(self.port),
               "DIALER_SECRET_KEY": "k" * 32, "DIALER_ENGINE_ID": self.engine_id, "DIALER_DATA_DIR": str(self.data_dir),
               "PYTHONPATH": str(ROOT)}
        env.pop("DIALER_TEST_AMI", None)
        env.pop("DIALER_TEST_ASTERISK_START", None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"serve-{int(time.time() * 1000)}.log"
        log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dialer.cli", "serve", "--no-worker", cwd=str(ROOT), env=env,
            stdout=log, stderr=asyncio.subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"dialer serve exited: {self.log()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    answer = await client.get(self.base_url + "/healthz", timeout=2)
                    if answer.status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError(f"dialer serve did not become healthy: {self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    async def kill(self) -> None:
        """``kill -9``: no clean-up at all."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout_s: float = 30.0) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await wait_within(self.process.wait(), timeout_s)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            answer = await client.get(self.base_url + "/healthz", timeout=5)
        try:
            body = answer.json()
        except ValueError:
            body = {"text": answer.text}
        return answer.status_code, body


@dataclass
class WebsocketAgent:
    """One virtual agent in the panel: signs in, takes calls, wraps up and disposes, signs in again if
    signed out (after a crash of the engine, for example)."""

    base_url: str
    token: str
    campaign_id: int
    wrap_s: float = 1.0
    disposition: str = "not_interested"
    states: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    disposed: list[str] = field(default_factory=list)
    pops: list[str] = field(default_factory=list)

    async def run(self) -> None:
        url = self.base_url.replace("http://", "ws://") + "/agent/ws"
        while True:
            try:
                async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                              open_timeout=5) as ws:
                    await self._session(ws)
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            await asyncio.sleep(1.0)

    async def _session(self, ws: Any) -> None:
        await ws.send(json.dumps({"type": "login", "campaign_id": self.campaign_id}))
        async for raw in ws:
            msg = json.loads(raw)
            self.messages.append(msg)
            kind = msg.get("type")
            if kind == "heartbeat":   # the server closes a panel that stops answering (dialer.presence)
                await ws.send(json.dumps({"type": "ping"}))
            if kind == "pop":
                self.pops.append(str(msg.get("call_id")))
            if kind != "state":
                continue
            state = msg.get("state", "")
            self.states.append(state)
            call = msg.get("call") or {}
            if state == "wrap_up" and call and call.get("call_id") not in self.disposed:
                await asyncio.sleep(self.wrap_s)
                self.disposed.append(str(call["call_id"]))
                await ws.send(json.dumps({"type": "dispose", "call_id": str(call["call_id"]),
                                          "code": self.disposition}))
            elif state == "logged_out":
                await asyncio.sleep(1.0)
                await ws.send(json.dumps({"type": "login", "campaign_id": self.campaign_id}))


@contextlib.asynccontextmanager
async def agents_working(base_url: str, live: LiveCampaign, **options: Any):  # type: ignore[no-untyped-def]
    agents = [WebsocketAgent(base_url, live.tokens[a], live.campaign.id, **options) for a in live.agents]
    tasks = [asyncio.create_task(a.run()) for a in agents]
    try:
        yield agents
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_until_worked(pool: asyncpg.Pool, campaign_id: int, *, timeout_s: float) -> int:
    """Until no lead of the campaign is due now or claimed and no call is open; the number left."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = await pool.fetchval(
            "SELECT (SELECT count(*) FROM leads WHERE campaign_id = $1 AND (status = 'claimed' OR"
            " (status IN ('new', 'retry', 'callback') AND (next_attempt_at IS NULL OR next_attempt_at <= now()))))"
            " + (SELECT count(*) FROM call_records WHERE campaign_id = $1 AND outcome IS NULL)", campaign_id)
        if left == 0 or time.monotonic() > deadline:
            return int(left)
        await asyncio.sleep(0.5)
