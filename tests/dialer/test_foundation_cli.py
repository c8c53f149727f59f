"""The ``dialer`` command: settings errors, users, migrations, and recovery after a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dialer import users
from dialer.cli import main
from dialer.embedded import EmbeddedPostgres, clean_stale_postgres_pid
from dialer.errors import SettingsError
from dialer.settings import load_settings

DIALER = [sys.executable, "-m", "dialer.cli"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIALER, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_an_unreachable_database_url_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"DIALER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
                                     "DIALER_REDIS_URL": "redis://127.0.0.1:1/0",
                                     "DIALER_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "DIALER_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_redis_url_is_one_line_naming_the_setting(tmp_path: Path, database_url: str) -> None:
    result = run_cli("migrate", env={"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": "redis://127.0.0.1:1/0",
                                     "DIALER_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "DIALER_REDIS_URL" in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_setting_exits_2_with_its_name(tmp_path: Path) -> None:
    result = run_cli("migrate", env={"DIALER_PORT": "eighty", "DIALER_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "DIALER_PORT" in result.stderr and "Traceback" not in result.stderr


def test_production_mode_refuses_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_MODE", "production")
    monkeypatch.delenv("DIALER_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="DIALER_SECRET_KEY"):
        load_settings(None)


def test_settings_come_from_a_toml_file_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "dialer.toml"
    config.write_text('port = 9001\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("DIALER_PORT", "9002")
    settings = load_settings(config)
    assert settings.host == "0.0.0.0"
    assert settings.port == 9002


async def test_user_add_creates_an_agent_who_can_sign_in(database_url: str, redis_url: str, db_pool,
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path),
           "DIALER_NEW_PASSWORD": "a-long-enough-password"}
    result = run_cli("user", "add", "ann", "--role", "agent", "--phone", "PJSIP/ann", env=env)
    assert result.returncode == 0, result.stderr
    assert "created agent ann" in result.stdout
    user = await users.authenticate(db_pool, username="ann", password="a-long-enough-password")
    assert user is not None and user.role.value == "agent" and user.phone_dial_string == "PJSIP/ann"
    again = run_cli("user", "add", "ann", "--role", "agent", env=env)
    assert again.returncode == 1 and "taken" in again.stderr


def test_the_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "worker", "migrate", "user"):
        assert command in out


def test_a_stale_postmaster_pid_is_removed_and_postgres_starts() -> None:
    import shutil
    import tempfile

    data = Path(tempfile.mkdtemp(prefix="dialer-test-stale-")) / "pg"
    server = EmbeddedPostgres(data)
    server.start()
    pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, 9)  # the crash: postgres dies, its pid file stays
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        import time
        time.sleep(0.1)
    assert (data / "postmaster.pid").exists()
    # a new process, as after a real crash (the wheel caches servers per process)
    script = (
        "import asyncio, sys; from pathlib import Path; from dialer.embedded import EmbeddedPostgres; from dialer import db\n"
        "s = EmbeddedPostgres(Path(sys.argv[1])); url = s.start()\n"
        "async def q():\n    c = await db.connect(url); print(await c.fetchval('select 42')); await c.close()\n"
        "asyncio.run(q()); s.stop()\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(data)], capture_output=True, text=True, timeout=60)
    shutil.rmtree(data.parent, ignore_errors=True)
    assert out.stdout.strip().splitlines()[-1] == "42", out.stderr


def test_a_pid_file_naming_a_live_process_that_is_not_postgres_counts_as_stale(tmp_path: Path) -> None:
    (tmp_path / "postmaster.pid").write_text(f"{os.getpid()}\n")  # alive, but not a postgres
    assert clean_stale_postgres_pid(tmp_path) is True
    assert not (tmp_path / "postmaster.pid").exists()


def test_a_command_run_beside_a_running_server_leaves_its_embedded_servers_up() -> None:
    import shutil
    import socket
    import tempfile

    from dialer.embedded import EmbeddedRedis

    data = Path(tempfile.mkdtemp(prefix="dialer-test-shared-"))
    pg, rd = EmbeddedPostgres(data / "postgres"), EmbeddedRedis(data / "valkey")
    pg.start()
    redis_url = rd.start()
    try:
        result = run_cli("migrate", env={"DIALER_DATA_DIR": str(data)})
        assert result.returncode == 0, result.stderr
        script = (
            "import asyncio, sys; from dialer import db\n"
            "async def q():\n    c = await db.connect(sys.argv[1]); print(await c.fetchval('select 7')); await c.close()\n"
            "asyncio.run(q())\n"
        )
        out = subprocess.run([sys.executable, "-c", script, pg.url], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "7", out.stderr  # PostgreSQL still up after the command exited
        port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            assert s.recv(16).startswith(b"+PONG")  # and Valkey too
    finally:
        rd.stop()
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


def _serve_with_worker(tmp_path: Path, database_url: str, redis_url: str, out) -> tuple[subprocess.Popen[bytes], int]:  # type: ignore[no-untyped-def]
    """``dialer serve --no-engine`` on a free port; returns it and its worker child's pid once it answers."""
    import re
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
           "DIALER_DATA_DIR": str(tmp_path), "DIALER_PORT": str(port), "DIALER_ADMIN_PASSWORD": "serve test pw"}
    server = subprocess.Popen([*DIALER, "serve", "--no-engine"], env=env, stdout=out, stderr=subprocess.STDOUT)
    log = Path(out.name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"background job worker started \(pid (\d+)\)", log.read_text())
        try:
            up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            up = False
        if found and up:
            return server, int(found.group(1))
        time.sleep(0.2)
    server.kill()
    raise AssertionError(log.read_text())


