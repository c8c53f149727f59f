"""The simulated provider end to end over real HTTP: the dialer sends through it, its delivery reports reach the
dialer's webhooks and move the message to delivered, its duplicate reports change nothing, and a STOP reply
reaches the SMS opt-out list in under 5 seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from dialer.services import Services
from dnc import repository as dnc_repo
from sms import consent, store
from sms.provider_settings import SmsProviderConfig
from sms.providers.base import OutgoingSms, TransientError
from sms.providers.registry import provider_for
from sms.sim.server import SmsSimulator, inbound_url_from
from sms.sim.state import Faults, SimConfig
from tests.sms.sms_sim_helpers import (
    bound_socket,
    live_dialer,
    running_sim,
    sim_configs,
    url_of,
    with_providers,
)

KINDS = ["generic", "twilio", "esms"]


@dataclass
class Rig:
    sim: SmsSimulator
    url: str                                 # the dialer
    services: Services
    configs: dict[str, SmsProviderConfig]    # by kind
    client: httpx.AsyncClient

    async def send(self, kind: str, *, key: str, to: str = "+84901234567", body: str = "Hẹn gặp lại") -> store.SmsMessage:
        """What a sender does: the row and key first, one attempt, the provider's id recorded."""
        pool, now = self.services.pool, self.services.clock.now()
        config = self.configs[kind]
        msg, _ = await store.insert_outgoing(pool, key=key, phone=to, body=body, now=now, lead_id=3)
        assert await store.begin_attempt(pool, message_id=msg.id, provider=config.name, now=now) is not None
        accepted = await provider_for(config, self.client).send(
            OutgoingSms(key=key, to=to, sender="", body=body, unicode=True, callback_url=None))
        after = await store.mark_queued(pool, message_id=msg.id, provider=config.name,
                                        provider_message_id=accepted.provider_message_id, now=self.services.clock.now())
        assert after is not None
        return after


# Reports come REPORT_DELAY_S after acceptance: long enough for the sender to record the provider's id first
# on a loaded machine (a Twilio report carries no key of ours, so one arriving before the id would be unknown).
REPORT_DELAY_S = 0.3


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(report_delay_s=REPORT_DELAY_S, stop_delay_s=0.05)


@pytest.fixture
async def rig(services: Services, sim_config: SimConfig) -> AsyncIterator[Rig]:
    sock = bound_socket()
    async with running_sim(sim_config) as sim:
        configs = sim_configs(sim, callback_base_url=url_of(sock))
        svc = with_providers(services, list(configs.values()))
        async with live_dialer(svc, sock) as url, httpx.AsyncClient() as client:
            yield Rig(sim, url, svc, configs, client)


