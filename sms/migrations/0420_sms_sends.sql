-- Bulk and scheduled sends (issue 16, sms.bulk and sms.scheduler), and the in-flight claim of a message.
--
-- A send is one template to a set of leads: 'bulk' (now, to a campaign or a lead search), 'at' (once, at a
-- date and time), 'birthday' (each year on a date column of the lead, at a local time in the lead's zone) or
-- 'before_callback' (N hours before each open callback of the campaign). Its messages are rows of
-- sms_messages with send_id and an idempotency key made from the send and the recipient (and the year, for
-- birthdays), so making them twice makes them once.
CREATE TABLE sms_sends (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('bulk', 'at', 'birthday', 'before_callback')),
    state         text NOT NULL CHECK (state IN ('draft', 'active', 'done', 'cancelled')),
    name          text NOT NULL DEFAULT '',
    campaign_id   bigint NOT NULL,
    template_id   bigint,
    body          text NOT NULL,          -- the template's text when the send was made: an edit later changes nothing
    plain         boolean NOT NULL DEFAULT false,   -- sent without diacritics
    provider      text NOT NULL,
    lead_filter   jsonb NOT NULL DEFAULT '{}',      -- campaigns.lead_search.LeadQuery fields ({} : every lead)
    send_at       timestamptz,                       -- 'at'
    date_field    text,                              -- 'birthday': the lead column holding the date
    local_minute  int CHECK (local_minute BETWEEN 0 AND 1439),   -- 'birthday': minutes past local midnight
    hours_before  double precision CHECK (hours_before > 0),     -- 'before_callback'
    estimate      jsonb,                             -- sms.bulk.Estimate, the last one made
    created_by    bigint,
    created_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    cancelled_at  timestamptz,
    finished_at   timestamptz,
    prepared_at   timestamptz,                       -- bulk and 'at': every message was made (sms.bulk.materialise_all)
    last_tick_at  timestamptz,                       -- the scheduler's last look at it
    CHECK (kind <> 'at' OR send_at IS NOT NULL),
    CHECK (kind <> 'birthday' OR (date_field IS NOT NULL AND local_minute IS NOT NULL)),
    CHECK (kind <> 'before_callback' OR hours_before IS NOT NULL)
);
CREATE INDEX sms_sends_active ON sms_sends (state, kind) WHERE state = 'active';
CREATE INDEX sms_sends_campaign ON sms_sends (campaign_id, id DESC);

-- A message claimed by a sender (sms.outbox.claim) carries the claim's token and time until the provider's
-- answer is recorded. A claim older than the lease belongs to a sender that died: sms.outbox.recover_stale
-- re-opens it for a provider that de-duplicates on the key, and ends it as failed (outcome unknown) otherwise.
ALTER TABLE sms_messages ADD COLUMN claim_token text, ADD COLUMN claimed_at timestamptz;
CREATE INDEX sms_messages_due ON sms_messages (scheduled_for, id) WHERE status = 'pending' AND claim_token IS NULL;
CREATE INDEX sms_messages_claimed ON sms_messages (claimed_at) WHERE claim_token IS NOT NULL;
