-- Time sheets (issue 18, dialer.timesheets).
--
-- agent_history.activity: the agent's state within the segment (connecting, ready, reserved, on_call, wrap_up,
-- paused), so the engine writes one row per state change (closed by the next) and a time sheet can say how
-- much of the signed-in time was ready, talking, in wrap-up or paused by each reason. NULL on rows written
-- before this column: counted as "working, not detailed" on a time sheet.
ALTER TABLE agent_history ADD COLUMN activity text
    CHECK (activity IN ('connecting', 'ready', 'reserved', 'on_call', 'wrap_up', 'paused'));
CREATE INDEX agent_history_user_time ON agent_history (user_id, started_at);

-- A team lead's correction of one figure of an agent's day (a forgotten sign-out, say): kept beside the
-- original, never overwriting agent_history; rows are only added (the latest per agent, day and figure counts;
-- the earlier ones are the audit trail), each with who, when and why.
CREATE TABLE timesheet_corrections (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,    -- the agent
    day          date NOT NULL,                                             -- in the sheet's time zone
    zone         text NOT NULL,                                             -- that time zone
    figure       text NOT NULL CHECK (figure IN ('first_login', 'last_logout', 'logged_in', 'ready', 'talk',
                                                 'wrap_up', 'paused', 'calls')),
    original     bigint,            -- seconds (a duration; first_login / last_logout: since the local midnight)
    corrected    bigint NOT NULL,   -- the same unit; calls: a count
    note         text NOT NULL CHECK (length(btrim(note)) > 0),
    corrected_by bigint NOT NULL REFERENCES users(id),
    corrected_at timestamptz NOT NULL
);
CREATE INDEX timesheet_corrections_day ON timesheet_corrections (user_id, day, figure, corrected_at DESC);
