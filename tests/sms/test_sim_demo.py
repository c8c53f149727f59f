"""``dialer demo`` configures the simulated SMS provider beside any provider already configured."""

from __future__ import annotations

import json

import pytest

from dialer.demo import demo_sms_providers
from dialer.settings import load_settings

MINE = {"name": "sim", "kind": "twilio", "base_url": "https://api.twilio.com",
        "credentials": {"account_sid": "AC1", "auth_token": "tok"}}


def test_the_demo_adds_the_simulated_provider_for_all_three_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIALER_SMS_PROVIDERS", raising=False)
    entries = demo_sms_providers(load_settings(None), sim_url="http://127.0.0.1:8025",
                                 dialer_url="http://127.0.0.1:8000")
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps(entries))
    configs = load_settings(None).sms_providers               # what serve and the worker read back
    assert [(c.name, c.kind, c.base_url) for c in configs] == [
        ("sim", "generic", "http://127.0.0.1:8025"), ("sim-twilio", "twilio", "http://127.0.0.1:8025"),
        ("sim-esms", "esms", "http://127.0.0.1:8025")]
    assert configs[0].webhook_url("status") == "http://127.0.0.1:8000/sms/webhooks/sim/status"


def test_a_provider_already_configured_is_kept_and_its_name_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps([MINE]))
    entries = demo_sms_providers(load_settings(None), sim_url="http://127.0.0.1:8025",
                                 dialer_url="http://127.0.0.1:8000")
    monkeypatch.setenv("DIALER_SMS_PROVIDERS", json.dumps(entries))
    configs = load_settings(None).sms_providers
    assert [(c.name, c.kind) for c in configs] == [("sim", "twilio"), ("sim-twilio", "twilio"), ("sim-esms", "esms")]
    assert configs[0].secret("auth_token") == "tok"
