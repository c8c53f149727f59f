"""The engine's view of a campaign: exactly what runners and the router need, frozen at start/reload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from campaigns.model import DEFAULT_SAFE_HARBOR
from dialer.calls import DIALPLAN_HOLD_S, SAFE_HARBOR_S, TWO_SECOND_RULE_S, CallPolicy, MachineAction


@dataclass(frozen=True, slots=True)
class CampaignView:
    id: int
    name: str
    dial_mode: str = "predictive"              # predictive, progressive, power, preview, manual
    pacer_options: dict[str, Any] = field(default_factory=dict)
    caller_id: str = ""
    trunk_template: str = "Local/{number}@from-dialer"
    amd: bool = False
    machine_action: MachineAction = MachineAction.HANGUP
    safe_harbor_sound: str = DEFAULT_SAFE_HARBOR     # DIALER_SAFE_HARBOR: a core sound every Asterisk has
    machine_message_sound: str = ""
    record_calls: bool = False
    ring_timeout_s: float = 25.0
    safe_harbor_s: float = SAFE_HARBOR_S       # the engine's deadline (see dialer.calls: the 2-second rule)
    hold_s: float = DIALPLAN_HOLD_S            # DIALER_HOLD_S: the dialplan's own safe harbor after this
    timezone: str = "UTC"                      # the campaign's own zone: its agents' day starts at midnight there
    dispositions: tuple[str, ...] = ("sale", "no_interest", "callback", "wrong_number", "do_not_call")
    crm_url_template: str = ""
    server: str | None = None                  # pin to one PBX, or None for any

    def __post_init__(self) -> None:
        self.policy()   # refuses a deadline at or past 2.0 s less the Redirect margin
        if not self.safe_harbor_s < self.hold_s < TWO_SECOND_RULE_S:
            raise ValueError(f"campaign {self.name!r}: hold_s must lie between the engine's deadline"
                             f" ({self.safe_harbor_s:g} s) and {TWO_SECOND_RULE_S:g} s, got {self.hold_s:g}")

    @property
    def pacer_name(self) -> str:
        return {"manual": "preview"}.get(self.dial_mode, self.dial_mode)

    def policy(self) -> CallPolicy:
        return CallPolicy(machine_action=self.machine_action, safe_harbor_s=self.safe_harbor_s)

    def dial_string(self, number_e164: str) -> str:
        """The trunk dial string for a number: ``{number}`` is E.164 with '+', ``{digits}`` without."""
        return self.trunk_template.format(number=number_e164, digits=number_e164.lstrip("+"))
