-- Server-side sign-in sessions: the cookie carries only a signed random session id; this table says
-- whether that session still stands. Logout, a password change or reset, a role change, deactivation and
-- "sign out everywhere" set revoked_at; a session unused for the idle setting or older than the absolute
-- maximum is refused (both are checked against the application's clock, so tests can move time).
CREATE TABLE sessions (
    id_hash        text PRIMARY KEY,            -- sha256 of the session id; the id itself is never stored
    user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token     text NOT NULL,               -- echoed by every state-changing request of this session
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,        -- slides forward as the session is used
    revoked_at     timestamptz,
    revoked_reason text NOT NULL DEFAULT '',
    remote_addr    text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_open_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
-- the login limiter reads failures per (username, address) and per address
CREATE INDEX login_attempts_pair ON login_attempts (username, remote_addr, at);
