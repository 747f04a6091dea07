//! Segments over HTTP: preview with positioned errors, built-ins, CRUD with cycle rejection,
//! members and history, and live membership following tracked events and trait writes.

use std::time::{Duration, Instant};

use ecrm_core::Identifier;
use ecrm_core::order::CustomerRef;
use ecrm_store::{CustomerAttributes, CustomerInput, Store, TraitWrite, WriteContext};
use serde_json::{Value, json};

use crate::support::{TestApp, http_request_json, spawn_app};

fn ctx() -> WriteContext {
    WriteContext {
        source: "test".to_string(),
        at: 1,
        limits: ecrm_core::identity::IdentityLimits::standard(),
    }
}

/// Customers `c1`..`cN` (user ids), the odd ones with an email.
fn customers(store: &dyn Store, n: usize) {
    let rows: Vec<CustomerInput> = (1..=n)
        .map(|i| {
            let mut identifiers = vec![
                Identifier::parse_reference(&format!("c{i}"), ecrm_core::phone::PhoneRegion::CN)
                    .expect("id"),
            ];
            if i % 2 == 1 {
                identifiers.push(
                    Identifier::parse_reference(
                        &format!("email:c{i}@x.io"),
                        ecrm_core::phone::PhoneRegion::CN,
                    )
                    .expect("email"),
                );
            }
            CustomerInput {
                customer: CustomerRef::new(identifiers, None, None),
                attributes: CustomerAttributes {
                    name: Some(format!("Customer {i}")),
                    country: Some(if i % 3 == 0 { "US" } else { "CN" }.to_string()),
                    ..CustomerAttributes::default()
                },
            }
        })
        .collect();
    store.write_customers(&rows, &ctx()).expect("customers");
}

fn set_trait(store: &dyn Store, customer: &str, name: &str, value: Value) {
    let write = TraitWrite {
        customer_id: customer.to_string(),
        name: name.to_string(),
        value: value.to_string(),
        label: None,
    };
    store
        .write_traits(&mut std::iter::once(write), 2, None)
        .expect("trait");
}

fn preview(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.send_json("POST", "/v1/segments/preview", &body);
    (response.status, response.json())
}

