"""One rule for every sound a setting names (campaign safe-harbor message, queue sounds, survey prompts): what
Playback can play is accepted, anything else is refused at save, naming the part, wherever it is typed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.errors import CampaignError
from campaigns.model import Campaign
from campaigns.queues import Queue, QueueError
from dialer.sound_names import sound_parts, unplayable_part
from surveys.model import SurveyDefinition, SurveyError
from tests.campaigns.test_queues_model import GOOD as GOOD_QUEUE
from tests.surveys.test_model import q, survey

PLAYABLE = ["vm-goodbye", "custom/our-message", "silence/1&hello&silence/3", " custom/a & b ", "digits/1.2_x-y"]
# (value, the part named): a blank part stops Playback's list; ``..`` leaves the sounds folder; a comma, quote,
# colon, pipe, space inside a name or an accented letter is cut or refused by the dialplan
UNPLAYABLE = [
    ("a&&b", ""), ("a&", ""), ("../../etc/passwd", "../../etc/passwd"), ("custom/a..b", "custom/a..b"),
    ("bad, name", "bad, name"), ('custom/"q"', 'custom/"q"'), ("a:b", "a:b"), ("a|b", "a|b"),
    ("closed message", "closed message"), ("fermé", "fermé"), ("xin-lỗi", "xin-lỗi"), ("/abs", "/abs"),
]


@pytest.mark.parametrize("value", PLAYABLE)
def test_a_name_from_the_sounds_folder_or_a_list_of_them_is_playable(value: str) -> None:
    assert unplayable_part(value) is None


@pytest.mark.parametrize(("value", "part"), UNPLAYABLE)
def test_the_first_part_playback_cannot_take_is_named(value: str, part: str) -> None:
    assert unplayable_part(value) == part


def test_playback_trims_each_part_so_the_existence_check_asks_for_the_trimmed_names() -> None:
    assert sound_parts(" custom/a & b &") == ("custom/a", "b")


def _campaign(sound: str) -> None:
    Campaign(id=0, name="c", trunk_template="PJSIP/{number}@carrier", safe_harbor_message=sound).validate_settings()


def _queue(sound: str) -> None:
    Queue.from_dict({**GOOD_QUEUE, "overflow_sound": sound})


def _survey(sound: str) -> None:
    SurveyDefinition.from_dict(survey(q("a"), intro=[{"kind": "sound", "value": sound}]))


# each save, the error it raises and the text that names the field
SAVES: list[tuple[Callable[[str], None], type[Exception], str]] = [
    (_campaign, CampaignError, "safe_harbor_message:"), (_queue, QueueError, "overflow_sound:"),
    (_survey, SurveyError, "intro:")]
IDS = ["campaign", "queue", "survey"]


@pytest.mark.parametrize(("save", "error", "field"), SAVES, ids=IDS)
@pytest.mark.parametrize(("value", "part"), UNPLAYABLE)
def test_campaigns_queues_and_surveys_refuse_the_same_sounds_naming_the_field(
        save: Callable[[str], None], error: type[Exception], field: str, value: str, part: str) -> None:
    with pytest.raises(error) as refused:
        save(value)
    assert str(refused.value).startswith(field), str(refused.value)


@pytest.mark.parametrize(("save", "error", "field"), SAVES, ids=IDS)
@pytest.mark.parametrize("value", PLAYABLE)
def test_campaigns_queues_and_surveys_accept_the_same_sounds(save: Callable[[str], None], error: type[Exception],
                                                             field: str, value: str) -> None:
    save(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_whatever_is_accepted_is_a_list_of_folder_names_playback_opens_whole(value: str) -> None:
    if unplayable_part(value) is None and value.strip():
        for part in value.split("&"):
            name = part.strip()
            assert name and ".." not in name and not name.startswith("/")
            assert all(c.isascii() and (c.isalnum() or c in "_.-/") for c in name), name
