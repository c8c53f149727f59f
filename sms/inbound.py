"""An incoming text: stored (direction 'in', linked to the lead by number) and, when the whole message is an
opt-out keyword (STOP, UNSUBSCRIBE, END, QUIT, CANCEL, OPTOUT, TU CHOI, HUY) or START, the number put on or
taken off the SMS opt-out list through ``dnc.repository`` (audited; NOTIFY dnc_changed reaches the checkers),
all in one transaction. A webhook delivered twice is stored and acted on once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from dialer.db import transaction
from dialer.reasons import Reason
from dnc import repository as dnc_repo
from sms import store
from sms.webhooks import IncomingSms, keyword_of

SMS_OPTOUT_LIST = "sms_optout"      # created by dnc's migration 0200 (kind sms_optout)


@dataclass(frozen=True, slots=True)
class InboundResult:
    message: store.SmsMessage
    created: bool                                  # False: this message was stored before (a retried webhook)
    action: Literal["opt_out", "opt_in"] | None    # what the message asked (acted on only when created)
    changed: bool                                  # the opt-out list changed


async def handle_incoming(pool: asyncpg.Pool | asyncpg.Connection, incoming: IncomingSms, *, now: datetime,
                          optout_list: str = SMS_OPTOUT_LIST) -> InboundResult:
    action = keyword_of(incoming.body)
    actor = f"sms:{incoming.provider}"
    keyword = " ".join(incoming.body.split())[:40]
    async with transaction(pool) as tx:
        message, created = await store.record_incoming(
            tx, provider=incoming.provider, provider_message_id=incoming.provider_message_id, phone=incoming.phone,
            body=incoming.body, now=now)
        changed = False
        if created and action == "opt_out":
            await dnc_repo.add_entry(tx, list_name=optout_list, number=incoming.phone, actor=actor, now=now,
                                     reason=Reason("sms_keyword_opt_out", {"keyword": keyword}))
            changed = True
        elif created and action == "opt_in":
            changed = await dnc_repo.remove_entry(tx, list_name=optout_list, number=incoming.phone, actor=actor,
                                                  now=now, reason=Reason("sms_keyword_opt_in", {"keyword": keyword}))
    return InboundResult(message, created, action, changed)
