-- Playbooks: coupon pools and codes, benefits, tags, ads suppression, the action ledger that makes
-- every playbook action run once, the segment-change cursor, and the configuration set through the API.
CREATE TABLE coupon_pools (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    value_kind TEXT NOT NULL,
    value INTEGER NOT NULL,
    currency TEXT,
    valid_days INTEGER,
    valid_from INTEGER,
    valid_until INTEGER,
    per_customer_limit INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE coupon_codes (
    id INTEGER PRIMARY KEY,
    pool TEXT NOT NULL,
    code TEXT NOT NULL,
    customer_id TEXT,
    issued_at INTEGER,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (pool, code)
);
CREATE INDEX coupon_codes_free ON coupon_codes (pool, customer_id, id);
CREATE INDEX coupon_codes_customer ON coupon_codes (customer_id);
CREATE TABLE customer_benefits (
    customer_id TEXT NOT NULL,
    benefit TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (customer_id, benefit)
);
CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE TABLE ads_suppressions (
    customer_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE playbook_actions (
    id INTEGER PRIMARY KEY,
    action_key TEXT NOT NULL UNIQUE,
    playbook TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    action TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX playbook_actions_customer ON playbook_actions (customer_id, at);
CREATE TABLE playbook_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
