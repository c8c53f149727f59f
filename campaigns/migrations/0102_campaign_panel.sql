-- What a team lead sets for the agent panel of a campaign (campaigns.panel_settings): the shortcut keys it
-- changed ({"ready": "F2", "disposition:sale": "S"}; the rest keep their defaults), its pause codes
-- ([{"code", "label"}]; empty: the built-in ones) and its agent script (a Jinja2 template; '' for none).
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS shortcuts jsonb NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS pause_codes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS agent_script text NOT NULL DEFAULT '';
