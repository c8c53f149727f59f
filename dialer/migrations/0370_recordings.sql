-- Call recordings (issue 18). A policy per campaign, per inbound queue and one global row (target 'global',
-- target_id 0): record all calls, a share of them (percent, drawn per call by the engine), or none, and how many
-- days a recording is kept (NULL: the campaign's or queue's falls back to the global row, then to
-- DIALER_RECORDING_RETENTION_DAYS; none anywhere: kept).
CREATE TABLE recording_policies (
    target          text NOT NULL CHECK (target IN ('global', 'campaign', 'queue')),
    target_id       bigint NOT NULL DEFAULT 0,
    mode            text NOT NULL DEFAULT 'none' CHECK (mode IN ('all', 'share', 'none')),
    share_percent   smallint NOT NULL DEFAULT 0 CHECK (share_percent BETWEEN 0 AND 100),
    retention_days  integer CHECK (retention_days IS NULL OR retention_days > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, target_id)
);
-- campaigns.record_calls (a bool) becomes the policy 'all'; the column stays for old API clients (true with no
-- policy row still means all).
INSERT INTO recording_policies (target, target_id, mode)
    SELECT 'campaign', id, 'all' FROM campaigns WHERE record_calls;

-- One row per recording, tied to its call record. file_path is relative to the recordings folder (as Asterisk
-- and the web server each see it: DIALER_RECORDINGS_PBX_DIR, DIALER_RECORDINGS_DIR). pauses: every pause and
-- resume of the card-payment button, [{"action": "pause"|"resume", "at": iso time, "offset_s": seconds into
-- the recording, "by": user id}], so a listener knows where the gap is.
CREATE TABLE recordings (
    id              bigserial PRIMARY KEY,
    call_record_id  bigint NOT NULL UNIQUE REFERENCES call_records(id) ON DELETE CASCADE,
    file_path       text NOT NULL,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    duration_s      double precision,
    size_bytes      bigint,
    pauses          jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_created ON recordings (created_at);

-- Every play and download of a recording: who, when, which, what (kept after the recording is deleted).
CREATE TABLE recording_access (
    id              bigserial PRIMARY KEY,
    recording_id    bigint NOT NULL,
    call_record_id  bigint NOT NULL,
    user_id         bigint REFERENCES users(id) ON DELETE SET NULL,
    username        text NOT NULL,
    action          text NOT NULL CHECK (action IN ('play', 'download')),
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recording_access_recording ON recording_access (recording_id, at);

-- What the retention job deleted: one row per recording (file and row), with the run that did it.
CREATE TABLE recording_deletions (
    id              bigserial PRIMARY KEY,
    run_at          timestamptz NOT NULL,
    recording_id    bigint NOT NULL,
    call_record_id  bigint NOT NULL,
    file_path       text NOT NULL,
    file_deleted    boolean NOT NULL,     -- false: the file was already gone (the row is deleted all the same)
    size_bytes      bigint,
    recorded_at     timestamptz NOT NULL,
    retention_days  integer NOT NULL
);
CREATE INDEX recording_deletions_run ON recording_deletions (run_at DESC);
