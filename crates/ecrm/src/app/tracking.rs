//! The tracking API's use case: the Segment messages of one request validated and turned into the
//! items the store writes (events, `identify` profile updates, E-commerce order lines), with a
//! reject per refused message naming its index, field and reason.

use ecrm_core::ecommerce::{ORDER_COMPLETED, REFUND_EVENTS, order_lines_of, whole_refund_of};
use ecrm_core::event::{
    ContextFields, Message, MessageOptions, Reject, parse_message_owned, parse_message_split,
};
use ecrm_core::order::OrderLine;
use ecrm_core::phone::PhoneRegion;
use ecrm_core::time::Millis;
use ecrm_store::{TrackedItem, WholeRefund};
use serde::Deserialize;
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
    /// The message; without `properties` and `context` when `kept` holds them.
    pub value: Value,
    pub bytes: usize,
    /// The message's `properties` and `context` objects as the client sent them, so a message that
    /// needs nothing from them is stored without parsing them into values and encoding them again.
    pub kept: Option<KeptJson>,
}

/// The JSON text of a message's `properties` and `context` objects (absent: `None`).
pub struct KeptJson {
    pub properties: Option<String>,
    pub context: Option<String>,
}

/// What validation and page locations read of a context kept as text; other keys are skipped.
#[derive(Deserialize)]
struct ContextPeek {
    channel: Option<Value>,
    traits: Option<Value>,
    page: Option<Value>,
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
    if let Some(kept) = raw.kept {
        return prepare_kept(raw.value, kept, index, options, config);
    }
    let message = parse_message_owned(raw.value, index, options).map_err(classify)?;
    prepare_message(message, index, options, config)
}

/// A message whose `properties` and `context` are text: only order events and pages whose location
/// must be copied parse their properties, and the context is stored as sent.
fn prepare_kept(
    rest: Value,
    kept: KeptJson,
    index: usize,
    options: &MessageOptions,
    config: &TrackingConfig,
) -> Result<TrackedItem, MessageReject> {
    let context = kept.context.unwrap_or_else(|| "{}".to_string());
    let Ok(peek) = serde_json::from_str::<ContextPeek>(&context) else {
        // Not a plain object of known shape (a repeated key, say): validate it as a value.
        return prepare_whole(rest, kept.properties, &context, index, options, config);
    };
    let fields = ContextFields {
        channel: peek.channel.as_ref().and_then(Value::as_str),
        traits: peek.traits.as_ref().and_then(Value::as_object),
    };
    let mut message = parse_message_split(&rest, fields, index, options).map_err(classify)?;
    let mut properties = kept.properties.unwrap_or_else(|| "{}".to_string());
    let page = peek.page.as_ref().and_then(Value::as_object);
    let copies_location = message.kind == "page" && page.is_some_and(|page| !page.is_empty());
    if copies_location || reads_properties(&message) {
        message.properties = parse_properties(&properties, index)?;
    }
    let (order_lines, whole_refund) = order_parts(&message, index, &config.currency)?;
    let location_page = page.filter(|_| copies_location);
    if let Some(page) = location_page {
        keep_page_location(&mut message.properties, page);
    }
    let (mut event, profile) = event_from_message(message, options.received_at);
    if location_page.is_some() || event.kind == "identify" {
        properties = serde_json::to_string(&event.properties)
            .map_err(|err| invalid(index, "properties", err.to_string()))?;
    }
    event.properties = Value::Null;
    let mut item = TrackedItem::with_json(
        event,
        profile.map(|input| input.attributes),
        order_lines,
        properties,
        context,
    );
    item.refund_whole_order = whole_refund;
    Ok(item)
}

/// The kept message put back together and validated as a value.
fn prepare_whole(
    mut rest: Value,
    properties: Option<String>,
    context: &str,
    index: usize,
    options: &MessageOptions,
    config: &TrackingConfig,
) -> Result<TrackedItem, MessageReject> {
    let context: Value =
        serde_json::from_str(context).map_err(|err| invalid(index, "context", err.to_string()))?;
    let properties = properties
        .map(|text| parse_properties(&text, index))
        .transpose()?;
    if let Some(object) = rest.as_object_mut() {
        object.insert("context".to_string(), context);
        if let Some(properties) = properties {
            object.insert("properties".to_string(), properties);
        }
    }
    let message = parse_message_owned(rest, index, options).map_err(classify)?;
    prepare_message(message, index, options, config)
}

/// Whether the E-commerce rules read this message's properties (order and refund events).
fn reads_properties(message: &Message) -> bool {
    message.kind == "track"
        && message
            .name
            .as_deref()
            .is_some_and(|name| name == ORDER_COMPLETED || REFUND_EVENTS.contains(&name))
}

