-- PostgreSQL keeps the trigger `customer_changes_identifier_new` of migration 0003 (it costs no
-- round trip there); SQLite replaced it with rows written by its write transaction. The version
-- exists on both backends so they stay at the same schema version.
SELECT 1;
