-- Nothing changes on PostgreSQL: its bulk membership statement maintains the customer index in
-- one set operation, and its planner reads a customer's memberships through it; the SQLite store
-- drops its copy (one b-tree fewer per entry). The version is kept in step on both backends.
SELECT 1;
