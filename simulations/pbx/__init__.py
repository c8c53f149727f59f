"""The simulated PBX: a TCP server that speaks AMI as Asterisk 22 does and runs our dialplan file.

    pbx = SimulatedPbx(PbxConfig(username="dialer", secret="dialer-secret", seed=1, speed=20.0))
    await pbx.start(host="127.0.0.1", port=0); pbx.port
    pbx.originate_log, pbx.abandons, pbx.call_records, pbx.recordings, pbx.statistics()
    pbx.dialplan_faults                  # channels hung up for a dialplan loop or an unknown application
    pbx.on_conference(hook); pbx.inject_inbound(caller="+15550001111", did="5000")
    pbx.faults.drop_connections(); await pbx.faults.restart(downtime_s=0.5)   # core restart now
    await pbx.faults.stop(mode="gracefully"); await pbx.faults.boot()          # core stop gracefully
    pbx.faults.refuse_logins = True; pbx.faults.reply_delay_s = 2.0
    await pbx.stop()

Dial strings ``Local/<number>@sim-customer`` follow the recordings' first-digit rules (see
``fates``); any other dial string draws its fate from ``simulations.call_model.CustomerModel``;
legs landing in ``dialer-agent`` are virtual agent phones that answer at once. After answer, the
channel runs ``asterisk/extensions_dialer.conf`` itself (``PbxConfig.dialplan_path``), so its UserEvents
(``DialerCustomerReady``, ``DialerSafeHarbor``, ``DialerInbound``, ``DialerOriginateFailed``,
``DialerAgentFailed``), waits, loops and failed extensions are the file's; sound lengths come from
Asterisk's core sounds plus ``PbxConfig.extra_sounds``.
Modules: ``server`` (life cycle, event fan-out), ``session`` (one connection, login), ``actions`` and
``queries`` (AMI actions), ``switch`` (channels, originates, far ends, hang-ups), ``dialplan``
(conferences, bridges), ``conf_parser`` (extensions.conf), ``interpreter`` (runs it, with
``expressions``), ``sounds`` (the sounds it has), ``channels`` (state and event text), ``fates``, ``wire``, ``faults``,
``asterisk_args`` (Asterisk's argument parser for ``Variable`` headers, its C escaping, its CLI words);
``probe`` and ``transcripts`` are tools for tests; ``benchmark`` measures it with panoramisk.
"""

from __future__ import annotations

from simulations.pbx.config import (
    AbandonRecord,
    CallRecord,
    ConferenceUpdate,
    OriginateRecord,
    PbxConfig,
    PbxStatistics,
)
from simulations.pbx.faults import Faults
from simulations.pbx.server import SimulatedPbx

__all__ = [
    "AbandonRecord",
    "CallRecord",
    "ConferenceUpdate",
    "Faults",
    "OriginateRecord",
    "PbxConfig",
    "PbxStatistics",
    "SimulatedPbx",
]
