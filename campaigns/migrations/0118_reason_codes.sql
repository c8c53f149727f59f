-- Why an import refused a row or flagged a lead's time zone, as a stable code and its parameters
-- (dialer.reasons), so pages and the rejects report downloaded from the web say it in the reader's
-- language (admin_ui.i18n "reason_<code>"). The English text stays in reason / timezone_flag (the CLI
-- prints it); rows stored before this have no code ('') and show that text.
ALTER TABLE import_rejects ADD COLUMN IF NOT EXISTS reason_code text NOT NULL DEFAULT '';
ALTER TABLE import_rejects ADD COLUMN IF NOT EXISTS reason_params text NOT NULL DEFAULT '';     -- JSON object ('' = none)
ALTER TABLE leads ADD COLUMN IF NOT EXISTS timezone_flag_code text NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN IF NOT EXISTS timezone_flag_params text NOT NULL DEFAULT '';
