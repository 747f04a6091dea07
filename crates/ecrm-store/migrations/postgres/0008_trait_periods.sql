-- Trait history as periods: `traits` holds the current value with the class it falls in
-- (`label`, NULL when the whole value is what the history follows) and since when that class
-- holds (`label_since`); `trait_history` keeps only the periods that ended, one row per earlier
-- class (or value) keyed by the time it began. A daily compute whose numbers drift (recency,
-- customer age) but whose classes stay writes no history at all.
ALTER TABLE traits ADD COLUMN label TEXT;
ALTER TABLE traits ADD COLUMN label_since BIGINT;
UPDATE traits SET label_since = computed_at;
DELETE FROM trait_history h USING traits t
    WHERE t.customer_id = h.customer_id AND t.name = h.name AND t.computed_at = h.computed_at;
