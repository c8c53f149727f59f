-- The holds of a call, its timeline: the agent put the customer on hold (music, out of the conference) to talk
-- to another agent first (warm transfer), and the customer came back (to the same agent, or to the receiving
-- one), hung up on hold, or was brought back by crash recovery. A row with ended_at NULL is a customer on hold
-- now; a restarted engine finds it there.
CREATE TABLE call_holds (
    id               bigserial PRIMARY KEY,
    call_id          bigint NOT NULL REFERENCES call_records(id) ON DELETE CASCADE,
    agent_id         bigint REFERENCES users(id) ON DELETE SET NULL,   -- the agent who put the customer on hold
    consult_agent_id bigint REFERENCES users(id) ON DELETE SET NULL,   -- the agent it talked to meanwhile
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text CHECK (end_reason IN ('back', 'transferred', 'three_way', 'hung_up', 'recovered',
                                                'dialplan'))
);
CREATE INDEX call_holds_call ON call_holds (call_id);
CREATE INDEX call_holds_open ON call_holds (call_id) WHERE ended_at IS NULL;
