"""The callback of a caller who pressed 1 in a queue pops in the agent's panel like an outbound call, with a note:
"called back from queue X, waited N s" (English and Vietnamese), over the panel's real websocket, the caller on
the simulated PBX over TCP."""

from __future__ import annotations

import contextlib

from admin_ui.i18n import translator
from campaigns import queue_repository
from campaigns import repository as campaigns_repo
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.pbx.actions import press_key
from tests.agents_ws.conftest import AsgiSocket, sign_in
from tests.agents_ws.test_inbound_pop import DID, QUIET, SPEED, _floor, _next_pop, until


def test_the_note_is_worded_in_english_and_vietnamese() -> None:
    values = {"queue": "Hotline", "seconds": "42"}
    assert translator("en")("callback_from_queue", **values) == "Called back from queue Hotline, waited 42 s"
    assert translator("vi")("callback_from_queue", **values) == "Gọi lại từ hàng chờ Hotline, đã chờ 42 giây"


async def test_the_callback_pops_as_an_outbound_call_with_its_queue_and_wait(
        db_pool, database_url, redis_url, tmp_path) -> None:
    services, app, ann, campaign_id, queue = await _floor(db_pool, database_url, redis_url, tmp_path)
    await queue_repository.save_queue(db_pool, queue=queue.with_settings(
        {"press1_callback": True, "callback_campaign_id": campaign_id}))
    lead = (await campaigns_repo.search_leads(db_pool, campaign_id=campaign_id, limit=1))[0]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=6, customer_model=QUIET),
                          engine_id="press1-pop", tick_s=0.5) as system, contextlib.AsyncExitStack() as stack:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await system.dnc.wait_loaded()
        await until(lambda: campaign_id in engine.campaigns)
        cookies, token = await sign_in(app, ann.username)
        ws = await stack.enter_async_context(AsgiSocket(app, "/agent/ws", query=f"csrf={token}", cookies=cookies))
        await ws.send({"type": "login", "campaign_id": campaign_id})
        await until(lambda: engine.agent_state(ann.id)["state"] == "ready")
        await engine.agent_pause(ann.id, "break")
        name = sim.inject_inbound(caller=lead.phone_e164, did=DID, patience_s=300.0)
        channel = sim.switch.channels[name]
        await until(lambda: channel.variables.get("DIALER_PRESS1") == "1")    # the engine offers the callback
        press_key(sim.switch, channel, "1")
        await until(lambda: engine.inbound.callbacks.places)
        await engine.agent_ready(ann.id)
        pop = await _next_pop(ws)
    assert engine.errors == []
    record = await db_pool.fetchrow("SELECT * FROM call_records WHERE id = $1", int(pop["call_id"]))
    assert record["direction"] == "outbound" and record["callback_of"] is not None
    assert pop.get("direction") != "inbound" and pop["lead"]["id"] == lead.id and pop["number"] == lead.phone_e164
    assert pop["queue_callback"]["queue"] == "Hotline" and pop["queue_callback"]["waited_s"] >= 0
