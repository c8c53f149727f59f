"""Callbacks are listed on the customer's clock with the customer's zone (the time agreed with them),
whatever the zone of the agent's browser or of the server (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns import repository as campaigns_repo
from dialer.users import Role


async def test_the_panel_lists_a_callback_at_the_customers_local_time_with_its_zone(
        panel, engine, make_user, make_campaign, services) -> None:
    agent = await make_user(Role.AGENT)
    campaign, (lead,) = await make_campaign("Zones", agents=[agent], timezone="Asia/Ho_Chi_Minh",
                                            leads=[("+33612345678", "Mai", "Ly", {})])   # a lead in Europe/Paris
    due = datetime(2031, 1, 15, 13, 30, tzinfo=UTC)                                       # 14:30 in Paris
    async with services.pool.acquire() as conn:
        await campaigns_repo.create_callback(conn, lead_id=lead, due_at=due, agent_id=agent.id, created_by=agent.id)
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.send({"type": "callbacks"})
        listed = await ws.receive_type("callbacks")
    (item,) = listed["items"]
    assert (item["zone"], item["due_local"]) == ("Europe/Paris", "2031-01-15 14:30")
    assert item["due_at"] == due.isoformat()
