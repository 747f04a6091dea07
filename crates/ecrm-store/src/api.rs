//! The one storage interface; SQLite and PostgreSQL implement it and pass the same conformance suite.

use ecrm_core::Identifier;
use ecrm_core::order::{CustomerRef, OrderLine};

use crate::analytics_model::{
    CustomerDays, ModelFitInput, ModelFitRecord, TraitPeriod, TraitRecord, TraitWrite,
    TraitWriteCounts,
};
use crate::console_model::{
    ConsoleSession, ConsoleSessionRecord, ConsoleUserInput, ConsoleUserRecord, EventNameCount,
    SnapshotRecord,
};
use crate::error::StoreResult;
use crate::model::{
    ApiKeyRecord, AuditEntry, Customer360, CustomerInput, CustomerListItem, CustomerQuery,
    EventInput, MergeRecord, ProductInput, Resolution, StoreStats, TimelineCursor, TimelineEntry,
    WriteContext, WriteCounts,
};
use crate::recs_model::{RecsInteraction, RecsLine, RecsModelInput, RecsModelRecord, RecsProduct};
use crate::segments_model::{
    ChangeBatch, ChangeCursor, FactRow, MembershipChange, MembershipRecord, NewSegment,
    SegmentChangeQuery, SegmentChangeRecord, SegmentFlow, SegmentRecord,
};
use crate::tracked::{Durability, EventQuery, StoredEvent, TrackedBatch};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything ecrm keeps. Each write method is one transaction: all of it is durable when it returns, or none.
/// The playbook tables' methods are in the supertrait [`crate::PlaybookStore`].
pub trait Store: crate::PlaybookStore + Send + Sync {
    fn backend(&self) -> Backend;

