-- A survey campaign without agents (survey_offers mode 'campaign') paces by channel capacity: at most this many of
-- its customers dialled or in the survey at once (dialer.runner, "agents" = these lines).
ALTER TABLE survey_offers ADD COLUMN lines integer NOT NULL DEFAULT 10 CHECK (lines BETWEEN 1 AND 1000);
