"""Recordings over real HTTP (uvicorn on a socket, httpx as the client): the audio honours byte ranges as a
browser's player needs them, downloads are attachments, every play and download is audited, an agent gets only
their own calls' recordings, and the retention job deletes the file and row past the retention and reports it."""

from __future__ import annotations

import asyncio
import socket
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from dialer import recordings_store as store
from dialer.recordings import RecordingPolicy
from dialer.recordings_retention import sweep
from dialer.users import Role
from tests.admin_ui.test_wallboard_agents import sign_in

RATE = 8000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(app, services, tmp_path):  # type: ignore[no-untyped-def]
    services.settings.recordings_dir = tmp_path / "recordings"
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def write_wav(path: Path, seconds: float) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(range(256)) * int(seconds * RATE * 2 / 256))
    return path.read_bytes()


async def recorded_call(pool, folder: Path, *, agent_id: int, phone: str, campaign_id: int | None = None,
                        started: datetime | None = None, seconds: float = 2.0) -> tuple[int, bytes]:
    started = started or datetime.now(UTC)
    call_id = await pool.fetchval(
        "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
        " connected_at, outcome, disposition) VALUES ($1, $2, 'test', $3, 'outbound', $4, $5, $5, 'handled', 'sale')"
        " RETURNING id", campaign_id, agent_id, f"leg-{phone}-{started.timestamp()}", phone, started)
    relative = f"dialer/{started:%Y/%m/%d}/call-{call_id}.wav"
    data = write_wav(folder / relative, seconds)
    recording_id = await store.start(pool, call_record_id=call_id, file_path=relative, started_at=started)
    await pool.execute("UPDATE recordings SET created_at=$2 WHERE id=$1", recording_id, started)
    await store.finish(pool, recording_id, ended_at=started + timedelta(seconds=seconds), size_bytes=len(data))
    return recording_id, data


