-- Traits clustered by name, then customer: each trait name is one contiguous key range. The
-- passes of `ecrm compute` write a few names for every customer in customer order, so each
-- name's range grows at its end instead of every customer's group gaining rows in its middle
-- (the profile pass split every page the batch pass had just written); a pass that reads what
-- it replaces reads only its own names' ranges; the console and the segment snapshot read the
-- names they need without the rest. A customer's traits are one lookup per name.
CREATE TABLE traits_by_name (
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    model_fit_id INTEGER,
    label TEXT,
    label_since INTEGER,
    PRIMARY KEY (name, customer_id)
) WITHOUT ROWID;
INSERT INTO traits_by_name (customer_id, name, value, computed_at, model_fit_id, label, label_since)
    SELECT customer_id, name, value, computed_at, model_fit_id, label, label_since FROM traits
    ORDER BY name, customer_id;
DROP TABLE traits;
ALTER TABLE traits_by_name RENAME TO traits;