async def eventually(check: Callable[[], Awaitable[bool]], *, within_s: float = 5.0) -> float:
    """Seconds until ``check()`` holds (fails past ``within_s``)."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < within_s, "not within the time allowed"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def status_of(pool: asyncpg.Pool, message_id: int) -> str:
    msg = await store.get_message(pool, message_id)
    assert msg is not None
    return msg.status


@pytest.mark.parametrize("kind", KINDS)
async def test_delivery_reports_reach_the_dialer_and_the_message_ends_delivered(rig: Rig, kind: str) -> None:
    msg = await rig.send(kind, key=f"{kind}-1")

    async def delivered() -> bool:
        return await status_of(rig.services.pool, msg.id) == "delivered"

    await eventually(delivered)
    await rig.sim.idle()
    reports = await store.reports_for_message(rig.services.pool, message_id=msg.id)
    outcomes = {r["status"]: r["outcome"] for r in reports}
    assert len(reports) == 2 and outcomes["delivered"] == "applied"
    # the simulator sends "sent" before "delivered", from several callback workers: on a loaded machine the
    # two may reach the dialer the other way round, and a "sent" after "delivered" is logged stale
    sent_first = [r["status"] for r in reports] == ["sent", "delivered"]
    assert outcomes["sent"] == ("applied" if sent_first else "stale")
    after = await store.get_message(rig.services.pool, msg.id)
    assert after is not None and after.sent_at is not None and after.final_at is not None
    assert rig.sim.state.stats.callback_statuses == {"200": 2}


@pytest.mark.parametrize("sim_config", [SimConfig(report_delay_s=REPORT_DELAY_S, fail_share=1.0)])
async def test_a_message_the_network_could_not_deliver_ends_undelivered(rig: Rig) -> None:
    msg = await rig.send("generic", key="g-1")

    async def undelivered() -> bool:
        return await status_of(rig.services.pool, msg.id) == "undelivered"

    await eventually(undelivered)
    after = await store.get_message(rig.services.pool, msg.id)
    assert after is not None and after.reason == "handset unreachable (simulated)"


@pytest.mark.parametrize("kind", KINDS)
async def test_a_report_sent_twice_is_applied_once(rig: Rig, kind: str) -> None:
    rig.sim.state.faults = Faults(duplicate_reports=1.0)
    msg = await rig.send(kind, key=f"{kind}-dup")
    await rig.sim.idle()
    outcomes = [r["outcome"] for r in await store.reports_for_message(rig.services.pool, message_id=msg.id)]
    assert outcomes == ["applied", "applied", "duplicate"]
    assert await status_of(rig.services.pool, msg.id) == "delivered"
    assert rig.sim.state.stats.callback_statuses == {"200": 2, "409": 1}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sim_config", [SimConfig(report_delay_s=REPORT_DELAY_S, stop_delay_s=0.05,
                                                        stop_share=1.0)])
async def test_a_stop_reply_reaches_the_opt_out_list_in_under_5_seconds(rig: Rig, kind: str) -> None:
    started = time.monotonic()
    await rig.send(kind, key=f"{kind}-stop", to="+84907654321")

    async def opted_out() -> bool:
        entries = await dnc_repo.entries_for_number(rig.services.pool, number="+84907654321")
        return [e.list_name for e in entries] == ["sms_optout"]

    await eventually(opted_out)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, f"STOP took {elapsed:.2f} s"
    [incoming] = await rig.services.pool.fetch(
        "SELECT body, lead_id FROM sms_messages WHERE direction = 'in' AND phone = '+84907654321'")
    assert (incoming["body"], incoming["lead_id"]) == ("STOP", 3)     # linked to the lead we texted
    # and the consent check every sender makes refuses the next message to that number
    blocks = await consent.sms_blocks(rig.services.pool, ["+84907654321"], campaign_id=None,
                                      now=rig.services.clock.now())
    verdict = consent.decide(number="+84907654321", block=blocks.get("+84907654321"), window=None,
                             zones=["Asia/Ho_Chi_Minh"], now=rig.services.clock.now())
    assert verdict.verdict is consent.Verdict.REFUSE
    assert verdict.reason is not None and verdict.reason.code == "sms_opted_out"


async def test_a_send_that_timed_out_is_matched_by_its_key_and_never_sent_again(rig: Rig) -> None:
    """The provider took the message and never answered: its report finds the row by the echoed key, and the
    row is then no longer pending, so a retrying job does not send it again."""
    rig.sim.state.faults = Faults(next_timeout=1, timeout_delay_s=None)
    config = rig.configs["generic"].model_copy(update={"timeout_s": 0.3})
    pool, now = rig.services.pool, rig.services.clock.now()
    msg, _ = await store.insert_outgoing(pool, key="t-1", phone="+84901234567", body="x", now=now)
    await store.begin_attempt(pool, message_id=msg.id, provider=config.name, now=now)
    with pytest.raises(TransientError):
        await provider_for(config, rig.client).send(
            OutgoingSms(key="t-1", to="+84901234567", sender="", body="x", unicode=False, callback_url=None))

    async def delivered() -> bool:
        return await status_of(pool, msg.id) == "delivered"

    await eventually(delivered)
    after = await store.get_message(pool, msg.id)
    assert after is not None and after.provider_message_id == rig.sim.state.messages[0].provider_message_id
    assert await store.begin_attempt(pool, message_id=msg.id, provider=config.name, now=now) is None
    assert len(rig.sim.state.messages) == 1


async def test_the_same_key_sent_at_once_many_times_is_accepted_once(rig: Rig) -> None:
    provider = provider_for(rig.configs["generic"], rig.client)
    msg = OutgoingSms(key="race", to="+84901234567", sender="", body="x", unicode=False, callback_url=None)
    ids = {a.provider_message_id for a in await asyncio.gather(*(provider.send(msg) for _ in range(20)))}
    log = (await rig.client.get(f"{rig.sim.url}/_sim/log")).json()
    assert len(ids) == 1 and log["total"] == 1 and rig.sim.state.stats.deduplicated == 19


async def test_start_on_demand_takes_the_number_off_the_opt_out_list(rig: Rig) -> None:
    number = "+84905555555"
    url = f"{rig.url}/sms/webhooks/sim/inbound"
    for body in ("Hủy", "start"):
        response = await rig.client.post(f"{rig.sim.url}/_sim/inbound",
                                         json={"api": "generic", "from": number, "body": body, "url": url})
        assert response.status_code == 200
        await rig.sim.idle()
        on_list = bool(await dnc_repo.entries_for_number(rig.services.pool, number=number))
        assert on_list == (body == "Hủy")


@pytest.mark.parametrize(("faults", "says"), [({"http_429": 2}, "http_429 must be a share"),
                                              ({"next_5xx": -1}, "next_5xx must be a whole number"),
                                              ({"explode": 1}, "unknown fault 'explode'")])
async def test_a_bad_fault_setting_is_refused_naming_it(faults: dict, says: str) -> None:
    async with running_sim() as sim, httpx.AsyncClient() as client:
        response = await client.post(f"{sim.url}/_sim/faults", json=faults)
        assert response.status_code == 400 and says in response.json()["error"]
        assert (await client.get(f"{sim.url}/_sim/faults")).json() == Faults().to_json()


def test_replies_go_to_the_inbound_webhook_beside_the_status_one() -> None:
    assert inbound_url_from("https://d.example/sms/webhooks/sim-esms/status?token=x") == \
        "https://d.example/sms/webhooks/sim-esms/inbound"


async def test_esms_that_timed_out_then_says_already_accepted_is_handed_over_and_its_reports_find_it(rig: Rig) -> None:
    """eSMS refuses a repeated RequestId (124) without saying the first id: the message is handed over without
    an id and its delivery reports, which echo the RequestId, complete it."""
    from sms.providers.base import AlreadyAccepted

    rig.sim.state.faults = Faults(next_timeout=1, timeout_delay_s=None)
    config = rig.configs["esms"].model_copy(update={"timeout_s": 0.3})
    provider = provider_for(config, rig.client)
    pool, now = rig.services.pool, rig.services.clock.now()
    msg, _ = await store.insert_outgoing(pool, key="e-1", phone="+84901234567", body="x", now=now)
    out = OutgoingSms(key="e-1", to="+84901234567", sender="", body="x", unicode=False, callback_url=None)
    await store.begin_attempt(pool, message_id=msg.id, provider=config.name, now=now)
    with pytest.raises(TransientError):
        await provider.send(out)
    with pytest.raises(AlreadyAccepted):
        await provider.send(out)
    handed = await store.mark_queued(pool, message_id=msg.id, provider=config.name, provider_message_id=None, now=now)
    assert handed is not None and handed.handed_over     # queued, or further when its reports came first

    async def delivered() -> bool:
        return await status_of(pool, msg.id) == "delivered"

    await eventually(delivered)
    after = await store.get_message(pool, msg.id)
    assert after is not None and after.provider_message_id == rig.sim.state.messages[0].provider_message_id
    assert len(rig.sim.state.messages) == 1
