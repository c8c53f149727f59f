-- What team leads do to other agents from the wallboard (pause, sign out): who, to whom, when, why.
CREATE TABLE supervisor_actions (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    integer NOT NULL REFERENCES users (id),
    agent_id    integer NOT NULL REFERENCES users (id),
    action      text NOT NULL CHECK (action IN ('pause', 'sign_out')),
    reason      text NOT NULL DEFAULT '',
    result      text NOT NULL DEFAULT ''
);
CREATE INDEX supervisor_actions_at ON supervisor_actions (at DESC);
