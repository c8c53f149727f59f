"""Delivery-report and incoming-message webhooks: signatures of each kind, parsing, keywords, and the routes over
real HTTP — a report with a bad signature, for an unknown message or replayed is refused, logged and changes
nothing; STOP and START move the number on and off the SMS opt-out list, audited."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.services import Services
from dnc import repository as dnc_repo
from sms import store, webhooks
from sms.provider_settings import SmsProviderConfig
from sms.webhooks import WebhookError
from tests.sms.sms_sim_helpers import bound_socket, live_dialer, url_of, with_providers

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SECRET = "whsec-test"
TOKEN = "twilio-auth-token"


# --- pure: signatures -------------------------------------------------------------------------------------------

def test_a_generic_signature_verifies_and_any_change_breaks_it() -> None:
    body = b'{"event_id":"e1","status":"delivered"}'
    headers = {k.lower(): v for k, v in webhooks.hmac_headers(SECRET, body, now_s=1000.0).items()}
    assert webhooks.verify_hmac(SECRET, body, headers, now_s=1010.0) is None
    assert webhooks.verify_hmac(SECRET, body + b" ", headers, now_s=1010.0) == "bad signature"
    assert webhooks.verify_hmac("other", body, headers, now_s=1010.0) == "bad signature"
    assert webhooks.verify_hmac(SECRET, body, {}, now_s=1010.0) == "no signature"
    assert "away from now" in (webhooks.verify_hmac(SECRET, body, headers, now_s=1000.0 + 301) or "")


def test_the_twilio_signature_follows_twilios_documented_example() -> None:
    """The example of Twilio's "Webhooks security" page: token 12345, this URL and these parameters."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
              ("From", "+12349013030"), ("To", "+18005551212")]
    assert webhooks.twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    headers = {"x-twilio-signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}
    assert webhooks.verify_twilio("12345", url, params, headers) is None
    assert webhooks.verify_twilio("12345", url + "&x=1", params, headers) == "bad X-Twilio-Signature"


def test_esms_incoming_messages_are_signed_with_md5_of_the_documented_fields() -> None:
    sign = webhooks.esms_mo_sign("cp1", "s1", "STOP", "20261206090000", "priv")
    query = {"cpid": "cp1", "smsid": "s1", "content": "STOP", "receiverTime": "20261206090000", "sign": sign}
    assert webhooks.verify_esms_mo("cp1", "priv", query) is None
    assert webhooks.verify_esms_mo("cp1", "priv", {**query, "content": "START"}) == "bad sign"
    assert webhooks.verify_esms_mo("cp1", "", query) is not None     # not configured: refused, never open


# --- pure: payloads ---------------------------------------------------------------------------------------------

def test_twilio_statuses_map_onto_ours() -> None:
    got = {raw: webhooks.parse_twilio_report("tw", {"MessageSid": "SM1", "MessageStatus": raw}).status
           for raw in ("accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed")}
    assert got == {"accepted": "queued", "queued": "queued", "sending": "sent", "sent": "sent",
                   "delivered": "delivered", "undelivered": "undelivered", "failed": "failed"}
    report = webhooks.parse_twilio_report("tw", {"MessageSid": "SM1", "MessageStatus": "undelivered",
                                                 "ErrorCode": "30003"})
    assert (report.report_key, report.reason) == ("SM1:undelivered", "Twilio error 30003")
    with pytest.raises(WebhookError, match="MessageStatus"):
        webhooks.parse_twilio_report("tw", {"MessageSid": "SM1", "MessageStatus": "exploded"})


def test_esms_send_statuses_map_onto_ours() -> None:
    def status(send_status: str, success: str = "0", failed: str = "0") -> str:
        return webhooks.parse_esms_report("e", {"SMSID": "x", "SendStatus": send_status, "SendSuccess": success,
                                                "SendFailed": failed}).status

    assert [status("1"), status("2"), status("7"), status("4"), status("5", "1"), status("5", "0", "1")] == [
        "queued", "queued", "sent", "failed", "delivered", "undelivered"]
    report = webhooks.parse_esms_report("e", {"SMSID": "x", "SendStatus": "5", "SendSuccess": "1",
                                              "RequestId": "bulk:9"})
    assert report.idempotency_key == "bulk:9"


def test_a_report_missing_a_field_or_with_an_unknown_status_is_unreadable() -> None:
    with pytest.raises(WebhookError, match="missing event_id"):
        webhooks.parse_generic_report("g", {"message_id": "m", "status": "sent"})
    with pytest.raises(WebhookError, match="unknown status"):
        webhooks.parse_generic_report("g", {"message_id": "m", "status": "read", "event_id": "e"})
    with pytest.raises(WebhookError, match="not a phone number"):
        webhooks.parse_generic_inbound("g", {"message_id": "m", "from": "hello", "body": "STOP"})


def test_senders_become_e164() -> None:
    assert {webhooks.e164(n) for n in ("+84901234567", "84901234567", "0901234567", "0084 90 123 4567")} == {
        "+84901234567"}


# --- pure: keywords ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "UNSUBSCRIBE", "end", "Quit", "CANCEL", "OPTOUT",
                                  "opt out", "TU CHOI", "Từ chối", "từ  CHỐI", "tuchoi", "HUY", "hủy", "Huỷ!", " h u y "])
