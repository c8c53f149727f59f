"""Sites on the command line (dialer.sites): ``dialer user add --site`` puts an agent at a site, an unknown site is
refused naming it, and ``dialer serve --site`` with a site that does not exist stops before serving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dialer import sites, users


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dialer.cli", *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)


async def test_user_add_puts_an_agent_at_a_site_and_an_unknown_site_is_refused(
        database_url: str, redis_url: str, db_pool, tmp_path: Path) -> None:
    hanoi = await sites.create_site(db_pool, name="hanoi")
    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path),
           "DIALER_NEW_PASSWORD": "a-long-enough-password"}
    made = run_cli("user", "add", "binh", "--role", "agent", "--site", "hanoi", env=env)
    assert made.returncode == 0, made.stderr
    binh = await users.authenticate(db_pool, username="binh", password="a-long-enough-password")
    assert binh is not None and binh.site_id == hanoi.id
    manager = run_cli("user", "add", "minh", "--role", "manager", env=env)
    assert manager.returncode == 0, manager.stderr
    assert (await users.authenticate(db_pool, username="minh", password="a-long-enough-password")).site_id is None
    unknown = run_cli("user", "add", "chi", "--role", "agent", "--site", "danang", env=env)
    assert unknown.returncode == 1 and "there is no site named 'danang'" in unknown.stderr
    refused = run_cli("serve", "--site", "danang", "--no-worker", "--port", "0", env=env)
    assert refused.returncode == 1 and "there is no site named 'danang'" in refused.stderr
