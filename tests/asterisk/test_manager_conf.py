"""The shipped AMI user (asterisk/manager_dialer.conf) grants every class the engine's actions need and reads
every event the engine's translator handles, read as Asterisk 22 reads it (``simulations.pbx.manager_conf``).

The actions are taken from the engine's source (dialer/ami/adapter.py and connection.py: the names it
sends), so a new action without its class in ``write`` fails here, not on a real Asterisk with
``Permission denied`` (as ``Command`` did on Asterisk 22.10.1 before ``command`` was added).
"""

from __future__ import annotations

import re
from pathlib import Path

from dialer.ami.translate import Translator
from simulations.pbx.manager_conf import ACTION_CLASSES, SHIPPED_MANAGER_CONF, load_manager_conf, should_send

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = Path("/work/shared/asterisk-ami")
# An action name as the engine's AMI code sends it: submit("Originate", ...), _act(server, "Hangup", ...)
_SENT = re.compile(r'\b(?:submit|_act|action|list_action)\((?:\w+, )?"([A-Z][A-Za-z]+)"')
EVENTS_NOT_RECORDED = {"Rename": "call"}  # main/channel.c: ast_manager_event(chan, EVENT_FLAG_CALL, "Rename"


def engine_actions() -> set[str]:
    sources = [(ROOT / "dialer" / "ami" / name).read_text() for name in ("adapter.py", "connection.py")]
    return {name for text in sources for name in _SENT.findall(text)}


def event_classes() -> dict[str, str]:
    """Each event's class, from the ``Privilege:`` line that follows it in the real recordings."""
    classes = dict(EVENTS_NOT_RECORDED)
    for path in RECORDINGS.glob("*.txt"):
        for name, privilege in re.findall(r"<< Event: (\w+)\n.*?<< Privilege: (\w+),", path.read_text()):
            classes.setdefault(name, privilege)
    return classes


def test_the_engine_sends_the_actions_this_test_knows():
    assert {"Originate", "Redirect", "Hangup", "Command", "CoreShowChannels", "Login", "Ping"} <= engine_actions()


def test_the_shipped_user_may_send_every_action_the_engine_sends():
    user = load_manager_conf(SHIPPED_MANAGER_CONF)["dialer"]
    for action in sorted(engine_actions()):
        needed = ACTION_CLASSES.get(action.lower())
        assert needed is not None, f"{action}: add its class (ast_manager_register_xml in Asterisk) to ACTION_CLASSES"
        assert not needed or needed & user.write, f"{action} needs one of {sorted(needed)} in write ="


def test_the_shipped_user_receives_every_event_the_engine_translates():
    user = load_manager_conf(SHIPPED_MANAGER_CONF)["dialer"]
    handled = Translator("pbx")._handlers  # the events the engine reads
    classes = event_classes()
    for name in sorted(handled):
        assert classes[name] in user.read, f"{name} ({classes[name]}) is not in read ="
        assert should_send(user.filters, f"Event: {name}\r\nPrivilege: {classes[name]},all\r\n\r\n"), name
