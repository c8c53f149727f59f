-- Whether the attempt's lead has been given its next step (retry, callback, done). The record is closed
-- first and the lead settled just after, in two steps: a crash between them leaves a closed record with
-- lead_settled false, and the restarted engine settles that lead from the record instead of handing it
-- back to the hopper as if it had never been dialled.
ALTER TABLE call_records ADD COLUMN lead_settled boolean NOT NULL DEFAULT false;
UPDATE call_records SET lead_settled = true WHERE outcome IS NOT NULL;
CREATE INDEX call_records_unsettled ON call_records (engine_id) WHERE outcome IS NOT NULL AND NOT lead_settled;
