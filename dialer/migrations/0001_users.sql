-- Users, roles, sessions' revocation and the login rate limiter.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    display_name  text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'team_lead', 'agent', 'compliance')),
    password_hash text NOT NULL,
    language      text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'vi')),
    active        boolean NOT NULL DEFAULT true,
    phone_dial_string text NOT NULL DEFAULT '',   -- the agent's phone, e.g. PJSIP/agent7
    session_epoch integer NOT NULL DEFAULT 0,     -- bump to invalidate every session of the user
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,             -- sha256 of the token; the token itself is shown once
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);

CREATE TABLE login_attempts (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL,
    remote_addr text NOT NULL,
    ok          boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_recent ON login_attempts (username, at);
CREATE INDEX login_attempts_addr ON login_attempts (remote_addr, at);
