-- Nothing changes on PostgreSQL: the SQLite store re-clusters its `traits` table by name (a
-- heap table has no clustering to change); the version is kept in step on both backends.
SELECT 1;
