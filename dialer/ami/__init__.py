"""The AMI adapter: ``AmiAdapter`` implements ``dialer.pbx_port.PbxPort`` over one AMI link per Asterisk.

Modules: ``message`` (parse/serialise), ``transcript`` (the recordings), ``causes`` (failure
classification), ``translate`` (AMI events to domain events), ``connection`` (one server's link),
``adapter`` (several servers, capacity, reconciliation), ``replay`` (recordings through translation).
"""

from __future__ import annotations

from dialer.ami.adapter import AmiAdapter, ServerStats
from dialer.ami.config import AmiServerConfig
from dialer.ami.errors import AmiActionError, AmiError, AmiLinkError, AmiLoginError, AmiTimeout

__all__ = ["AmiActionError", "AmiAdapter", "AmiError", "AmiLinkError", "AmiLoginError", "AmiServerConfig",
           "AmiTimeout", "ServerStats"]
