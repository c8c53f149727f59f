-- The team lead's lead and list management (campaigns.list_admin, campaigns.lead_search).
--
-- A list may be disabled: the hopper claims none of its leads until it is enabled again.
-- recycle_no_answer_s: a no-answer lead of the list may be dialled again that long after its attempt
-- (instead of the campaign's no-answer retry delay; the attempt cap is the campaign's); NULL: the campaign's.
ALTER TABLE lists ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true;
ALTER TABLE lists ADD COLUMN IF NOT EXISTS recycle_no_answer_s integer
    CHECK (recycle_no_answer_s IS NULL OR recycle_no_answer_s BETWEEN 60 AND 90 * 86400);

-- Names searched accent- and case-insensitively: "Nguyễn" and "NGUYEN" find "nguyen". The key holds
-- "first last first", so "Nguyễn Văn" finds a lead whatever order its file gave the two names in. It must
-- stay identical to campaigns.lead_search.fold (lower, NFD, combining marks U+0300-U+036F dropped, đ -> d).
CREATE OR REPLACE FUNCTION lead_name_key(first_name text, last_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN translate(regexp_replace(normalize(lower(first_name || ' ' || last_name || ' ' || first_name), NFD),
                                    '[\u0300-\u036f]', '', 'g'), 'đ', 'd');

-- Its words (maximal runs of letters and digits), for an index that finds word prefixes among a million
-- leads; the exact match (literal %, _ and punctuation) is then checked on the key itself.
CREATE OR REPLACE FUNCTION lead_name_words(first_name text, last_name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN to_tsvector('simple'::regconfig, regexp_replace(lead_name_key(first_name, last_name),
                                                           '[^[:alnum:]]+', ' ', 'g'));

CREATE INDEX IF NOT EXISTS leads_name_words ON leads USING gin (lead_name_words(first_name, last_name));
-- Leads of one list (list operations, the list filter) and the hopper's check of disabled lists.
CREATE INDEX IF NOT EXISTS leads_list ON leads (list_id, status);

-- Every lead edit and list operation: who, when, what (changes as {"field": [old, new]}, or the
-- operation's filter and counts). No foreign keys: the trail outlives a deleted list or lead.
CREATE TABLE IF NOT EXISTS lead_admin_audit (
    id          bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL,
    list_id     bigint,
    lead_id     bigint,
    action      text NOT NULL,       -- lead_edit, list_disable, list_enable, list_reset, list_recycle, list_delete
    actor_id    bigint,
    actor       text NOT NULL,       -- the user's name when it acted
    at          timestamptz NOT NULL,
    affected    integer NOT NULL DEFAULT 0,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS lead_admin_audit_campaign ON lead_admin_audit (campaign_id, at DESC);
CREATE INDEX IF NOT EXISTS lead_admin_audit_lead ON lead_admin_audit (lead_id, at DESC) WHERE lead_id IS NOT NULL;
