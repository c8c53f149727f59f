-- Inbound callers past a queue's limits (issue 15). A caller overflowed to another queue has one record per
-- queue: the first closed 'overflowed' with overflowed_to = the next record, which has overflowed_from = the
-- first and counts waited_s from the caller's first arrival; the leg id moves to the new record (the overflowed one's
-- leg_id gets '~<its id>' appended: leg ids are unique). A caller given a callback request (outcome
-- 'called_back') links the callback. Inbound outcomes besides handled/abandoned: no_queue, closed,
-- overflowed, voicemail, called_back, message (dialer.inbound_policy.InboundOutcome).
ALTER TABLE call_records ADD COLUMN overflowed_to bigint REFERENCES call_records(id) ON DELETE SET NULL;
ALTER TABLE call_records ADD COLUMN overflowed_from bigint REFERENCES call_records(id) ON DELETE SET NULL;
ALTER TABLE call_records ADD COLUMN callback_id bigint REFERENCES callbacks(id) ON DELETE SET NULL;