@asynccontextmanager
async def client_for(base: str, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP client with its own cookies, signed in as ``username``."""
    async with httpx.AsyncClient(base_url=base, headers={"accept": "text/html"}) as client:
        await sign_in(client, username)
        yield client


async def test_the_audio_answers_ranges_suffixes_and_refuses_a_range_past_the_end(served, services, make_user, tmp_path):
    await make_user(Role.TEAM_LEAD, "lena")
    agent = await make_user(Role.AGENT, "an")
    rec_id, data = await recorded_call(services.pool, tmp_path / "recordings", agent_id=agent.id, phone="+33612345601")
    size = len(data)
    async with client_for(served, "lena") as lead:
        whole = await lead.get(f"/recordings/{rec_id}/audio")
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
        assert int(whole.headers["content-length"]) == size

        part = await lead.get(f"/recordings/{rec_id}/audio", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{size}" and part.headers["content-length"] == "100"

        rest = await lead.get(f"/recordings/{rec_id}/audio", headers={"Range": f"bytes={size - 10}-"})
        assert rest.status_code == 206 and rest.content == data[-10:]
        assert rest.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"

        suffix = await lead.get(f"/recordings/{rec_id}/audio", headers={"Range": "bytes=-44"})   # the last 44 bytes
        assert suffix.status_code == 206 and suffix.content == data[-44:]
        assert suffix.headers["content-range"] == f"bytes {size - 44}-{size - 1}/{size}"

        beyond = await lead.get(f"/recordings/{rec_id}/audio", headers={"Range": f"bytes={size}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
        nonsense = await lead.get(f"/recordings/{rec_id}/audio", headers={"Range": "bytes=9-3"})
        assert nonsense.status_code == 416

        download = await lead.get(f"/recordings/{rec_id}/download")
        assert download.status_code == 200 and download.content == data
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "+33612345601".lstrip("+") in download.headers["content-disposition"]
    # a play is its first request (whole file, or from byte 0); the seeks of that play are not new plays
    access = await store.access_log(services.pool, rec_id)
    assert [(a["username"], a["action"]) for a in access] == [("lena", "play"), ("lena", "download")]


async def test_an_agent_plays_their_own_recordings_and_never_another_agents(served, services, make_user, tmp_path):
    an = await make_user(Role.AGENT, "an")
    binh = await make_user(Role.AGENT, "binh")
    await make_user(Role.COMPLIANCE, "chi")
    folder = tmp_path / "recordings"
    own, _ = await recorded_call(services.pool, folder, agent_id=an.id, phone="+33612345601")
    others, _ = await recorded_call(services.pool, folder, agent_id=binh.id, phone="+33612345602")
    async with client_for(served, "an") as agent:
        assert (await agent.get(f"/recordings/{own}/audio", headers={"Range": "bytes=0-9"})).status_code == 206
        for path in (f"/recordings/{others}/audio", f"/recordings/{others}/download"):
            assert (await agent.get(path)).status_code == 403
        page = await agent.get("/recordings")
        assert page.status_code == 200 and "+33612345601" in page.text and "+33612345602" not in page.text
        searched = await agent.get("/recordings", params={"number": "345602"})
        assert "+33612345602" not in searched.text
        assert (await agent.get("/recordings/retention")).status_code == 403
    async with client_for(served, "chi") as officer:       # compliance: any recording
        assert (await officer.get(f"/recordings/{others}/audio")).status_code == 200
        page = await officer.get("/recordings", params={"number": "345602"})
        assert "+33612345602" in page.text and "+33612345601" not in page.text
    assert [a["username"] for a in await store.access_log(services.pool, others)] == ["chi"]   # refusals: no play


async def test_retention_deletes_the_file_and_row_past_its_days_and_the_report_says_so(
        served, services, make_user, tmp_path):
    await make_user(Role.TEAM_LEAD, "lena")
    agent = await make_user(Role.AGENT, "an")
    folder = tmp_path / "recordings"
    now = datetime.now(UTC)
    campaign_id = await services.pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('Kept 30 days', 'Local/{digits}@carrier') RETURNING id")
    await store.save_policy(services.pool, "campaign", campaign_id, RecordingPolicy("all", retention_days=30))
    await store.save_policy(services.pool, "global", 0, RecordingPolicy("none", retention_days=90))
    old, _ = await recorded_call(services.pool, folder, agent_id=agent.id, phone="+33612345601",
                                 campaign_id=campaign_id, started=now - timedelta(days=31))
    young, _ = await recorded_call(services.pool, folder, agent_id=agent.id, phone="+33612345602",
                                   campaign_id=campaign_id, started=now - timedelta(days=29))
    global_kept, _ = await recorded_call(services.pool, folder, agent_id=agent.id, phone="+33612345603",
                                         started=now - timedelta(days=60))    # no campaign: the global 90 days
    old_row = await store.get(services.pool, old)
    assert old_row is not None
    old_file = folder / old_row["file_path"]

    result = await sweep(services.pool, folder=folder, now=now, global_days=None)

    assert (result.deleted, result.files_deleted) == (1, 1)
    assert not old_file.exists() and await store.get(services.pool, old) is None
    assert await services.pool.fetchval("SELECT recording_file FROM call_records WHERE id=$1",
                                        old_row["call_record_id"]) is None
    assert await store.get(services.pool, young) is not None and await store.get(services.pool, global_kept) is not None
    (report,) = await store.deletions(services.pool)
    assert (report["recording_id"], report["call_record_id"], report["file_path"], report["file_deleted"],
            report["retention_days"]) == (old, old_row["call_record_id"], old_row["file_path"], True, 30)
    async with client_for(served, "lena") as lead:
        page = await lead.get("/recordings/retention")
        assert page.status_code == 200 and old_row["file_path"] in page.text and "90 days" in page.text
        assert (await lead.get(f"/recordings/{old}/audio")).status_code == 404

    later = await sweep(services.pool, folder=folder, now=now + timedelta(days=31), global_days=None)
    assert later.deleted == 2          # the young one past its 30 days, the global one past 90
    assert await services.pool.fetchval("SELECT count(*) FROM recordings") == 0


async def test_two_retention_runs_at_once_delete_and_report_each_recording_once(services, make_user, tmp_path) -> None:
    agent = await make_user(Role.AGENT, "an")
    folder = tmp_path / "recordings"
    now = datetime.now(UTC)
    await store.save_policy(services.pool, "global", 0, RecordingPolicy("none", retention_days=10))
    for n in range(4):
        await recorded_call(services.pool, folder, agent_id=agent.id, phone=f"+3361234570{n}",
                            started=now - timedelta(days=11 + n))
    results = await asyncio.gather(*(sweep(services.pool, folder=folder, now=now, global_days=None) for _ in range(2)))
    assert sorted(r.deleted for r in results) == [0, 4]
    assert [r["file_deleted"] for r in await store.deletions(services.pool)] == [True] * 4