def _gone(pid: int, within_s: float) -> bool:
    import time

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status")
        if not status.exists() or "zombie" in status.read_text():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_serve_and_its_worker_child(tmp_path: Path, database_url: str, redis_url: str) -> None:
    import signal

    with (tmp_path / "serve.log").open("wb") as out:
        server, worker_pid = _serve_with_worker(tmp_path, database_url, redis_url, out)
        try:
            server.send_signal(signal.SIGTERM)
            assert server.wait(30) == 130, Path(out.name).read_text()  # stopped as by Ctrl-C, after clean-up
        finally:
            if server.poll() is None:
                server.kill()
    assert _gone(worker_pid, 1.0), "the worker child outlived dialer serve"


def test_a_worker_whose_serve_was_killed_with_sigkill_stops_by_itself(tmp_path: Path, database_url: str,
                                                                       redis_url: str) -> None:
    with (tmp_path / "serve.log").open("wb") as out:
        server, worker_pid = _serve_with_worker(tmp_path, database_url, redis_url, out)
        server.kill()           # no clean-up of any kind in serve
        server.wait(10)
    try:
        assert _gone(worker_pid, 10.0), "the worker child outlived a kill -9 of dialer serve"
    finally:
        if not _gone(worker_pid, 0):
            os.kill(worker_pid, 9)


def test_servers_left_by_a_killed_dialer_are_adopted_and_stopped_by_the_next_one() -> None:
    import shutil
    import tempfile
    import time

    from dialer.embedded import EmbeddedRedis, _postgres_running

    data = Path(tempfile.mkdtemp(prefix="dialer-test-adopt-"))
    starter = ("import sys, time; from pathlib import Path\n"
               "from dialer.embedded import EmbeddedPostgres, EmbeddedRedis\n"
               "d = Path(sys.argv[1]); EmbeddedPostgres(d / 'postgres').start(); EmbeddedRedis(d / 'valkey').start()\n"
               "print('up', flush=True); time.sleep(600)\n")
    crashed = subprocess.Popen([sys.executable, "-c", starter, str(data)], stdout=subprocess.PIPE)
    try:
        assert crashed.stdout is not None and crashed.stdout.readline().strip() == b"up"
        crashed.kill()          # kill -9: its servers stay up, with no one in charge of them
        crashed.wait(10)
        valkey_pid = int((data / "valkey" / "server.pid").read_text())
        pg, rd = EmbeddedPostgres(data / "postgres"), EmbeddedRedis(data / "valkey")
        pg.start()
        rd.start()
        assert _postgres_running(data / "postgres")
        assert (data / "postgres.owner").read_text() == str(os.getpid())
        rd.stop()
        pg.stop()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _postgres_running(data / "postgres"):
            time.sleep(0.1)
        assert not _postgres_running(data / "postgres")
        status = Path(f"/proc/{valkey_pid}/status")
        assert not status.exists() or "zombie" in status.read_text()
    finally:
        if crashed.poll() is None:
            crashed.kill()
            crashed.wait(10)
        assert crashed.stdout is not None
        crashed.stdout.close()
        shutil.rmtree(data, ignore_errors=True)


async def test_campaign_agents_are_assigned_listed_and_unassigned_from_the_command_line(
        database_url: str, redis_url: str, db_pool, tmp_path: Path) -> None:
    from campaigns import repository as campaigns_repo
    from campaigns.model import Campaign
    from dialer.users import Role

    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path)}
    campaign = await campaigns_repo.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Spring sale", trunk_template="PJSIP/{number}@carrier"))
    ann = await users.create_user(db_pool, username="ann", password="a-long-password", role=Role.AGENT,
                                  phone_dial_string="PJSIP/ann")
    bob = await users.create_user(db_pool, username="bob", password="a-long-password", role=Role.AGENT)
    await users.create_user(db_pool, username="lea", password="a-long-password", role=Role.TEAM_LEAD)

    added = run_cli("campaign", "assign-agents", "Spring sale", "ann", str(bob.id), env=env)
    assert added.returncode == 0, added.stderr
    assert "2 agents" in added.stdout and "PJSIP/ann" in added.stdout
    again = run_cli("campaign", "assign-agents", str(campaign.id), "ann", env=env)   # adds, never duplicates
    assert again.returncode == 0 and "2 agents" in again.stdout
    assert await campaigns_repo.campaign_agents(db_pool, campaign_id=campaign.id) == [ann.id, bob.id]

    not_agent = run_cli("campaign", "assign-agents", "Spring sale", "lea", env=env)
    assert not_agent.returncode == 1 and "lea is not an agent" in not_agent.stderr
    unknown = run_cli("campaign", "assign-agents", "Spring sale", "zoe", env=env)
    assert unknown.returncode == 1 and "no user named 'zoe'" in unknown.stderr

    removed = run_cli("campaign", "unassign-agents", "Spring sale", "ann", env=env)
    assert removed.returncode == 0 and "1 agent" in removed.stdout
    listed = run_cli("campaign", "agents", "Spring sale", env=env)
    assert listed.returncode == 0 and "bob" in listed.stdout and "ann" not in listed.stdout
    assert await campaigns_repo.campaign_agents(db_pool, campaign_id=campaign.id) == [bob.id]
