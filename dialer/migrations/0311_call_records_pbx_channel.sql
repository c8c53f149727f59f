-- The PBX channel of an inbound caller (issue 15), e.g. PJSIP/trunk-00000012: a restarted engine finds a caller
-- still holding in dialer-inbound by it in CoreShowChannels (its leg id is the dead engine's own), adopts it and
-- rebuilds its place in the queue from ready_at (its first arrival).
ALTER TABLE call_records ADD COLUMN pbx_channel text;
