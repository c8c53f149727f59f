-- Live supervision (issue 18): the campaign tells its agents when a team lead listens to, whispers to or barges
-- into their call (the agent panel shows a notice while it lasts).
ALTER TABLE campaigns ADD COLUMN notify_monitored boolean NOT NULL DEFAULT false;
