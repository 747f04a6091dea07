-- Events are stored once per (client_time, message_id) instead of per message_id: client_time is
-- the time the client stamped on the message as it sent it (`timestamp`, else
-- `originalTimestamp`; 0 when it had none), which a retry repeats. SDK message ids are random
-- UUIDs, so a unique index on the id alone took each new event at a random leaf (a page written
-- per event); keyed by time first, new events land near the index's end.
-- The inline UNIQUE of `message_id` cannot be dropped, so the table is rebuilt with its ids. For
-- the rows already stored the client's time is reconstructed from what was kept: the skew
-- correction of the tracking API (occurred = timestamp + received - sent) undone, and 0 where the
-- event took its receive time because the message carried no time.
CREATE TABLE events_keyed (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    client_time INTEGER NOT NULL,
    identifier_id INTEGER,
    type TEXT NOT NULL,
    name TEXT,
    channel TEXT,
    source TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    sent_at INTEGER,
    received_at INTEGER NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    context TEXT NOT NULL DEFAULT '{}',
    UNIQUE (client_time, message_id)
);
INSERT INTO events_keyed (id, message_id, client_time, identifier_id, type, name, channel, source,
        occurred_at, sent_at, received_at, properties, context)
    SELECT id, message_id,
        CASE WHEN occurred_at = received_at THEN 0
             WHEN sent_at IS NULL THEN occurred_at
             ELSE occurred_at - received_at + sent_at END,
        identifier_id, type, name, channel, source, occurred_at, sent_at, received_at, properties,
        context
    FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_keyed RENAME TO events;
CREATE INDEX events_identifier ON events (identifier_id, occurred_at);
CREATE INDEX events_name_time ON events (name, occurred_at);