def test_opt_out_keywords_in_any_case_accent_or_spacing(body: str) -> None:
    assert webhooks.keyword_of(body) == "opt_out"


@pytest.mark.parametrize("body", ["START", " start ", "Start!"])
def test_start_opts_back_in(body: str) -> None:
    assert webhooks.keyword_of(body) == "opt_in"


@pytest.mark.parametrize("body", ["", "Please don't stop", "stopped", "thanks", "hủy hẹn ngày mai", "startup"])
def test_other_messages_are_no_keyword(body: str) -> None:
    assert webhooks.keyword_of(body) is None


# --- routes over real HTTP --------------------------------------------------------------------------------------

@pytest.fixture
async def dialer(services: Services) -> AsyncIterator[tuple[str, Services]]:
    """The web app on a real port with a generic provider 'gen', a Twilio one 'tw' and an eSMS one 'es'."""
    sock = bound_socket()
    base = url_of(sock)
    providers = [
        SmsProviderConfig(name="gen", kind="generic", base_url="http://127.0.0.1:9",
                          credentials={"api_token": "t", "webhook_secret": SECRET}),
        SmsProviderConfig(name="tw", kind="twilio", base_url="http://127.0.0.1:9", callback_base_url=base,
                          credentials={"account_sid": "AC1", "auth_token": TOKEN}),
        SmsProviderConfig(name="es", kind="esms", base_url="http://127.0.0.1:9",
                          credentials={"api_key": "k", "secret_key": "s", "callback_token": "cbtok",
                                       "cpid": "cp", "private_key": "pk"}),
    ]
    svc = with_providers(services, providers)
    async with live_dialer(svc, sock) as url:
        yield url, svc


async def queued(pool: asyncpg.Pool, *, provider: str, pid: str, key: str = "k1") -> store.SmsMessage:
    msg, _ = await store.insert_outgoing(pool, key=key, phone="+84901234567", body="Xin chào", now=T0)
    await store.begin_attempt(pool, message_id=msg.id, provider=provider, now=T0)
    after = await store.mark_queued(pool, message_id=msg.id, provider=provider, provider_message_id=pid, now=T0)
    assert after is not None
    return after


