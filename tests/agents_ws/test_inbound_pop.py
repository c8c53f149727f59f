"""An inbound call's pop (issue 15): the queue, the caller's number, the time waited, the caller's leads across
campaigns with their history, or where a new contact goes; the queue's dispositions. The pure building
(``dialer.inbound_pop``), then end to end: a caller on the simulated PBX over TCP reaches an agent whose panel's
real websocket receives the pop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import Any

from campaigns import queue_repository
from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer import inbound_pop, users
from dialer.clock import RealClock
from dialer.services import Services
from dialer.settings import load_settings
from dialer.system import run_system
from dialer.users import Role
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from tests.agents_ws.conftest import PASSWORD, AsgiSocket, Closed, sign_in
from tests.dialer.conftest import build

# --- the pure pop ---------------------------------------------------------------------------------------


def test_a_caller_id_is_read_as_the_lead_search_reads_a_number() -> None:
    assert "+84987654321" in inbound_pop.caller_numbers("0987654321", ["VN"])
    assert "+84987654321" in inbound_pop.caller_numbers("84987654321", ["US"])
    assert inbound_pop.caller_numbers("+84987654321", []) == ("+84987654321",)
    assert inbound_pop.caller_numbers("", ["VN"]) == ()


def _match(lead_id: int, *when: str) -> dict[str, Any]:
    return {"lead": {"id": lead_id}, "campaign": {"id": 1, "name": "c"},
            "history": [{"originated_at": w, "outcome": "handled"} for w in when]}


def test_the_pop_shows_the_queue_the_wait_the_queues_dispositions_and_the_most_recently_called_lead_first() -> None:
    context = {"queue_id": 4, "queue_name": "Hotline", "did": "+842873001234", "vip": True, "lead_id": None}
    pop = inbound_pop.inbound_pop(
        call_id=9, caller="+84987654321", context=context, waited=12.34,
        dispositions=[{"code": "resolved", "label": "Resolved"}],
        matches=[_match(1, "2026-01-01T10:00"), _match(2, "2026-03-01T10:00"), _match(3)],
        new_contact={"id": 5, "name": "Inbound contacts"})
    assert pop["queue"] == {"id": 4, "name": "Hotline"} and pop["waited_s"] == 12.3 and pop["vip"] is True
    assert pop["dispositions"] == [{"code": "resolved", "label": "Resolved", "final": True}]
    assert [m["lead"]["id"] for m in pop["matches"]] == [2, 1, 3]
    assert pop["lead"] == {"id": 2} and pop["new_contact"] is None      # a known caller: no form


def test_a_transferred_call_shows_its_own_lead_first_and_who_sent_it() -> None:
    context = {"queue_id": 4, "queue_name": "Hotline", "lead_id": 3,
               "queue_transfer": {"from_agent_id": 7, "from_name": "Ann", "from_call_id": 11}}
    pop = inbound_pop.inbound_pop(call_id=9, caller="+1", context=context, waited=0.0, dispositions=[],
                                  matches=[_match(2, "2026-03-01T10:00"), _match(3)], new_contact=None)
    assert pop["lead"] == {"id": 3}
    assert pop["queue_transfer"] == {"from_agent_id": 7, "from_name": "Ann", "from_call_id": 11}


def test_an_unknown_caller_gets_the_new_contact_form_in_the_queues_campaign_or_inbound_contacts() -> None:
    pop = inbound_pop.inbound_pop(call_id=9, caller="+1", context={"queue_id": 1}, waited=1.0, dispositions=[],
                                  matches=[], new_contact={"id": None, "name": "Inbound contacts"})
    assert pop["lead"] is None and pop["new_contact"] == {"id": None, "name": "Inbound contacts"}
    assert inbound_pop.contact_campaign({"id": 3, "name": "Sales", "x": 1}, {"id": 1, "name": "I"}) == \
        {"id": 3, "name": "Sales"}
    assert inbound_pop.contact_campaign(None, {"id": None, "name": "Inbound contacts"})["name"] == "Inbound contacts"


def test_the_wait_runs_from_arrival_to_the_answer() -> None:
    assert inbound_pop.waited_s(10.0, 14.5, 99.0) == 4.5
    assert inbound_pop.waited_s(10.0, None, 13.0) == 3.0
    assert inbound_pop.waited_s(None, None, 13.0) == 0.0


# --- end to end -----------------------------------------------------------------------------------------

SPEED = 10.0
DID = "+842873001234"
QUIET = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(1.0, 0.1), talk=LogNormal(5.0, 0.1), patience=LogNormal(60.0, 0.1),
                      no_answer_s=15.0)


async def until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _floor(db_pool, database_url, redis_url, tmp_path):  # type: ignore[no-untyped-def]
    """The web app, an agent Ann, a preview campaign she works (3 leads) and the Hotline queue she serves."""
    from admin_ui.app import create_app

    settings = load_settings(None, mode="development", secret_key="k" * 32, data_dir=tmp_path, speed=SPEED,
                             redis_url=redis_url, agent_phone_template="Local/agent-{agent_id}@sim-agent-phone",
                             panel_grace_s=60.0)   # 6 s of wall time to answer a heartbeat (5 s was 0.5 s at 10x)
    import redis

    clock = RealClock(speed=SPEED)
    services = Services(settings=settings, pool=db_pool, redis=redis.Redis.from_url(redis_url), clock=clock)
    services.extras["database_url"] = database_url
    app = create_app(services)
    ann = await users.create_user(db_pool, username="ann-pop", password=PASSWORD, role=Role.AGENT,
                                  display_name="Ann")
    scenario = await build(db_pool, leads=3, agents=0, dnc_share=0.0, outside_share=0.0, now=clock.now(),
                           mode=DialMode.PREVIEW)
    campaign_id = scenario.campaign.id
    async with db_pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign_id, user_ids=[ann.id])
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann.id: 5})
    return services, app, ann, campaign_id, queue


async def _answered(services, app, ann, campaign_id, stack, caller: str):  # type: ignore[no-untyped-def]
    """Ann's panel, signed in and ready, and the pop of ``caller``'s call to the Hotline."""
    system = services.extras["system"]
    engine = system.engine
    await until(lambda: campaign_id in engine.campaigns)
    cookies, token = await sign_in(app, ann.username)
    ws = await stack.enter_async_context(AsgiSocket(app, "/agent/ws", query=f"csrf={token}", cookies=cookies))
    await ws.send({"type": "login", "campaign_id": campaign_id})
    await until(lambda: engine.agent_state(ann.id)["state"] == "ready")
    system.sim.inject_inbound(caller=caller, did=DID, patience_s=120.0, talk_s=8.0)
    return ws, await _next_pop(ws)


async def test_an_agent_panel_receives_the_inbound_pop_with_the_callers_lead_and_its_history(
        db_pool, database_url, redis_url, tmp_path, crm_server) -> None:
    services, app, ann, campaign_id, queue = await _floor(db_pool, database_url, redis_url, tmp_path)
    clock = services.clock
    lead = (await campaigns_repo.search_leads(db_pool, campaign_id=campaign_id, limit=1))[0]
    crm = crm_server()                  # the lead's campaign's external CRM
    await db_pool.execute("UPDATE campaigns SET crm_url_template = $2 WHERE id = $1", campaign_id,
                          crm.url + "/customers?phone={phone}&id={lead_id}")
    # the lead was called last week: the agent must see that attempt in the pop
    await db_pool.execute(
        "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
        " dial_string, caller_id, originated_at, outcome, disposition, notes)"
        " VALUES ($1,$2,$3,'old','old-1','outbound',$4,'','',$5,'handled','sale','wants the blue one')",
        campaign_id, lead.id, ann.id, lead.phone_e164, clock.now() - timedelta(days=7))

    with crm:
        async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=QUIET),
                              engine_id="inbound-pop", tick_s=0.5), contextlib.AsyncExitStack() as stack:
            # the trunk presents the number without its '+': the lead is found all the same
            ws, pop = await _answered(services, app, ann, campaign_id, stack, lead.phone_e164.lstrip("+"))
            crm_answer = await ws.receive_type("crm")      # the lead's campaign's CRM, as for an outbound call
            await ws.send({"type": "queues"})
            queues = await ws.receive_type("queues")
    assert pop["direction"] == "inbound" and pop["queue"] == {"id": queue.id, "name": "Hotline"}
    assert pop["number"] == lead.phone_e164.lstrip("+") and pop["did"] == DID and pop["waited_s"] >= 0
    assert pop["lead"]["id"] == lead.id and pop["campaign"]["id"] == campaign_id
    assert [(h["disposition"], h["notes"]) for h in pop["history"]] == [("sale", "wants the blue one")]
    assert [d["code"] for d in pop["dispositions"]] == [d.code for d in queue.dispositions]
    assert pop["new_contact"] is None
    assert queues["items"] == [{"id": queue.id, "name": "Hotline", "open": True}]   # to transfer a customer to
    assert crm_answer["ok"] and crm_answer["call_id"] == pop["call_id"] and crm_answer["data"]["tier"] == "gold"
    assert crm.paths == [f"/customers?phone=%2B{lead.phone_e164.lstrip('+')}&id={lead.id}"]


async def test_an_unknown_caller_is_offered_the_contact_form_and_the_new_lead_pops(
        db_pool, database_url, redis_url, tmp_path) -> None:
    services, app, ann, campaign_id, _ = await _floor(db_pool, database_url, redis_url, tmp_path)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=QUIET),
                          engine_id="inbound-pop-2", tick_s=0.5), contextlib.AsyncExitStack() as stack:
        ws, pop = await _answered(services, app, ann, campaign_id, stack, "+84987650001")
        assert pop["lead"] is None and pop["matches"] == []
        assert pop["new_contact"] == {"id": None, "name": "Inbound contacts"}     # created on first use
        await ws.send({"type": "create_contact", "call_id": pop["call_id"], "first_name": "Lan",
                       "last_name": "Trần"})
        again = await _next_pop(ws)
        await ws.send({"type": "create_contact", "call_id": pop["call_id"], "first_name": "Lan"})
        refused = await ws.receive_type("error")
    assert again["call_id"] == pop["call_id"] and again["new_contact"] is None
    assert (again["lead"]["first_name"], again["lead"]["last_name"], again["lead"]["phone"]) == \
        ("Lan", "Trần", "+84987650001")
    assert again["campaign"]["name"] == "Inbound contacts"
    assert refused["request"] == "create_contact" and "already has a lead" in refused["message"]
    record = await db_pool.fetchrow("SELECT lead_id FROM call_records WHERE id = $1", int(pop["call_id"]))
    assert record["lead_id"] == again["lead"]["id"]


async def _next_pop(ws: AsgiSocket) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        try:
            message = await ws.receive(max(0.1, deadline - time.monotonic()))
        except Closed:
            raise AssertionError("the panel closed before the pop") from None
        if message["type"] == "heartbeat":
            await ws.send({"type": "ping"})
        if message["type"] == "pop":
            return message
