-- Trait history as periods: `traits` holds the current value with the class it falls in
-- (`label`, NULL when the whole value is what the history follows) and since when that class
-- holds (`label_since`); `trait_history` keeps only the periods that ended, one row per earlier
-- class (or value) keyed by the time it began. A daily compute whose numbers drift (recency,
-- customer age) but whose classes stay writes no history at all.
ALTER TABLE traits ADD COLUMN label TEXT;
ALTER TABLE traits ADD COLUMN label_since INTEGER;
UPDATE traits SET label_since = computed_at;
-- The current value's own history row (the old convention appended it) is the current period.
DELETE FROM trait_history WHERE EXISTS (
    SELECT 1 FROM traits t WHERE t.customer_id = trait_history.customer_id
      AND t.name = trait_history.name AND t.computed_at = trait_history.computed_at);
