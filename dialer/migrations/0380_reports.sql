-- Reports (issue 18).
--
-- dnc_refusals: numbers the hopper refused at dial time because they were on a DNC list, counted per campaign
-- and UTC day (dialer.lead_store.PgLeadStore.defer, in the same transaction that marks the lead DNC): the
-- compliance page's "DNC hits refused at dial time".
CREATE TABLE dnc_refusals (
    campaign_id bigint NOT NULL,
    day         date NOT NULL,
    hits        integer NOT NULL DEFAULT 0 CHECK (hits >= 0),
    PRIMARY KEY (campaign_id, day)
);

-- Disposition codes that count as a conversion (a sale) in every report; 'sale' to begin with. Admins set them.
CREATE TABLE report_conversions (
    code text PRIMARY KEY CHECK (code <> '')
);
INSERT INTO report_conversions (code) VALUES ('sale');

-- Per-minute rates by number prefix, per trunk ('*': any trunk). A call's cost: the rate of the longest prefix
-- of its E.164 number (the call's own trunk before '*'), on its answered seconds billed by first_s then step_s
-- (60/60: whole minutes; 1/1: per second; 30/6 ...).
CREATE TABLE call_rates (
    id           bigserial PRIMARY KEY,
    trunk        text NOT NULL CHECK (trunk <> ''),
    prefix       text NOT NULL CHECK (prefix ~ '^\+[0-9]*$'),
    rate_per_min numeric(14, 6) NOT NULL CHECK (rate_per_min >= 0),
    first_s      integer NOT NULL DEFAULT 60 CHECK (first_s >= 1),
    step_s       integer NOT NULL DEFAULT 60 CHECK (step_s >= 1),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    UNIQUE (trunk, prefix)
);

-- Scheduled reports: a team lead's report (kind and filters) made daily or weekly at a time in a zone, written
-- as a file (report_files) and mailed when an SMTP server is set. next_run_at is claimed compare-and-set, so
-- several processes running the scheduler make each file once.
CREATE TABLE report_schedules (
    id          bigserial PRIMARY KEY,
    owner_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL,
    campaign_id bigint,
    queue_id    bigint,
    days        integer NOT NULL DEFAULT 1 CHECK (days BETWEEN 1 AND 366),
    format      text NOT NULL DEFAULT 'xlsx' CHECK (format IN ('csv', 'xlsx')),
    frequency   text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    weekday     integer CHECK (weekday BETWEEN 0 AND 6),      -- Monday 0; weekly only
    at_time     time NOT NULL,
    zone        text NOT NULL,
    email       text NOT NULL DEFAULT '',
    next_run_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((frequency = 'weekly') = (weekday IS NOT NULL))
);
CREATE INDEX report_schedules_due ON report_schedules (next_run_at);

CREATE TABLE report_files (
    id          bigserial PRIMARY KEY,
    schedule_id bigint REFERENCES report_schedules(id) ON DELETE SET NULL,
    owner_id    bigint REFERENCES users(id) ON DELETE CASCADE,
    name        text NOT NULL,
    path        text NOT NULL,
    rows        integer NOT NULL,
    made_at     timestamptz NOT NULL,
    emailed_to  text NOT NULL DEFAULT '',
    email_error text NOT NULL DEFAULT ''
);
CREATE INDEX report_files_owner ON report_files (owner_id, made_at DESC);
