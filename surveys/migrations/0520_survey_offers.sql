-- Which survey a campaign or an inbound queue plays on Asterisk (dialer.survey_desk):
--   mode 'after_call': offered to a share of the customers its agents talk to, chosen by the system when the call
--     connects (never by the agent); when the agent ends the call the customer is moved into the survey;
--   mode 'campaign' (campaigns only): a survey campaign without agents; every customer reached hears the survey.
-- once_per_days: nobody is offered this survey again within that many days (by number).
CREATE TABLE survey_offers (
    id             bigserial PRIMARY KEY,
    survey_id      bigint NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    campaign_id    bigint REFERENCES campaigns(id) ON DELETE CASCADE,
    queue_id       bigint REFERENCES inbound_queues(id) ON DELETE CASCADE,
    mode           text NOT NULL CHECK (mode IN ('after_call', 'campaign')),
    share          double precision NOT NULL DEFAULT 1.0 CHECK (share > 0 AND share <= 1),
    once_per_days  integer NOT NULL DEFAULT 30 CHECK (once_per_days >= 0),
    CHECK ((campaign_id IS NULL) <> (queue_id IS NULL)),
    CHECK (mode = 'after_call' OR campaign_id IS NOT NULL)
);
CREATE UNIQUE INDEX survey_offers_campaign_key ON survey_offers (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE UNIQUE INDEX survey_offers_queue_key ON survey_offers (queue_id) WHERE queue_id IS NOT NULL;

-- the number a response was offered to (nobody surveyed twice within once_per_days), and its leg on the PBX
ALTER TABLE survey_responses ADD COLUMN phone text;
ALTER TABLE survey_responses ADD COLUMN leg_id text;
CREATE INDEX survey_responses_phone_idx ON survey_responses (survey_id, phone, offered_at);
