-- Surveys (surveys.model): a survey, its versions (the definition as JSON; a version that has answers is
-- never changed, an edit makes a new one), one response per survey offered or taken, and each answer
-- saved the moment it is given (a customer who hangs up halfway leaves the answers given so far).
CREATE TABLE surveys (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived    boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX surveys_name_key ON surveys (lower(name)) WHERE NOT archived;

CREATE TABLE survey_versions (
    id          bigserial PRIMARY KEY,
    survey_id   bigint NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    definition  jsonb NOT NULL,
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (survey_id, version)
);

CREATE TABLE survey_responses (
    id              bigserial PRIMARY KEY,
    survey_id       bigint NOT NULL REFERENCES surveys(id),
    version_id      bigint NOT NULL REFERENCES survey_versions(id),
    call_record_id  bigint REFERENCES call_records(id) ON DELETE SET NULL,
    lead_id         bigint,
    campaign_id     bigint,
    queue_id        bigint,
    agent_id        bigint REFERENCES users(id) ON DELETE SET NULL,
    mode            text NOT NULL CHECK (mode IN ('after_call', 'campaign', 'scripted')),
    offered_at      timestamptz NOT NULL,
    started_at      timestamptz,            -- NULL: offered, never begun (the customer had gone)
    ended_at        timestamptz,
    completed       boolean NOT NULL DEFAULT false,
    ended_reason    text
);
CREATE INDEX survey_responses_survey_idx ON survey_responses (survey_id, offered_at);
CREATE INDEX survey_responses_call_idx ON survey_responses (call_record_id);
CREATE INDEX survey_responses_agent_idx ON survey_responses (agent_id, offered_at);

CREATE TABLE survey_answers (
    id              bigserial PRIMARY KEY,
    response_id     bigint NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    question_id     text NOT NULL,
    value           text,                   -- NULL: skipped (skipped says why)
    skipped         text CHECK (skipped IN ('no_input', 'invalid_input')),
    raw_digits      text NOT NULL DEFAULT '',
    recording_path  text,
    answered_at     timestamptz NOT NULL,
    UNIQUE (response_id, question_id)
);

-- Uploaded prompts: the converted sound under the sounds folder (surveys.prompts), by content hash.
CREATE TABLE survey_prompts (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16,64}$'),
    survey_id     bigint REFERENCES surveys(id) ON DELETE SET NULL,
    filename      text NOT NULL,
    duration_s    double precision NOT NULL,
    uploaded_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

-- A campaign's agent-scripted survey (mode 'scripted'): the panel shows its questions during the call.
-- Kept here rather than on campaigns so the survey setting stays in this package.
CREATE TABLE campaign_scripted_surveys (
    campaign_id  bigint PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    survey_id    bigint NOT NULL REFERENCES surveys(id) ON DELETE CASCADE
);
