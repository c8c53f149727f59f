"""The engine's view of a campaign: exactly what runners and the router need, frozen at start/reload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialer.calls import CallPolicy, MachineAction


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
    safe_harbor_sound: str = "dialer/safe-harbor"
    machine_message_sound: str = ""
    record_calls: bool = False
    ring_timeout_s: float = 25.0
    safe_harbor_s: float = 2.0
    dispositions: tuple[str, ...] = ("sale", "no_interest", "callback", "wrong_number", "do_not_call")
    crm_url_template: str = ""
    server: str | None = None                  # pin to one PBX, or None for any

    @property
    def pacer_name(self) -> str:
        return {"manual": "preview"}.get(self.dial_mode, self.dial_mode)

    def policy(self) -> CallPolicy:
        return CallPolicy(machine_action=self.machine_action, safe_harbor_s=self.safe_harbor_s)

    def dial_string(self, number_e164: str) -> str:
        """The trunk dial string for a number: ``{number}`` is E.164 with '+', ``{digits}`` without."""
        return self.trunk_template.format(number=number_e164, digits=number_e164.lstrip("+"))
