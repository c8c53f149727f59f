-- The row of its file a list's column names were read from (1 = the first row), 0 when the file was read
-- without a header row, NULL when it was not recorded (lists imported before this column). Shown by the
-- lists API next to the list's region.
ALTER TABLE lists ADD COLUMN IF NOT EXISTS header_row integer;
