-- A list's own region for numbers written without +country code (a French file in a Vietnamese
-- campaign); '' means the campaign's default region.
ALTER TABLE lists ADD COLUMN IF NOT EXISTS region text NOT NULL DEFAULT '';

-- Why the time zone the file gave a lead was not used ('' when it was, or there was none): the value was
-- not a zone, or meant no zone or several zones consistent with the lead's number (or postal code), whose
-- zones the lead has instead. Shown in the import report (kind timezone_flagged).
ALTER TABLE leads ADD COLUMN IF NOT EXISTS timezone_flag text NOT NULL DEFAULT '';
