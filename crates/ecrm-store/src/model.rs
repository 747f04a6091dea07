//! The values the store takes and gives back.

use ecrm_core::identity::IdentityLimits;
use ecrm_core::order::CustomerRef;
use ecrm_core::time::Millis;
use serde::Serialize;

/// Who writes and when: passed to every write so the store reads no clock of its own.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// Where the data came from (`import:orders.csv`, `api:web-shop`, `cli`).
    pub source: String,
    pub at: Millis,
    pub limits: IdentityLimits,
}

/// What a write created; every field counts new things only, so repeating a write gives zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    pub orders_created: u64,
    pub order_lines_created: u64,
    pub refunds_created: u64,
    pub guest_orders_created: u64,
    pub customers_created: u64,
    pub customers_merged: u64,
    pub products_created: u64,
    pub products_updated: u64,
    pub events_created: u64,
    pub duplicates_skipped: u64,
}

impl WriteCounts {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: &WriteCounts) {
        self.orders_created += other.orders_created;
        self.order_lines_created += other.order_lines_created;
        self.refunds_created += other.refunds_created;
        self.guest_orders_created += other.guest_orders_created;
        self.customers_created += other.customers_created;
        self.customers_merged += other.customers_merged;
        self.products_created += other.products_created;
        self.products_updated += other.products_updated;
        self.events_created += other.events_created;
        self.duplicates_skipped += other.duplicates_skipped;
    }
}

/// A customer row from a customers file or an `identify` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInput {
    pub customer: CustomerRef,
    pub attributes: CustomerAttributes,
}

/// Profile attributes; `None` leaves what is stored unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomerAttributes {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub signup_at: Option<Millis>,
    /// Any other traits, merged key by key into the stored JSON object.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A catalogue row.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInput {
    pub product_id: String,
    pub name: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub active: bool,
    pub in_stock: bool,
}

/// One behavioural event, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInput {
    pub message_id: String,
    /// `track`, `page`, `screen`, `identify`, `group`, `alias`.
    pub kind: String,
    /// The event name (`Product Viewed`) or page name.
    pub name: Option<String>,
    pub customer: CustomerRef,
    pub channel: Option<String>,
    pub occurred_at: Millis,
    /// The time the client stamped on the message, as sent (`timestamp`, else
    /// `originalTimestamp`); `None` when it had none. See [`EventInput::dedup_time`].
    pub client_time: Option<Millis>,
    pub sent_at: Option<Millis>,
    pub received_at: Millis,
    pub properties: serde_json::Value,
    pub context: serde_json::Value,
}

impl EventInput {
    /// With `message_id`, the key an event is stored once under: the client's own time stamp, which
    /// a retry repeats (unlike `occurred_at`, corrected by each send's clock skew), or 0 for a
    /// message sent without one. Keyed by time first, the stores' unique index takes new events
    /// near its end instead of at a random leaf per event (SDK message ids are random UUIDs).
    pub fn dedup_time(&self) -> Millis {
        self.client_time.unwrap_or(0)
    }
}

/// A stored identifier with where and when it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifierRecord {
    pub kind: String,
    pub value: String,
    pub source: String,
    pub first_seen: Millis,
    pub last_seen: Millis,
}

/// A customer's stored attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRecord {
    pub id: String,
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub signup_at: Option<Millis>,
    pub attributes: serde_json::Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Totals over a customer's orders (guest orders never count).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    pub orders: u64,
    pub refunds: u64,
    pub revenue_cents: i64,
    pub refunded_cents: i64,
    pub net_cents: i64,
    pub first_order_at: Option<Millis>,
    pub last_order_at: Option<Millis>,
}

/// One order with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    pub order_key: String,
    pub kind: String,
    pub ordered_at: Millis,
    pub total_cents: i64,
    pub currency: String,
    pub status: Option<String>,
    pub source: String,
    pub lines: Vec<OrderLineRecord>,
}

/// One stored order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLineRecord {
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
}

/// One merge of a customer into another, and whether it was undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeRecord {
    pub id: i64,
    pub from_customer: String,
    pub into_customer: String,
    pub from_identifier: String,
    pub into_identifier: String,
    pub cause: String,
    pub merged_at: Millis,
    pub undone_at: Option<Millis>,
}

/// Everything the 360° view shows that lives in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer360 {
    pub customer: CustomerRecord,
    pub identifiers: Vec<IdentifierRecord>,
    pub order_summary: OrderSummary,
    pub latest_orders: Vec<OrderRecord>,
    pub merges: Vec<MergeRecord>,
}

/// One touchpoint on a customer's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// `order`, `refund` or the event type (`track`, `page`, ...).
    pub kind: String,
    pub at: Millis,
    /// The event name or the order id.
    pub title: String,
    pub channel: Option<String>,
    pub source: String,
    pub detail: serde_json::Value,
    /// Pass as `before` to get the next page.
    pub cursor: TimelineCursor,
}

/// A position on a timeline: entries strictly older than it come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimelineCursor {
    pub at: Millis,
    /// 0 for orders, 1 for events, 2 for playbook actions, so equal times still order totally.
    pub stream: i64,
    pub id: i64,
}

/// A row of the customer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerListItem {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub created_at: Millis,
}

/// A search over customers: by identifier value or name prefix, paginated by customer id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Identifiers the search text could be (the caller normalises it per kind); matched exactly.
    pub identifiers: Vec<ecrm_core::Identifier>,
    /// A name prefix, matched case-insensitively.
    pub search: Option<String>,
    /// Only customers whose id sorts after this one.
    pub after: Option<String>,
    pub limit: usize,
}

/// An API key as stored (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub source: Option<String>,
    pub prefix: String,
    pub key_hash: String,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// One audited admin action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: Millis,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// Row counts of the main tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    pub customers: u64,
    pub identifiers: u64,
    pub orders: u64,
    pub order_lines: u64,
    pub products: u64,
    pub events: u64,
}

/// The outcome of resolving one set of identifiers to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The customer the identifiers now belong to (the anchor's customer); `None` for a guest.
    pub customer_id: Option<String>,
    /// The stored row of the anchor identifier, which orders and events point at.
    pub anchor_row: Option<i64>,
    /// The stored rows of all the observation's identifiers.
    pub identifier_rows: Vec<i64>,
    pub customers_created: u64,
    pub customers_merged: u64,
}
