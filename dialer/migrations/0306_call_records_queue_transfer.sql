-- Cold transfer to an inbound queue (issue 13/15): the call an agent sent to a queue notes that queue, and the
-- caller's life in the queue is its own inbound record, linked to the call it came from. One record each: the
-- engine opens the queue's record itself (the dialplan's DialerInboundArrived for a leg it knows opens none).
ALTER TABLE call_records ADD COLUMN transferred_to_queue_id bigint REFERENCES inbound_queues(id) ON DELETE SET NULL;
ALTER TABLE call_records ADD COLUMN transferred_from_call_id bigint REFERENCES call_records(id) ON DELETE SET NULL;
