-- The `customer_changes` row of a new identifier is written by the store's write transaction (one
-- multi-row INSERT per transaction, `sqlite/tx.rs` `SqliteTx::finish`) instead of this per-row
-- trigger: a trigger makes every identifier INSERT keep a statement journal, which cost more than
-- half of the insert on the tracking API's path. The rows are the same: (customer, 'identifiers', kind).
DROP TRIGGER IF EXISTS customer_changes_identifier_new;
