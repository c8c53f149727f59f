"""Every text of the agent panel is in the agent's language: the script's strings, the call received by
transfer, and every message the engine or the panel's server sends an agent."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from admin_ui.i18n import MESSAGES
from agents_ws.panel_strings import PANEL_KEYS, agent_message
from dialer.users import Role

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "agents_ws" / "static" / "panel.js").read_text()
# the modules whose messages reach an agent's panel
SPEAKERS = ["dialer/engine.py", "dialer/control.py", *(str(p.relative_to(ROOT)) for p in (ROOT / "agents_ws").glob("*.py"))]
SAME_IN_BOTH = {"app_name"}   # words Vietnamese agents read as they are


def test_every_string_the_panel_script_shows_is_a_panel_key_with_a_vietnamese_text() -> None:
    used = set(re.findall(r'\bt\("([a-z0-9_]+)"\s*[,)]', SCRIPT))
    assert used - set(PANEL_KEYS) == set()
    for prefix in re.findall(r'\bt\("([a-z0-9_]+_)"\s*\+', SCRIPT):   # t("st_" + state): the keys of each state
        assert any(key.startswith(prefix) for key in PANEL_KEYS), prefix
    for key in PANEL_KEYS:
        assert key in MESSAGES, key
        assert MESSAGES[key].get("vi") and (MESSAGES[key]["vi"] != MESSAGES[key]["en"] or key in SAME_IN_BOTH), key


def _sample(node: ast.expr) -> str | None:
    """The text a string or f-string literal makes, each placeholder replaced by a sample value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("'7'" if value.conversion == ord("r") else "7")
        return "".join(parts)
    return None


def _messages_to_agents() -> list[tuple[str, str]]:
    found = []
    for name in SPEAKERS:
        for node in ast.walk(ast.parse((ROOT / name).read_text())):
            if isinstance(node, ast.Call) and node.args:
                func = ast.unparse(node.func).removeprefix("protocol.")   # not log.error: that is for us
                if func in ("EngineError", "ProtocolError", "error") and (text := _sample(node.args[0])):
                    found.append((name, text))
            if isinstance(node, ast.Dict):   # {"ok": False, "error": "..."}: a failed CRM answer
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in ("error", "message") and value is not None \
                            and (text := _sample(value)):
                        found.append((name, text))
    return found


def test_every_message_the_engine_or_the_panel_server_sends_an_agent_has_its_vietnamese_text() -> None:
    messages = _messages_to_agents()
    assert len(messages) > 30            # the scan finds them
    refused = MESSAGES["err_refused"]["vi"].split("{")[0]
    untranslated = [(where, text) for where, text in messages if agent_message(text, "vi").startswith(refused)]
    assert untranslated == []


def test_a_message_keeps_its_values_in_vietnamese_and_is_unchanged_in_english() -> None:
    text = "unknown disposition 'maybe'; choose one of sale, call_back"
    assert agent_message(text, "vi") == "kết quả 'maybe' không tồn tại; hãy chọn một trong sale, call_back"
    assert agent_message(text, "en") == text
    assert agent_message("something new", "vi") == "Không thực hiện được: something new"


async def test_a_vietnamese_agent_reads_the_engines_refusal_in_vietnamese(panel, engine, make_user) -> None:
    agent = await make_user(Role.AGENT, language="vi")
    engine.refuse["hangup"] = "you have no call to hang up"
    async with panel(agent) as ws:
        await ws.send({"type": "hangup"})
        refused = await ws.receive_type("error")
        await ws.send({"type": "fly"})
        bad = await ws.receive_type("error")
    assert refused == {"type": "error", "message": "bạn không có cuộc gọi nào để gác máy", "request": "hangup"}
    assert bad["message"] == MESSAGES["err_invalid_message"]["vi"]


async def test_the_vietnamese_panel_page_carries_the_transfer_texts_in_vietnamese(app, make_user) -> None:
    import httpx

    from tests.agents_ws.conftest import sign_in

    agent = await make_user(Role.AGENT, language="vi")
    cookies, _ = await sign_in(app, agent.username)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 cookies=cookies) as client:
        page = (await client.get("/agent")).text
    strings = json.loads(page.split("window.PANEL_T = ")[1].split(";</script>")[0])
    assert 'id="pop-transfer"' in page
    assert strings["transferred_from"] == "Được chuyển tới bạn bởi {name}"
    assert strings["pause_transfer"] == "Cuộc gọi được chuyển" and strings["outcome_no_answer"] == "Không trả lời"
