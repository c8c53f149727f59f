-- Inbound calls (issue 15): the queue and DID of each inbound call record, and how long the caller waited
-- (from the engine hearing of the caller to an agent's answer, or to the caller's hang-up). The outcome
-- column says answered (handled) or abandoned; direction is 'inbound' and campaign_id NULL.
ALTER TABLE call_records ADD COLUMN queue_id bigint REFERENCES inbound_queues(id) ON DELETE SET NULL;
ALTER TABLE call_records ADD COLUMN did text;
ALTER TABLE call_records ADD COLUMN waited_s double precision;
CREATE INDEX call_records_queue_time ON call_records (queue_id, originated_at) WHERE queue_id IS NOT NULL;
