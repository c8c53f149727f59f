-- Why a list's import failed as a stable code and its parameters (dialer.reasons), so the campaign page
-- says it in the reader's language (admin_ui.i18n "reason_<code>"); lists.error keeps the English text,
-- shown as it is when there is no code ('').
ALTER TABLE lists ADD COLUMN IF NOT EXISTS error_code text NOT NULL DEFAULT '';
ALTER TABLE lists ADD COLUMN IF NOT EXISTS error_params text NOT NULL DEFAULT '';   -- JSON object ('' = none)
