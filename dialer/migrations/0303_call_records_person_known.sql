-- Every live answer (handled or abandoned) is a call known to be a person and has ready_at. The engine
-- now writes each milestone (answered_at, ready_at, connected_at with agent_id) when it happens; records
-- closed by crash recovery before that had none, so the abandonment windows (which count by ready_at)
-- left them out. Give them the best time known, and index the windows' query.
UPDATE call_records SET ready_at = COALESCE(connected_at, answered_at, ended_at, originated_at)
 WHERE ready_at IS NULL AND outcome IN ('handled', 'abandoned');
CREATE INDEX call_records_campaign_ready ON call_records (campaign_id, ready_at) WHERE ready_at IS NOT NULL;
