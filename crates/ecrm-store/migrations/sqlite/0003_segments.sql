-- Segments: a journal of customer changes written by triggers (the change cursor reads it together
-- with the id-ordered events table), the positions of change consumers, and
-- the indexes that event aggregates and membership reads use.
CREATE TABLE customer_changes (
    id INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE change_consumers (
    name TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX events_name_time ON events (name, occurred_at);
CREATE INDEX segment_memberships_customer ON segment_memberships (customer_id);
CREATE INDEX segment_changes_segment ON segment_changes (segment_id, id);

CREATE TRIGGER customer_changes_profile AFTER UPDATE ON customers
WHEN OLD.name IS NOT NEW.name OR OLD.gender IS NOT NEW.gender OR OLD.birthday IS NOT NEW.birthday
  OR OLD.country IS NOT NEW.country OR OLD.city IS NOT NEW.city OR OLD.signup_at IS NOT NEW.signup_at
  OR OLD.attributes IS NOT NEW.attributes
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (NEW.id, 'attributes', NULL);
END;
CREATE TRIGGER customer_changes_removed AFTER DELETE ON customers
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (OLD.id, 'removed', NULL);
END;
CREATE TRIGGER customer_changes_identifier_new AFTER INSERT ON identifiers
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (NEW.customer_id, 'identifiers', NEW.kind);
END;
CREATE TRIGGER customer_changes_identifier_moved AFTER UPDATE OF customer_id ON identifiers
WHEN OLD.customer_id IS NOT NEW.customer_id
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (OLD.customer_id, 'identifiers', OLD.kind);
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (NEW.customer_id, 'identifiers', NEW.kind);
END;
CREATE TRIGGER customer_changes_order_new AFTER INSERT ON orders
WHEN NEW.identifier_id IS NOT NULL
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail)
    SELECT customer_id, 'order', NEW.kind FROM identifiers WHERE id = NEW.identifier_id;
END;
CREATE TRIGGER customer_changes_order_lines AFTER UPDATE OF total_cents ON orders
WHEN NEW.identifier_id IS NOT NULL AND OLD.total_cents IS NOT NEW.total_cents
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail)
    SELECT customer_id, 'order', NEW.kind FROM identifiers WHERE id = NEW.identifier_id;
END;
CREATE TRIGGER customer_changes_trait AFTER INSERT ON trait_history
BEGIN
  INSERT INTO customer_changes (customer_id, kind, detail) VALUES (NEW.customer_id, 'trait', NEW.name);
END;
