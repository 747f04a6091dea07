-- ecrm data model for the whole product brief. Times are UTC milliseconds since the epoch.
-- Customer ids are canonical ids (the customer's smallest identifier); merges rewrite identifiers.customer_id.

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    name TEXT,
    gender TEXT,
    birthday TEXT,
    country TEXT,
    city TEXT,
    signup_at INTEGER,
    attributes TEXT NOT NULL DEFAULT '{}',
    conflicted INTEGER NOT NULL DEFAULT 0,
    erased_at INTEGER
);
CREATE INDEX customers_name ON customers (lower(name));

CREATE TABLE identifiers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identifiers_customer ON identifiers (customer_id, kind, value);

CREATE TABLE identity_links (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    source TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX identity_links_b ON identity_links (b);

CREATE TABLE identity_separations (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX identity_separations_b ON identity_separations (b);

CREATE TABLE merges (
    id INTEGER PRIMARY KEY,
    from_customer TEXT NOT NULL,
    into_customer TEXT NOT NULL,
    from_identifier TEXT NOT NULL,
    into_identifier TEXT NOT NULL,
    cause TEXT NOT NULL,
    merged_at INTEGER NOT NULL,
    undone_at INTEGER
);
CREATE INDEX merges_from ON merges (from_customer);
CREATE INDEX merges_into ON merges (into_customer);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT,
    category TEXT,
    brand TEXT,
    price_cents INTEGER,
    currency TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    in_stock INTEGER NOT NULL DEFAULT 1,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    order_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    identifier_id INTEGER,
    ordered_at INTEGER NOT NULL,
    total_cents INTEGER NOT NULL DEFAULT 0,
    line_count INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    status TEXT,
    source TEXT NOT NULL,
    derived_key INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX orders_identifier ON orders (identifier_id, ordered_at);

CREATE TABLE order_lines (
    order_id INTEGER NOT NULL,
    line_key INTEGER NOT NULL,
    product_id TEXT,
    product_name TEXT,
    category TEXT,
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_key)
) WITHOUT ROWID;
CREATE INDEX order_lines_product ON order_lines (product_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    identifier_id INTEGER,
    type TEXT NOT NULL,
    name TEXT,
    channel TEXT,
    source TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    sent_at INTEGER,
    received_at INTEGER NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    context TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_identifier ON events (identifier_id, occurred_at);

CREATE TABLE traits (
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    model_fit_id INTEGER,
    PRIMARY KEY (customer_id, name)
);
CREATE TABLE trait_history (
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    computed_at INTEGER NOT NULL
);
CREATE INDEX trait_history_customer ON trait_history (customer_id, name, computed_at);

CREATE TABLE model_fits (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    parameters TEXT NOT NULL,
    log_likelihood REAL,
    window_start INTEGER,
    window_end INTEGER,
    fitted_at INTEGER NOT NULL
);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE segment_memberships (
    segment_id INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    entered_at INTEGER NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
);
CREATE TABLE segment_changes (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    change TEXT NOT NULL,
    cause TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX segment_changes_customer ON segment_changes (customer_id, at);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    segment_id INTEGER,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    control_share REAL NOT NULL DEFAULT 0.1,
    definition TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE TABLE campaign_members (
    campaign_id INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    sent_at INTEGER,
    converted_at INTEGER,
    PRIMARY KEY (campaign_id, customer_id)
);

CREATE TABLE loyalty_ledger (
    id INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL,
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    source_key TEXT NOT NULL UNIQUE,
    expires_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, created_at);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id TEXT,
    order_key TEXT,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    opened_at INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at INTEGER
);
CREATE INDEX tickets_customer ON tickets (customer_id, opened_at);

CREATE TABLE consents (
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (customer_id, channel, purpose)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE console_users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_after);
