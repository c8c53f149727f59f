"""Campaigns, call lists and leads, list import, calling windows, retry policy, callbacks and eligibility.

Pure core: ``model`` (campaign/lead values, the campaign state machine), ``windows`` and ``holidays``
(local-time windows and schedules, DST-safe, most restrictive zone wins), ``timezones`` (a lead's zones
from its column, postal code or number), ``numbers`` (E.164 with a validated fast path),
``retry_policy``, ``eligibility`` (the one may-we-dial-now function), ``readers`` and ``imports``
(streaming CSV/XLSX to lead rows and rejects). Shell: ``repository`` (all SQL, the hopper's
SKIP LOCKED claims) and ``jobs`` (the import job: process pool, dedupe, DNC scrub, COPY).
"""
