"""Why an originate failed: ``OriginateResponse`` Reason, ``DialEnd`` DialStatus and Q.850 Hangup causes.

Pure functions. Sources: Asterisk ``include/asterisk/frame.h`` (``AST_CONTROL_*``, the Reason numbers
an async Originate reports), ``include/asterisk/causes.h`` (ITU-T Q.850 cause values), and the
recordings in ``../shared/asterisk-ami`` (c1-c8, h1). Observed there:

- Reason 5 = busy, 8 = congestion, 3 = rang until the Originate Timeout (cause 19), 4 = answered.
- Reason 0 covers several failures (far end hung up with a cause before answer, unknown technology,
  missing context or extension, duplicate ChannelId): the Hangup cause and DialStatus decide.
- With Busy()/Congestion() in the dialplan the ``;1`` Local leg shows cause 0 and ``;2`` carries 17/34.
- cause 1 (unallocated number) comes with DialStatus NOANSWER (c8, 8001): a specific cause beats
  DialStatus.
- A restart or shutdown of Asterisk (i4) first sends every channel ``SoftHangupRequest`` with ``Cause: 4``:
  there ``Cause`` is the soft hang-up flag ``AST_SOFTHANGUP_SHUTDOWN`` (``include/asterisk/channel.h``), not a
  Q.850 cause. The Hangups that follow carry 16 (legs in a ConfBridge) or 0, and a ringing call gets
  ``DialEnd NOANSWER`` and ``OriginateResponse`` Reason 0: nothing else tells the cut from a real failure.
"""

from __future__ import annotations

from dialer.pbx_port import FailReason

REASON_HANGUP = 1       # AST_CONTROL_HANGUP: the far end hung up before answer
REASON_RING_TIMEOUT = 3  # AST_CONTROL_RINGING: still ringing when the Originate Timeout ran out
REASON_ANSWERED = 4     # AST_CONTROL_ANSWER
REASON_BUSY = 5         # AST_CONTROL_BUSY
REASON_CONGESTION = 8   # AST_CONTROL_CONGESTION

CAUSE_UNKNOWN = 0
CAUSE_NORMAL_CLEARING = 16
CAUSE_USER_BUSY = 17
CAUSE_NO_ANSWER = 19

SOFTHANGUP_SHUTDOWN = 4  # SoftHangupRequest Cause when Asterisk shuts down or restarts (a flag, not Q.850)

# Q.850 causes that name the failure on their own.
_CAUSE_REASON: dict[int, FailReason] = {
    1: FailReason.INVALID_NUMBER,    # unallocated (unassigned) number
    2: FailReason.INVALID_NUMBER,    # no route to specified transit network
    3: FailReason.INVALID_NUMBER,    # no route to destination
    22: FailReason.INVALID_NUMBER,   # number changed
    28: FailReason.INVALID_NUMBER,   # invalid number format (address incomplete)
    17: FailReason.BUSY,             # user busy
    18: FailReason.NO_ANSWER,        # no user responding
    19: FailReason.NO_ANSWER,        # no answer from user (user alerted)
    34: FailReason.CONGESTION,       # no circuit/channel available
    38: FailReason.CONGESTION,       # network out of order
    41: FailReason.CONGESTION,       # temporary failure
    42: FailReason.CONGESTION,       # switching equipment congestion
    44: FailReason.CONGESTION,       # requested circuit/channel not available
    47: FailReason.CONGESTION,       # resource unavailable, unspecified
}

_REASON_FAIL: dict[int, FailReason] = {
    REASON_RING_TIMEOUT: FailReason.NO_ANSWER,
    REASON_BUSY: FailReason.BUSY,
    REASON_CONGESTION: FailReason.CONGESTION,
}

_REASON_DEFAULT_CAUSE: dict[int, int] = {
    REASON_RING_TIMEOUT: CAUSE_NO_ANSWER,
    REASON_BUSY: CAUSE_USER_BUSY,
    REASON_CONGESTION: 34,
}

_DIAL_STATUS: dict[str, FailReason] = {
    "BUSY": FailReason.BUSY,
    "NOANSWER": FailReason.NO_ANSWER,
    "CONGESTION": FailReason.CONGESTION,
    "CHANUNAVAIL": FailReason.CONGESTION,
    "INVALIDARGS": FailReason.INVALID_NUMBER,
}


def best_cause(causes: list[int]) -> int:
    """The cause that says most: the first that names a failure, else the first non-zero, else 0."""
    for cause in causes:
        if cause in _CAUSE_REASON:
            return cause
    for cause in causes:
        if cause:
            return cause
    return CAUSE_UNKNOWN


def classify_failure(*, reason: int | None, dial_status: str, causes: list[int],
                     channel_seen: bool) -> tuple[FailReason, int]:
    """``(why, cause)`` for a leg that never answered.

    ``reason`` is the OriginateResponse Reason (None if it never arrived), ``dial_status`` the DialEnd
    DialStatus ("" if none), ``causes`` the Hangup causes of the leg's channels in arrival order,
    ``channel_seen`` whether any channel of the leg ever existed (a refused originate has none).
    """
    cause = best_cause(causes)
    if cause in _CAUSE_REASON:
        return _CAUSE_REASON[cause], cause
    if reason in _REASON_FAIL:
        assert reason is not None
        return _REASON_FAIL[reason], cause or _REASON_DEFAULT_CAUSE[reason]
    if dial_status in _DIAL_STATUS:
        return _DIAL_STATUS[dial_status], cause
    if reason is not None and (not channel_seen or (not dial_status and not cause)):
        # the PBX never got the call out: bad technology, no such context/extension, duplicate id
        return FailReason.REJECTED, cause
    return FailReason.OTHER, cause
