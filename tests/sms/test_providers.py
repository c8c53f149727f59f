"""Providers over real HTTP against the simulated provider: what each sends, and how each failure is sorted
(429/5xx/timeouts/connection errors transient, other refusals permanent); settings refused naming the field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from dialer.errors import SettingsError
from dialer.settings import load_settings
from sms.provider_settings import SmsProviderConfig
from sms.providers.base import AlreadyAccepted, OutgoingSms, PermanentError, TransientError
from sms.providers.http import retry_after_s
from sms.providers.registry import provider_for, providers_from_settings
from sms.sim.server import SmsSimulator
from sms.sim.state import SimConfig
from tests.sms.sms_sim_helpers import bound_socket, running_sim, sim_configs, url_of

KINDS = ["generic", "twilio", "esms"]


@pytest.fixture
async def sim() -> AsyncIterator[SmsSimulator]:
    async with running_sim(SimConfig(report_delay_s=60)) as s:     # no reports during these tests
        yield s


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


def sms(key: str = "k-1", to: str = "+84901234567", body: str = "Xin chào Lan") -> OutgoingSms:
    return OutgoingSms(key=key, to=to, sender="", body=body, unicode=not body.isascii(),
                       callback_url="http://127.0.0.1:9/sms/webhooks/x/status")


async def sim_log(sim: SmsSimulator, client: httpx.AsyncClient) -> list[dict]:
    return (await client.get(f"{sim.url}/_sim/log")).json()["messages"]


async def set_faults(sim: SmsSimulator, client: httpx.AsyncClient, **faults: object) -> None:
    response = await client.post(f"{sim.url}/_sim/faults", json=faults)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", KINDS)
async def test_a_message_is_accepted_with_the_provider_id_and_logged_once(
        sim: SmsSimulator, client: httpx.AsyncClient, kind: str) -> None:
    provider = provider_for(sim_configs(sim, callback_base_url=None)[kind], client)
    accepted = await provider.send(sms())
    [logged] = await sim_log(sim, client)
    assert logged["provider_message_id"] == accepted.provider_message_id
    assert (logged["api"], logged["to"], logged["body"], logged["key"], logged["unicode"]) == (
        kind, "+84901234567", "Xin chào Lan", "k-1", True)
    assert logged["callback_url"] == "http://127.0.0.1:9/sms/webhooks/x/status"
    assert logged["sender"] == ("+15005550006" if kind == "twilio" else "DIALER")


async def test_the_twilio_form_carries_to_from_body_and_status_callback(client: httpx.AsyncClient) -> None:
    """The exact request, read by a bare server: form fields, basic auth, our key as a header."""
    import base64

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list[tuple[str, dict[str, str], dict[str, str]]] = []

    async def messages(request):  # type: ignore[no-untyped-def]
        seen.append((request.url.path, dict(await request.form()), dict(request.headers)))
        return JSONResponse({"sid": "SM123", "status": "queued"}, status_code=201)

    sock = bound_socket()
    config = SmsProviderConfig(name="tw", kind="twilio", base_url=url_of(sock), sender="+15550001111",
                               callback_base_url="https://dialer.example.com",
                               credentials={"account_sid": "AC42", "auth_token": "tok"})
    sim = SmsSimulator()    # only to reuse its uvicorn start on our socket
    sim.app = Starlette(routes=[Route("/2010-04-01/Accounts/AC42/Messages.json", messages, methods=["POST"])])
    await sim.start(sock=sock)
    try:
        msg = OutgoingSms(key="k9", to="+14155550100", sender="", body="Hi", unicode=False, callback_url=None)
        assert (await provider_for(config, client).send(msg)).provider_message_id == "SM123"
    finally:
        await sim.stop()
    path, form, headers = seen[0]
    assert path == "/2010-04-01/Accounts/AC42/Messages.json"
    assert form == {"To": "+14155550100", "From": "+15550001111", "Body": "Hi",
                    "StatusCallback": "https://dialer.example.com/sms/webhooks/tw/status"}
    assert headers["authorization"] == "Basic " + base64.b64encode(b"AC42:tok").decode()
    assert headers["idempotency-key"] == "k9"


async def test_the_esms_request_has_its_documented_fields(sim: SmsSimulator, client: httpx.AsyncClient) -> None:
    config = sim_configs(sim, callback_base_url="https://dialer.example.com")["esms"]
    captured: list[dict] = []

    async def capture(request: httpx.Request) -> None:
        captured.append(json.loads(request.content))

    async with httpx.AsyncClient(event_hooks={"request": [capture]}) as hooked:
        await provider_for(config, hooked).send(sms(key="req-1", body="Hello"))
    body = captured[0]
    assert {k: body[k] for k in ("Phone", "Content", "Brandname", "SmsType", "IsUnicode", "RequestId")} == {
        "Phone": "84901234567", "Content": "Hello", "Brandname": "DIALER", "SmsType": "2", "IsUnicode": "0",
        "RequestId": "req-1"}
    assert body["ApiKey"] == sim.config.esms_api_key and body["SecretKey"] == sim.config.esms_secret_key


@pytest.mark.parametrize("kind", KINDS)
async def test_429_is_transient_with_its_retry_after(sim: SmsSimulator, client: httpx.AsyncClient, kind: str) -> None:
    await set_faults(sim, client, next_429=1, retry_after_s=7)
    provider = provider_for(sim_configs(sim, callback_base_url=None)[kind], client)
    with pytest.raises(TransientError) as caught:
        await provider.send(sms())
    assert (caught.value.status_code, caught.value.retry_after_s) == (429, 7.0)
    assert await sim_log(sim, client) == []
    await provider.send(sms())                      # the next request goes through
    assert len(await sim_log(sim, client)) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_5xx_is_transient_and_nothing_was_accepted(sim: SmsSimulator, client: httpx.AsyncClient,
                                                         kind: str) -> None:
    await set_faults(sim, client, next_5xx=1)
    with pytest.raises(TransientError) as caught:
        await provider_for(sim_configs(sim, callback_base_url=None)[kind], client).send(sms())
    assert caught.value.status_code == 503
    assert await sim_log(sim, client) == []


@pytest.mark.parametrize("kind", ["generic", "twilio"])
async def test_a_timeout_is_transient_and_the_retry_with_the_same_key_sends_nothing_twice(
        sim: SmsSimulator, client: httpx.AsyncClient, kind: str) -> None:
    """The nasty case: the provider took the message but never answered. The retry carries the same key."""
    await set_faults(sim, client, next_timeout=1, timeout_delay_s=None)
    config = sim_configs(sim, callback_base_url=None)[kind].model_copy(update={"timeout_s": 0.3})
    provider = provider_for(config, client)
    with pytest.raises(TransientError, match="no answer within 0.3 s"):
        await provider.send(sms(key="same"))
    assert len(await sim_log(sim, client)) == 1      # it was sent all the same
    again = await provider.send(sms(key="same"))
    [logged] = await sim_log(sim, client)
    assert again.provider_message_id == logged["provider_message_id"]


async def test_esms_says_a_repeated_request_id_was_already_accepted(sim: SmsSimulator,
                                                                    client: httpx.AsyncClient) -> None:
    provider = provider_for(sim_configs(sim, callback_base_url=None)["esms"], client)
    await provider.send(sms(key="r1"))
    with pytest.raises(AlreadyAccepted):
        await provider.send(sms(key="r1"))
    assert len(await sim_log(sim, client)) == 1


async def test_a_connection_refused_is_transient(client: httpx.AsyncClient) -> None:
    sock = bound_socket()          # bound, never listening: connections are refused
    config = SmsProviderConfig(name="g", kind="generic", base_url=url_of(sock),
                               credentials={"api_token": "t", "webhook_secret": "s"})
    try:
        with pytest.raises(TransientError, match="connection failed"):
            await provider_for(config, client).send(sms())
    finally:
        sock.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_wrong_credentials_are_permanent(sim: SmsSimulator, client: httpx.AsyncClient, kind: str) -> None:
    config = sim_configs(sim, callback_base_url=None)[kind]
    wrong = {k: SecretStr("wrong") for k in config.credentials}
    with pytest.raises(PermanentError):
        await provider_for(config.model_copy(update={"credentials": wrong}), client).send(sms())


@pytest.mark.parametrize("kind", KINDS)
async def test_a_number_the_provider_refuses_is_permanent(sim: SmsSimulator, client: httpx.AsyncClient,
                                                          kind: str) -> None:
    with pytest.raises(PermanentError):
        await provider_for(sim_configs(sim, callback_base_url=None)[kind], client).send(sms(to="+12"))
    assert await sim_log(sim, client) == []


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert retry_after_s("3", now=now) == 3.0
    assert retry_after_s("Sun, 06 Dec 2026 09:00:30 GMT", now=now) == 30.0
    assert retry_after_s("soon", now=now) is None and retry_after_s(None) is None


# --- settings ---------------------------------------------------------------------------------------------------

GOOD = {"name": "tw", "kind": "twilio", "base_url": "https://api.twilio.com",
        "credentials": {"account_sid": "AC1", "auth_token": "very-secret-token"}}


def test_providers_are_read_from_the_json_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps([GOOD]))
    settings = load_settings(None)
    [config] = settings.sms_providers
    assert (config.name, config.kind, config.secret("auth_token")) == ("tw", "twilio", "very-secret-token")
    assert "very-secret-token" not in repr(settings) and "very-secret-token" not in str(config)


@pytest.mark.parametrize(("entry", "names"), [
    ({**GOOD, "base_url": "ftp://x"}, "DIALER_SMS_PROVIDERS_0_BASE_URL"),
    ({**GOOD, "kind": "nexmo"}, "DIALER_SMS_PROVIDERS_0_KIND"),
    ({**GOOD, "credentials": {"account_sid": "AC1"}}, "credentials.auth_token is required"),
    ({**GOOD, "credentials": {**GOOD["credentials"], "pin": "very-secret-token"}}, "credentials.pin"),
    ({**GOOD, "name": "Has Space"}, "DIALER_SMS_PROVIDERS_0_NAME"),
    ({**GOOD, "colour": "red"}, "DIALER_SMS_PROVIDERS_0_COLOUR"),
])
def test_a_malformed_provider_is_refused_naming_the_field_and_never_the_secret(
        monkeypatch: pytest.MonkeyPatch, entry: dict, names: str) -> None:
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps([entry]))
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert names in str(caught.value)
    assert "very-secret-token" not in str(caught.value)


@pytest.mark.parametrize(("raw", "says"), [("[{not json", "DIALER_SMS_PROVIDERS: Value error, is not valid JSON"),
                                           ('{"name": "x"}', "must be a JSON list"),
                                           (json.dumps([GOOD, GOOD]), "two providers are named 'tw'")])
def test_a_malformed_setting_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str, says: str) -> None:
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", raw)
    with pytest.raises(SettingsError, match=says):
        load_settings(None)


async def test_the_registry_builds_one_provider_per_entry(monkeypatch: pytest.MonkeyPatch,
                                                          client: httpx.AsyncClient) -> None:
    esms = {"name": "brand", "kind": "esms", "base_url": "https://rest.esms.vn",
            "credentials": {"api_key": "k", "secret_key": "s"}, "sender": "SHOP"}
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps([GOOD, esms]))
    providers = providers_from_settings(load_settings(None), client)
    assert {name: type(p).__name__ for name, p in providers.items()} == {"tw": "TwilioProvider",
                                                                         "brand": "EsmsProvider"}


def test_twilio_is_taken_not_to_deduplicate_unless_the_entry_says_so() -> None:
    creds = {"api_key": "k", "secret_key": "s"}
    assert not SmsProviderConfig(**GOOD).deduplicates
    assert SmsProviderConfig(**{**GOOD, "deduplicates": True}).deduplicates
    assert SmsProviderConfig(name="e", kind="esms", base_url="https://rest.esms.vn", credentials=creds).deduplicates


async def test_a_late_answer_within_the_timeout_is_an_acceptance(sim: SmsSimulator, client: httpx.AsyncClient) -> None:
    await set_faults(sim, client, next_timeout=1, timeout_delay_s=0.3)
    provider = provider_for(sim_configs(sim, callback_base_url=None)["generic"], client)   # waits 2 s
    started = asyncio.get_running_loop().time()
    accepted = await provider.send(sms())
    assert asyncio.get_running_loop().time() - started >= 0.3
    [logged] = await sim_log(sim, client)
    assert logged["provider_message_id"] == accepted.provider_message_id
    assert sim.state.stats.faults["timeout"] == 1
