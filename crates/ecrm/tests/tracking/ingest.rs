//! What the tracking API stores: partial batches, gzip, deduplication, profiles, merges, orders and
//! the events endpoint, all checked through the admin API.

use serde_json::{Value, json};

use crate::support::{Db, basic, gzip, spawn_app};

pub fn partial_batch_stores_the_valid_messages(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let batch = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Product Viewed", "messageId": "b-0"},
        {"type": "track", "userId": "u1", "messageId": "b-1"},
        {"type": "page", "anonymousId": "d1", "name": "Home", "messageId": "b-2"},
        {"type": "track", "event": "Product Added", "messageId": "b-3"},
        {"type": "frobnicate", "userId": "u1", "messageId": "b-4"},
    ]});
    let reply = app.post("/v1/batch", &batch);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["accepted"], 2);
    let rejected: Vec<(u64, String)> = reply.body["rejected"]
        .as_array()
        .expect("rejected list")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap_or(99),
                r["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (1, "missing_event".to_string()),
            (3, "missing_identifier".to_string()),
            (4, "invalid_message".to_string())
        ]
    );
    let all_bad = app.post(
        "/v1/batch",
        &json!({"batch": [{"type": "track", "userId": "u1"}]}),
    );
    assert_eq!(all_bad.status, 400);
    assert_eq!(all_bad.body["rejected"][0]["field"], "event");
    assert_eq!(app.store.stats().expect("stats").events, 2);
}

pub fn gzip_and_retries_store_once(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let batch = json!({"batch": [
        {"type": "track", "userId": "u7", "event": "Checkout Started", "messageId": "g-1",
         "timestamp": "2024-05-01T10:00:00Z", "sentAt": "2024-05-01T10:00:00Z"},
        {"type": "track", "userId": "u7", "event": "Product Added", "messageId": "g-2"},
    ]});
    let auth = basic(&app.write_key);
    let body = gzip(batch.to_string().as_bytes());
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Encoding", "gzip"),
    ];
    let first = app.send("POST", "/v1/batch", &headers, &body);
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(
        (
            first.body["accepted"].as_u64(),
            first.body["duplicates"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let retry = app.send("POST", "/v1/import", &headers, &body);
    assert_eq!(
        (
            retry.body["accepted"].as_u64(),
            retry.body["duplicates"].as_u64()
        ),
        (Some(0), Some(2))
    );
    let single_retry = app.post("/v1/track", &batch["batch"][0]);
    assert_eq!(single_retry.body["duplicates"], 1);
    assert_eq!(app.store.stats().expect("stats").events, 2);

    let events = app.get("/v1/customers/u7/events");
    assert_eq!(events.status, 200);
    let checkout = &events.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["messageId"] == "g-1")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(checkout["source"], "api:web-shop");
    let received = checkout["receivedAt"].as_str().unwrap_or("");
    assert!(
        received.starts_with("20") && !received.starts_with("2024-05-01"),
        "server receivedAt: {received}"
    );
    let corrected = checkout["timestamp"].as_str().unwrap_or("");
    assert!(
        !corrected.starts_with("2024-05-01"),
        "sentAt == timestamp means it happened at receipt: {corrected}"
    );
}

pub fn identify_alias_and_orders_reach_the_360_view(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let steps = [
        (
            "/v1/page",
            json!({"anonymousId": "dev-1", "name": "Shoes", "messageId": "s-1",
            "context": {"page": {"path": "/shoes", "referrer": "https://search.example/"}}}),
        ),
        (
            "/v1/track",
            json!({"anonymousId": "dev-1", "event": "Product Viewed", "messageId": "s-2",
            "properties": {"product_id": "p-1", "category": "shoes"}}),
        ),
        (
            "/v1/identify",
            json!({"userId": "c-42", "messageId": "s-3",
            "traits": {"email": "Ann@Example.com", "firstName": "Ann", "lastName": "Lee", "plan": "gold"}}),
        ),
        (
            "/v1/alias",
            json!({"userId": "c-42", "previousId": "dev-1", "messageId": "s-4"}),
        ),
        (
            "/v1/track",
            json!({"userId": "c-42", "event": "Order Completed", "messageId": "s-5",
            "properties": {"order_id": "o-100", "currency": "EUR", "total": 45.0, "products": [
                {"product_id": "p-1", "name": "Runner", "category": "shoes", "price": 20.0, "quantity": 2},
                {"product_id": "p-2", "name": "Socks", "price": 5.0}]}}),
        ),
        (
            "/v1/track",
            json!({"userId": "c-42", "event": "Order Refunded", "messageId": "s-6",
            "properties": {"order_id": "o-100", "total": 5.0}}),
        ),
        (
            "/v1/group",
            json!({"userId": "c-42", "groupId": "acme", "messageId": "s-7"}),
        ),
        (
            "/v1/screen",
            json!({"userId": "c-42", "name": "Cart", "messageId": "s-8"}),
        ),
    ];
    for (path, body) in &steps {
        let reply = app.post(path, body);
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
    }
    let view = app.get("/v1/customers/email:ann@example.com");
    assert_eq!(view.status, 200, "{:?}", view.body);
    let text = view.body.to_string();
    assert!(
        text.contains("Ann Lee"),
        "identify traits update the profile: {text}"
    );
    assert!(text.contains("gold"));
    assert!(text.contains("dev-1"), "alias merged the device: {text}");
    assert!(
        text.contains("o-100") && text.contains("Runner"),
        "order and lines: {text}"
    );
    assert!(text.contains("4500"), "order total in cents: {text}");
    let by_device = app.get("/v1/customers/anonymous_id:dev-1");
    assert_eq!(
        by_device.body["customer"]["id"],
        view.body["customer"]["id"]
    );

    let pages = app.get("/v1/customers/c-42/events?type=page");
    let page = &pages.body["events"][0];
    assert_eq!(page["properties"]["path"], "/shoes");
    assert_eq!(page["properties"]["referrer"], "https://search.example/");
    let viewed = app.get("/v1/customers/c-42/events?event=Product%20Viewed");
    assert_eq!(viewed.body["events"].as_array().map(Vec::len), Some(1));
    let all = app.get("/v1/customers/c-42/events?limit=3");
    assert_eq!(all.body["events"].as_array().map(Vec::len), Some(3));
    let next = all.body["next"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let rest = app.get(&format!("/v1/customers/c-42/events?limit=10&before={next}"));
    assert_eq!(rest.body["events"].as_array().map(Vec::len), Some(5));
    let none = app.get("/v1/customers/c-42/events?from=2999-01-01T00:00:00Z");
    assert_eq!(none.body["events"].as_array().map(Vec::len), Some(0));
    let bad = app.get("/v1/customers/c-42/events?before=nope");
    assert_eq!(bad.status, 400);
    let stats = app.store.stats().expect("stats");
    assert_eq!(
        (stats.orders, stats.order_lines),
        (2, 3),
        "order + refund, 2 lines + 1 refund line"
    );
}
