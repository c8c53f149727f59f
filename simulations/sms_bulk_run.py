"""A bulk SMS send against the simulated provider with faults on and an rq worker killed in the middle.

The harness behind ``tests/sms/test_bulk_exactly_once.py`` (a few thousand messages in CI) and the
"bulk throughput" part of ``benchmarks/bench_sms.py`` (100,000): the same code, another size.

What ``run_bulk`` does, on real servers (PostgreSQL, Redis, the simulated provider and the dialer's web app
each on a real port, ``dialer worker`` processes):

1. a campaign whose window is 08:00-20:00 every day, with leads in a zone where it is open now, a share in a
   zone where it is closed now (quiet hours), and a share already on the SMS opt-out list;
2. a bulk send: estimate (timed), confirm, prepare (``sms.jobs.prepare_send_job``) and ``workers`` drain jobs,
   each run by its own ``dialer worker`` process; the provider injects 429 (with Retry-After), 5xx, timeouts
   and delivery reports sent twice, and a share of recipients answer ``STOP``;
3. once ``kill_after`` messages have reached the provider, the first worker is killed with SIGKILL (its whole
   process group: the rq worker and the job it was running); the others finish, taking back the dead worker's
   claims when their lease ends;
   Mid-send, recipients whose message is still waiting answer ``STOP``: the reply reaches the dialer's inbound
   webhook as the provider forwards it (signed); the time to the opt-out list is measured from that request.
   The simulated provider's own STOP replies (``stop_share``) wait in its callback queue behind every delivery
   report when it shares a process and two cores with the harness; their latency is reported apart.
4. checks from the provider's own log (``GET /_sim/log``): duplicates of (To, body, key), messages to opted-out
   or quiet-hours numbers; from the rows: every message queued; the time each STOP took to reach the opt-out
   list; then a message to every number that said STOP (and to a few others) must be refused for them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil

from dialer.clock import RealClock
from dialer.services import Services
from sms import bulk, store
from sms.provider_settings import SmsProviderConfig
from sms.sim.server import SmsSimulator, sim_provider_settings
from sms.sim.state import SimConfig
from sms.webhooks import hmac_headers

ROOT = Path(__file__).resolve().parents[1]
WINDOW = {"name": "custom", "hours": {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
CANDIDATE_ZONES = ("Pacific/Kiritimati", "Pacific/Auckland", "Asia/Tokyo", "Asia/Ho_Chi_Minh", "Asia/Kolkata",
                   "Europe/Moscow", "Europe/Paris", "UTC", "America/Sao_Paulo", "America/New_York",
                   "America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Pago_Pago")


@dataclass(frozen=True, slots=True)
class BulkRunResult:
    messages: int                  # leads of the send
    sendable: int                  # neither opted out nor in quiet hours
    accepted: int                  # messages of the send in the provider's log
    duplicates: int                # (To, body, key) accepted more than once: must be 0
    to_opted_out: int              # messages in the log to numbers opted out before the send: must be 0
    to_quiet: int                  # messages in the log to numbers in quiet hours: must be 0
    statuses: dict[str, int]       # the send's messages by status
    reasons: dict[str, int]        # reason codes of refused and deferred messages
    rate_per_s: float              # the configured rate limit
    messages_per_s: float          # accepted / (last - first acceptance)
    best_10s_per_s: float          # the busiest 10 seconds
    estimate_s: float              # the estimate over every recipient
    prepare_s: float               # making every message (render, count, insert)
    send_s: float                  # first to last acceptance
    killed_worker: bool
    stop_replies: int              # STOP answers (the provider's own and the mid-send ones)
    stop_replies_landed: int       # ... on the opt-out list when the run ended
    stop_latency_max_s: float      # reply sent -> number on the opt-out list, the slowest
    stop_latency_p50_s: float
    mid_send_stops: int            # STOP sent mid-send by recipients whose message was still waiting
    mid_send_stop_max_s: float     # ... reply sent -> number on the opt-out list, the slowest
    mid_send_stops_refused: int    # ... their message of this send refused (all of them)
    mid_send_stops_sent: int       # ... and handed over anyway (must be 0)
    log_total: int                 # messages in the provider's log
    stopped_numbers_refused: int   # later messages to numbers on the opt-out list after a STOP: refused (all)
    stopped_numbers_sent: int      # ... and handed over (must be 0)
    sim_stats: dict[str, Any] = field(default_factory=dict)

    def ok(self) -> bool:
        """Every done-when check of issue 16."""
        return (self.duplicates == 0 and self.to_opted_out == 0 and self.to_quiet == 0
                and self.accepted == self.sendable - self.mid_send_stops and self.stopped_numbers_sent == 0
                and self.mid_send_stops_sent == 0 and self.mid_send_stops_refused == self.mid_send_stops
                and self.mid_send_stop_max_s < 5.0 and self.stopped_numbers_refused == self.stop_replies_landed)


def zones_now(now: datetime) -> tuple[str, str]:
    """A zone where 08:00-20:00 is open now with an hour's margin, and one where it is closed with one."""
    open_zone = closed_zone = None
    for name in CANDIDATE_ZONES:
        local = now.astimezone(ZoneInfo(name))
        minute = local.hour * 60 + local.minute
        if 9 * 60 <= minute < 18 * 60 and open_zone is None:
            open_zone = name
        if (minute >= 21 * 60 or minute < 6 * 60) and closed_zone is None:
            closed_zone = name
    assert open_zone and closed_zone, "no zone open and none closed now (cannot happen over 25 hours of offsets)"
    return open_zone, closed_zone


