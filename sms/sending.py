"""Handing stored messages to providers: at most once each, at the provider's rate, after consent, with retries.

The rules (``after_error`` and ``Sender``; the SQL is ``sms.outbox``):

* **Idempotency.** A message's row and key exist before any attempt (``sms.store.insert_outgoing``, or a
  bulk send's materialisation). A sender claims a row (token + time) before handing it over, hands it over
  with its key (``OutgoingSms.key``: the simulated and generic providers get it as ``Idempotency-Key`` /
  ``idempotency_key``, eSMS as ``RequestId``; Twilio has no such field), and records the provider's id. A row
  queued, sent or holding a provider id is never claimed again.
* **When the answer is lost** (a timeout, a 5xx, a connection cut, a worker killed between hand-off and
  record): the provider may have the message. For a provider that de-duplicates on the key
  (``SmsProviderConfig.deduplicates``: the simulated provider, eSMS, a generic provider that says so) the
  message is handed over again with the same key, and the provider answers with its first acceptance. For
  one that does not (a real Twilio account), it is never handed over again: it ends ``failed`` with
  ``sms_outcome_unknown``; only a 429 (the provider refused it, so it has not got it) is retried.
* **Already accepted.** A provider that answers "this key was accepted before" without an id (eSMS code 124:
  ``AlreadyAccepted``) has the message from an earlier attempt: it is recorded as queued, its reports find it
  by the key they echo.
* **Retries** on ``TransientError`` only: exponential backoff with jitter (``backoff_s``), at least the
  provider's ``Retry-After``; a 429 also holds every worker of that provider (``RedisRateLimit.hold_for``).
  ``PermanentError`` ends the message ``failed`` with the provider's reason; so does the last attempt.
* **Consent** (``sms.consent.decide``) is checked when a message is claimed, right before its hand-off:
  refused messages end ``refused`` with the reason, quiet hours put it back due at the window's opening.
* **Leases.** A claim is handed over only while younger than ``lease_s`` minus the provider's timeout and a
  second, so a claim that ``outbox.recover_stale`` takes back (older than ``lease_s``) is never still being
  sent. A worker that finds nothing to claim waits for other workers' claims to settle or to be taken back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from campaigns.model import Campaign
from campaigns.windows import WindowProfile
from dialer.clock import Clock
from dialer.reasons import Reason, reason
from sms import outbox
from sms.consent import UNKNOWN, Block, Verdict, decide, recipient_zones, sms_blocks
from sms.outbox import Claimed
from sms.provider_settings import SmsProviderConfig
from sms.providers.base import AlreadyAccepted, OutgoingSms, Provider, ProviderError, TransientError
from sms.rate_limit import RedisRateLimit

log = logging.getLogger(__name__)
Progress = Callable[[Counter[str]], Awaitable[None]]    # told this worker's counts about once a second


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8        # hand-offs of one message, the first included
    base_s: float = 1.0          # the first retry waits base_s/2 .. base_s, the n-th up to base_s * 2**(n-1)
    cap_s: float = 300.0


def backoff_s(attempts: int, policy: RetryPolicy, rng: random.Random, retry_after_s: float | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential with "equal jitter"
    (half fixed, half random, so retries of many messages spread out), never before the provider's
    ``Retry-After``."""
    ceiling = min(policy.cap_s, policy.base_s * 2 ** max(0, attempts - 1))
    return max(ceiling / 2 + rng.random() * ceiling / 2, retry_after_s or 0.0)


@dataclass(frozen=True, slots=True)
class AfterError:
    retry_in_s: float | None     # None: the message ends failed with ``why``
    why: Reason
    hold_s: float | None = None  # a 429's Retry-After: every worker of the provider waits that long


def after_error(exc: ProviderError, *, attempts: int, deduplicates: bool, policy: RetryPolicy,
                rng: random.Random, provider: str) -> AfterError:
    """What to do after the ``attempts``-th hand-off of a message failed with ``exc`` (module rules)."""
    text = str(exc)[:300]
    if not isinstance(exc, TransientError):
        return AfterError(None, reason("sms_provider_refused", error=text))
    refused_for_now = exc.status_code == 429        # the provider did not take it: safe to hand over again
    if not (deduplicates or refused_for_now):
        return AfterError(None, reason("sms_outcome_unknown", provider=provider, error=text))
    if attempts >= policy.max_attempts:
        return AfterError(None, reason("sms_retries_exhausted", attempts=attempts, error=text))
    hold = exc.retry_after_s if refused_for_now and exc.retry_after_s else None
    return AfterError(backoff_s(attempts, policy, rng, exc.retry_after_s), reason("sms_retry", error=text), hold)


@dataclass(frozen=True, slots=True)
class SenderOptions:
    concurrency: int = 16        # hand-offs in flight at once in this worker
    claim_chunk: int = 50        # messages claimed (and consent-checked) at once
    lease_s: float = 120.0       # a claim older than this belongs to a dead worker
    wait_horizon_s: float = 20.0  # wait for messages due within this long (retries); later ones: the scheduler
    flush_s: float = 0.2         # results are written at least this often
    policy: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class _Results:
    accepted: list[tuple[int, str, str | None]] = field(default_factory=list)   # id, provider, its id
    final: list[tuple[int, str, Reason]] = field(default_factory=list)
    final_attempted: list[tuple[int, str, Reason]] = field(default_factory=list)
    retry: list[tuple[int, datetime, Reason, bool]] = field(default_factory=list)   # id, due, why, attempted


