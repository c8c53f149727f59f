-- Live supervision (issue 18): a team lead's listen, whisper and barge on an agent's call, and the messages it
-- sends to the agent's panel, kept in the same trail as pauses and sign-outs, with the call they were about.
ALTER TABLE supervisor_actions DROP CONSTRAINT supervisor_actions_action_check;
ALTER TABLE supervisor_actions ADD CONSTRAINT supervisor_actions_action_check
    CHECK (action IN ('pause', 'sign_out', 'listen', 'whisper', 'barge', 'message'));
ALTER TABLE supervisor_actions ADD COLUMN call_id bigint;      -- the agent's call (none for a pause or a message)
ALTER TABLE supervisor_actions ADD COLUMN detail text NOT NULL DEFAULT '';   -- a message's text
