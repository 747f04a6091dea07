//! The tracking API's use case: the Segment messages of one request validated and turned into the
//! items the store writes (events, `identify` profile updates, E-commerce order lines), with a
//! reject per refused message naming its index, field and reason.

use ecrm_core::ecommerce::{order_lines_of, whole_refund_of};
use ecrm_core::event::{MessageOptions, Reject, parse_message_owned};
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::Millis;
use ecrm_store::{TrackedItem, WholeRefund};
use serde_json::Value;

use super::ingest::event_from_message;

/// Most bytes one message may have (Segment's limit).
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Most bytes one batch request may have, after decompression (Segment's limit).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;

/// How to read messages.
#[derive(Debug, Clone)]
pub struct TrackingConfig {
    pub region: PhoneRegion,
    /// Currency of order events that name none (the store's currency, `ecrm serve --currency`).
    pub currency: String,
}

/// Why a message was refused, as a stable category for the error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    EventTooLarge,
    MissingIdentifier,
    MissingEvent,
    Invalid,
}

impl RejectKind {
    /// The error code of this kind of reject.
    pub fn code(self) -> &'static str {
        match self {
            RejectKind::EventTooLarge => "event_too_large",
            RejectKind::MissingIdentifier => "missing_identifier",
            RejectKind::MissingEvent => "missing_event",
            RejectKind::Invalid => "invalid_message",
        }
    }
}

/// A refused message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageReject {
    pub kind: RejectKind,
    pub reject: Reject,
}

/// One message of a request as received: its JSON and its size in bytes.
pub struct RawMessage {
    pub value: Value,
    pub bytes: usize,
}

/// Validates every message; the good become items, the bad become rejects. Timestamps are corrected
/// for clock skew against `received_at`, the server's receive time.
pub fn prepare_messages(
    messages: Vec<RawMessage>,
    received_at: Millis,
    config: &TrackingConfig,
) -> (Vec<TrackedItem>, Vec<MessageReject>) {
    let options = MessageOptions {
        received_at,
        correct_skew: true,
        phone_region: config.region,
    };
    let mut items = Vec::with_capacity(messages.len());
    let mut rejects = Vec::new();
    for (index, raw) in messages.into_iter().enumerate() {
        match prepare_one(raw, index, &options, config) {
            Ok(item) => items.push(item),
            Err(reject) => rejects.push(reject),
        }
    }
    (items, rejects)
}

fn prepare_one(
    raw: RawMessage,
    index: usize,
    options: &MessageOptions,
    config: &TrackingConfig,
) -> Result<TrackedItem, MessageReject> {
    if raw.bytes > MAX_EVENT_BYTES {
        return Err(MessageReject {
            kind: RejectKind::EventTooLarge,
            reject: Reject {
                index,
                field: String::new(),
                reason: format!(
                    "event too large: {} bytes, at most {MAX_EVENT_BYTES}",
                    raw.bytes
                ),
            },
        });
    }
    let message = parse_message_owned(raw.value, index, options).map_err(classify)?;
    let order_lines = order_lines_of(&message, &config.currency).map_err(|err| MessageReject {
        kind: RejectKind::Invalid,
        reject: Reject {
            index,
            field: err.field,
            reason: err.reason,
        },
    })?;
    let whole_refund = whole_refund_of(&message).map(|(order_key, status)| WholeRefund {
        order_key,
        status: status.to_string(),
    });
    let (mut event, profile) = event_from_message(message, options.received_at);
    if event.kind == "page" {
        keep_page_location(&mut event.properties, &event.context);
    }
    let mut item = TrackedItem::new(event, profile.map(|input| input.attributes), order_lines);
    item.refund_whole_order = whole_refund;
    Ok(item)
}

fn classify(reject: Reject) -> MessageReject {
    let kind = match (reject.field.as_str(), reject.reason.as_str()) {
        ("userId", "userId or anonymousId is required") => RejectKind::MissingIdentifier,
        ("event", "is required for track") => RejectKind::MissingEvent,
        _ => RejectKind::Invalid,
    };
    MessageReject { kind, reject }
}

/// Copies `path`, `referrer`, `url`, `title` and `search` from `context.page` into the page's
/// properties where the client left them out, so browse paths can be derived from properties alone.
fn keep_page_location(properties: &mut Value, context: &Value) {
    let Some(page) = context.get("page").and_then(Value::as_object) else {
        return;
    };
    let Some(properties) = properties.as_object_mut() else {
        return;
    };
    for key in ["path", "referrer", "url", "title", "search"] {
        if let Some(value) = page.get(key)
            && !properties.contains_key(key)
        {
            properties.insert(key.to_string(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn raw(value: Value) -> RawMessage {
        let bytes = value.to_string().len();
        RawMessage { value, bytes }
    }

    fn config() -> TrackingConfig {
        TrackingConfig {
            region: PhoneRegion::CN,
            currency: "USD".to_string(),
        }
    }

    #[test]
    fn good_and_bad_messages_are_kept_apart() {
        let messages = vec![
            raw(json!({"type": "track", "event": "Product Viewed", "userId": "u1"})),
            raw(json!({"type": "track", "userId": "u1"})),
            raw(json!({"type": "page", "properties": {}})),
            raw(
                json!({"type": "track", "event": "x", "anonymousId": "d", "properties": {"pad": "y".repeat(MAX_EVENT_BYTES)}}),
            ),
            raw(
                json!({"type": "identify", "userId": "u2", "traits": {"name": "Bo", "plan": "gold"}}),
            ),
        ];
        let (items, rejects) = prepare_messages(messages, 1_000, &config());
        assert_eq!(items.len(), 2);
        let kinds: Vec<(usize, RejectKind)> =
            rejects.iter().map(|r| (r.reject.index, r.kind)).collect();
        assert_eq!(
            kinds,
            [
                (1, RejectKind::MissingEvent),
                (2, RejectKind::MissingIdentifier),
                (3, RejectKind::EventTooLarge)
            ]
        );
        let profile = items[1]
            .profile
            .as_ref()
            .expect("identify updates the profile");
        assert_eq!(profile.name.as_deref(), Some("Bo"));
        assert_eq!(profile.extra["plan"], "gold");
    }

    #[test]
    fn pages_keep_path_and_referrer() {
        let message = raw(json!({"type": "page", "anonymousId": "d1", "name": "Shoes",
            "context": {"page": {"path": "/shoes", "referrer": "https://search.example/"}}}));
        let (items, _) = prepare_messages(vec![message], 1_000, &config());
        let properties: Value =
            serde_json::from_str(items[0].properties_json()).expect("properties are JSON");
        assert_eq!(properties["path"], "/shoes");
        assert_eq!(properties["referrer"], "https://search.example/");
    }
}
