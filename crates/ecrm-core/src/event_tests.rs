use serde_json::json;

use super::*;

const OPTIONS: MessageOptions = MessageOptions {
    received_at: 1_700_000_010_000,
    correct_skew: true,
    phone_region: PhoneRegion::CN,
};

#[test]
fn track_with_user_and_device() {
    let raw = json!({"type": "track", "event": "Product Viewed", "userId": "u1", "anonymousId": "d1",
        "messageId": "m1", "timestamp": "2023-11-14T22:13:20Z", "properties": {"product_id": "p1"},
        "context": {"channel": "app"}});
    let message = parse_message(
        &raw,
        0,
        &MessageOptions {
            correct_skew: false,
            ..OPTIONS
        },
    )
    .expect("valid");
    assert_eq!(message.name.as_deref(), Some("Product Viewed"));
    assert_eq!(message.customer.identifiers.len(), 2);
    assert_eq!(message.occurred_at, 1_700_000_000_000);
    assert_eq!(message.channel.as_deref(), Some("app"));
}

#[test]
fn clock_skew_is_corrected_with_sent_at() {
    let raw = json!({"type": "page", "anonymousId": "d1", "timestamp": "2023-11-14T22:13:20Z",
        "sentAt": "2023-11-14T22:13:25Z"});
    let message = parse_message(&raw, 0, &OPTIONS).expect("valid");
    assert_eq!(message.occurred_at, 1_700_000_000_000 + 5_000);
}

/// The client's own time stamp is kept as sent: a retry sent later corrects to another
/// `occurred_at` but keeps it, so it keys deduplication.
#[test]
fn the_client_time_is_kept_before_skew_correction() {
    let sent_at = |sent: &str| {
        json!({"type": "page", "anonymousId": "d1", "messageId": "m1",
            "timestamp": "2023-11-14T22:13:20Z", "sentAt": sent})
    };
    let first = parse_message(&sent_at("2023-11-14T22:13:25Z"), 0, &OPTIONS).expect("valid");
    let retry = parse_message(&sent_at("2023-11-14T22:14:25Z"), 0, &OPTIONS).expect("valid");
    assert_ne!(first.occurred_at, retry.occurred_at);
    assert_eq!(first.client_time, Some(1_700_000_000_000));
    assert_eq!(retry.client_time, first.client_time);
    let original = json!({"type": "page", "anonymousId": "d1",
        "originalTimestamp": "2023-11-14T22:13:20Z"});
    let message = parse_message(&original, 0, &OPTIONS).expect("valid");
    assert_eq!(message.client_time, Some(1_700_000_000_000));
    let undated = json!({"type": "page", "anonymousId": "d1", "sentAt": "2023-11-14T22:13:25Z"});
    let message = parse_message(&undated, 0, &OPTIONS).expect("valid");
    assert_eq!(message.client_time, None);
    assert_eq!(message.occurred_at, OPTIONS.received_at);
}

#[test]
fn rejects_name_the_field() {
    let cases = [
        (json!({"type": "track", "userId": "u1"}), "event"),
        (json!({"type": "track", "event": "x"}), "userId"),
        (json!({"type": "shout", "userId": "u1"}), "type"),
        (
            json!({"type": "identify", "userId": "u1", "traits": {"email": "nope"}}),
            "traits.email",
        ),
        (
            json!({"type": "page", "userId": "u1", "timestamp": "yesterday"}),
            "timestamp",
        ),
        (json!({"type": "alias", "userId": "u1"}), "previousId"),
        (json!([1, 2]), ""),
    ];
    for (raw, field) in cases {
        let reject = parse_message(&raw, 7, &OPTIONS).expect_err("invalid");
        assert_eq!((reject.index, reject.field.as_str()), (7, field), "{raw}");
    }
}

#[test]
fn identify_traits_add_identifiers_and_missing_ids_are_derived() {
    let raw = json!({"type": "identify", "userId": "u1", "traits": {"email": "Ann@X.io", "phone": "138 0013 8000", "name": "Ann"}});
    let message = parse_message(&raw, 0, &OPTIONS).expect("valid");
    assert_eq!(message.customer.identifiers.len(), 3);
    assert_eq!(message.customer.name.as_deref(), Some("Ann"));
    assert!(message.message_id.starts_with("derived-"));
    assert_eq!(
        message.message_id,
        parse_message(&raw, 0, &OPTIONS).expect("valid").message_id
    );
}

#[test]
fn owned_parse_gives_the_same_message_or_reject() {
    let cases = [
        json!({"type": "track", "event": "Product Viewed", "anonymousId": "d1", "messageId": "m1",
            "properties": {"product_id": "p1"}, "context": {"channel": "app", "traits": {"email": "A@b.co"}}}),
        json!({"type": "page", "userId": "u1", "name": "Home", "properties": {"path": "/"}}),
        json!({"type": "identify", "userId": "u1", "messageId": "m2", "traits": {"name": "Ann"}}),
        json!({"type": "track", "event": "x", "userId": "u1", "messageId": "m3", "context": 3}),
        json!({"type": "track", "event": "x", "userId": "u1", "messageId": "m4", "properties": []}),
        json!(["not", "an", "object"]),
    ];
    for raw in cases {
        assert_eq!(
            parse_message_owned(raw.clone(), 2, &OPTIONS),
            parse_message(&raw, 2, &OPTIONS),
            "{raw}"
        );
    }
}

#[test]
fn split_parse_reads_the_context_fields_it_is_given() {
    let whole = json!({"type": "identify", "anonymousId": "d1", "messageId": "m9",
        "context": {"channel": "web", "traits": {"email": "A@X.io"}}, "properties": {"a": 1}});
    let full = parse_message(&whole, 3, &OPTIONS).expect("valid");
    let mut rest = whole.clone();
    let object = rest.as_object_mut().expect("object");
    let context = object.remove("context").expect("context");
    object.remove("properties");
    let split =
        parse_message_split(&rest, ContextFields::of(&context), 3, &OPTIONS).expect("valid split");
    assert_eq!(split.customer, full.customer);
    assert_eq!(split.channel.as_deref(), Some("web"));
    assert_eq!(split.message_id, "m9");
    assert_eq!(
        (split.properties, split.context),
        (Value::Null, Value::Null)
    );
    let bare = parse_message_split(&rest, ContextFields::default(), 3, &OPTIONS).expect("valid");
    assert_eq!(bare.customer.identifiers.len(), 1, "no context email");
}
