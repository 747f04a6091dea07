//! Every refusal of the tracking API: status, code and the field it names.

use serde_json::json;

use crate::support::{Db, basic, gzip, spawn_app};

pub fn auth_is_segments(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let message = json!({"userId": "u1", "event": "Product Viewed"});
    let body = message.to_string();
    let missing = app.send("POST", "/v1/track", &[], body.as_bytes());
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["code"], "unauthorized");
    let unknown = app.send(
        "POST",
        "/v1/track",
        &[("Authorization", &basic("ek_w_nope"))],
        body.as_bytes(),
    );
    assert_eq!(unknown.status, 401);
    let in_body = json!({"userId": "u1", "event": "Product Viewed", "writeKey": app.write_key});
    let ok = app.send("POST", "/v1/track", &[], in_body.to_string().as_bytes());
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let batch_key = json!({"batch": [message], "writeKey": "ek_w_wrong"});
    let wrong = app.send("POST", "/v1/batch", &[], batch_key.to_string().as_bytes());
    assert_eq!(wrong.status, 401);
    let admin = app.send(
        "POST",
        "/v1/track",
        &[("Authorization", &basic(&app.admin_key))],
        body.as_bytes(),
    );
    assert_eq!(admin.status, 403);
    assert_eq!(admin.body["code"], "forbidden");
    let write_on_admin = app.send(
        "GET",
        "/v1/customers/u1",
        &[("Authorization", &format!("Bearer {}", app.write_key))],
        b"",
    );
    assert_eq!(write_on_admin.status, 403);
}

pub fn bad_requests_name_the_problem(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    let auth = basic(&app.write_key);
    let headers = [("Authorization", auth.as_str())];
    let invalid = app.send("POST", "/v1/track", &headers, b"{\"userId\": ");
    assert_eq!(
        (invalid.status, invalid.body["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let invalid_batch = app.send("POST", "/v1/batch", &headers, b"[1,2]");
    assert_eq!(invalid_batch.body["code"], "invalid_json");

    let anonymous = app.post("/v1/track", &json!({"event": "Product Viewed"}));
    assert_eq!(anonymous.status, 400);
    assert_eq!(anonymous.body["code"], "missing_identifier");
    assert_eq!(anonymous.body["parameter"], "userId");
    let no_event = app.post("/v1/track", &json!({"userId": "u1"}));
    assert_eq!(
        (no_event.status, no_event.body["code"].as_str()),
        (400, Some("missing_event"))
    );
    assert_eq!(no_event.body["parameter"], "event");
    for key in ["message", "code", "type", "link"] {
        assert!(
            no_event.body[key].is_string(),
            "{key} in {:?}",
            no_event.body
        );
    }

    let big = json!({"userId": "u1", "event": "x", "properties": {"pad": "y".repeat(33 * 1024)}});
    let too_large = app.post("/v1/track", &big);
    assert_eq!(
        (too_large.status, too_large.body["code"].as_str()),
        (400, Some("event_too_large"))
    );

    let many: Vec<_> = (0..40)
        .map(|n| json!({"type": "track", "userId": "u1", "event": "x", "properties": {"pad": "y".repeat(15 * 1024), "n": n}}))
        .collect();
    let batch = json!({"batch": many});
    let batch_large = app.post("/v1/batch", &batch);
    assert_eq!(
        (batch_large.status, batch_large.body["code"].as_str()),
        (400, Some("batch_too_large"))
    );
    let gzipped = gzip(batch.to_string().as_bytes());
    let bomb = app.send(
        "POST",
        "/v1/batch",
        &[
            ("Authorization", auth.as_str()),
            ("Content-Encoding", "gzip"),
        ],
        &gzipped,
    );
    assert_eq!(
        bomb.body["code"], "batch_too_large",
        "the cap applies to the inflated size"
    );
    let brotli = app.send(
        "POST",
        "/v1/track",
        &[("Authorization", auth.as_str()), ("Content-Encoding", "br")],
        b"{}",
    );
    assert_eq!(brotli.status, 415);
    assert_eq!(
        app.store.stats().expect("stats").events,
        0,
        "nothing refused is stored"
    );
}
