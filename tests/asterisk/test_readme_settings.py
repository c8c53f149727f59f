"""``asterisk/README.md`` is true to the code: every setting, environment variable and dial-string
placeholder it names exists, and every template setting with its placeholders is documented there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dialer import pbx_port
from dialer.settings import PLACEHOLDERS, Settings, placeholders

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "asterisk" / "README.md"
# environment variables that are not settings: the settings file, and the live suite's server
OTHER_ENVIRONMENT = {"DIALER_CONFIG": ROOT / "dialer" / "settings.py",
                     "DIALER_TEST_AMI": ROOT / "tests" / "live_asterisk"}


def channel_variables() -> set[str]:
    """The channel variables of the dialplan contract: pbx_port's names and those the dialplan reads."""
    names = {value for key, value in vars(pbx_port).items() if key.startswith("VAR_") and isinstance(value, str)}
    dialplan = (ROOT / "asterisk" / "extensions_dialer.conf").read_text()
    return names | set(re.findall(r"\$\{(DIALER_[A-Z_]+)\}", dialplan))


def problems(text: str) -> list[str]:
    """What ``text`` (the README) names that the code does not have, one line each."""
    found = []
    fields = set(Settings.model_fields)
    for name in sorted(set(re.findall(r"setting `([a-z_]+)`", text))):
        if name not in fields:
            found.append(f"setting `{name}` does not exist in dialer/settings.py")
    channel = channel_variables()
    for env in sorted(set(re.findall(r"\bDIALER_[A-Z_]+[A-Z]\b", text))):
        field = env[len("DIALER_"):].lower()
        if field not in fields and env not in channel and env not in OTHER_ENVIRONMENT:
            found.append(f"{env} is neither a setting, a channel variable of the dialplan, nor read by the code")
    allowed = {p for names in PLACEHOLDERS.values() for p in names}
    for name in sorted(set(re.findall(r"(?<![$\w])\{(\w+)\}", text))):
        if name not in allowed:
            found.append(f"placeholder {{{name}}} is not one the dial-string templates accept")
    return found


def test_every_setting_environment_variable_and_placeholder_the_readme_names_exists() -> None:
    assert problems(README.read_text()) == []


def test_the_check_catches_what_the_readme_used_to_name() -> None:
    old = "agent softphone (PJSIP) | `PJSIP/{endpoint}` ... setting `phone_template` ... DIALER_AGENT_PHONE"
    assert problems(old) == [
        "setting `phone_template` does not exist in dialer/settings.py",
        "DIALER_AGENT_PHONE is neither a setting, a channel variable of the dialplan, nor read by the code",
        "placeholder {endpoint} is not one the dial-string templates accept",
    ]


@pytest.mark.parametrize("setting", sorted(PLACEHOLDERS))
def test_every_template_setting_and_its_placeholders_are_documented(setting: str) -> None:
    text = README.read_text()
    assert f"setting `{setting}`" in text and f"DIALER_{setting.upper()}" in text
    for name in PLACEHOLDERS[setting]:
        assert "{" + name + "}" in text


def test_every_template_example_in_the_readme_is_accepted_by_the_settings() -> None:
    examples = re.findall(r"`([A-Za-z0-9]+/[^`\s]*\{\w+\}[^`\s]*)`", README.read_text())
    assert len(examples) >= 3
    for example in examples:
        used = placeholders(example)
        setting = "agent_phone_template" if used == {"agent_id"} else "trunk_template"
        assert Settings(**{setting: example}).model_dump()[setting] == example


def test_the_other_environment_variables_are_read_where_the_readme_says() -> None:
    for name, where in OTHER_ENVIRONMENT.items():
        if where.exists():
            found = subprocess.run(["grep", "-rl", name, str(where)], capture_output=True, text=True, check=False)
            assert found.stdout, f"{name} is not read in {where}"
