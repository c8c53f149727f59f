-- Why a DNC entry or audit row exists, when the product wrote it (not a person): a stable code and its
-- parameters as JSON (dialer.reasons, e.g. dnc_import_of {"name": "registry.csv"}), so pages say it in the
-- reader's language; reason keeps the English text (the CLI, exports, rows from before, typed reasons).
ALTER TABLE dnc_entries ADD COLUMN IF NOT EXISTS reason_code text NOT NULL DEFAULT '';
ALTER TABLE dnc_entries ADD COLUMN IF NOT EXISTS reason_params text NOT NULL DEFAULT '';
ALTER TABLE dnc_audit ADD COLUMN IF NOT EXISTS reason_code text NOT NULL DEFAULT '';
ALTER TABLE dnc_audit ADD COLUMN IF NOT EXISTS reason_params text NOT NULL DEFAULT '';
