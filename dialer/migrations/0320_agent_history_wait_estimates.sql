-- Staffing history (issue 15).
--
-- agent_history: what each agent was doing, as segments: one row per stretch of time an agent was signed in
-- (state 'working': any state but paused) or paused ('paused', with its pause code), with the campaign it
-- worked and the inbound queues it served then. Written by the engine (dialer.agent_history) at each change:
-- sign-in opens a row, a pause or a resume closes one and opens the next, a sign-out closes the last. A row
-- left open by an engine that died is closed when the agent next signs in, at the last moment the records
-- show it working (its last call's end), never later. agent_sessions keeps only who is signed in now.
CREATE TABLE agent_history (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    engine_id    text NOT NULL,
    campaign_id  bigint,
    queue_ids    bigint[] NOT NULL DEFAULT '{}',
    state        text NOT NULL CHECK (state IN ('working', 'paused')),
    pause_reason text,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX agent_history_user_open ON agent_history (user_id) WHERE ended_at IS NULL;
CREATE INDEX agent_history_time ON agent_history (started_at, ended_at);
CREATE INDEX agent_history_queues ON agent_history USING gin (queue_ids);

-- The wait the engine estimated for an inbound caller as it joined its queue (dialer.wait_model), and for an
-- answered caller the estimate's error (actual wait since the estimate less the estimate, seconds): the
-- per-interval queue report's estimated-wait error. NULL: no estimate (nobody served the queue) or not answered.
ALTER TABLE call_records ADD COLUMN estimated_wait_s double precision;
ALTER TABLE call_records ADD COLUMN wait_error_s double precision;
