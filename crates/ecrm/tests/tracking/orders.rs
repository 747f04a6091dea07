//! E-commerce order events the spec allows but that name less than an import row: no `currency`
//! (the store's currency), no `order_id` on `Order Completed` (an id derived from the messageId),
//! and refunds or cancellations that name only the order (the whole stored order comes back).

use ecrm_core::ecommerce::derived_order_id;
use serde_json::{Value, json};

use crate::support::{Db, TestApp, spawn_app_with_currency};

fn track(app: &TestApp, message_id: &str, event: &str, properties: Value) -> Value {
    let reply = app.post(
        "/v1/track",
        &json!({"userId": "c-9", "event": event, "messageId": message_id, "properties": properties}),
    );
    assert_eq!(reply.status, 200, "{message_id}: {:?}", reply.body);
    reply.body
}

/// An order as the 360° view shows it: (order id, kind, total, currency, status, line amounts).
type OrderRow = (String, String, i64, String, Option<String>, Vec<i64>);

/// The customer's orders, sorted.
fn orders(app: &TestApp) -> Vec<OrderRow> {
    let view = app.get("/v1/customers/c-9");
    assert_eq!(view.status, 200, "{:?}", view.body);
    let mut res: Vec<_> = view.body["latest_orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| {
            let mut lines: Vec<i64> = o["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| l["amount_cents"].as_i64().unwrap_or(0))
                .collect();
            lines.sort_unstable();
            (
                o["order_id"].as_str().unwrap_or("").to_string(),
                o["kind"].as_str().unwrap_or("").to_string(),
                o["total_cents"].as_i64().unwrap_or(0),
                o["currency"].as_str().unwrap_or("").to_string(),
                o["status"].as_str().map(str::to_string),
                lines,
            )
        })
        .collect();
    res.sort();
    res
}

pub fn order_events_without_id_currency_or_amounts(db: Db, test: &str) {
    let Some(app) = spawn_app_with_currency(db, test, "CNY") else {
        return;
    };
    let products = json!({"products": [
        {"product_id": "p-1", "price": 10, "quantity": 2}, {"product_id": "p-2", "price": 5}]});
    let first = track(&app, "n-1", "Order Completed", products.clone());
    assert_eq!(first["accepted"], 1);
    let retry = track(&app, "n-1", "Order Completed", products);
    assert_eq!(
        retry["duplicates"], 1,
        "a retry names the same derived order"
    );
    let derived = derived_order_id("n-1");
    track(
        &app,
        "n-2",
        "Order Completed",
        json!({"order_id": "o-7", "total": 30}),
    );
    track(&app, "n-3", "Order Cancelled", json!({"order_id": "o-7"}));
    track(&app, "n-4", "Order Refunded", json!({"order_id": "o-7"}));
    track(&app, "n-5", "Order Refunded", json!({"order_id": derived}));
    track(
        &app,
        "n-6",
        "Order Completed",
        json!({"order_id": "o-8", "total": 20, "currency": "EUR"}),
    );
    track(
        &app,
        "n-7",
        "Order Refunded",
        json!({"order_id": "o-8", "total": 5, "currency": "EUR"}),
    );
    track(
        &app,
        "n-8",
        "Order Refunded",
        json!({"orderId": "o-8", "products": []}),
    );
    let unknown = track(&app, "n-9", "Order Refunded", json!({"order_id": "o-404"}));
    assert_eq!(unknown["accepted"], 1, "the event is stored even so");
    let refund = |key: &str| format!("refund:{key}");
    let cancelled = Some("cancelled".to_string());
    let refunded = Some("refunded".to_string());
    let mut expected = vec![
        (
            derived.clone(),
            "order".into(),
            2_500,
            "CNY".into(),
            None,
            vec![500, 2_000],
        ),
        (
            refund(&derived),
            "refund".into(),
            -2_500,
            "CNY".into(),
            refunded.clone(),
            vec![-2_000, -500],
        ),
        (
            "o-7".into(),
            "order".into(),
            3_000,
            "CNY".into(),
            None,
            vec![3_000],
        ),
        (
            refund("o-7"),
            "refund".into(),
            -3_000,
            "CNY".into(),
            cancelled,
            vec![-3_000],
        ),
        (
            "o-8".into(),
            "order".into(),
            2_000,
            "EUR".into(),
            None,
            vec![2_000],
        ),
        (
            refund("o-8"),
            "refund".into(),
            -2_000,
            "EUR".into(),
            refunded,
            vec![-1_500, -500],
        ),
    ];
    expected.sort();
    assert_eq!(orders(&app), expected);
    assert_eq!(app.store.stats().expect("stats").events, 9);
}
