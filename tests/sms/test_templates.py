"""SMS templates: plain-data context, refused at save naming the field, sandboxed and capped at render."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.context import LEAD_FIELDS, message_context
from sms.segments import count_segments
from sms.templates import (
    MAX_OUTPUT_CHARS,
    MAX_TEMPLATE_CHARS,
    RenderFailed,
    TemplateRefused,
    check_template,
    render,
)

LEAD = {"id": 7, "first_name": "Đào", "last_name": "Nguyễn", "phone_e164": "+84901234567", "postal_code": "700000",
        "fields": {"plan": "Vàng", "ngày sinh": "01/02/1990"}}
FIELDS = LEAD_FIELDS | {"plan", "ngày sinh"}
CALLBACK = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)


def context(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"agent_name": "Lan", "campaign": {"name": "Tết 2027", "secret": "x"},
                                 "callback_at": CALLBACK, "zone": "Asia/Ho_Chi_Minh"}
    values.update(overrides)
    return message_context(LEAD, **values)  # type: ignore[arg-type]


def refused(body: str) -> TemplateRefused:
    with pytest.raises(TemplateRefused) as caught:
        check_template(body, FIELDS)
    return caught.value


# --- context --------------------------------------------------------------------------------------------

def test_the_context_is_plain_data_with_the_callback_in_the_customers_zone() -> None:
    ctx = context()
    assert ctx == {
        "lead": {"first_name": "Đào", "last_name": "Nguyễn", "full_name": "Đào Nguyễn", "phone": "+84901234567",
                 "postal_code": "700000", "plan": "Vàng", "ngày sinh": "01/02/1990"},
        "agent_name": "Lan",
        "campaign": {"name": "Tết 2027"},                              # only the fields a template may read
        "callback": {"date": "06/12/2026", "time": "14:30", "zone": "Asia/Ho_Chi_Minh"},   # 07:30 UTC = 14:30 +07
    }


def test_an_empty_imported_cell_is_an_empty_value_when_its_column_is_known() -> None:
    ctx = message_context({**LEAD, "fields": {}}, agent_name=None, campaign=None, callback_at=None, zone=None,
                          columns=["plan"])
    assert render("[{{ lead.plan }}]", ctx) == "[]"


# --- rendering ----------------------------------------------------------------------------------------

def test_renders_lead_fields_agent_campaign_and_callback() -> None:
    body = ("Chào {{ lead.first_name }}, {{ agent_name }} ({{ campaign.name }}) sẽ gọi lại lúc {{ callback.time }} "
            "ngày {{ callback.date }}. Gói: {{ lead.plan|upper }}, sinh {{ lead['ngày sinh'] }}.")
    check_template(body, FIELDS)
    assert render(body, context()) == \
        "Chào Đào, Lan (Tết 2027) sẽ gọi lại lúc 14:30 ngày 06/12/2026. Gói: VÀNG, sinh 01/02/1990."


def test_plain_sends_without_diacritics_and_fits_gsm7() -> None:
    body = "Chào {{ lead.full_name }}, cảm ơn quý khách đã dùng gói {{ lead.plan }}."
    text, plain = render(body, context()), render(body, context(), plain=True)
    assert plain == "Chao Dao Nguyen, cam on quy khach da dung goi Vang."
    assert count_segments(text).encoding == "UCS-2" and count_segments(plain).encoding == "GSM-7"


def test_loops_conditions_and_string_methods_work() -> None:
    body = "{% if lead.plan == 'Vàng' %}VIP {% endif %}{% for c in lead.last_name %}{{ c }}.{% endfor %} " \
           "{{ lead.first_name.upper() }}{{ lead.plan|plain }}"
    check_template(body, FIELDS)
    assert render(body, context()) == "VIP N.g.u.y.ễ.n. ĐÀOVang"


def test_a_column_named_like_a_dict_method_reads_the_column() -> None:
    ctx = message_context({**LEAD, "fields": {"items": "2 áo", "keys": "A1"}}, agent_name=None, campaign=None,
                          callback_at=None, zone=None)
    check_template("{{ lead.items }} {{ lead.keys }}", FIELDS | {"items", "keys"})
    assert render("{{ lead.items }} {{ lead.keys }}", ctx) == "2 áo A1"


def test_a_value_missing_for_this_message_fails_naming_it_rather_than_sending_a_hole() -> None:
    with pytest.raises(RenderFailed) as caught:
        render("Xin chào, tôi là {{ agent_name }}", context(agent_name=None))   # a bulk send has no agent
    assert caught.value.code == "missing_value" and caught.value.field == "agent_name"
    with pytest.raises(RenderFailed) as caught:
        render("Hẹn lúc {{ callback.time }}", context(callback_at=None))
    assert caught.value.field == "callback"


# --- refused at save, naming the field -------------------------------------------------------------------

def test_an_unknown_lead_field_is_refused_with_its_name() -> None:
    problem = refused("Chào {{ lead.first_name }}, mã {{ lead.membership_code }}")
    assert (problem.code, problem.field) == ("unknown_field", "membership_code")
    assert "membership_code" in problem.reason and "first_name" in problem.reason
    assert refused("{{ lead['hạng'] }}").field == "hạng"
    assert refused("{{ campaign.trunk_template }}").field == "campaign.trunk_template"
    assert refused("{{ customer_name }}").field == "customer_name"


def test_a_field_read_with_a_computed_key_is_refused() -> None:
    assert refused("{% for k in lead %}{{ lead[k] }}{% endfor %}").code == "dynamic_field"


@pytest.mark.parametrize("body", [
    "{{ lead.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ lead.first_name.__class__.__base__.__subclasses__() }}",
    "{{ lead['__class__'] }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace() }}",
    "{{ range(10) }}",
    "{{ lead.first_name.format() }}",
    "{{ lead.first_name|attr('__class__') }}",
    "{{ lead.first_name|center(1000000000) }}",
    "{% set x = lead.first_name %}{{ x }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% include 'base.html' %}",
    "{% extends 'base.html' %}",
    "{% import 'x' as y %}",
    "{% with a = 1 %}{{ a }}{% endwith %}",
    "{% for x in lead recursive %}{{ loop(x) }}{% endfor %}",
])
def test_reaching_python_internals_or_globals_is_refused_at_save_and_never_runs(body: str) -> None:
    refused(body)
    with pytest.raises(TemplateRefused):            # and render refuses it too, before running anything
        render(body, context())


def test_a_syntax_error_is_refused_with_its_line() -> None:
    problem = refused("Chào\n{{ lead.first_name }\n")
    assert problem.code == "syntax" and problem.params["line"] == "2"


def test_a_template_longer_than_the_cap_is_refused() -> None:
    assert refused("a" * (MAX_TEMPLATE_CHARS + 1)).code == "too_long"


# --- capped at render -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    ("{% for a in 'x' * 1000 %}{% for b in 'x' * 1000 %}{% for c in 'x' * 1000 %}y{% endfor %}{% endfor %}"
     "{% endfor %}"),                                                        # 10^9 iterations
    ("{% for a in [0,1,2,3,4,5,6,7,8,9] %}{% for b in [0,1,2,3,4,5,6,7,8,9] %}{% for c in [0,1,2,3,4,5,6,7,8,9] %}"
     "{% for d in [0,1,2,3,4,5,6,7,8,9] %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}"),   # silent loops
    "{{ 'x' * 100000000 }}",
    "{{ [1] * 100000000 }}",
    "{{ 999999999 ** 999999999 }}",
    "{{ lead.first_name|replace('', 'abcdefghijklmnopqrstuvwxyz' * 5)|replace('', 'abcdefghij' * 10) }}",
    "{% for a in lead.full_name * 400 %}{{ lead.full_name }}{% endfor %}",   # output over the cap
])
def test_a_runaway_template_is_stopped_quickly(body: str) -> None:
    check_template(body, FIELDS)                   # nothing forbidden in it: the caps stop it
    started = time.monotonic()
    with pytest.raises(RenderFailed) as caught:
        render(body, context())
    assert caught.value.code == "limit"
    assert time.monotonic() - started < 0.5


def test_percent_formatting_of_text_fails_at_render() -> None:
    with pytest.raises(RenderFailed) as caught:
        render("{{ '%0999999999d' % 1 }}", context())
    assert caught.value.code == "not_allowed"


# --- any text at all: refused, or rendered within the caps ------------------------------------------------

FRAGMENTS = ["{{ ", " }}", "{% ", " %}", "for x in ", "endfor", "if ", "endif", "else", "lead", "x", "loop",
             ".first_name", ".plan", ".__class__", ".__globals__", "['plan']", "[0]", " * ", " ** ", " % ", " ~ ",
             " + ", "'ab'", "999", "(", ")", "[", "]", ",", "|upper", "|replace('', 'xyz')", "|join", "|center(99)",
             ".upper()", ".format(1)", "cycler", "range(9)", "agent_name", "callback.time", "campaign.name",
             " recursive", "set y = ", "loop.index", "Chào ", "😀", "\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_any_template_is_refused_or_renders_within_the_caps(body: str) -> None:
    try:
        check_template(body, FIELDS)
    except TemplateRefused:
        pass
    started = time.monotonic()
    try:
        text = render(body, context())
    except TemplateRefused:
        text = ""
    assert len(text) <= MAX_OUTPUT_CHARS
    assert time.monotonic() - started < 0.5
