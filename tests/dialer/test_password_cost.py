"""Passwords are hashed at argon2's recommended cost unless a test suite asks for the cheapest, which production
mode refuses; a hash made at either cost verifies under the other (hashes name their parameters)."""

from __future__ import annotations

import pytest

from dialer import password_cost, users
from dialer.settings import SettingsError, load_settings


def test_without_the_variable_passwords_get_argon2s_recommended_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(password_cost.ENV, raising=False)
    hashed = users._password_hasher().hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_cheapest_cost_is_for_tests_and_production_mode_refuses_it(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(password_cost.ENV, "cheapest-for-tests")
    assert users._password_hasher().hash("correct horse battery").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert load_settings(None, mode="development", data_dir=tmp_path).development
    with pytest.raises(SettingsError, match="DIALER_PASSWORD_COST=cheapest-for-tests is for test suites"):
        load_settings(None, mode="production", secret_key="s" * 32, data_dir=tmp_path)
    monkeypatch.setenv(password_cost.ENV, "recommended")
    assert not load_settings(None, mode="production", secret_key="s" * 32, data_dir=tmp_path).development


def test_an_unknown_cost_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(password_cost.ENV, "fast")
    with pytest.raises(SettingsError, match="DIALER_PASSWORD_COST must be one of recommended, cheapest-for-tests"):
        load_settings(None, mode="development", data_dir=tmp_path)


def test_a_hash_made_at_either_cost_verifies_under_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(password_cost.ENV, "cheapest-for-tests")
    cheap = users._password_hasher()
    monkeypatch.setenv(password_cost.ENV, "recommended")
    strong = users._password_hasher()
    password = "correct horse battery"
    assert strong.verify(cheap.hash(password), password) and cheap.verify(strong.hash(password), password)
    monkeypatch.setattr(users, "_hasher", strong)
    assert users.verify_password(cheap.hash(password), password)
    assert not users.verify_password(cheap.hash(password), "wrong horse battery")
