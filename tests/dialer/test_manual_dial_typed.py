"""Manual dial of a number the agent typed: read in the campaign's region, refused for a typo, and put through
the same DNC and calling-window check as any call (also from a paused campaign), on the real engine and the
simulated PBX over TCP. The call's record says ``manual`` and names the lead that has the number, if any."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import phonenumbers
import pytest
from phonenumbers import timezone as number_timezone

from admin_ui.i18n import MESSAGES
from agents_ws.panel_strings import agent_message
from campaigns.model import DialMode
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_api import ALWAYS_ANSWERS, until

SPEED = 5.0   # slow enough that the DNC checker's data stays confirmed on a busy machine

# numbers of one place each, to find one whose callee is inside the US window (08:00-21:00) now and one outside
PLACES = ["+12125550199", "+18085550199", "+61291234567", "+33142345678", "+81312345678", "+442079460000",
          "+5511912345678", "+919812345678", "+6591234567", "+14155550199"]


def _local_minute(number: str, now: datetime) -> int:
    zone = number_timezone.time_zones_for_number(phonenumbers.parse(number))[0]
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return local.hour * 60 + local.minute


def open_number(now: datetime) -> str:
    """A number (of no lead) whose zone is well inside 08:00-21:00 now, for the minutes a test runs."""
    return next(n for n in PLACES if 9 * 60 <= _local_minute(n, now) <= 19 * 60)


def closed_number(now: datetime) -> str:
    return next(n for n in PLACES if _local_minute(n, now) >= 22 * 60 or _local_minute(n, now) <= 6 * 60)


def national(e164: str) -> str:
    """The number as a US agent types it: ``(212) 555-0003``."""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


@pytest.fixture
async def campaign(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    from dialer.clock import RealClock

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=30, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.2, outside_share=0.2, seed=13)


async def test_a_typed_number_is_dialled_after_the_same_checks_as_any_call(services, campaign) -> None:
    scenario = campaign
    agent_id = scenario.agent_ids[0]
    pool = services.pool
    dnc_number = sorted(scenario.dnc_numbers)[0]
    night_number = sorted(scenario.outside_numbers)[0]
    night_lead = await pool.fetchval("SELECT id FROM leads WHERE phone_e164 = $1", night_number)
    day_number = await pool.fetchval(
        "SELECT phone_e164 FROM leads WHERE campaign_id = $1 AND NOT phone_e164 = ANY($2::text[]) ORDER BY id LIMIT 1",
        scenario.campaign.id, [*scenario.dnc_numbers, *scenario.outside_numbers])
    day_lead = await pool.fetchval("SELECT id FROM leads WHERE phone_e164 = $1", day_number)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=ALWAYS_ANSWERS),
                          engine_id="typed-dial", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(agent_id, scenario.campaign.id, phone_dial_string=virtual_phone(agent_id))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        now = services.clock.now()
        # the campaign paused: a person may still dial, but never outside the callee's window (by lead or by number)
        await engine.campaign_pause(scenario.campaign.id)
        with pytest.raises(EngineError, match=r"\(window\)"):
            await engine.manual_dial(agent_id, night_lead)
        with pytest.raises(EngineError, match=r"\(window\)"):
            await engine.manual_dial_number(agent_id, national(night_number))
        await engine.campaign_start(scenario.campaign.id)

        # a typo is refused, saying what is wrong with it
        with pytest.raises(EngineError, match=r"^the number '212 555' cannot be dialled: too short$"):
            await engine.manual_dial_number(agent_id, "212 555")
        with pytest.raises(EngineError, match=r"cannot be dialled: not a phone number"):
            await engine.manual_dial_number(agent_id, "call me")
        # a number on a DNC list, typed as a US agent writes it, is refused naming the list
        with pytest.raises(EngineError, match=r"^not allowed to dial this number now \(dnc\): number on DNC list"):
            await engine.manual_dial_number(agent_id, national(dnc_number))
        # a lead whose zone is at night, and a number of no lead whose own zone is at night
        with pytest.raises(EngineError, match=r"\(window\): outside the us window"):
            await engine.manual_dial_number(agent_id, national(night_number))
        with pytest.raises(EngineError, match=r"\(window\): outside the us window"):
            await engine.manual_dial_number(agent_id, closed_number(now))
        assert await pool.fetchval("SELECT count(*) FROM call_records") == 0    # nothing was dialled
        assert engine.agent_state(agent_id)["state"] == "ready"

        # the number of a lead of the campaign, typed nationally: the lead goes on the record
        call_id = await engine.manual_dial_number(agent_id, "  " + national(day_number) + " ")
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        assert engine.agent_state(agent_id)["call"]["lead_id"] == day_lead
        await engine.hangup(agent_id)
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        await engine.set_disposition(agent_id, DispositionInput(call_id, "sale"))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")

        # a number of no lead, in international form: a record without a lead
        other = open_number(now)
        other_call = await engine.manual_dial_number(agent_id, other)
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        await engine.hangup(agent_id)
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        await engine.set_disposition(agent_id, DispositionInput(other_call, "sale"))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")

        await engine.drain()
        assert engine.errors == []
    rows = [dict(r) for r in await pool.fetch(
        "SELECT id, lead_id, direction, phone_e164, agent_id, outcome FROM call_records ORDER BY id")]
    assert rows == [
        {"id": int(call_id), "lead_id": day_lead, "direction": "manual", "phone_e164": day_number,
         "agent_id": agent_id, "outcome": "handled"},
        {"id": int(other_call), "lead_id": None, "direction": "manual", "phone_e164": other, "agent_id": agent_id,
         "outcome": "handled"},
    ]


def test_a_refusal_and_a_typo_read_in_vietnamese_without_english() -> None:
    window = "not allowed to dial this number now (window): outside the us window in America/New_York"
    assert agent_message(window, "vi") == "không được phép gọi số này lúc này: " + MESSAGES["dial_reason_window"]["vi"]
    assert agent_message(window, "en") == window
    dnc = "not allowed to dial this number now (dnc): number on DNC list internal"
    assert agent_message(dnc, "vi").endswith("nằm trong danh sách không gọi")
    assert agent_message("the number '212 555' cannot be dialled: too short", "vi") == "không thể gọi số '212 555': quá ngắn"
    assert agent_message("the number 'x' cannot be dialled: wrong length for its country", "vi") \
        == "không thể gọi số 'x': sai độ dài so với quốc gia của số"