#[test]
fn preview_counts_samples_and_names_error_positions() {
    let app = spawn_app();
    customers(&*app.store, 6);
    for (id, stage) in [("c1", "active"), ("c2", "active"), ("c3", "churned")] {
        set_trait(&*app.store, id, "lifecycle", json!({ "stage": stage }));
    }
    let (status, body) = preview(&app, json!({ "query": "lifecycle = \"active\"" }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 2);
    let sample: Vec<&str> = body["sample"]
        .as_array()
        .expect("sample")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(sample.len(), 2);
    assert!(sample.contains(&"c1") && sample.contains(&"c2"));
    assert_eq!(
        body["sample"]
            .as_array()
            .expect("sample")
            .iter()
            .find(|c| c["id"] == "c1")
            .expect("c1")["email"],
        "c1@x.io"
    );

    let (_, body) = preview(
        &app,
        json!({ "query": "has email and not country = \"US\"" }),
    );
    assert_eq!(body["count"], 2, "c1, c5 (c3 is in the US)");
    let definition = json!({ "and": [ { "has": { "identifier": "email" } }, { "compare": { "field": "lifecycle", "cmp": "=", "value": "active" } } ] });
    let (status, body) = preview(&app, json!({ "definition": definition }));
    assert_eq!((status, body["count"].clone()), (200, json!(1)), "{body}");

    let (status, body) = preview(
        &app,
        json!({ "query": "has email and\n  rfm.clas = \"x\"" }),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_query");
    let error = &body["query_error"];
    assert_eq!(
        (error["line"].clone(), error["column"].clone()),
        (json!(2), json!(3)),
        "{body}"
    );
    assert!(
        error["found"]
            .as_str()
            .is_some_and(|f| f.contains("rfm.clas")),
        "{body}"
    );
    assert!(error["expected"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("rfm.class")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("line 2, column 3")),
        "{body}"
    );

    let (status, body) = preview(&app, json!({ "query": "lifecycle =" }));
    assert_eq!(
        (status, body["query_error"]["found"].as_str()),
        (400, Some("the end of the query")),
        "{body}"
    );
    let (status, body) = preview(
        &app,
        json!({ "query": "has email", "definition": definition }),
    );
    assert_eq!(
        (status, body["parameter"].as_str()),
        (400, Some("query")),
        "{body}"
    );
    let (status, _) = preview(&app, json!({ "query": "in segment \"nope\"" }));
    assert_eq!(status, 400);
}

#[test]
fn builtins_crud_cycles_members_and_history() {
    let app = spawn_app();
    customers(&*app.store, 4);
    set_trait(
        &*app.store,
        "c1",
        "value_tier",
        json!({ "tier": "gold", "clv_12m": 900.0 }),
    );
    set_trait(
        &*app.store,
        "c2",
        "value_tier",
        json!({ "tier": "bronze", "clv_12m": 1.0 }),
    );

    let listed = app.get("/v1/segments").json();
    let segments = listed["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 28, "every built-in exists from the start");
    let high = segments
        .iter()
        .find(|s| s["name"] == "high-value")
        .expect("high-value");
    assert_eq!(
        (high["builtin"].clone(), high["title_zh"].clone()),
        (json!(true), json!("高价值客户"))
    );
    assert!(segments.iter().any(
        |s| s["name"] == "rfm-important-value" && s["query"] == "rfm.class = \"重要价值客户\""
    ));

    let created = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "vip", "query": "in segment \"high-value\" and has email" }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let vip = created.json();
    assert_eq!(vip["size"], 1, "c1 is gold with an email: {vip}");
    let id = vip["id"].as_i64().expect("id");
    let again = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "vip", "query": "has email" }),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    let cyclic = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "a", "query": "in segment \"a\"" }),
    );
    assert_eq!(cyclic.status, 400);
    assert!(
        cyclic.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("depend on itself")),
        "{}",
        cyclic.body
    );
    let b = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "b", "query": "in segment \"vip\" or country = \"US\"" }),
    );
    assert_eq!(b.status, 201, "{}", b.body);
    let loop_back = app.send_json(
        "PATCH",
        &format!("/v1/segments/{id}"),
        &json!({ "query": "in segment \"b\"" }),
    );
    assert_eq!(loop_back.status, 400, "vip → b → vip: {}", loop_back.body);
    assert!(
        loop_back.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("vip → b → vip")),
        "{}",
        loop_back.body
    );
    let in_use = app.request(
        "DELETE",
        &format!("/v1/segments/{id}"),
        Some(&format!("Bearer {}", app.admin_key)),
    );
    assert_eq!(in_use.status, 409, "b uses vip");
    let builtin = app.request(
        "DELETE",
        "/v1/segments/high-value",
        Some(&format!("Bearer {}", app.admin_key)),
    );
    assert_eq!(builtin.status, 409);

    let members = app
        .get(&format!("/v1/segments/{id}/members?limit=10"))
        .json();
    assert_eq!(members["members"][0]["id"], "c1", "{members}");
    assert_eq!(members["members"][0]["email"], "c1@x.io");
    let shown = app.get("/v1/segments/vip").json();
    assert_eq!(
        (shown["id"].as_i64(), shown["size"].clone()),
        (Some(id), json!(1))
    );

    let updated = app.send_json(
        "PATCH",
        "/v1/segments/vip",
        &json!({ "query": "has email" }),
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["size"], 2, "c1 and c3");
    let history = app.get("/v1/customers/c3/segments").json();
    let entry = history["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|c| c["segment"] == "vip")
        .cloned()
        .expect("c3 entered vip");
    assert_eq!(
        (entry["change"].clone(), entry["cause"].clone()),
        (json!("enter"), json!("definition changed"))
    );
    assert!(
        history["memberships"]
            .as_array()
            .expect("now")
            .iter()
            .any(|m| m["segment"] == "vip")
    );
    let customer = app.get("/v1/customers/c3").json();
    assert!(
        customer["segments"]
            .as_array()
            .expect("segments in the 360° view")
            .iter()
            .any(|m| m["segment"] == "vip")
    );

    let changes = app
        .get(&format!("/v1/segments/{id}/changes?after=0"))
        .json();
    let list = changes["changes"].as_array().expect("changes");
    assert_eq!(list.len(), 2, "c1 then c3: {changes}");
    let next = changes["next"].as_i64().expect("next");
    let started = Instant::now();
    let empty = app
        .get(&format!("/v1/segments/{id}/changes?after={next}&wait=1"))
        .json();
    assert!(empty["changes"].as_array().expect("none").is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the long poll waited"
    );
    let bad = app.get(&format!("/v1/segments/{id}/changes?after=x"));
    assert_eq!(
        (bad.status, bad.json()["parameter"].as_str()),
        (400, Some("after"))
    );

    let b_id = b.json()["id"].as_i64().expect("b");
    let auth = format!("Bearer {}", app.admin_key);
    assert_eq!(
        app.request("DELETE", &format!("/v1/segments/{b_id}"), Some(&auth))
            .status,
        204
    );
    assert_eq!(
        app.request("DELETE", &format!("/v1/segments/{id}"), Some(&auth))
            .status,
        204
    );
    assert_eq!(app.get("/v1/segments/vip").status, 404);
}

