//! Wire shapes of the tracking API and of the customer events endpoint.

use ecrm_store::StoredEvent;
use serde::Serialize;

use crate::app::tracking::MessageReject;

/// The answer to a tracking call once its messages are committed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrackResponse {
    /// Always true in a `200` (Segment's SDKs look at the status only).
    pub success: bool,
    /// Messages stored now.
    pub accepted: u64,
    /// Messages whose `messageId` was already stored (a retry); not stored again.
    pub duplicates: u64,
    /// Messages refused, by index in the request.
    pub rejected: Vec<RejectView>,
}

/// One refused message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RejectView {
    /// Position of the message in the request (0 for single calls).
    pub index: usize,
    /// The offending field (`userId`, `event`, `properties.order_id`); empty for the whole message.
    pub field: String,
    pub reason: String,
    /// `event_too_large`, `missing_identifier`, `missing_event` or `invalid_message`.
    pub code: &'static str,
}

impl From<MessageReject> for RejectView {
    fn from(reject: MessageReject) -> Self {
        RejectView {
            index: reject.reject.index,
            field: reject.reject.field,
            reason: reject.reject.reason,
            code: reject.kind.code(),
        }
    }
}

/// A page of a customer's events, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventPageView {
    pub events: Vec<EventView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<String>,
}

/// One stored event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    #[serde(rename = "messageId")]
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The event name (`track`), page or screen name (`page`, `screen`) or group id (`group`).
    pub name: Option<String>,
    pub channel: Option<String>,
    /// The write key's source (`api:web-shop`) or the import file.
    pub source: String,
    /// When it happened, after clock-skew correction (RFC 3339, UTC).
    pub timestamp: String,
    #[serde(rename = "sentAt")]
    pub sent_at: Option<String>,
    #[serde(rename = "receivedAt")]
    pub received_at: String,
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
    /// This event's position, for `before`.
    pub cursor: String,
}

impl From<StoredEvent> for EventView {
    fn from(event: StoredEvent) -> Self {
        let cursor = format!("{}.{}", event.occurred_at, event.id);
        EventView {
            message_id: event.message_id,
            kind: event.kind,
            name: event.name,
            channel: event.channel,
            source: event.source,
            timestamp: rfc3339(event.occurred_at),
            sent_at: event.sent_at.map(rfc3339),
            received_at: rfc3339(event.received_at),
            properties: event.properties,
            context: event.context,
            cursor,
        }
    }
}

fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| millis.to_string())
}
