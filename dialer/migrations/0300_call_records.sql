-- One row per attempt (outbound, manual or inbound), written before the originate is sent and
-- completed when the call reaches its one final outcome. Rows with outcome NULL are in flight:
-- after a crash they are reconciled with the PBX's live channels, never re-dialled.
CREATE TABLE call_records (
    id            bigserial PRIMARY KEY,
    campaign_id   bigint,
    lead_id       bigint,
    agent_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    engine_id     text NOT NULL,
    leg_id        text NOT NULL UNIQUE,
    direction     text NOT NULL CHECK (direction IN ('outbound', 'manual', 'preview', 'inbound')),
    phone_e164    text NOT NULL,
    dial_string   text NOT NULL DEFAULT '',
    caller_id     text NOT NULL DEFAULT '',
    pbx_server    text NOT NULL DEFAULT '',
    outcome       text,              -- NULL while in flight; else dialer.calls.CallOutcome values
    fail_reason   text,
    hangup_cause  integer,
    amd_status    text NOT NULL DEFAULT '',
    amd_cause     text NOT NULL DEFAULT '',
    disposition   text,
    notes         text NOT NULL DEFAULT '',
    detail        text NOT NULL DEFAULT '',
    recording_file text,
    originated_at timestamptz NOT NULL,
    answered_at   timestamptz,
    ready_at      timestamptz,       -- known to be a person: the 2-second rule counts from here
    connected_at  timestamptz,
    ended_at      timestamptz,
    wrap_end_at   timestamptz
);
CREATE INDEX call_records_in_flight ON call_records (engine_id) WHERE outcome IS NULL;
CREATE INDEX call_records_campaign_time ON call_records (campaign_id, originated_at);
CREATE INDEX call_records_lead ON call_records (lead_id, originated_at);
CREATE INDEX call_records_agent ON call_records (agent_id, originated_at);

-- Which campaign each signed-in agent works, so a restarted engine knows who was working.
CREATE TABLE agent_sessions (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    campaign_id  bigint NOT NULL,
    engine_id    text NOT NULL,
    leg_id       text,
    logged_in_at timestamptz NOT NULL DEFAULT now()
);
