use serde_json::json;

use super::*;
use crate::event::{MessageOptions, parse_message};
use crate::phone::PhoneRegion;

fn message(raw: serde_json::Value) -> Message {
    let options = MessageOptions {
        received_at: 1_700_000_000_000,
        correct_skew: false,
        phone_region: PhoneRegion::CN,
    };
    parse_message(&raw, 0, &options).expect("valid message")
}

#[test]
fn order_completed_with_products_becomes_lines() {
    let raw = json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1",
        "properties": {"order_id": "o-1", "currency": "eur", "total": 33.5, "products": [
            {"product_id": "p1", "name": "Shoe", "category": "shoes", "price": 10.25, "quantity": 2},
            {"sku": "s-2", "price": "13"}]}});
    let lines = order_lines_of(&message(raw), "USD").expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].order_key, "o-1");
    assert_eq!(lines[0].kind, OrderKind::Order);
    assert_eq!((lines[0].quantity, lines[0].amount_cents), (2, 2_050));
    assert_eq!(lines[0].currency, "EUR");
    assert_eq!(lines[1].product_id.as_deref(), Some("s-2"));
    assert_eq!(lines[1].amount_cents, 1_300);
    assert_ne!(lines[0].line_key, lines[1].line_key);
}

#[test]
fn order_without_products_is_one_line_of_its_total() {
    let raw = json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1",
        "properties": {"order_id": 42, "revenue": "19.99"}});
    let lines = order_lines_of(&message(raw), "USD").expect("lines");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].order_key.as_str(), lines[0].amount_cents),
        ("42", 1_999)
    );
}

#[test]
fn refunds_are_negative_and_keyed_apart() {
    let raw = json!({"type": "track", "event": "Order Refunded", "userId": "u1", "messageId": "m2",
        "properties": {"order_id": "o-1", "total": 5}});
    let lines = order_lines_of(&message(raw), "USD").expect("lines");
    assert_eq!(lines[0].kind, OrderKind::Refund);
    assert_eq!(lines[0].order_key, "refund:o-1");
    assert_eq!(lines[0].amount_cents, -500);
    let cancelled = message(
        json!({"type": "track", "event": "Order Cancelled", "userId": "u1",
        "properties": {"order_id": "o-1"}}),
    );
    assert!(order_lines_of(&cancelled, "USD").expect("ok").is_empty());
    assert_eq!(
        whole_refund_of(&cancelled),
        Some(("o-1".to_string(), "cancelled"))
    );
}

#[test]
fn only_refunds_naming_just_the_order_are_whole_refunds() {
    let refund = |properties: serde_json::Value| {
        message(
            json!({"type": "track", "event": "Order Refunded", "userId": "u1", "properties": properties}),
        )
    };
    assert_eq!(
        whole_refund_of(&refund(json!({"orderId": 7, "products": []}))),
        Some(("7".to_string(), "refunded"))
    );
    assert_eq!(
        whole_refund_of(&refund(json!({"order_id": "o", "total": 5}))),
        None
    );
    assert_eq!(
        whole_refund_of(&refund(
            json!({"order_id": "o", "products": [{"price": 1}]})
        )),
        None
    );
    assert_eq!(whole_refund_of(&refund(json!({"total": 5}))), None);
    let completed = message(
        json!({"type": "track", "event": "Order Completed", "userId": "u1",
        "properties": {"order_id": "o"}}),
    );
    assert_eq!(whole_refund_of(&completed), None);
}

#[test]
fn order_completed_without_order_id_gets_a_stable_id_from_its_message_id() {
    let raw = json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m-9",
        "properties": {"total": 12}});
    let first = order_lines_of(&message(raw.clone()), "USD").expect("lines");
    let again = order_lines_of(&message(raw), "USD").expect("lines");
    assert_eq!(first[0].order_key, derived_order_id("m-9"));
    assert_eq!(first[0].order_key, again[0].order_key);
    assert!(first[0].order_key.starts_with("row-"));
    let other = json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m-10",
        "properties": {"total": 12}});
    assert_ne!(
        order_lines_of(&message(other), "USD").expect("lines")[0].order_key,
        first[0].order_key
    );
}

#[test]
fn orders_without_currency_take_the_configured_one() {
    let raw = json!({"type": "track", "event": "Order Completed", "userId": "u1",
        "properties": {"order_id": "o", "total": 3}});
    let lines = order_lines_of(&message(raw), "CNY").expect("lines");
    assert_eq!(lines[0].currency, "CNY");
}

#[test]
fn bad_order_events_name_the_field() {
    let cases = [
        (
            json!({"order_id": "o", "products": [{"price": "x"}]}),
            "properties.products[0].price",
        ),
        (json!({"order_id": "o"}), "properties.products"),
        (
            json!({"order_id": "o", "products": [{"quantity": -1}]}),
            "properties.products[0].quantity",
        ),
    ];
    for (properties, field) in cases {
        let raw = json!({"type": "track", "event": "Order Completed", "userId": "u1", "properties": properties});
        let err = order_lines_of(&message(raw), "USD").expect_err("invalid");
        assert_eq!(err.field, field);
    }
}

#[test]
fn other_events_carry_no_lines() {
    let raw = json!({"type": "track", "event": "Product Viewed", "userId": "u1",
        "properties": {"order_id": "o", "price": 3}});
    assert!(order_lines_of(&message(raw), "USD").expect("ok").is_empty());
}
