-- Every text message, out and in, and every delivery report a provider sent us (issue 16).
-- An outgoing message's row is written with its idempotency key BEFORE the first attempt; a job that finds
-- it queued/sent or holding a provider id never sends it again. Incoming messages have direction 'in' and
-- status 'received' (their key is 'in:<provider>:<provider message id>', so a webhook retried is stored once).
CREATE TABLE sms_messages (
    id                  bigserial PRIMARY KEY,
    idempotency_key     text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    direction           text NOT NULL CHECK (direction IN ('out', 'in')),
    lead_id             bigint,
    campaign_id         bigint,
    send_id             bigint,
    template_id         bigint,
    agent_id            bigint,
    phone               text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{5,14}$'),
    body                text NOT NULL,
    encoding            text CHECK (encoding IN ('GSM-7', 'UCS-2')),
    parts               int CHECK (parts >= 0),
    provider            text,
    provider_message_id text,
    status              text NOT NULL CHECK (status IN ('pending', 'queued', 'sent', 'delivered', 'failed',
                                                        'undelivered', 'refused', 'cancelled', 'received')),
    reason              text,              -- English text (CLI, exports)
    reason_code         text NOT NULL DEFAULT '',   -- dialer.reasons code and its JSON parameters, so pages
    reason_params       text NOT NULL DEFAULT '',   -- say the reason in the reader's language ('' : typed text)
    attempts            int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    scheduled_for       timestamptz,
    created_at          timestamptz NOT NULL,
    sent_at             timestamptz,
    final_at            timestamptz,
    updated_at          timestamptz NOT NULL,
    CHECK ((direction = 'in') = (status = 'received'))
);
CREATE UNIQUE INDEX sms_messages_provider_id ON sms_messages (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX sms_messages_phone ON sms_messages (phone, id DESC);
CREATE INDEX sms_messages_lead ON sms_messages (lead_id, id DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX sms_messages_campaign ON sms_messages (campaign_id, created_at) WHERE campaign_id IS NOT NULL;
CREATE INDEX sms_messages_send ON sms_messages (send_id, status) WHERE send_id IS NOT NULL;
CREATE INDEX sms_messages_status ON sms_messages (status, id);

-- Every delivery report received, applied or not: outcome says what it did. report_key identifies one report
-- (the same report sent twice has the same key, so the second is a 'duplicate' and changes nothing).
CREATE TABLE sms_delivery_reports (
    id                  bigserial PRIMARY KEY,
    provider            text NOT NULL,
    provider_message_id text,
    status              text NOT NULL,
    report_key          text NOT NULL,
    message_id          bigint REFERENCES sms_messages(id) ON DELETE SET NULL,
    received_at         timestamptz NOT NULL,
    outcome             text NOT NULL CHECK (outcome IN ('applied', 'duplicate', 'unknown_message',
                                                         'bad_signature', 'stale')),
    detail              text NOT NULL DEFAULT ''
);
CREATE INDEX sms_delivery_reports_key ON sms_delivery_reports (provider, report_key);
CREATE INDEX sms_delivery_reports_message ON sms_delivery_reports (message_id, id) WHERE message_id IS NOT NULL;
CREATE INDEX sms_delivery_reports_at ON sms_delivery_reports (id DESC);
