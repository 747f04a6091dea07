-- Events are stored once per (client_time, message_id) instead of per message_id: client_time is
-- the time the client stamped on the message as it sent it (`timestamp`, else
-- `originalTimestamp`; 0 when it had none), which a retry repeats. SDK message ids are random
-- UUIDs, so a unique index on the id alone took each new event at a random leaf; keyed by time
-- first, new events land near the index's end. For the rows already stored the client's time is
-- reconstructed from what was kept: the skew correction of the tracking API
-- (occurred = timestamp + received - sent) undone, and 0 where the event took its receive time
-- because the message carried no time.
ALTER TABLE events ADD COLUMN client_time BIGINT NOT NULL DEFAULT 0;
UPDATE events SET client_time = CASE WHEN occurred_at = received_at THEN 0
    WHEN sent_at IS NULL THEN occurred_at
    ELSE occurred_at - received_at + sent_at END;
ALTER TABLE events ALTER COLUMN client_time DROP DEFAULT;
ALTER TABLE events DROP CONSTRAINT events_message_id_key;
ALTER TABLE events ADD CONSTRAINT events_dedup_key UNIQUE (client_time, message_id);