    /// Streams every customer's orders and refunds before `until` (exclusive), merged per UTC day,
    /// one customer at a time in customer-id byte order; guest orders are left out. Returns the
    /// number of customers streamed.
    fn customer_purchase_days(
        &self,
        until: ecrm_core::time::Millis,
        sink: &mut dyn FnMut(CustomerDays) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Writes the traits whose value changed (with `computed_at` and `model_fit_id`) and journals
    /// one change row per customer naming its changed traits; an unchanged value leaves its row
    /// as it was. A changed label (or value, for a trait without labels) ends the trait's current
    /// history period and starts one at `computed_at`. SQLite commits every 50,000 traits (each
    /// committed trait complete with its history and journal row), PostgreSQL in one transaction.
    fn write_traits(
        &self,
        traits: &mut dyn Iterator<Item = TraitWrite>,
        computed_at: ecrm_core::time::Millis,
        model_fit_id: Option<i64>,
    ) -> StoreResult<TraitWriteCounts>;
    /// A customer's current traits, by name.
    fn customer_traits(&self, customer_id: &str) -> StoreResult<Vec<TraitRecord>>;
    /// The history of one trait of a customer: its periods, oldest first, the current one last.
    fn trait_periods(&self, customer_id: &str, name: &str) -> StoreResult<Vec<TraitPeriod>>;
    /// Stores a model fit and returns its id (the version).
    fn write_model_fit(&self, fit: &ModelFitInput) -> StoreResult<i64>;
    /// One stored model fit.
    fn model_fit(&self, id: i64) -> StoreResult<Option<ModelFitRecord>>;
    /// The latest stored fit of `model`.
    fn latest_model_fit(&self, model: &str) -> StoreResult<Option<ModelFitRecord>>;

    /// Streams the tracked events of known customers: of every customer in no set order (SQLite:
    /// storage order, one sequential read), or of the listed customers grouped by customer in
    /// customer-id byte order (within a customer in no set order); returns the count.
    fn customer_activity(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&crate::ActivityRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Streams the order and refund lines of known customers with category and brand: of every
    /// customer in no set order, or of the listed customers grouped by customer in byte order;
    /// each order's lines come together. Returns the count.
    fn customer_purchase_lines(
        &self,
        customers: Option<&[String]>,
        sink: &mut dyn FnMut(&crate::PurchaseLineRecord<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Streams every customer id (erased customers left out) in byte order; returns the count.
    fn customer_ids(&self, sink: &mut dyn FnMut(&str) -> StoreResult<()>) -> StoreResult<u64>;
    /// Opens a service ticket and returns its id.
    fn write_ticket(&self, ticket: &crate::TicketInput) -> StoreResult<i64>;
    /// Complaint tickets (topic `complaint`) opened in `[from, until)`, counted per customer, in
    /// customer-id byte order.
    fn complaint_counts(
        &self,
        from: ecrm_core::time::Millis,
        until: ecrm_core::time::Millis,
    ) -> StoreResult<Vec<(String, u32)>>;

    /// Writes order lines (new orders, refunds, guest orders), resolving their customers.
    fn write_orders(&self, lines: &[OrderLine], ctx: &WriteContext) -> StoreResult<WriteCounts>;
    /// Creates or updates customers and their identifiers.
    fn write_customers(
        &self,
        rows: &[CustomerInput],
        ctx: &WriteContext,
    ) -> StoreResult<WriteCounts>;
    /// Creates or updates catalogue products.
    fn write_products(&self, rows: &[ProductInput], ctx: &WriteContext)
    -> StoreResult<WriteCounts>;
    /// Appends events; one whose deduplication key ([`crate::EventInput::dedup_time`] and
    /// `message_id`) is already stored is skipped (counted as a duplicate).
    fn write_events(&self, rows: &[EventInput], ctx: &WriteContext) -> StoreResult<WriteCounts>;
    /// Links identifiers seen together and returns the customer they now belong to.
    fn resolve_identity(
        &self,
        customer: &CustomerRef,
        ctx: &WriteContext,
    ) -> StoreResult<Resolution>;

    /// The customer an identifier belongs to.
    fn find_customer_id(&self, identifier: &Identifier) -> StoreResult<Option<String>>;
    /// The stored part of the 360° view, with the `latest_orders` most recent orders.
    fn customer_360(&self, customer_id: &str, latest_orders: usize) -> StoreResult<Customer360>;
    /// Orders and events of a customer, newest first, strictly before `before`.
    fn timeline(
        &self,
        customer_id: &str,
        before: Option<TimelineCursor>,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEntry>>;
    /// Lists and searches customers in id order.
    fn list_customers(&self, query: &CustomerQuery) -> StoreResult<Vec<CustomerListItem>>;
    /// Merges into or out of a customer, newest first.
    fn merge_history(&self, customer_id: &str) -> StoreResult<Vec<MergeRecord>>;
    /// Undoes a merge: the two sides are kept apart from now on, and their identifiers re-clustered.
    fn unmerge(&self, merge_id: i64, ctx: &WriteContext) -> StoreResult<Vec<String>>;

    fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<i64>;
    fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    fn stats(&self) -> StoreResult<StoreStats>;

    /// Writes the tracked messages of many requests in one transaction (group commit) and returns
    /// each batch's counts; a message id already stored is skipped with everything it carries.
    fn write_tracked(
        &self,
        batches: &[TrackedBatch],
        ctx: &WriteContext,
    ) -> StoreResult<Vec<WriteCounts>>;
    /// [`Store::write_tracked`] that may return once the transaction is committed and visible but
    /// before it is durable; the returned [`Durability`] says when it is, and nothing may be
    /// acknowledged to a client before that. The single writer then starts the next transaction
    /// while this one is synced (SQLite); the default waits for durability like `write_tracked`.
    fn write_tracked_deferred(
        &self,
        batches: &[TrackedBatch],
        ctx: &WriteContext,
    ) -> StoreResult<(Vec<WriteCounts>, Durability)> {
        Ok((self.write_tracked(batches, ctx)?, Durability::now()))
    }
    /// A customer's events, newest first, filtered by type, name, time range and cursor.
    fn customer_events(
        &self,
        customer_id: &str,
        query: &EventQuery,
    ) -> StoreResult<Vec<StoredEvent>>;

    /// Streams the lines of customer orders (kind `order`, guests and refunds left out, lines
    /// without a product skipped), of every customer or of one; returns the number of lines.
    fn recs_order_lines(
        &self,
        customer_id: Option<&str>,
        sink: &mut dyn FnMut(&RecsLine<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Streams known customers' `Product Viewed` and `Product Added` events that name a product.
    fn recs_interactions(
        &self,
        sink: &mut dyn FnMut(&RecsInteraction<'_>) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Every catalogue product with its serving flags, in id order.
    fn recs_products(&self) -> StoreResult<Vec<RecsProduct>>;
    /// Stores a trained recommendation model and returns its version.
    fn write_recs_model(&self, model: &RecsModelInput) -> StoreResult<i64>;
    /// The latest stored recommendation model of `kind`.
    fn latest_recs_model(&self, kind: &str) -> StoreResult<Option<RecsModelRecord>>;

    /// Customer changes after `cursor` (journal rows and events, at most `limit` of each), in id
    /// order, and the cursor to continue from. Writers are serialised, so ids follow commit order
    /// and no change is skipped; consumers re-read a customer's current state for each change.
    fn customer_changes_since(
        &self,
        cursor: &ChangeCursor,
        limit: usize,
    ) -> StoreResult<ChangeBatch>;
    /// The cursor after the last change stored now (a new consumer starts here).
    fn change_cursor_head(&self) -> StoreResult<ChangeCursor>;
    /// The position a named consumer of the change cursor saved last.
    fn change_consumer_position(&self, consumer: &str) -> StoreResult<Option<ChangeCursor>>;
    /// Saves a consumer's position (durable across restarts and processes).
    fn save_change_consumer_position(
        &self,
        consumer: &str,
        cursor: &ChangeCursor,
        at: ecrm_core::time::Millis,
    ) -> StoreResult<()>;

    /// Streams what segments test about customers (profiles first, then order summaries, traits
    /// and identifier kinds), of every customer or only of `customers`, with every trait or only
    /// those named in `traits`; returns the rows streamed.
    fn segment_facts(
        &self,
        customers: Option<&[String]>,
        traits: Option<&[String]>,
        sink: &mut dyn FnMut(FactRow) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// The aggregate over each customer's events of `aggregate.event` (filters applied, only
    /// events at or after `since`), for every customer with such events or only for `customers`.
    /// Customers without a matching event are left out.
    fn event_aggregates(
        &self,
        aggregate: &ecrm_core::segment::Aggregate,
        since: Option<ecrm_core::time::Millis>,
        customers: Option<&[String]>,
    ) -> StoreResult<Vec<(String, f64)>>;

    /// Every saved segment, by name.
    fn segments(&self) -> StoreResult<Vec<SegmentRecord>>;
    fn segment(&self, id: i64) -> StoreResult<Option<SegmentRecord>>;
    fn segment_by_name(&self, name: &str) -> StoreResult<Option<SegmentRecord>>;
    /// Creates a segment; `Conflict` when the name is taken.
    fn create_segment(&self, segment: &NewSegment) -> StoreResult<SegmentRecord>;
    /// Renames and/or redefines a segment; `NotFound` when missing, `Conflict` on a taken name.
    fn update_segment(
        &self,
        id: i64,
        name: &str,
        definition: &str,
        at: ecrm_core::time::Millis,
    ) -> StoreResult<SegmentRecord>;
    /// Deletes a segment and its memberships (its recorded changes are kept).
    fn delete_segment(&self, id: i64) -> StoreResult<()>;
    /// Applies entries and exits in one transaction: an entry of a member or an exit of a
    /// non-member changes nothing; every other change is recorded. Returns the changes recorded.
    fn apply_membership_changes(&self, changes: &[MembershipChange]) -> StoreResult<u64>;
    /// Applies a long stream of entries and exits as [`Store::apply_membership_changes`] would,
    /// committed in transactions of `chunk` changes; returns once every one is durable (on
    /// SQLite with one sync of the WAL for all of them). Returns the changes recorded.
    fn apply_membership_changes_chunked(
        &self,
        changes: &mut dyn Iterator<Item = MembershipChange>,
        chunk: usize,
    ) -> StoreResult<u64>;
    /// Members of a segment in customer-id order, strictly after `after`.
    fn segment_members(
        &self,
        segment_id: i64,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<MembershipRecord>>;
    /// Member counts of every segment with members.
    fn segment_sizes(&self) -> StoreResult<Vec<(i64, u64)>>;
    /// Entries and exits per segment recorded at or after `since`.
    fn segment_flows(&self, since: ecrm_core::time::Millis) -> StoreResult<Vec<SegmentFlow>>;
    /// Entries and exits per segment and period recorded at or after `since`, in periods of
    /// `period_millis` (> 0) counted from `since`, in one pass over the recorded changes; periods
    /// without changes are left out.
    fn segment_flows_by_period(
        &self,
        since: ecrm_core::time::Millis,
        period_millis: ecrm_core::time::Millis,
    ) -> StoreResult<Vec<crate::SegmentPeriodFlow>>;
    /// A customer's current memberships.
    fn customer_memberships(&self, customer_id: &str) -> StoreResult<Vec<MembershipRecord>>;
    /// Recorded entries and exits in id order, after `query.after`, filtered as the query says.
    fn segment_changes(&self, query: &SegmentChangeQuery) -> StoreResult<Vec<SegmentChangeRecord>>;

    /// Creates a console user; a username already taken is a `Conflict`.
    fn create_console_user(&self, user: &ConsoleUserInput) -> StoreResult<i64>;
    /// The console user with this username.
    fn find_console_user(&self, username: &str) -> StoreResult<Option<ConsoleUserRecord>>;
    /// Every console user, by username.
    fn list_console_users(&self) -> StoreResult<Vec<ConsoleUserRecord>>;
    /// Deletes a console user and all their sessions in one transaction; `false` if there was none.
    fn delete_console_user(&self, username: &str) -> StoreResult<bool>;
    /// Replaces a console user's password hash and ends all their sessions in one transaction;
    /// `false` if there is no such user.
    fn set_console_user_password(&self, username: &str, password_hash: &str) -> StoreResult<bool>;
    /// Stores a new session and deletes the sessions that expired before it started.
    fn create_console_session(&self, session: &ConsoleSessionRecord) -> StoreResult<()>;
    /// The session with this token hash and its user, if it exists and expires after `now`.
    fn find_console_session(
        &self,
        token_hash: &str,
        now: ecrm_core::time::Millis,
    ) -> StoreResult<Option<ConsoleSession>>;
    /// Ends a session (nothing happens if it does not exist).
    fn delete_console_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Streams the current values of these traits, `(name, customer, value)` for every customer
    /// that has one, in no set order, in one pass over the traits; returns the number streamed.
    fn trait_values(
        &self,
        names: &[&str],
        sink: &mut dyn FnMut(&str, &str, &str) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Counts of every tracked (`track`) event name: events and distinct known customers, by name.
    fn event_name_counts(&self) -> StoreResult<Vec<EventNameCount>>;
    /// The number of customers (the `customers` figure of `stats`, without counting the other
    /// tables: on a 17M-event store `stats` took 45 s cold).
    fn customer_count(&self) -> StoreResult<u64>;
    /// Stores (replaces) a named snapshot.
    fn write_snapshot(&self, snapshot: &SnapshotRecord) -> StoreResult<()>;
    /// The named snapshot, if one was stored.
    fn snapshot(&self, name: &str) -> StoreResult<Option<SnapshotRecord>>;
}
