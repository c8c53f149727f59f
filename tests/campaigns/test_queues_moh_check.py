"""A queue's music-on-hold class is checked on every connected PBX when saved, as its sounds are: Asterisk
plays ``default`` instead of a class its musiconhold.conf lacks, with only a line in its log (recording r1),
so a class the PBX lacks is refused naming the field (``moh_class``) and the server; ``default`` is never
asked."""

from __future__ import annotations

from typing import Any

from dialer.users import Role
from tests.campaigns.test_queues_api import BODY


async def test_a_music_class_missing_on_a_connected_pbx_is_refused_naming_its_field_and_server(  # type: ignore[no-untyped-def]
        api_client, services) -> None:
    from dialer.ami.adapter import AmiAdapter
    from dialer.ami.config import AmiServerConfig
    from dialer.clock import RealClock
    from dialer.engine import Engine
    from simulations.pbx import PbxConfig, SimulatedPbx

    pbx = SimulatedPbx(PbxConfig(seed=1, moh_classes=frozenset({"default", "Jazz"})))
    await pbx.start(host="127.0.0.1", port=0)
    adapter = AmiAdapter([AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                                          secret="dialer-secret", max_channels=10, action_timeout_s=2.0)],
                         clock=RealClock())
    await adapter.start()
    services.extras["engine"] = Engine(pool=services.pool, pbx=adapter, clock=RealClock(),
                                       engine_id="queues-moh")
    try:
        async with api_client(Role.TEAM_LEAD) as client:
            refused = await client.post("/api/queues", json={**BODY, "moh_class": "rock"})
            assert refused.status_code == 422
            assert (refused.json()["field"], refused.json()["code"]) == ("moh_class", "moh_missing")
            assert refused.json()["params"] == {"value": "rock", "server": "pbx1"}
            # Asterisk compares class names without case: "jazz" is its "Jazz"
            saved = await client.post("/api/queues", json={**BODY, "moh_class": "jazz"})
            assert saved.status_code == 201 and saved.json()["warnings"] == [], saved.text
            queue: dict[str, Any] = saved.json()
            changed = await client.patch(f"/api/queues/{queue['id']}", json={"moh_class": "rock"})
            assert (changed.status_code, changed.json()["field"]) == (422, "moh_class")
            back = await client.patch(f"/api/queues/{queue['id']}", json={"moh_class": "default"})
            assert back.status_code == 200 and back.json()["moh_class"] == "default"
    finally:
        services.extras.pop("engine", None)
        await adapter.close()
        await pbx.stop()


async def test_a_music_class_that_could_not_be_checked_is_saved_with_a_warning(api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        saved = await client.post("/api/queues", json={**BODY, "moh_class": "jazz"})
    assert saved.status_code == 201, saved.text
    assert ("moh_class: music-on-hold class 'jazz' could not be checked (the dialer engine is not running, "
            "so no PBX is connected)") in saved.json()["warnings"]
