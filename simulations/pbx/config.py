"""Settings of the simulated PBX and the immutable records it keeps for tests and harnesses.

Durations in ``PbxConfig`` are simulated seconds (divided by ``speed`` to get real seconds) unless
the name ends in ``_real_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulations.call_model import CustomerModel
from simulations.pbx.conf_parser import SHIPPED_DIALPLAN
from simulations.pbx.inbound_traffic import InboundStream
from simulations.pbx.manager_conf import SHIPPED_MANAGER_CONF, ManagerUser, everything, load_manager_conf
from simulations.pbx.survey_customer import SurveyCustomer


@dataclass(frozen=True, slots=True)
class PbxConfig:
    """How the simulated PBX behaves. ``speed`` is simulated seconds per real second."""

    # The AMI user: its secret, read/write classes and event filters come from ``manager_conf_path``
    # (Asterisk 22 enforces them: an action outside ``write`` gets "Permission denied"). ``username``
    # empty: the file's first user; ``secret`` set: it replaces that user's secret. ``manager_conf_path``
    # None: a user ``username`` (default dialer) with read = all, write = all and no filter.
    username: str = ""
    secret: str = ""
    manager_conf_path: Path | str | None = SHIPPED_MANAGER_CONF
    seed: int = 1
    speed: float = 1.0
    customer_model: CustomerModel = field(default_factory=CustomerModel)
    dialplan_path: Path | str = SHIPPED_DIALPLAN  # the extensions.conf the PBX parses and runs
    # a [globals] DIALER_HOLD_S: used by a leg whose Originate does not set it; None: the dialplan's
    # own default (1.8 s for customers, 600 s for inbound callers in extensions_dialer.conf)
    hold_limit_s: float | None = None
    # Playback lengths (seconds) of sounds besides Asterisk's core sounds, e.g. a campaign's message
    extra_sounds: Mapping[str, float] = field(default_factory=dict)
    max_priorities: int = 5000  # a channel that runs more dialplan priorities is hung up (a loop)
    inbound_patience_s: float = 120.0  # an inbound caller waits this long, then hangs up
    # voicemail.conf's boxes ("box" is box@default); VoiceMail() to any other sets VMSTATUS FAILED at once, as the
    # real one does (the lab Asterisk has no voicemail.conf: no box). A caller in a box leaves a message this long.
    voicemail_boxes: frozenset[str] = frozenset()
    voicemail_message_s: float = 8.0
    # musiconhold.conf's classes (`moh show classes`); a class asked for that is not among them plays
    # `default`, as res_musiconhold falls back (recording r1: "Music on Hold class ... not found in memory")
    moh_classes: frozenset[str] = frozenset({"default"})
    # inbound traffic the PBX generates by itself once started (``simulations.pbx.inbound_traffic``): its
    # streams (DID, rate per hour of the day, patience, talk, press 1), for this many simulated seconds, from
    # this hour of the day, drawn from ``seed``
    inbound_traffic: tuple[InboundStream, ...] = ()
    inbound_duration_s: float = 8 * 3600.0
    inbound_start_hour: float = 9.0
    machine_record_s: float = 120.0  # a machine hangs up this long after its greeting
    # how customers answer surveys in dialer-survey (answer distribution, silence, hang-ups halfway)
    survey_customer: SurveyCustomer = field(default_factory=SurveyCustomer)
    agent_answer_s: float = 0.0  # virtual agent phones answer after this long
    # where MixMonitor writes a relative file name (Asterisk's spool monitor folder); None: no file is written
    recordings_dir: Path | str | None = None
    auth_fail_delay_real_s: float = 1.0  # Asterisk waits about 1 s before "Authentication failed"
    auth_timeout_real_s: float = 30.0  # unauthenticated connections are closed after this
    # SO_SNDBUF of AMI sockets; 0 leaves it to the kernel's autotuning, which stalls a client running
    # in the same event loop at about 10,000 events/s (measured with panoramisk on loopback)
    send_buffer_bytes: int = 4 * 1024 * 1024
    system_name: str = ""
    max_calls: int = 0  # CoreSettings CoreMaxCalls (0: no limit)
    # channel drivers loaded: an Originate to any other technology fails with Reason 0 and no channel
    channel_techs: frozenset[str] = frozenset({"Local", "PJSIP", "SIP", "IAX2", "DAHDI"})
    # the users who may log in, by name (from manager_conf_path, with username/secret applied)
    manager_users: Mapping[str, ManagerUser] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")
        users = dict(load_manager_conf(self.manager_conf_path)) if self.manager_conf_path is not None else {}
        username = self.username or next(iter(users), "dialer")
        if self.manager_conf_path is None:
            users[username] = everything(username, self.secret or "dialer-secret")
        elif username not in users:
            raise ValueError(f"AMI user {username!r} is not in {self.manager_conf_path}")
        user = users[username]
        if self.secret:
            users[username] = replace(user, secret=self.secret)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "secret", users[username].secret)
        object.__setattr__(self, "manager_users", users)
        if self.max_priorities < 1:
            raise ValueError(f"max_priorities must be >= 1, got {self.max_priorities}")


@dataclass(frozen=True, slots=True)
class OriginateRecord:
    """One Originate action as received (``at``: simulated seconds since start)."""

    at: float
    action_id: str | None
    channel: str
    channel_id: str | None
    variables: Mapping[str, str]
    context: str
    exten: str


@dataclass(frozen=True, slots=True)
class DialplanFault:
    """A channel the PBX hung up because its dialplan went wrong (a loop, an unknown application...)."""

    at: float
    channel: str
    uniqueid: str
    context: str
    exten: str
    priority: int
    executed: int  # priorities the channel had run
    reason: str


@dataclass(frozen=True, slots=True)
class AbandonRecord:
    """An answered caller who hung up while waiting for an agent (``waited_s`` since ready)."""

    at: float
    uniqueid: str
    channel: str
    waited_s: float
    amd_status: str


@dataclass(frozen=True, slots=True)
class CallRecord:
    """How one customer or inbound leg ended."""

    at: float
    uniqueid: str
    channel: str
    outcome: str  # busy, no_answer, congestion, rejected, human, machine, failed ...
    answered: bool
    amd_status: str
    met_agent: bool  # it joined an agent's conference or was bridged to an agent
    safe_harbor: bool  # it heard the safe-harbor message
    cause: int


@dataclass(frozen=True, slots=True)
class ConferenceUpdate:
    """A leg joined or left an agent conference (passed to ``SimulatedPbx.on_conference`` hooks)."""

    at: float
    conference: str
    channel: str
    uniqueid: str
    kind: str  # customer, agent, inbound
    joined: bool


@dataclass(frozen=True, slots=True)
class PbxStatistics:
    """A snapshot of the simulated PBX's counters."""

    channels: int
    sessions: int
    originates: int
    events_sent: int
    bytes_sent: int
    conferences: int