class Sender:
    """Drains due messages through the configured providers (module docstring for the rules)."""

    def __init__(self, *, pool: asyncpg.Pool, providers: Mapping[str, Provider],
                 configs: Mapping[str, SmsProviderConfig], limits: Mapping[str, RedisRateLimit], clock: Clock,
                 rng: random.Random | None = None, options: SenderOptions | None = None,
                 default_provider: str | None = None) -> None:
        self.pool = pool
        self.providers = providers
        self.configs = configs
        self.limits = limits
        self.clock = clock
        self.rng = rng or random.Random()
        self.options = options or SenderOptions()
        self.default_provider = default_provider or next(iter(configs), None)
        self.counts: Counter[str] = Counter()
        self._campaigns: dict[int, tuple[float, Campaign | None]] = {}
        self._results = _Results()
        self._tokens: dict[int, str] = {}

    @property
    def deduplicating(self) -> list[str]:
        return [name for name, c in self.configs.items() if c.deduplicates]

    async def drain(self, *, send_id: int | None = None, message_ids: Sequence[int] | None = None,
                    progress: Progress | None = None) -> Counter[str]:
        """Send every due message (of the send, the ids, or all) until none is due within the wait horizon."""
        opts = self.options
        queue: asyncio.Queue[Claimed | None] = asyncio.Queue(maxsize=opts.concurrency * 2)
        stop_flush = asyncio.Event()
        async with asyncio.TaskGroup() as tg:
            workers = [tg.create_task(self._hand_off_loop(queue)) for _ in range(opts.concurrency)]
            flusher = tg.create_task(self._flush_loop(stop_flush))
            try:
                await self._claim_loop(queue, send_id=send_id, message_ids=message_ids, progress=progress)
            finally:
                for _ in workers:
                    await queue.put(None)
            await asyncio.gather(*workers)
            stop_flush.set()
            await flusher
        await self._flush()
        if progress is not None:
            await progress(self.counts)
        return self.counts

    # --- claiming and consent ---------------------------------------------------------------------------

    async def _claim_loop(self, queue: asyncio.Queue[Claimed | None], *, send_id: int | None,
                          message_ids: Sequence[int] | None,
                          progress: Progress | None) -> None:
        opts = self.options
        reported = self.clock.monotonic()
        while True:
            now = self.clock.now()
            reopened, lost = await outbox.recover_stale(self.pool, now=now, lease_s=opts.lease_s,
                                                        deduplicating=self.deduplicating)
            if reopened or lost:
                log.warning("sms: %d stale claims re-opened, %d ended as outcome unknown", reopened, lost)
                self.counts["failed"] += lost
            room = max(1, min(opts.claim_chunk, queue.maxsize - queue.qsize()))
            token = outbox.new_token()
            batch = await outbox.claim(self.pool, token=token, now=now, limit=room, send_id=send_id,
                                       message_ids=message_ids)
            if not batch:
                await self._flush()
                if self._tokens:          # hand-offs of ours still under way: they may come back as retries
                    await self.clock.sleep(0.05)
                    continue
                due = await outbox.next_due(self.pool, send_id=send_id, message_ids=message_ids)
                held = await outbox.oldest_claim(self.pool, send_id=send_id, message_ids=message_ids)
                if held is not None:      # another worker's claim: settled soon, or taken back when its lease ends
                    due = now if due is None else min(due, now)
                elif due is None or (due - now).total_seconds() > opts.wait_horizon_s:
                    return
                await self.clock.sleep(min(1.0, max(0.05, (due - now).total_seconds())))
                continue
            for message in batch:
                self._tokens[message.id] = token
            for message in await self._consent(batch, now):
                await queue.put(message)
            if progress is not None and self.clock.monotonic() - reported >= 1.0:
                reported = self.clock.monotonic()
                await progress(self.counts)

    async def _campaign(self, campaign_id: int) -> Campaign | None:
        from campaigns.repository import NotFound, get_campaign

        cached = self._campaigns.get(campaign_id)
        if cached is not None and self.clock.monotonic() - cached[0] < 60.0:
            return cached[1]
        try:
            campaign: Campaign | None = await get_campaign(self.pool, campaign_id=campaign_id)
        except NotFound:
            campaign = None
        self._campaigns[campaign_id] = (self.clock.monotonic(), campaign)
        return campaign

    async def _consent(self, batch: list[Claimed], now: datetime) -> list[Claimed]:
        """The claimed messages that may go now; the others are ended (refused) or put back (quiet hours)."""
        zones = await outbox.lead_zones(self.pool, {m.lead_id for m in batch if m.lead_id is not None})
        by_campaign: dict[int | None, list[Claimed]] = {}
        for m in batch:
            by_campaign.setdefault(m.campaign_id, []).append(m)
        ok: list[Claimed] = []
        for campaign_id, messages in by_campaign.items():
            campaign = await self._campaign(campaign_id) if campaign_id is not None else None
            window: WindowProfile | None = campaign.window if campaign is not None else None
            try:
                blocked: Mapping[str, object] = await sms_blocks(
                    self.pool, [m.phone for m in messages], campaign_id=campaign_id, now=now)
                unknown = False
            except (OSError, asyncpg.PostgresError, ValueError) as exc:
                log.error("sms: DNC lists unreadable for campaign %s, refusing %d messages: %s",
                          campaign_id, len(messages), exc)
                blocked, unknown = {}, True
            for m in messages:
                block: Block = UNKNOWN if unknown else blocked.get(m.phone)  # type: ignore[assignment]
                where = recipient_zones(zones.get(m.lead_id, ()) if m.lead_id is not None else (),
                                        campaign.timezone if campaign is not None else None)
                verdict = decide(number=m.phone, block=block, window=window, zones=where, now=now)
                if verdict.verdict is Verdict.SEND:
                    ok.append(m)
                elif verdict.verdict is Verdict.DEFER:
                    assert verdict.retry_at is not None and verdict.reason is not None
                    self._results.retry.append((m.id, verdict.retry_at, verdict.reason, False))
                    self.counts["deferred"] += 1
                else:
                    assert verdict.reason is not None
                    self._results.final.append((m.id, "refused", verdict.reason))
                    self.counts["refused"] += 1
        return ok

    # --- hand-off -----------------------------------------------------------------------------------------

    async def _hand_off_loop(self, queue: asyncio.Queue[Claimed | None]) -> None:
        while (message := await queue.get()) is not None:
            await self._hand_off(message)

    async def _hand_off(self, m: Claimed) -> None:
        name = m.provider or self.default_provider
        provider = self.providers.get(name) if name else None
        config = self.configs.get(name) if name else None
        if provider is None or config is None or name is None:
            self._results.final.append((m.id, "failed", reason("sms_no_provider", provider=name or "-")))
            self.counts["failed"] += 1
            return
        limit = self.limits.get(name)
        if limit is not None:
            await limit.acquire()
        age_s = (self.clock.now() - m.claimed_at).total_seconds()
        if age_s > self.options.lease_s - config.timeout_s - 1.0:      # too late to hand over under this claim
            self._results.retry.append((m.id, self.clock.now(), reason("sms_retry", error="claim expired"), False))
            return
        msg = OutgoingSms(key=m.key, to=m.phone, sender=config.sender, body=m.body,
                          unicode=m.encoding == "UCS-2", callback_url=config.webhook_url("status"))
        try:
            accepted = await provider.send(msg)
        except AlreadyAccepted:      # an earlier hand-off with this key got through (its id comes with its reports)
            self._results.accepted.append((m.id, name, None))
            self.counts["queued"] += 1
            return
        except ProviderError as exc:
            await self._failed(m, name, config, exc)
            return
        except Exception as exc:   # a bug or an unexpected answer: the provider may have it, treat as transient
            log.exception("sms: unexpected error handing message %s to %s", m.id, name)
            await self._failed(m, name, config, TransientError(f"{name}: {type(exc).__name__}: {exc}"))
            return
        self._results.accepted.append((m.id, name, accepted.provider_message_id))
        self.counts["queued"] += 1

    async def _failed(self, m: Claimed, name: str, config: SmsProviderConfig, exc: ProviderError) -> None:
        attempts = m.attempts + 1
        decision = after_error(exc, attempts=attempts, deduplicates=config.deduplicates,
                               policy=self.options.policy, rng=self.rng, provider=name)
        if decision.hold_s and name in self.limits:
            await self.limits[name].hold_for(decision.hold_s)
        if decision.retry_in_s is None:
            self._results.final_attempted.append((m.id, "failed", decision.why))
            self.counts["failed"] += 1
        else:
            retry_at = self.clock.now() + timedelta(seconds=decision.retry_in_s)
            self._results.retry.append((m.id, retry_at, decision.why, True))
            self.counts["retried"] += 1

    # --- recording ----------------------------------------------------------------------------------------

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.clock.sleep(self.options.flush_s)
            await self._flush()

    async def _flush(self) -> None:
        results, self._results = self._results, _Results()
        now = self.clock.now()
        await outbox.record_accepted(self.pool, accepted=results.accepted, now=now)
        await outbox.record_final(self.pool, ended=results.final, now=now, attempted=False)
        await outbox.record_final(self.pool, ended=results.final_attempted, now=now, attempted=True)
        await outbox.release(self.pool, now=now, released=[
            (message_id, self._tokens.get(message_id, ""), due, why, attempted)
            for message_id, due, why, attempted in results.retry])
        for message_id, _, _ in results.accepted:
            self._tokens.pop(message_id, None)
        for message_id, _, _ in (*results.final, *results.final_attempted):
            self._tokens.pop(message_id, None)
        for message_id, _, _, _ in results.retry:
            self._tokens.pop(message_id, None)
