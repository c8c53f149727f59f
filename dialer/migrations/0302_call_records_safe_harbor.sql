-- How the safe-harbor message of an abandoned call played: Asterisk's PLAYBACKSTATUS on the customer leg
-- after the DialerSafeHarbor UserEvent. A missing sound fails in milliseconds and the call ends exactly as
-- if it had played (same hang-up cause): only this column tells. NULL: no safe-harbor message on the call,
-- or its status never reached the engine (the AMI link was down meanwhile).
ALTER TABLE call_records ADD COLUMN safe_harbor_playback text
    CHECK (safe_harbor_playback IN ('SUCCESS', 'FAILED'));