@asynccontextmanager
async def _dialer_web(database_url: str, redis_url: str, providers: str, port: int) -> AsyncIterator[str]:
    """``dialer serve --no-engine --no-worker`` on ``port`` (its own process, as deployed): the webhooks."""
    data_dir = tempfile.mkdtemp(prefix="sms-bulk-web-")
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
           "DIALER_DATA_DIR": data_dir, "DIALER_PORT": str(port), "DIALER_ADMIN_PASSWORD": "bulk run password",
           "DIALER_SMS_PROVIDERS": providers}
    proc = _spawn(["serve", "--no-engine", "--no-worker"], env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{url}/healthz")).status_code in (200, 503):
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError("dialer serve stopped at start")
                await asyncio.sleep(0.2)
        yield url
    finally:
        _kill(proc, signal.SIGTERM)
        shutil.rmtree(data_dir, ignore_errors=True)


def _providers_json(configs: list[SmsProviderConfig]) -> str:
    return json.dumps([c.model_dump(mode="json") | {"credentials": {k: v.get_secret_value()
                                                                    for k, v in c.credentials.items()}}
                       for c in configs])


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``dialer <args>`` in a session of its own."""
    return subprocess.Popen([sys.executable, "-m", "dialer.cli", *args], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _worker(database_url: str, redis_url: str, providers: str) -> subprocess.Popen[bytes]:
    return _spawn(["worker"], {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
                               "DIALER_SMS_PROVIDERS": providers})


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``proc`` and every process under it (an rq worker runs each job in a child of its own
    session, so killing its process group would leave the job running)."""
    if proc.poll() is not None:
        return
    try:
        tree = [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]
    except psutil.NoSuchProcess:
        tree = []
    for p in tree:
        try:
            p.send_signal(sig)
        except psutil.NoSuchProcess:
            pass
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        for p in tree:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        proc.wait(10)


async def _log(client: httpx.AsyncClient, sim_url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = (await client.get(f"{sim_url}/_sim/log", params={"offset": len(out), "limit": 50000})).json()
        out.extend(page["messages"])
        if len(out) >= page["total"] or not page["messages"]:
            return out


async def _count(client: httpx.AsyncClient, sim_url: str) -> int:
    return int((await client.get(f"{sim_url}/_sim/log", params={"offset": 0, "limit": 1})).json()["total"])


async def run_bulk(services: Services, *, messages: int, rate_per_s: float, workers: int = 2,
                   kill_after: int | None = None, lease_s: float = 6.0, stop_share: float = 0.002,
                   quiet_share: float = 0.02, opted_out_share: float = 0.01, http_429: float = 0.002,
                   http_5xx: float = 0.01, timeout: float = 0.005, duplicate_reports: float = 0.05,
                   timeout_s: float = 1.0, concurrency: int = 16, deadline_s: float = 3600.0, stop_numbers: int = 5,
                   say: Any = None) -> BulkRunResult:
    """See the module docstring. ``services``: a migrated database and Redis (``extras`` holds their URLs)."""
    say = say or (lambda *_: None)
    pool = services.pool
    database_url, redis_url = services.extras["database_url"], services.extras["redis_url"]
    clock = RealClock()
    now = clock.now()
    open_zone, closed_zone = zones_now(now)
    sim = SmsSimulator(SimConfig(report_delay_s=0.3, stop_share=stop_share, stop_delay_s=0.1, seed=5))
    await sim.start()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    web_url = f"http://127.0.0.1:{port}"
    entry = next(e for e in sim_provider_settings(sim.url, sim.config, callback_base_url=web_url)
                 if e["kind"] == "generic")
    config = SmsProviderConfig(**{**entry, "name": "bulksim", "rate_per_s": rate_per_s, "timeout_s": timeout_s})
    providers = _providers_json([config])
    procs: list[subprocess.Popen[bytes]] = []
    try:
        async with _dialer_web(database_url, redis_url, providers, port), httpx.AsyncClient(timeout=60) as client:
            campaign_id = await pool.fetchval(
                "INSERT INTO campaigns (name, trunk_template, default_region, timezone, window_profile, custom_window)"
                " VALUES ($1, 'PJSIP/{number}@t', 'VN', $2, 'custom', $3::jsonb) RETURNING id",
                f"bulk-{now.timestamp():.0f}", open_zone, WINDOW)
            n_quiet = round(messages * quiet_share)
            await pool.execute(
                """INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones, fields)
                   SELECT $1, '+849' || lpad(i::text, 8, '0'), 'Khách', i::text,
                          CASE WHEN i < $3 THEN ARRAY[$4] ELSE ARRAY[$5] END, jsonb_build_object('plan', 'Vàng')
                   FROM generate_series(0, $2 - 1) AS i""",
                campaign_id, messages, n_quiet, closed_zone, open_zone)
            step = max(1, round(1 / opted_out_share)) if opted_out_share else 0
            opted = [f"+849{i:08d}" for i in range(n_quiet, messages, step)] if step else []
            await pool.execute(
                """INSERT INTO dnc_entries (list_id, number, added_by, reason, added_at)
                   SELECT (SELECT id FROM dnc_lists WHERE name = 'sms_optout'), n, 'bench', 'STOP before', $2
                   FROM unnest($1::text[]) AS n""", opted, now)
            quiet_numbers = {f"+849{i:08d}" for i in range(n_quiet)}
            body = "Chào {{ lead.first_name }} {{ lead.last_name }}, gói {{ lead.plan }} của quý khách đã sẵn sàng."
            send = await bulk.create_send(pool, bulk.SendSpec(kind="bulk", campaign_id=campaign_id, body=body,
                                                              provider="bulksim"), now=now)
            started = time.perf_counter()
            estimate = await bulk.estimate(pool, send_id=send.id, now=now, price_per_part=0.0)
            estimate_s = time.perf_counter() - started
            say(f"estimate over {estimate.recipients:,} recipients in {estimate_s:.1f} s: {estimate.total_parts:,} "
                f"parts, worst {estimate.worst_parts}, refused {estimate.refused}, quiet now {estimate.quiet_now}")
            await bulk.confirm(pool, send_id=send.id, now=now)
            started = time.perf_counter()
            await bulk.materialise_all(pool, send_id=send.id, now=clock.now())
            prepare_s = time.perf_counter() - started
            say(f"prepared {messages:,} messages in {prepare_s:.1f} s")
            await client.post(f"{sim.url}/_sim/faults", json={
                "http_429": http_429, "http_5xx": http_5xx, "timeout": timeout, "duplicate_reports": duplicate_reports,
                "retry_after_s": 0.2, "timeout_delay_s": None})
            from sms.jobs import ensure_draining

            options = {"lease_s": lease_s, "concurrency": concurrency}
            ensure_draining(services.redis, database_url, redis_url, send.id, slots=workers, options=options)
            procs = [_worker(database_url, redis_url, providers) for _ in range(workers)]
            killed = False
            # STOP mid-send from the last recipients (claimed in id order: their messages are still waiting)
            stop_now = [f"+849{i:08d}" for i in range(messages - 1, n_quiet, -1)
                        if f"+849{i:08d}" not in set(opted)][:stop_numbers]
            stop_sent_at: dict[str, float] = {}
            limit = time.monotonic() + deadline_s
            while time.monotonic() < limit:
                await asyncio.sleep(0.25)
                count = await _count(client, sim.url)
                if not stop_sent_at and stop_now and count >= (kill_after or messages) // 2:
                    for i, number in enumerate(stop_now):   # the customer's reply, as the provider forwards it
                        raw = json.dumps({"message_id": f"stop-{send.id}-{i}", "from": number, "to": config.sender,
                                          "body": "STOP"}, separators=(",", ":")).encode()
                        stop_sent_at[number] = time.time()
                        answer = await client.post(
                            f"{web_url}/sms/webhooks/{config.name}/inbound", content=raw,
                            headers={"Content-Type": "application/json",
                                     **hmac_headers(sim.config.webhook_secret, raw, now_s=time.time())})
                        answer.raise_for_status()
                    say(f"STOP from {len(stop_now)} recipients still waiting, after {count:,} messages")
                if kill_after is not None and not killed and count >= kill_after:
                    _kill(procs[0])
                    killed = True
                    say(f"worker {procs[0].pid} killed (SIGKILL) after {await _count(client, sim.url):,} messages")
                busy = await pool.fetchval(      # claimed, due, or retrying soon (not the quiet hours' hours away)
                    """SELECT count(*) FROM sms_messages WHERE send_id = $1 AND status = 'pending'
                       AND (claim_token IS NOT NULL OR scheduled_for <= now() + interval '10 minutes')""", send.id)
                if not busy:
                    break
            log = await _log(client, sim.url)
            stats = (await client.get(f"{sim.url}/_sim/stats")).json()
            rows = await pool.fetch(
                "SELECT status, reason_code, count(*) AS n FROM sms_messages WHERE send_id = $1 GROUP BY 1, 2",
                send.id)
            statuses: Counter[str] = Counter()
            reasons: Counter[str] = Counter()
            for r in rows:
                statuses[r["status"]] += r["n"]
                if r["reason_code"]:
                    reasons[r["reason_code"]] += r["n"]
            ours = [m for m in log if (m["key"] or "").startswith(f"send:{send.id}:")]
            seen = Counter((m["to"], m["body"], m["key"]) for m in ours)
            times = sorted(m["accepted_at"] for m in ours)
            send_s = times[-1] - times[0] if len(times) > 1 else 0.0
            best = 0
            j = 0
            for i in range(len(times)):
                while times[i] - times[j] > 10.0:
                    j += 1
                best = max(best, i - j + 1)
            # STOP: from the reply sent to the number on the opt-out list (the mid-send replies, and the
            # provider's own replies to a share of the messages: sent 2 * report_delay + stop_delay after it)
            replied = [m for m in ours if sim.state.replies_stop(_sim_message(sim, m))]
            stop_at = {m["to"]: m["accepted_at"] + 2 * sim.config.report_delay_s + sim.config.stop_delay_s
                       for m in replied}
            stop_at.update(stop_sent_at)
            added: dict[str, float] = {}
            for _ in range(100):              # the last replies: sent by now or soon, give them 10 s to land
                added = {r["number"]: r["added_at"].timestamp() for r in await pool.fetch(
                    """SELECT e.number, e.added_at FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                       WHERE l.kind = 'sms_optout' AND e.number = ANY($1::text[])""", list(stop_at))}
                if len(added) == len(stop_at):
                    break
                await asyncio.sleep(0.1)
            mid = sorted(max(0.0, added[n] - t) if n in added else float("inf") for n, t in stop_sent_at.items())
            latencies = sorted(max(0.0, added[n] - t) if n in added else float("inf") for n, t in stop_at.items())
            mid_sent = sum(1 for m in ours if m["to"] in stop_sent_at)
            mid_refused = await pool.fetchval(
                """SELECT count(*) FROM sms_messages WHERE send_id = $1 AND phone = ANY($2::text[])
                   AND status = 'refused' AND reason_code = 'sms_opted_out'""", send.id, list(stop_sent_at))
            await client.post(f"{sim.url}/_sim/faults", json={})        # the later messages: faults off
            # later messages to every number whose STOP reached the dialer (the provider's own replies may still
            # wait in its callback queue: those numbers are not opted out as far as anyone knows yet)
            later = await _later_messages(services, list(added), campaign_id, config, clock)
            opted_set = set(opted)
            result = BulkRunResult(
                messages=messages, sendable=messages - n_quiet - len(opted), accepted=len(seen),
                duplicates=sum(n - 1 for n in seen.values() if n > 1),
                to_opted_out=sum(1 for m in ours if m["to"] in opted_set),
                to_quiet=sum(1 for m in ours if m["to"] in quiet_numbers),
                statuses=dict(statuses), reasons=dict(reasons), rate_per_s=rate_per_s,
                messages_per_s=(len(times) - 1) / send_s if send_s else 0.0, best_10s_per_s=best / 10.0,
                estimate_s=estimate_s, prepare_s=prepare_s, send_s=send_s, killed_worker=killed,
                stop_replies=len(stop_at), stop_replies_landed=len(added),
                stop_latency_max_s=latencies[-1] if latencies else 0.0,
                stop_latency_p50_s=latencies[len(latencies) // 2] if latencies else 0.0,
                mid_send_stops=len(stop_sent_at), mid_send_stop_max_s=mid[-1] if mid else 0.0,
                mid_send_stops_refused=mid_refused, mid_send_stops_sent=mid_sent, log_total=len(log),
                stopped_numbers_refused=later[0], stopped_numbers_sent=later[1], sim_stats=stats)
            return result
    finally:
        for proc in procs:
            _kill(proc, signal.SIGTERM)
        await sim.stop()


def _sim_message(sim: SmsSimulator, logged: dict[str, Any]) -> Any:
    from sms.sim.state import SimMessage

    return SimMessage(**logged)


async def _later_messages(services: Services, numbers: list[str], campaign_id: int, config: SmsProviderConfig,
                          clock: RealClock) -> tuple[int, int]:
    """A message to each number that said STOP (and 5 that did not), sent now: ``(refused, handed over)`` of
    the STOP numbers."""
    from types import SimpleNamespace

    from sms.jobs import open_sender

    pool = services.pool
    now = clock.now()
    ids = []
    controls = [f"+848{i:08d}" for i in range(5)]
    for number in [*numbers, *controls]:
        row, _ = await store.insert_outgoing(pool, key=f"later:{number}", phone=number, body="Later message",
                                             now=now, campaign_id=campaign_id, provider=config.name,
                                             encoding="GSM-7", parts=1)
        ids.append(row.id)
    async with open_sender(services.extras["database_url"], services.extras["redis_url"],
                           settings=SimpleNamespace(sms_providers=[config]), options={"wait_horizon_s": 30.0}) as sender:
        await sender.drain(message_ids=ids)
    rows = await pool.fetch("SELECT phone, status, reason FROM sms_messages WHERE id = ANY($1::bigint[])", ids)
    stopped = set(numbers)
    refused = sum(1 for r in rows if r["phone"] in stopped and r["status"] == "refused")
    sent = sum(1 for r in rows if r["phone"] in stopped and r["status"] not in ("refused", "pending"))
    controls_sent = sum(1 for r in rows if r["phone"] in controls and r["status"] == "queued")
    if controls_sent != len(controls):
        raise AssertionError(f"the control messages were not sent: {controls_sent} of {len(controls)}: "
                             f"{[(r['status'], r['reason']) for r in rows if r['phone'] in controls]}")
    return refused, sent


__all__ = ["BulkRunResult", "run_bulk", "zones_now"]
