-- Why a campaign paused itself (dialer.campaign_health): {"code", "count", "detail", "at"}; NULL when it
-- did not, cleared when the campaign is started again.
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS health_pause jsonb;
