-- Campaigns, call lists, leads (with the hopper's indexes), callbacks and import rejects.
CREATE TABLE campaigns (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL UNIQUE,
    state               text NOT NULL DEFAULT 'draft'
                        CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'finished')),
    dial_mode           text NOT NULL DEFAULT 'progressive'
                        CHECK (dial_mode IN ('predictive', 'progressive', 'power', 'preview', 'manual')),
    pacing              jsonb NOT NULL DEFAULT '{}',       -- {"ratio": 1.0, "target_abandon": 0.03}
    caller_id           text NOT NULL DEFAULT '',
    trunk_template      text NOT NULL,                     -- e.g. PJSIP/{number}@carrier
    default_region      text NOT NULL DEFAULT 'US',
    timezone            text NOT NULL DEFAULT 'UTC',       -- the campaign's own zone (schedule, fallback)
    schedule            jsonb NOT NULL DEFAULT '{}',
    window_profile      text NOT NULL DEFAULT 'us',
    custom_window       jsonb,
    retry_policy        jsonb NOT NULL DEFAULT '{}',
    dispositions        jsonb NOT NULL DEFAULT '[]',
    record_calls        boolean NOT NULL DEFAULT false,
    amd_enabled         boolean NOT NULL DEFAULT false,
    machine_action      text NOT NULL DEFAULT 'hangup' CHECK (machine_action IN ('hangup', 'message')),
    safe_harbor_message text NOT NULL DEFAULT '',
    crm_url_template    text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaign_agents (
    campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, user_id)
);

CREATE TABLE lists (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    name            text NOT NULL,
    source_filename text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'importing' CHECK (status IN ('importing', 'ready', 'failed')),
    job_id          text,
    counts          jsonb NOT NULL DEFAULT '{}',   -- rows, imported, invalid, duplicate_file, ...
    error           text NOT NULL DEFAULT '',
    created_by      bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX lists_campaign ON lists (campaign_id);

-- No foreign keys on leads: their per-row triggers tripled the cost of bulk imports (measured: 9 us/row
-- each on 2 cores). campaigns.repository is the only writer and keeps campaign_id and list_id valid.
CREATE TABLE leads (
    id                bigserial PRIMARY KEY,
    campaign_id       bigint NOT NULL,
    list_id           bigint,
    phone_e164        text COLLATE "C" NOT NULL,      -- byte order: faster unique checks on import
    alt_phones        text[] NOT NULL DEFAULT '{}',
    first_name        text NOT NULL DEFAULT '',
    last_name         text NOT NULL DEFAULT '',
    timezones         text[] NOT NULL DEFAULT '{}',  -- every zone the lead may be in; most restrictive wins
    postal_code       text NOT NULL DEFAULT '',
    fields            jsonb NOT NULL DEFAULT '{}',   -- other columns of the file, for the CRM pop
    status            text NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'claimed', 'retry', 'callback', 'done', 'dnc', 'invalid')),
    prev_status       text,                          -- status before the claim (restored on release)
    attempts          integer NOT NULL DEFAULT 0,
    attempt_times     timestamptz[] NOT NULL DEFAULT '{}',  -- recent attempts (attempt caps per period)
    last_outcome      text,
    last_attempt_at   timestamptz,
    next_attempt_at   timestamptz,
    last_abandoned_at timestamptz,
    priority          integer NOT NULL DEFAULT 0,
    callback_agent_id bigint,                      -- users.id of a personal callback's agent
    claimed_by        text,
    claimed_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, phone_e164)
);
-- The hopper: per campaign and status, by priority then age; only leads that may still be dialled.
CREATE INDEX leads_hopper ON leads (campaign_id, status, priority DESC, id)
    WHERE status IN ('new', 'retry', 'callback');
CREATE INDEX leads_claimed ON leads (claimed_at) WHERE status = 'claimed';

CREATE TABLE callbacks (
    id          bigserial PRIMARY KEY,
    lead_id     bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    due_at      timestamptz NOT NULL,
    agent_id    bigint REFERENCES users(id) ON DELETE SET NULL,   -- NULL: any agent of the campaign
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz
);
CREATE INDEX callbacks_due ON callbacks (campaign_id, due_at) WHERE done_at IS NULL;
CREATE INDEX callbacks_lead ON callbacks (lead_id);

CREATE TABLE import_rejects (
    list_id bigint NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    line_no integer NOT NULL,
    kind    text NOT NULL,     -- invalid, unreadable, malformed, duplicate_file, duplicate_campaign, dnc
    reason  text NOT NULL,
    raw     text NOT NULL DEFAULT ''
);
CREATE INDEX import_rejects_list ON import_rejects (list_id, line_no);
