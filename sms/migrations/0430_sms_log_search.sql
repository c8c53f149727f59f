-- The message log's search by the last digits of a number (admin_ui.sms_log: "0912 345 678" or "5678"):
-- the number reversed, so a suffix is a prefix and the search reads an index range instead of every row.
CREATE INDEX sms_messages_phone_reversed ON sms_messages (reverse(phone) text_pattern_ops, id DESC);