fn parse_properties(text: &str, index: usize) -> Result<Value, MessageReject> {
    serde_json::from_str(text).map_err(|err| invalid(index, "properties", err.to_string()))
}

fn invalid(index: usize, field: &str, reason: String) -> MessageReject {
    MessageReject {
        kind: RejectKind::Invalid,
        reject: Reject {
            index,
            field: field.to_string(),
            reason,
        },
    }
}

/// A message parsed as a value, with its properties and context, to the item the store writes.
fn prepare_message(
    message: Message,
    index: usize,
    options: &MessageOptions,
    config: &TrackingConfig,
) -> Result<TrackedItem, MessageReject> {
    let (order_lines, whole_refund) = order_parts(&message, index, &config.currency)?;
    let (mut event, profile) = event_from_message(message, options.received_at);
    if event.kind == "page"
        && let Some(page) = event.context.get("page").and_then(Value::as_object)
    {
        keep_page_location(&mut event.properties, page);
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
fn keep_page_location(properties: &mut Value, page: &serde_json::Map<String, Value>) {
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

/// The order lines an `Order Completed`/`Order Refunded` message writes, or the whole-order
/// refund an `Order Cancelled` naming only its order asks for.
fn order_parts(
    message: &Message,
    index: usize,
    currency: &str,
) -> Result<(Vec<OrderLine>, Option<WholeRefund>), MessageReject> {
    let order_lines = order_lines_of(message, currency).map_err(|err| MessageReject {
        kind: RejectKind::Invalid,
        reject: Reject {
            index,
            field: err.field,
            reason: err.reason,
        },
    })?;
    let whole_refund = whole_refund_of(message).map(|(order_key, status)| WholeRefund {
        order_key,
        status: status.to_string(),
    });
    Ok((order_lines, whole_refund))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn raw(value: Value) -> RawMessage {
        let bytes = value.to_string().len();
        RawMessage {
            value,
            bytes,
            kept: None,
        }
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

    /// The message split into its text parts, as `http::tracking_body` keeps it.
    fn kept(value: Value) -> RawMessage {
        let bytes = value.to_string().len();
        let mut rest = value;
        let object = rest.as_object_mut().expect("object");
        let mut text = |key: &str| object.remove(key).map(|part| part.to_string());
        let kept = KeptJson {
            properties: text("properties"),
            context: text("context"),
        };
        RawMessage {
            value: rest,
            bytes,
            kept: Some(kept),
        }
    }

    #[test]
    fn kept_text_gives_the_same_items_as_values() {
        let messages = [
            json!({"type": "page", "messageId": "m1", "anonymousId": "d1", "name": "Shoes",
                "properties": {"title": "Shoes"},
                "context": {"channel": "web", "page": {"path": "/shoes", "url": "https://x/shoes"}}}),
            json!({"type": "track", "messageId": "m2", "userId": "u1", "event": "Order Completed",
                "properties": {"order_id": "o1", "currency": "EUR",
                    "products": [{"product_id": "p1", "price": 9.5, "quantity": 2}]}}),
            json!({"type": "identify", "messageId": "m3", "anonymousId": "d1",
                "traits": {"name": "Bo", "plan": "gold"},
                "context": {"traits": {"email": "BO@X.io"}, "ip": "10.0.0.1"}}),
            json!({"type": "track", "messageId": "m4", "anonymousId": "d1", "event": "Product Viewed",
                "properties": {"product_id": "p1", "price": 9.5}, "context": {"ip": "10.0.0.1"}}),
            json!({"type": "track", "messageId": "m5", "anonymousId": "d1"}),
        ];
        let values: Vec<RawMessage> = messages.iter().cloned().map(raw).collect();
        let texts: Vec<RawMessage> = messages.iter().cloned().map(kept).collect();
        let (expected, expected_rejects) = prepare_messages(values, 1_000, &config());
        let (items, rejects) = prepare_messages(texts, 1_000, &config());
        assert_eq!(rejects, expected_rejects);
        assert_eq!(items.len(), 4);
        for (item, expected) in items.iter().zip(&expected) {
            assert_eq!(item.event, expected.event);
            assert_eq!(item.profile, expected.profile);
            assert_eq!(item.order_lines, expected.order_lines);
            for (text, value) in [
                (item.properties_json(), expected.properties_json()),
                (item.context_json(), expected.context_json()),
            ] {
                let parsed: Value = serde_json::from_str(text).expect("JSON");
                assert_eq!(parsed, serde_json::from_str::<Value>(value).expect("JSON"));
            }
        }
        assert_eq!(
            items[2].event.customer.identifiers.len(),
            2,
            "context email"
        );
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
