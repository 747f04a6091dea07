-- A customer's memberships are read through the primary key (segment_id, customer_id), one seek
-- per segment (a loose index scan over the segment ids, `sqlite/segments.rs::CUSTOMER_MEMBERSHIPS`),
-- instead of through an index by customer: a whole re-evaluation records millions of entries
-- (4.07M on the first compute of a million customers) and each one maintained this index as a
-- fifth b-tree beside the membership, its change row and the change row's two indexes.
DROP INDEX IF EXISTS segment_memberships_customer;
