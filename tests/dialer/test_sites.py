"""The pure decisions of several sites (dialer.sites): when a site engine pauses and resumes its site's campaigns,
what the wallboard calls each site, and which site a page shows to whom."""

from __future__ import annotations

import pytest

from dialer.sites import (
    PAUSE,
    RESUME,
    Heartbeat,
    Site,
    Watch,
    check_name,
    site_statuses,
    visible_site,
    watch_step,
)


def test_a_pbx_down_for_the_grace_period_pauses_once_and_its_return_resumes() -> None:
    watch, action = watch_step(Watch(), pbx_up=False, now=100.0, grace_s=5.0)
    assert action == "" and watch.down_since == 100.0                  # a reconnect under way: nothing yet
    watch, action = watch_step(watch, pbx_up=False, now=104.9, grace_s=5.0)
    assert action == ""
    watch, action = watch_step(watch, pbx_up=False, now=105.0, grace_s=5.0)
    assert action == PAUSE and watch.paused
    watch, action = watch_step(watch, pbx_up=False, now=200.0, grace_s=5.0)
    assert action == ""                                                 # paused once, not again on every look
    watch, action = watch_step(watch, pbx_up=True, now=201.0, grace_s=5.0)
    assert action == RESUME and watch == Watch()


def test_a_pbx_back_within_the_grace_period_pauses_nothing() -> None:
    watch, _ = watch_step(Watch(), pbx_up=False, now=0.0, grace_s=5.0)
    watch, action = watch_step(watch, pbx_up=True, now=3.0, grace_s=5.0)
    assert action == RESUME                # touches only campaigns paused for their site: none here
    watch, action = watch_step(watch, pbx_up=False, now=4.0, grace_s=5.0)
    assert action == "" and watch.down_since == 4.0                     # the clock starts again


MAIN, HANOI, DANANG, HUE = Site(1, "main"), Site(2, "hanoi"), Site(3, "danang"), Site(4, "hue")


def test_each_site_is_up_down_silent_or_unknown_from_its_engines_heartbeats() -> None:
    beats = [Heartbeat(1, "main-1", True, "", 1.0),
             Heartbeat(1, "main-2", False, "pbx-a down", 1.0),             # one engine of main still reaches a PBX
             Heartbeat(2, "hanoi-1", False, "pbx-h down (refused)", 2.0),
             Heartbeat(2, "hanoi-old", True, "", 999.0),                  # an engine gone long ago says nothing now
             Heartbeat(3, "danang-1", True, "", 60.0)]                     # stopped reporting a minute ago
    shown = {s.site.name: s for s in site_statuses([MAIN, HANOI, DANANG, HUE], beats, stale_s=20.0)}
    assert shown["main"].status == "up" and not shown["main"].down
    assert shown["hanoi"].status == "down" and shown["hanoi"].down and shown["hanoi"].detail == "pbx-h down (refused)"
    assert shown["hanoi"].engines == ("hanoi-1",)
    assert shown["danang"].status == "silent" and shown["danang"].down and shown["danang"].detail == "60 s"
    assert shown["hue"].status == "unknown" and not shown["hue"].down


def test_a_user_of_one_site_sees_that_site_whatever_the_url_asks() -> None:
    assert visible_site(1, 2) == 1 and visible_site(1, None) == 1     # a team lead of site 1
    assert visible_site(None, 2) == 2 and visible_site(None, None) is None   # a manager: the filter, or every site


def test_site_names_are_what_dialer_site_can_hold() -> None:
    assert check_name(" hanoi-2 ") == "hanoi-2"
    for bad in ("", "Hà Nội", "a b", "x" * 41):
        with pytest.raises(Exception, match="name: 1 to 40"):
            check_name(bad)
