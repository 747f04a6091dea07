//! Write logic shared by both backends, written once over [`WriteTx`], the primitive row operations
//! each backend implements inside one transaction. The merge *rules* live in `ecrm_core::identity`;
//! this module only loads what they need and writes what they decide.

mod identity;
mod import;
mod refund;
mod tracked;

pub(crate) use identity::{resolve, resolve_and_touch, unmerge};
pub(crate) use import::{write_customers, write_events, write_orders, write_products};
pub(crate) use tracked::{insert_events, write_tracked};

use ecrm_core::Identifier;
use ecrm_core::time::Millis;

use crate::error::StoreResult;
use crate::model::{CustomerAttributes, MergeRecord, ProductInput};

/// How far outside an identifier's stored first_seen..last_seen a sighting must fall to move them:
/// they are kept to the minute. A returning visitor's events otherwise rewrote their identifier
/// rows in every group commit of the tracking API (a scattered page per visitor and commit; a
/// third of the writer's time in `bench ingest`); now at most once a minute each.
pub(crate) const SEEN_GRANULARITY_MS: Millis = 60_000;

/// A stored identifier row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentifierRow {
    pub row: i64,
    pub identifier: Identifier,
    pub customer_id: String,
}

/// A new order header.
pub(crate) struct NewOrder<'a> {
    pub order_key: &'a str,
    pub kind: &'a str,
    pub identifier_row: Option<i64>,
    pub ordered_at: Millis,
    pub currency: &'a str,
    pub status: Option<&'a str>,
    pub source: &'a str,
    pub derived_key: bool,
    pub created_at: Millis,
    /// Totals of the lines written with the header (an order created in this transaction).
    pub total_cents: i64,
    pub line_count: i64,
}

/// Primitive row operations inside one open transaction.
pub(crate) trait WriteTx {
    fn identifier_get(&mut self, identifier: &Identifier) -> StoreResult<Option<IdentifierRow>>;
    fn identifier_insert(
        &mut self,
        identifier: &Identifier,
        customer_id: &str,
        source: &str,
        at: Millis,
    ) -> StoreResult<i64>;
    /// Moves the identifier of `row` to `customer_id`.
    fn identifier_set_customer(
        &mut self,
        row: &IdentifierRow,
        customer_id: &str,
    ) -> StoreResult<()>;
    /// Reads the stored rows of `identifiers` ahead of the `identifier_get`s that follow, where one
    /// query is cheaper than many (PostgreSQL); by default nothing.
    fn identifiers_prefetch(&mut self, _identifiers: &[&Identifier]) -> StoreResult<()> {
        Ok(())
    }
    /// Widens first_seen/last_seen to include `first`..=`last`, where either end moves by more
    /// than [`SEEN_GRANULARITY_MS`].
    fn identifier_touch(&mut self, row: i64, first: Millis, last: Millis) -> StoreResult<()>;
    fn identifiers_of_customer(&mut self, customer_id: &str) -> StoreResult<Vec<IdentifierRow>>;
    fn identifiers_by_rows(&mut self, rows: &[i64]) -> StoreResult<Vec<IdentifierRow>>;

    /// Inserts a customer row; false when it already exists.
    fn customer_insert(&mut self, customer_id: &str, at: Millis) -> StoreResult<bool>;
    fn customer_conflicted(&mut self, customer_id: &str) -> StoreResult<bool>;
    fn customer_set_conflicted(&mut self, customer_id: &str, conflicted: bool) -> StoreResult<()>;
    /// Fills attributes: given values replace stored ones, `extra` keys are merged.
    fn customer_update(
        &mut self,
        customer_id: &str,
        attributes: &CustomerAttributes,
        at: Millis,
    ) -> StoreResult<()>;
    /// Moves the attributes of `from` into `into` where `into` has none, then deletes `from`.
    fn customer_fold(&mut self, from: &str, into: &str, at: Millis) -> StoreResult<()>;

    fn link_insert(&mut self, a: i64, b: i64, source: &str, at: Millis) -> StoreResult<()>;
    /// Links with an end in `rows`, as (a, b) row pairs.
    fn links_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>>;
    fn separation_insert(&mut self, a: i64, b: i64, reason: &str, at: Millis) -> StoreResult<()>;
    fn separations_touching(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, i64)>>;
    fn merge_insert(&mut self, merge: &MergeRecord) -> StoreResult<i64>;
    fn merge_get(&mut self, merge_id: i64) -> StoreResult<Option<MergeRecord>>;
    fn merge_mark_undone(&mut self, merge_id: i64, at: Millis) -> StoreResult<()>;

    /// Inserts an order header; `None` when the key exists.
    fn order_insert(&mut self, order: &NewOrder<'_>) -> StoreResult<Option<i64>>;
    fn order_row(&mut self, order_key: &str) -> StoreResult<Option<i64>>;
    /// Inserts lines of orders created in this transaction, whose totals their headers already hold.
    fn order_lines_insert_new(
        &mut self,
        lines: &[(i64, &ecrm_core::order::OrderLine)],
    ) -> StoreResult<()>;
    /// Inserts a line; false when (order, line key) exists.
    fn order_line_insert(
        &mut self,
        order_row: i64,
        line: &ecrm_core::order::OrderLine,
    ) -> StoreResult<bool>;
    fn order_add_totals(
        &mut self,
        order_row: i64,
        amount_cents: i64,
        lines: i64,
    ) -> StoreResult<()>;

    /// Inserts or updates a product; true when it was new.
    fn product_upsert(&mut self, product: &ProductInput, at: Millis) -> StoreResult<bool>;
    /// Inserts events, all recorded as from `source`; for each, true when it was new (its
    /// deduplication key, [`crate::EventInput::dedup_time`] and message id, was not stored). The
    /// keys are distinct.
    fn events_insert(&mut self, events: &[NewEvent<'_>], source: &str) -> StoreResult<Vec<bool>>;
    /// The stored order `order_key` with its lines, and what its refunds have taken back so far.
    fn order_for_refund(&mut self, order_key: &str) -> StoreResult<Option<StoredOrder>>;
}

/// An event to insert, its JSON columns already encoded.
pub(crate) struct NewEvent<'a> {
    pub event: &'a crate::model::EventInput,
    pub properties: &'a str,
    pub context: &'a str,
    pub identifier_row: Option<i64>,
}

/// A stored order as a whole refund needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredOrder {
    pub currency: String,
    pub total_cents: i64,
    pub lines: Vec<StoredLine>,
    /// The total of the order's refund row (`refund:ORDER_ID`): zero or negative.
    pub refunded_cents: i64,
}

/// One stored order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredLine {
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
}
