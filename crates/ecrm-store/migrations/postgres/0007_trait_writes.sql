-- Trait writes: the writer journals one row per customer naming the traits that changed,
-- instead of a trigger adding one row per trait-history row.
DROP TRIGGER customer_changes_trait ON trait_history;
DROP FUNCTION ecrm_journal_trait();
