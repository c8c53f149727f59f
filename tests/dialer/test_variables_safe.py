"""Campaign settings reach Asterisk whole, or are refused at save naming the field.

The simulated PBX splits ``Variable:`` headers with Asterisk 22's own argument parser (recording i1): a
comma ends a value, quotes and backslashes vanish. The adapter escapes values so they arrive whole; a
line break, which no header can carry, is never sent. With ``DIALER_TEST_AMI`` set, the same values are
checked on a real Asterisk with ``Getvar``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from campaigns.errors import CampaignError
from campaigns.model import Campaign
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.ami.header_values import caller_id_header, split_caller_id, variable_header
from dialer.clock import RealClock
from dialer.pbx_port import (
    CTX_CUSTOMER,
    VAR_MACHINE_MSG,
    VAR_SAFE_HARBOR,
    LegKind,
    LinkUp,
    OriginateRequest,
    PbxError,
    new_leg_id,
)
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.asterisk_args import originate_variables

# a comma, quotes, a '|', a backslash, parentheses and Vietnamese: what Asterisk's parser would cut or eat
HARD_VALUES = {
    "T_COMMA": "a,b,c",
    "T_QUOTE": 'say "hi" there',
    "T_PIPE": "a|b|c",
    "T_BACKSLASH": "C:\\temp\\new",
    "T_PAREN": "f(a,b) and (c",
    VAR_SAFE_HARBOR: "Xin lỗi quý khách, chúng tôi sẽ gọi lại",
    VAR_MACHINE_MSG: '"Việt", | \\ , ok',
}
HARD_NAME = 'Nguyễn, Văn "A" | Công ty \\ chi nhánh'


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    server = SimulatedPbx(PbxConfig(username="dialer", secret="dialer-secret", seed=3, speed=20.0))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


async def _adapter_up(ami: AmiAdapter) -> None:
    async with asyncio.timeout(5):
        async for event in ami.events():
            if isinstance(event, LinkUp):
                return


def _request(variables: dict[str, str], caller_id: str = "") -> OriginateRequest:
    return OriginateRequest(leg_id=new_leg_id(), kind=LegKind.CUSTOMER,
                            dial_string="Local/1203@sim-customer", context=CTX_CUSTOMER, exten="s",
                            caller_id=caller_id, timeout_s=20.0, variables=variables)


def test_each_value_survives_asterisks_argument_parser() -> None:
    for name, value in HARD_VALUES.items():
        assert originate_variables([variable_header(name, value)]) == [(name, value)]


def test_a_caller_id_name_is_quoted_with_its_quotes_and_backslashes_escaped() -> None:
    # checked on Asterisk 22.10.1: CALLERID(name) then reads 'say "hi", Việt | x' exactly
    assert caller_id_header('"say "hi", Việt | x" <+12122001120>') == '"say \\"hi\\", Việt | x" <+12122001120>'
    assert caller_id_header("+15550100") == "+15550100"
    assert split_caller_id("ACME <+15550100>") == ("ACME", "+15550100")


async def test_hard_values_arrive_whole_on_the_channel(pbx: SimulatedPbx) -> None:
    config = AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                             secret="dialer-secret", max_channels=10, action_timeout_s=2.0)
    async with AmiAdapter([config], clock=RealClock()) as ami:
        await _adapter_up(ami)
        request = _request(HARD_VALUES, caller_id=f'"{HARD_NAME}" <+15550100>')
        await ami.originate(request)
        (sent,) = [r for r in pbx.originate_log if r.channel_id == request.leg_id]
        for name, value in HARD_VALUES.items():
            assert sent.variables[name] == value, name
        async with asyncio.timeout(5):   # and Getvar on the live channel reads them back whole
            while not ami.statistics()[0].active_legs or await _get(ami, request.leg_id, "T_COMMA") is None:
                await asyncio.sleep(0.02)
        for name, value in HARD_VALUES.items():
            assert await ami.get_var(request.leg_id, name) == value, name
        assert await ami.get_var(request.leg_id, "CALLERID(name)") == HARD_NAME
        await ami.hangup(request.leg_id)


async def _get(ami: AmiAdapter, leg_id: str, name: str) -> str | None:
    try:
        return await ami.get_var(leg_id, name)
    except PbxError:
        return None          # no channel yet


async def test_a_line_break_is_never_sent(pbx: SimulatedPbx) -> None:
    config = AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                             secret="dialer-secret", max_channels=10, action_timeout_s=2.0)
    async with AmiAdapter([config], clock=RealClock()) as ami:
        await _adapter_up(ami)
        for bad in (_request({"NOTE": "line one\nAction: Hangup"}), _request({}, caller_id='"a\r\nb" <1>'),
                    _request({"LONG": "x" * 1100})):
            with pytest.raises(PbxError):
                await ami.originate(bad)
            assert bad.leg_id not in [r.channel_id for r in pbx.originate_log]


# --- save time: what cannot be carried is refused, naming the field ---------------------------------
BASE = Campaign(id=1, name="Chiến dịch, số 1", trunk_template="PJSIP/{number}@carrier")
HARD_TEXTS = ("a,b", 'say "hi"', "a|b", "line\nbreak", "Xin lỗi quý khách")


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_a_trunk_template_asterisk_cannot_originate_is_refused_naming_it(text: str) -> None:
    with pytest.raises(CampaignError, match="^trunk_template: "):
        replace(BASE, trunk_template="PJSIP/{number}@" + text).validate_settings()


def test_a_trunk_template_with_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(CampaignError, match="^trunk_template: "):
        replace(BASE, trunk_template="PJSIP/{number}@{carrier}").validate_settings()


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_a_safe_harbor_message_playback_cannot_take_is_refused_naming_it(text: str) -> None:
    with pytest.raises(CampaignError, match="^safe_harbor_message: "):
        replace(BASE, safe_harbor_message="custom/" + text).validate_settings()


def test_a_sound_name_with_a_blank_is_refused() -> None:
    with pytest.raises(CampaignError, match="^safe_harbor_message: "):
        replace(BASE, safe_harbor_message="custom/our message").validate_settings()


@pytest.mark.parametrize("text", [t for t in HARD_TEXTS if "\n" not in t])
def test_a_caller_id_name_may_hold_commas_quotes_pipes_and_vietnamese(text: str) -> None:
    campaign = replace(BASE, caller_id=f'"{text}" <+15550100>').validate_settings()
    assert split_caller_id(campaign.caller_id) == (text, "+15550100")


@pytest.mark.parametrize("caller_id", ['"line\nbreak" <+15550100>', "ACME", '"ACME" <not a number>'])
def test_a_caller_id_asterisk_cannot_take_is_refused_naming_it(caller_id: str) -> None:
    with pytest.raises(CampaignError, match="^caller_id: "):
        replace(BASE, caller_id=caller_id).validate_settings()


# --- the same values on a real Asterisk 22 (DIALER_TEST_AMI=host:port:user:secret) --------------------
@pytest.mark.skipif(not os.environ.get("DIALER_TEST_AMI"), reason="no real Asterisk: set DIALER_TEST_AMI")
async def test_hard_values_arrive_whole_on_a_real_asterisk() -> None:
    host, port, user, secret = os.environ["DIALER_TEST_AMI"].split(":", 3)
    config = AmiServerConfig(name="live", host=host, port=int(port), username=user, secret=secret,
                             max_channels=4, action_timeout_s=3.0)
    async with AmiAdapter([config], clock=RealClock()) as ami:
        await _adapter_up(ami)
        request = replace(_request({**HARD_VALUES, "DIALER_HOLD_S": "5"}, caller_id=f'"{HARD_NAME}" <+12122001120>'),
                          dial_string="Local/12122001120@dialer-test-network")
        await ami.originate(request)
        async with asyncio.timeout(5):
            while await _get(ami, request.leg_id, "T_COMMA") is None:
                await asyncio.sleep(0.05)
        for name, value in HARD_VALUES.items():
            assert await ami.get_var(request.leg_id, name) == value, name
        assert await ami.get_var(request.leg_id, "CALLERID(name)") == HARD_NAME
        await ami.hangup(request.leg_id)


# --- a whole campaign: its settings travel from the database through the engine to the PBX's channels ----
async def test_a_campaign_with_hard_text_in_its_caller_id_dials_and_its_settings_arrive_whole(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    from campaigns.model import DialMode
    from dialer.calls import CallState
    from dialer.system import run_system
    from simulations.call_model import CustomerModel, LogNormal
    from simulations.virtual_agents import VirtualAgents
    from tests.dialer.test_engine_e2e import make_services

    services = make_services(db_pool, database_url, redis_url, tmp_path)
    scenario = await build_scenario(db_pool, leads=20, agents=2, dnc_share=0.0, outside_share=0.0,
                                    now=services.clock.now(), mode=DialMode.PROGRESSIVE)
    cid, caller_id, sound = scenario.campaign.id, f'"{HARD_NAME}" <+84901234567>', "custom/xin-loi-quy-khach"
    changed = replace(scenario.campaign, caller_id=caller_id, safe_harbor_message=sound).validate_settings()
    await db_pool.execute("UPDATE campaigns SET caller_id = $2, safe_harbor_message = $3 WHERE id = $1",
                          cid, changed.caller_id, changed.safe_harbor_message)
    model = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                          invalid_rate=0.0, ring=LogNormal(3.0, 0.2), talk=LogNormal(60.0, 0.1))
    config = PbxConfig(speed=20.0, seed=4, customer_model=model, extra_sounds={sound: 2.0})
    seen: dict[str, str | None] = {}
    async with run_system(services, sim_config=config, engine_id="hard-text") as system:
        agents = VirtualAgents(system.engine, scenario.agent_ids, cid, seed=5, wrap=LogNormal(3.0, 0.3))
        task = asyncio.create_task(agents.run())
        try:
            async with asyncio.timeout(30):
                while not seen:
                    talking = [c for c in system.engine.calls.values() if c.state is CallState.CONNECTED]
                    for call in talking[:1]:
                        seen = {name: await _get(system.adapter, call.leg_id, name)
                                for name in ("CALLERID(name)", "CALLERID(num)", VAR_SAFE_HARBOR)}
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert seen == {"CALLERID(name)": HARD_NAME, "CALLERID(num)": "+84901234567", VAR_SAFE_HARBOR: sound}