def signed(body: dict, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", **webhooks.hmac_headers(secret, raw, now_s=time.time())}


async def reports(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    return [(r["provider"], r["outcome"]) for r in
            await pool.fetch("SELECT provider, outcome FROM sms_delivery_reports ORDER BY id")]


async def test_a_signed_generic_report_is_applied(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="gen", pid="m1")
    raw, headers = signed({"event_id": "e1", "message_id": "m1", "status": "delivered"})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
    assert (response.status_code, response.json()) == (200, {"outcome": "applied"})
    after = await store.get_message(svc.pool, msg.id)
    assert after is not None and after.status == "delivered"


async def test_a_report_with_a_bad_signature_is_refused_logged_and_changes_nothing(
        dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="gen", pid="m1")
    raw, headers = signed({"event_id": "e1", "message_id": "m1", "status": "delivered"}, secret="forged")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
        unsigned = await client.post(f"{url}/sms/webhooks/gen/status", content=raw,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == unsigned.status_code == 403
    assert await store.get_message(svc.pool, msg.id) == msg
    assert await reports(svc.pool) == [("gen", "bad_signature"), ("gen", "bad_signature")]


async def test_a_report_for_an_unknown_message_is_refused_logged_and_changes_nothing(
        dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="gen", pid="m1")
    raw, headers = signed({"event_id": "e9", "message_id": "nobody", "status": "delivered"})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
    assert (response.status_code, response.json()["outcome"]) == (404, "unknown_message")
    assert await store.get_message(svc.pool, msg.id) == msg
    assert await reports(svc.pool) == [("gen", "unknown_message")]


async def test_a_replayed_report_is_refused_logged_and_changes_nothing(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="gen", pid="m1")
    raw, headers = signed({"event_id": "e1", "message_id": "m1", "status": "sent"})
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
        after_first = await store.get_message(svc.pool, msg.id)
        replay = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
    assert (first.status_code, replay.status_code, replay.json()["outcome"]) == (200, 409, "duplicate")
    assert await store.get_message(svc.pool, msg.id) == after_first
    assert await reports(svc.pool) == [("gen", "applied"), ("gen", "duplicate")]


async def test_a_late_report_never_moves_a_final_status_back(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="gen", pid="m1")
    async with httpx.AsyncClient() as client:
        for event, status in (("e2", "delivered"), ("e1", "sent")):
            raw, headers = signed({"event_id": event, "message_id": "m1", "status": status})
            await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
    after = await store.get_message(svc.pool, msg.id)
    assert after is not None and after.status == "delivered"
    assert await reports(svc.pool) == [("gen", "applied"), ("gen", "stale")]


async def test_a_report_for_an_unknown_provider_is_refused(dialer: tuple[str, Services]) -> None:
    url, _ = dialer
    raw, headers = signed({"event_id": "e1", "message_id": "m1", "status": "sent"})
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/nope/status", content=raw, headers=headers)
    assert response.status_code == 404


async def test_twilio_reports_are_checked_with_twilios_signature(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    msg = await queued(svc.pool, provider="tw", pid="SMabc")
    form = [("MessageSid", "SMabc"), ("MessageStatus", "delivered"), ("AccountSid", "AC1")]
    good = webhooks.twilio_signature(TOKEN, f"{url}/sms/webhooks/tw/status", form)
    async with httpx.AsyncClient() as client:
        forged = await client.post(f"{url}/sms/webhooks/tw/status", data=dict(form),
                                   headers={"X-Twilio-Signature": "AAAA"})
        assert (await store.get_message(svc.pool, msg.id)) == msg
        ok = await client.post(f"{url}/sms/webhooks/tw/status", data=dict(form),
                               headers={"X-Twilio-Signature": good})
    assert (forged.status_code, ok.status_code) == (403, 200)
    after = await store.get_message(svc.pool, msg.id)
    assert after is not None and after.status == "delivered"


async def test_esms_reports_need_the_callback_token(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    await queued(svc.pool, provider="es", pid="abc-1")
    query = {"SMSID": "abc-1", "SendStatus": "5", "SendSuccess": "1", "SendFailed": "0"}
    async with httpx.AsyncClient() as client:
        wrong = await client.get(f"{url}/sms/webhooks/es/status", params={**query, "token": "guess"})
        missing = await client.get(f"{url}/sms/webhooks/es/status", params=query)
        ok = await client.get(f"{url}/sms/webhooks/es/status", params={**query, "token": "cbtok"})
    assert (wrong.status_code, missing.status_code, ok.status_code) == (403, 403, 200)


async def test_stop_then_start_puts_the_number_on_and_off_the_opt_out_list_audited(
        dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    async with httpx.AsyncClient() as client:
        for mid, text in (("in1", "Từ chối"), ("in1", "Từ chối"), ("in2", "START")):
            raw, headers = signed({"message_id": mid, "from": "0901234567", "to": "DIALER", "body": text})
            response = await client.post(f"{url}/sms/webhooks/gen/inbound", content=raw, headers=headers)
            assert response.status_code == 200
            if mid == "in1":
                entries = await dnc_repo.entries_for_number(svc.pool, number="+84901234567")
                assert [e.list_name for e in entries] == ["sms_optout"]
    assert await dnc_repo.entries_for_number(svc.pool, number="+84901234567") == []
    audit = await dnc_repo.audit_page(svc.pool, number="+84901234567")
    assert [(a.action, a.actor, a.reason_code) for a in reversed(audit)] == [
        ("add", "sms:gen", "sms_keyword_opt_out"), ("remove", "sms:gen", "sms_keyword_opt_in")]
    stored = await svc.pool.fetch("SELECT direction, status, body FROM sms_messages ORDER BY id")
    assert [tuple(r) for r in stored] == [("in", "received", "Từ chối"), ("in", "received", "START")]


async def test_an_incoming_message_with_a_bad_signature_changes_nothing(dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    raw, headers = signed({"message_id": "in1", "from": "+84901234567", "body": "STOP"}, secret="forged")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/gen/inbound", content=raw, headers=headers)
    assert response.status_code == 403
    assert await dnc_repo.entries_for_number(svc.pool, number="+84901234567") == []
    assert await svc.pool.fetchval("SELECT count(*) FROM sms_messages") == 0


async def test_twilio_and_esms_incoming_messages_are_answered_in_their_own_format(
        dialer: tuple[str, Services]) -> None:
    url, svc = dialer
    form = [("MessageSid", "SMin1"), ("From", "+84901111111"), ("To", "+15005550006"), ("Body", "HUY")]
    signature = webhooks.twilio_signature(TOKEN, f"{url}/sms/webhooks/tw/inbound", form)
    mo = {"sender": "84902222222", "content": "stop", "cpid": "cp", "smsid": "mo1", "receiverTime": "20261206090000"}
    mo["sign"] = webhooks.esms_mo_sign("cp", "mo1", "stop", "20261206090000", "pk")
    async with httpx.AsyncClient() as client:
        twilio = await client.post(f"{url}/sms/webhooks/tw/inbound", data=dict(form),
                                   headers={"X-Twilio-Signature": signature})
        esms = await client.get(f"{url}/sms/webhooks/es/inbound", params=mo)
    assert (twilio.status_code, twilio.headers["content-type"].split(";")[0]) == (200, "text/xml")
    assert "<Response>" in twilio.text
    assert esms.status_code == 200 and "<Smsid>mo1</Smsid>" in esms.text
    for number in ("+84901111111", "+84902222222"):
        assert [e.list_name for e in await dnc_repo.entries_for_number(svc.pool, number=number)] == ["sms_optout"]


async def test_signatures_are_checked_against_wall_time_not_the_engines_clock(services: Services) -> None:
    """A demo's engine clock may run fast or be virtual: a fresh signature is still fresh."""
    import dataclasses

    from dialer.clock import VirtualClock

    provider = SmsProviderConfig(name="gen", kind="generic", base_url="http://127.0.0.1:9",
                                 credentials={"api_token": "t", "webhook_secret": SECRET})
    svc = dataclasses.replace(with_providers(services, [provider]), clock=VirtualClock())   # 2026-01-05
    sock = bound_socket()
    msg = await queued(svc.pool, provider="gen", pid="m1")
    raw, headers = signed({"event_id": "e1", "message_id": "m1", "status": "delivered"})
    async with live_dialer(svc, sock) as url, httpx.AsyncClient() as client:
        response = await client.post(f"{url}/sms/webhooks/gen/status", content=raw, headers=headers)
    assert response.status_code == 200
    after = await store.get_message(svc.pool, msg.id)
    assert after is not None and after.status == "delivered"


def test_the_esms_callback_token_never_reaches_the_logs() -> None:
    from admin_ui.routes.api_sms_webhooks import RedactWebhookToken

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/sms/webhooks/es/status?SMSID=1&token=s3cret&x=1", "1.1", 200),
                               None)
    assert RedactWebhookToken().filter(record)
    assert "s3cret" not in record.getMessage() and "token=***&x=1" in record.getMessage()


ACCENTED = {"u": "uúùủũụưứừửữự", "o": "oóòỏõọôốồổỗộơớờởỡợ", "i": "iíìỉĩị", "a": "aáàảãạâấầẩẫậăắằẳẵặ",
            "e": "eéèẻẽẹêếềểễệ", "d": "dđ"}


@given(st.sampled_from(sorted(webhooks.OPT_OUT)), st.data())
def test_any_casing_accents_and_spacing_of_an_opt_out_keyword_opts_out(keyword: str, data: st.DataObject) -> None:
    text = ""
    for char in keyword:
        char = data.draw(st.sampled_from(ACCENTED.get(char, char)))
        char = char.upper() if data.draw(st.booleans()) else char
        text += char + data.draw(st.sampled_from(["", "", " ", "  ", "\t", "\u00a0"]))
    assert webhooks.keyword_of(text) == "opt_out", text
