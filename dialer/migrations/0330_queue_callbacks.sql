-- "Press 1 to be called back and keep your place" (issue 15). One row per inbound caller who pressed 1 (its record,
-- closed 'called_back', is the key: a caller is never called back twice). The row keeps the caller's place while
-- it waits (state 'waiting': its queue, priority and first arrival, so a restarted engine routes it again), is
-- claimed 'dialing' before the callback's call record is opened (the record-first rule: a crash after the claim
-- never dials again), 'placed' with that record once originated, or 'refused' with why (DNC, calling window, ...).
-- The callback's record (direction 'outbound') names the inbound record in callback_of (unique).
CREATE TABLE queue_callbacks (
    inbound_call_id bigint PRIMARY KEY REFERENCES call_records(id) ON DELETE CASCADE,
    queue_id        bigint NOT NULL,
    phone_e164      text NOT NULL,
    priority        integer NOT NULL DEFAULT 0,
    first_arrival   timestamptz NOT NULL,
    requested_at    timestamptz NOT NULL,
    waited_s        double precision NOT NULL DEFAULT 0,
    engine_id       text NOT NULL,
    state           text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'dialing', 'placed', 'refused')),
    agent_id        bigint REFERENCES users(id) ON DELETE SET NULL,
    call_id         bigint UNIQUE REFERENCES call_records(id) ON DELETE SET NULL,
    reason          text NOT NULL DEFAULT '',
    updated_at      timestamptz
);
CREATE INDEX queue_callbacks_waiting ON queue_callbacks (engine_id) WHERE state = 'waiting';
ALTER TABLE call_records ADD COLUMN callback_of bigint REFERENCES call_records(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX call_records_callback_of ON call_records (callback_of) WHERE callback_of IS NOT NULL;
