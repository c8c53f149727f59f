"""Sounds a campaign names are checked on every PBX (AMI ``core show sound``), so a safe-harbor message
that Asterisk does not have is refused instead of failing silently on the customer's line (issue 12, 1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from campaigns.errors import CampaignError
from campaigns.model import DEFAULT_SAFE_HARBOR, Campaign
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.clock import RealClock
from dialer.pbx_port import PbxError
from dialer.runner import view_of
from dialer.sound_check import check_sound
from simulations.pbx import PbxConfig, SimulatedPbx


def _config(pbx: SimulatedPbx, name: str) -> AmiServerConfig:
    return AmiServerConfig(name=name, host="127.0.0.1", port=pbx.port, username="dialer", secret="dialer-secret",
                           max_channels=10, action_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=0.3)


@pytest.fixture
async def two_pbxes():  # type: ignore[no-untyped-def]
    """pbx1 has only Asterisk's core sounds; pbx2 also has the campaign's own 'acme/welcome'."""
    first = SimulatedPbx(PbxConfig(seed=1))
    second = SimulatedPbx(PbxConfig(seed=2, extra_sounds={"acme/welcome": 3.0}))
    for pbx in (first, second):
        await pbx.start(host="127.0.0.1", port=0)
    adapter = AmiAdapter([_config(first, "pbx1"), _config(second, "pbx2")], clock=RealClock())
    await adapter.start()
    yield adapter, first, second
    await adapter.close()
    for pbx in (first, second):
        await pbx.stop()


def test_a_campaign_without_a_message_plays_a_sound_every_asterisk_has() -> None:
    campaign = Campaign(id=1, name="no message", trunk_template="PJSIP/{number}@carrier")
    assert campaign.safe_harbor_sound == DEFAULT_SAFE_HARBOR == "please-try-call-later"
    assert view_of(campaign).safe_harbor_sound == "please-try-call-later"


def test_a_message_that_playback_could_not_take_is_refused_when_typed() -> None:
    campaign = Campaign(id=1, name="c", trunk_template="PJSIP/{number}@carrier")
    for bad in ("hello world", "a,b", "/var/lib/asterisk/sounds/x", "../etc/passwd", "x$(y)"):
        with pytest.raises(CampaignError, match="safe_harbor_message"):
            replace(campaign, safe_harbor_message=bad).validate_settings()
    replace(campaign, safe_harbor_message="acme/welcome&please-try-call-later").validate_settings()


async def test_core_show_sound_tells_a_present_sound_from_a_missing_one_on_each_server(two_pbxes) -> None:
    adapter, _, _ = two_pbxes
    assert await adapter.sound_exists("please-try-call-later") is True
    assert await adapter.sound_exists("dialer/safe-harbor") is False
    assert await adapter.sound_exists("acme/welcome", server="pbx2") is True
    assert await adapter.sound_exists("acme/welcome", server="pbx1") is False
    assert await adapter.sound_exists("acme/welcome") is False            # every connected server
    assert await adapter.sound_exists("please-try-call-later&acme/welcome", server="pbx2") is True
    assert await adapter.sound_exists("please-try-call-later&no-such-sound", server="pbx2") is False


async def test_the_check_names_the_field_the_sound_and_the_server_that_lacks_it(two_pbxes) -> None:
    adapter, _, _ = two_pbxes
    ok = await check_sound(adapter, "please-try-call-later")
    assert ok.verified and ok.problem == "" and set(ok.checked_on) == {"pbx1", "pbx2"}
    old_default = await check_sound(adapter, "dialer/safe-harbor")
    assert not old_default.ok
    assert old_default.problem == ("safe_harbor_message: sound 'dialer/safe-harbor' not found on pbx1; "
                                   "safe_harbor_message: sound 'dialer/safe-harbor' not found on pbx2")
    mixed = await check_sound(adapter, "acme/welcome&please-try-call-later")
    assert mixed.problem == "safe_harbor_message: sound 'acme/welcome' not found on pbx1"


async def test_with_no_pbx_connected_the_check_says_it_could_not_verify_rather_than_passing(two_pbxes) -> None:
    adapter, first, second = two_pbxes
    await adapter.close()
    with pytest.raises(PbxError, match="not connected"):
        await adapter.sound_exists("please-try-call-later")
    check = await check_sound(adapter, "please-try-call-later")
    assert check.ok and not check.verified
    assert "could not be checked" in check.warning and "no PBX connected" in check.warning
    assert "not running" in (await check_sound(None, "please-try-call-later")).warning
