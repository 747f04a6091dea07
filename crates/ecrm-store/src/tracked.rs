//! The values of the tracking API's writes and reads: messages of one request grouped with the
//! profile and order writes they imply, and filtered reads of a customer's stored events.

use ecrm_core::order::OrderLine;
use ecrm_core::time::Millis;
use serde::Serialize;

use crate::error::StoreResult;
use crate::model::{CustomerAttributes, EventInput};

/// One tracked message: the event, and what it writes besides when it is new (not a duplicate).
///
/// The event's `properties` and `context` are JSON text, encoded by [`TrackedItem::new`] or kept as
/// the client sent them ([`TrackedItem::with_json`]) on the thread that builds the item (a request
/// handler), so the single writer thread only copies bytes; `event.properties` and `event.context`
/// are `Null`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedItem {
    pub event: EventInput,
    /// Profile attributes an `identify` carries.
    pub profile: Option<CustomerAttributes>,
    /// Order or refund lines an `Order Completed`, `Order Refunded` or `Order Cancelled` carries.
    pub order_lines: Vec<OrderLine>,
    /// An `Order Refunded`/`Order Cancelled` without products or amounts: the id of the order to
    /// refund in full, from the order and refunds the store holds when the event is written.
    pub refund_whole_order: Option<WholeRefund>,
    properties_json: String,
    context_json: String,
}

/// A refund of everything still unrefunded of a stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeRefund {
    /// The refunded order's id.
    pub order_key: String,
    /// `refunded` or `cancelled`.
    pub status: String,
}

impl TrackedItem {
    /// The item of `event`, with its properties and context encoded to JSON text.
    pub fn new(
        mut event: EventInput,
        profile: Option<CustomerAttributes>,
        order_lines: Vec<OrderLine>,
    ) -> TrackedItem {
        let properties = std::mem::take(&mut event.properties);
        let context = std::mem::take(&mut event.context);
        TrackedItem {
            event,
            profile,
            order_lines,
            refund_whole_order: None,
            properties_json: json_text(&properties),
            context_json: json_text(&context),
        }
    }

    /// The item of `event` whose properties and context the caller already holds as JSON text
    /// (objects, as the client sent them); `event.properties` and `event.context` are ignored.
    pub fn with_json(
        mut event: EventInput,
        profile: Option<CustomerAttributes>,
        order_lines: Vec<OrderLine>,
        properties_json: String,
        context_json: String,
    ) -> TrackedItem {
        event.properties = serde_json::Value::Null;
        event.context = serde_json::Value::Null;
        TrackedItem {
            event,
            profile,
            order_lines,
            refund_whole_order: None,
            properties_json,
            context_json,
        }
    }

    /// The event's properties as JSON text.
    pub fn properties_json(&self) -> &str {
        &self.properties_json
    }

    /// The event's context as JSON text.
    pub fn context_json(&self) -> &str {
        &self.context_json
    }
}

/// The messages of one request, all from one source (the write key's).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedBatch {
    /// Recorded as the source of the events and of what they create (`api:web-shop`).
    pub source: String,
    pub items: Vec<TrackedItem>,
}

/// A filter over one customer's events; results come newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// The message type (`track`, `page`, ...).
    pub kind: Option<String>,
    /// The event name (`Order Completed`) or page name.
    pub name: Option<String>,
    /// Only events that occurred at or after this time.
    pub from: Option<Millis>,
    /// Only events that occurred strictly before this time.
    pub to: Option<Millis>,
    /// Only events strictly older than this position (the `cursor` of the previous page's last event).
    pub before: Option<EventCursor>,
    pub limit: usize,
}

/// A position in a customer's event list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventCursor {
    pub occurred_at: Millis,
    pub id: i64,
}

/// One stored event as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub channel: Option<String>,
    pub source: String,
    pub occurred_at: Millis,
    pub sent_at: Option<Millis>,
    pub received_at: Millis,
    pub properties: serde_json::Value,
    pub context: serde_json::Value,
}

impl StoredEvent {
    /// The cursor that asks for the events after this one.
    pub fn cursor(&self) -> EventCursor {
        EventCursor {
            occurred_at: self.occurred_at,
            id: self.id,
        }
    }
}

/// The JSON text of a value, written straight into a byte buffer (faster than `Display`).
fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}

/// What runs once a commit is durable: `Ok` then, or the error that kept it from being durable.
pub type OnDurable = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// When a committed transaction becomes durable (see [`crate::Store::write_tracked_deferred`]).
pub struct Durability {
    notify: Box<dyn FnOnce(OnDurable) + Send>,
}

impl Durability {
    /// A commit that is already durable: [`Durability::then`] runs its callback at once.
    pub fn now() -> Durability {
        Durability::deferred(|then| then(Ok(())))
    }

    /// A commit whose durability `notify` reports: it is given the callback and runs it once the
    /// commit is durable (or failed to become so), on whatever thread learns it.
    pub(crate) fn deferred(notify: impl FnOnce(OnDurable) + Send + 'static) -> Durability {
        Durability {
            notify: Box::new(notify),
        }
    }

    /// Runs `then` once the commit is durable, possibly at once on this thread, possibly later on
    /// the store's own thread (keep it short: it delays the next commits' answers).
    pub fn then(self, then: impl FnOnce(StoreResult<()>) + Send + 'static) {
        (self.notify)(Box::new(then));
    }
}

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Durability")
    }
}
