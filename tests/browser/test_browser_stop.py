"""Stopping ``dialer serve`` while the floor still has pages open: the wallboard on the TV (an event stream that
never ends by itself) and an agent's panel (a websocket). The stop must take seconds, not wait for the pages."""

from __future__ import annotations

import time
from pathlib import Path

from tests.browser.conftest import ADMIN_PASSWORD, sign_in, start_server, stop_server


async def test_a_wallboard_and_a_panel_left_open_do_not_hold_the_servers_stop(
        database_url: str, redis_url: str, tmp_path: Path, open_page) -> None:  # type: ignore[no-untyped-def]
    server = start_server(database_url, redis_url, tmp_path / "server")
    try:
        tv, desk = await open_page(server.url), await open_page(server.url)
        for page in (tv, desk):
            await sign_in(page, "admin", ADMIN_PASSWORD)
        await tv.goto("/wallboard")
        await desk.goto("/agent")
        await desk.wait_for_selector("body[data-ws=up]")
        await tv.wait_for_timeout(1000)                  # the wallboard's stream has sent its first state
        asked = time.monotonic()
        server.process.terminate()
        code = server.process.wait(30)
        took = time.monotonic() - asked
        assert code == 130, server.log()[-2000:]         # stopped as by Ctrl-C, after its clean-up
        assert took < 8, (took, server.log()[-2000:])    # it waited for the wallboard until a kill: 10 s and more
    finally:
        stop_server(server)