/// Polls a customer's segment history until `wanted` holds or 10 s pass.
fn wait_for(app: &TestApp, customer: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let history = app
            .get(&format!("/v1/customers/{customer}/segments"))
            .json();
        if wanted(&history) || Instant::now() > deadline {
            return history;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_change(history: &Value, segment: &str, change: &str, cause: &str) -> bool {
    history["history"].as_array().is_some_and(|list| {
        list.iter()
            .any(|c| c["segment"] == segment && c["change"] == change && c["cause"] == cause)
    })
}

#[test]
fn membership_follows_tracked_events_and_trait_writes() {
    let app = spawn_app();
    customers(&*app.store, 2);
    let created = app.send_json("POST", "/v1/segments", &json!({ "name": "shoe-fans", "query": "count(event \"Product Viewed\" where category = \"shoes\") >= 2" }));
    assert_eq!(created.status, 201, "{}", created.body);
    let active = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "active", "query": "lifecycle = \"active\"" }),
    );
    assert_eq!(active.status, 201, "{}", active.body);
    crate::support::start_segment_worker(&app.store);
    let key = app.write_key();
    for (n, category) in [(1, "shoes"), (2, "hats"), (3, "shoes")] {
        let event = json!({ "writeKey": key, "type": "track", "event": "Product Viewed", "userId": "c1", "messageId": format!("m{n}"), "properties": { "category": category } });
        let sent = http_request_json(app.addr, "POST", "/v1/track", None, &event);
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let history = wait_for(&app, "c1", |h| {
        has_change(h, "shoe-fans", "enter", "event \"Product Viewed\"")
    });
    assert!(
        has_change(&history, "shoe-fans", "enter", "event \"Product Viewed\""),
        "{history}"
    );

    set_trait(&*app.store, "c2", "lifecycle", json!({ "stage": "active" }));
    let history = wait_for(&app, "c2", |h| {
        has_change(h, "active", "enter", "traits recomputed")
    });
    assert!(
        has_change(&history, "active", "enter", "traits recomputed"),
        "{history}"
    );
    set_trait(
        &*app.store,
        "c2",
        "lifecycle",
        json!({ "stage": "churned" }),
    );
    let history = wait_for(&app, "c2", |h| {
        has_change(h, "active", "exit", "traits recomputed")
    });
    assert!(
        has_change(&history, "active", "exit", "traits recomputed"),
        "{history}"
    );
    assert!(
        history["memberships"]
            .as_array()
            .expect("now")
            .iter()
            .all(|m| m["segment"] != "active")
    );
}
