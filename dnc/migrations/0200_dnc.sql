-- Do-not-call lists, their entries, national registry files and the audit trail of every change.
-- Changes are announced with NOTIFY dnc_changed (sent by dnc.repository in the same transaction).
CREATE TABLE dnc_lists (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    kind        text NOT NULL CHECK (kind IN ('internal', 'national', 'campaign', 'sms_optout')),
    campaign_id bigint,                      -- set for (and only for) campaign lists
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'campaign') = (campaign_id IS NOT NULL))
);
CREATE INDEX dnc_lists_campaign ON dnc_lists (campaign_id) WHERE campaign_id IS NOT NULL;

CREATE TABLE dnc_entries (
    list_id    bigint NOT NULL REFERENCES dnc_lists(id) ON DELETE CASCADE,
    number     text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{5,14}$'),
    added_by   text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    added_at   timestamptz NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (list_id, number)
);
CREATE INDEX dnc_entries_number ON dnc_entries (number);

-- A national registry lives in a sorted int64 .npy file, not row by row; the newest file of a list wins.
CREATE TABLE dnc_registry_files (
    id          bigserial PRIMARY KEY,
    list_id     bigint NOT NULL REFERENCES dnc_lists(id) ON DELETE CASCADE,
    path        text NOT NULL,
    count       bigint NOT NULL CHECK (count >= 0),
    sha256      text NOT NULL,
    imported_at timestamptz NOT NULL,
    imported_by text NOT NULL
);
CREATE INDEX dnc_registry_files_list ON dnc_registry_files (list_id, id DESC);

CREATE TABLE dnc_audit (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL CHECK (action IN ('add', 'remove', 'import', 'scrub', 'create_list')),
    list_id bigint REFERENCES dnc_lists(id) ON DELETE SET NULL,
    number  text,
    reason  text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX dnc_audit_number ON dnc_audit (number, id DESC) WHERE number IS NOT NULL;
CREATE INDEX dnc_audit_at ON dnc_audit (id DESC);

-- The company-wide list and the SMS opt-out list exist from the start.
INSERT INTO dnc_lists (name, kind) VALUES ('internal', 'internal'), ('sms_optout', 'sms_optout');
