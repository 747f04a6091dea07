-- Trait writes: the writer journals one row per customer naming the traits that changed
-- (instead of a trigger adding one row per trait-history row), and both trait tables are
-- clustered on their keys (one b-tree per table instead of a table and an index).
DROP TRIGGER customer_changes_trait;

CREATE TABLE traits_clustered (
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    model_fit_id INTEGER,
    PRIMARY KEY (customer_id, name)
) WITHOUT ROWID;
INSERT INTO traits_clustered SELECT customer_id, name, value, computed_at, model_fit_id FROM traits;
DROP TABLE traits;
ALTER TABLE traits_clustered RENAME TO traits;

CREATE TABLE trait_history_clustered (
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (customer_id, name, computed_at)
) WITHOUT ROWID;
INSERT OR REPLACE INTO trait_history_clustered (customer_id, name, computed_at, value)
    SELECT customer_id, name, computed_at, value FROM trait_history ORDER BY rowid;
DROP TABLE trait_history;
ALTER TABLE trait_history_clustered RENAME TO trait_history;

-- Memberships clustered on their key too: a bulk re-evaluation writes millions of entries.
CREATE TABLE segment_memberships_clustered (
    segment_id INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    entered_at INTEGER NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
INSERT INTO segment_memberships_clustered SELECT segment_id, customer_id, entered_at
    FROM segment_memberships;
DROP TABLE segment_memberships;
ALTER TABLE segment_memberships_clustered RENAME TO segment_memberships;
CREATE INDEX segment_memberships_customer ON segment_memberships (customer_id);
