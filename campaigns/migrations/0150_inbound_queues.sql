-- Inbound queues (campaigns.queues): settings, the DIDs routed to each (a DID belongs to one queue), the
-- VIP numbers of each queue, and the agents who serve a queue with their skill level (1-10).
CREATE TABLE inbound_queues (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL UNIQUE,
    settings             jsonb NOT NULL DEFAULT '{}',   -- Queue.as_dict() less name, dids and the two ids below
    overflow_queue_id    bigint REFERENCES inbound_queues(id) ON DELETE RESTRICT,
    callback_campaign_id bigint REFERENCES campaigns(id) ON DELETE RESTRICT,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue_dids (
    did      text COLLATE "C" PRIMARY KEY,              -- E.164; the key makes a DID one queue's only
    queue_id bigint NOT NULL REFERENCES inbound_queues(id) ON DELETE CASCADE
);
CREATE INDEX queue_dids_queue ON queue_dids (queue_id);

CREATE TABLE queue_vip_numbers (
    queue_id   bigint NOT NULL REFERENCES inbound_queues(id) ON DELETE CASCADE,
    phone_e164 text COLLATE "C" NOT NULL,
    PRIMARY KEY (queue_id, phone_e164)
);

CREATE TABLE agent_queue_skills (
    queue_id bigint NOT NULL REFERENCES inbound_queues(id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level    smallint NOT NULL CHECK (level BETWEEN 1 AND 10),
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX agent_queue_skills_user ON agent_queue_skills (user_id);
