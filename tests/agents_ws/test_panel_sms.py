"""The CRM pop carries the lead's text messages, both ways, newest first (an incoming reply included), with a
refusal's reason in the agent's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.reasons import reason
from dialer.users import Role
from sms import store


async def test_the_pop_lists_the_leads_text_messages_both_ways(panel, engine, make_user, make_campaign,
                                                               services) -> None:
    agent = await make_user(Role.AGENT, language="vi")
    campaign, (lead_id,) = await make_campaign("Pop SMS", agents=[agent],
                                               leads=[("+33612345678", "An", "Nguyen", {})])
    now = datetime.now(UTC)
    await store.insert_outgoing(services.pool, key="o1", phone="+33612345678", body="Bonjour An", now=now,
                                lead_id=lead_id, campaign_id=campaign.id)
    await store.insert_outgoing(services.pool, key="o2", phone="+33612345678", body="Encore", now=now,
                                lead_id=lead_id, campaign_id=campaign.id, status="refused",
                                reason=reason("sms_opted_out", number="+33612345678", list="sms_optout"))
    await store.record_incoming(services.pool, provider="sim", provider_message_id="i1", phone="+33612345678",
                                body="STOP", now=now + timedelta(seconds=5))
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                    call={"call_id": "51", "state": "connected", "lead_id": lead_id, "number": "+33612345678",
                          "campaign_id": campaign.id})
        pop = await ws.receive_type("pop")
    assert [(m["direction"], m["status"], m["body"]) for m in pop["messages"]] == [
        ("in", "received", "STOP"), ("out", "refused", "Encore"), ("out", "pending", "Bonjour An")]
    assert "danh sách từ chối SMS" in pop["messages"][1]["reason"]
