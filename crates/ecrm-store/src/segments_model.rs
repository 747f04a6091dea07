//! The values of segments and of the change cursor: what changed for which customer since a
//! position, saved segments, memberships with their entries and exits, and the per-customer facts
//! a segment evaluator loads.

use ecrm_core::time::Millis;
use serde::{Deserialize, Serialize};

/// A position in the stream of customer changes: the last journal row (profile, identifier,
/// order and trait changes, written by triggers) and the last event row read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChangeCursor {
    pub journal: i64,
    pub events: i64,
}

impl ChangeCursor {
    /// The cursor as one opaque token (`journal.events`), for URLs and for storing.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.journal, self.events)
    }

    /// Reads a token written by [`ChangeCursor::encode`].
    pub fn decode(token: &str) -> Option<ChangeCursor> {
        let (journal, events) = token.split_once('.')?;
        Some(ChangeCursor {
            journal: journal.parse().ok()?,
            events: events.parse().ok()?,
        })
    }
}

/// What changed for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new event of this type (`track`, `identify`, ...) and name (`Product Viewed`).
    Event { kind: String, name: Option<String> },
    /// A new order or refund, or new lines of one (`order` / `refund`).
    Order { kind: String },
    /// An identifier of this kind was added to the customer or moved to or from it by a merge.
    Identifiers { kind: String },
    /// A profile attribute changed.
    Attributes,
    /// A trait's value changed.
    Trait { name: String },
    /// The customer no longer exists (merged into another).
    Removed,
}

/// One change of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerChange {
    pub customer_id: String,
    pub change: ChangeKind,
}

/// Changes after a cursor, and the cursor to continue from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    pub changes: Vec<CustomerChange>,
    pub next: ChangeCursor,
}

/// A saved segment; `definition` is the JSON form of its expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentRecord {
    pub id: i64,
    pub name: String,
    pub definition: String,
    pub builtin: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A segment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSegment {
    pub name: String,
    pub definition: String,
    pub builtin: bool,
    pub at: Millis,
}

/// A customer entering (`enter = true`) or leaving a segment, with why and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    pub segment_id: i64,
    pub customer_id: String,
    pub enter: bool,
    pub cause: String,
    pub at: Millis,
}

/// A current membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipRecord {
    pub segment_id: i64,
    pub customer_id: String,
    pub entered_at: Millis,
}

/// A recorded entry or exit; `id` is the cursor consumers continue after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentChangeRecord {
    pub id: i64,
    pub segment_id: i64,
    pub customer_id: String,
    /// `enter` or `exit`.
    pub change: String,
    pub cause: String,
    pub at: Millis,
}

/// Which recorded changes to read: after `after` (id), optionally of one segment and/or customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentChangeQuery {
    pub segment_id: Option<i64>,
    pub customer_id: Option<String>,
    pub after: i64,
    pub limit: usize,
}

/// Entries and exits of one segment since some time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SegmentFlow {
    pub segment_id: i64,
    pub entered: u64,
    pub exited: u64,
}

/// Entries and exits of one segment in one period of a series (`Store::segment_flows_by_period`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SegmentPeriodFlow {
    pub segment_id: i64,
    /// The period: 0 for the first `period_millis` after `since`, 1 for the next, ...
    pub period: u64,
    pub entered: u64,
    pub exited: u64,
}

/// One piece of what a segment evaluator knows about a customer, streamed by `Store::segment_facts`.
#[derive(Debug, Clone, PartialEq)]
pub enum FactRow {
    /// The profile (every customer has exactly one, streamed before its other rows).
    Profile {
        customer_id: String,
        name: Option<String>,
        gender: Option<String>,
        birthday: Option<String>,
        country: Option<String>,
        city: Option<String>,
        signup_at: Option<Millis>,
        /// Custom attributes as JSON object text.
        attributes: String,
    },
    /// The order summary: orders (refunds not counted), net revenue in cents, first and last order.
    Orders {
        customer_id: String,
        orders: i64,
        revenue_cents: i64,
        first_order_at: Option<Millis>,
        last_order_at: Option<Millis>,
    },
    /// A trait's current value (JSON text).
    Trait {
        customer_id: String,
        name: String,
        value: String,
    },
    /// The customer has at least one identifier of this kind.
    Identifier { customer_id: String, kind: String },
}

impl FactRow {
    /// The customer the row is about.
    pub fn customer_id(&self) -> &str {
        match self {
            FactRow::Profile { customer_id, .. }
            | FactRow::Orders { customer_id, .. }
            | FactRow::Trait { customer_id, .. }
            | FactRow::Identifier { customer_id, .. } => customer_id,
        }
    }
}
