//! Playbooks end to end over real HTTP: a tracked event or a trait write puts a customer in a
//! segment, the playbook issues one coupon (never two), grants a benefit and suppresses ads, and
//! leaving the segment reverses what makes sense. Bad configuration is refused with its line and
//! field while the previous one stays in force; bad code lines come back as rejects.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ecrm::app::playbooks::runtime::PlaybookRuntime;
use ecrm_core::Identifier;
use ecrm_core::order::CustomerRef;
use ecrm_store::{CustomerAttributes, CustomerInput, Store, TraitWrite, WriteContext};
use serde_json::{Value, json};

use crate::support::{Response, TempDir, TestApp, http_request_json, parse_response, spawn_app};

const CONFIG: &str = r#"
[[pool]]
name = "welcome"
amount = "10.00"
currency = "USD"
per_customer_limit = 1
generate = 5

[[playbook]]
name = "shoes"
segment = "shoe-fans"
on_enter = [{ action = "issue_coupon", pool = "welcome" }]

[[playbook]]
name = "actives"
segment = "active"
on_enter = [
  { action = "issue_coupon", pool = "welcome" },
  { action = "grant_benefit", benefit = "vip_service" },
  { action = "suppress_ads", reason = "test" },
]
"#;

/// A request with a text body and the admin key.
fn send_text(app: &TestApp, method: &str, path: &str, body: &str) -> Response {
    let mut stream = TcpStream::connect(app.addr).expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: text/plain\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        app.admin_key,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(body.as_bytes()).expect("body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response");
    parse_response(&raw)
}

pub fn customers(store: &dyn Store) {
    let rows: Vec<CustomerInput> = ["c1", "c2"]
        .iter()
        .map(|id| CustomerInput {
            customer: CustomerRef::new(
                vec![
                    Identifier::parse_reference(id, ecrm_core::phone::PhoneRegion::CN).expect("id"),
                ],
                None,
                None,
            ),
            attributes: CustomerAttributes::default(),
        })
        .collect();
    let ctx = WriteContext {
        source: "test".to_string(),
        at: 1,
        limits: ecrm_core::identity::IdentityLimits::standard(),
    };
    store.write_customers(&rows, &ctx).expect("customers");
}

fn set_lifecycle(store: &dyn Store, customer: &str, stage: &str, at: i64) {
    let write = TraitWrite {
        customer_id: customer.to_string(),
        name: "lifecycle".to_string(),
        value: json!({ "stage": stage }).to_string(),
        label: None,
    };
    store
        .write_traits(&mut std::iter::once(write), at, None)
        .expect("trait");
}

/// Runs the playbooks until `wanted` holds for the customer's 360° view (or 10 s pass).
fn run_until(app: &TestApp, customer: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = app.post("/v1/playbooks/run");
        assert_eq!(run.status, 200, "{}", run.body);
        let view = app.get(&format!("/v1/customers/{customer}")).json();
        if wanted(&view) || Instant::now() > deadline {
            return view;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn coupons(view: &Value) -> usize {
    view["perks"]["coupons"].as_array().map_or(0, Vec::len)
}

#[test]
fn segment_entry_issues_one_coupon_and_exit_reverses_benefits() {
    let app = spawn_app();
    customers(&*app.store);
    for (name, query) in [
        (
            "shoe-fans",
            "count(event \"Product Viewed\" where category = \"shoes\") >= 2",
        ),
        ("active", "lifecycle = \"active\""),
    ] {
        let created = app.send_json(
            "POST",
            "/v1/segments",
            &json!({ "name": name, "query": query }),
        );
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let put = send_text(&app, "PUT", "/v1/playbooks", CONFIG);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["status"]["source"], "api");
    let pools = app.get("/v1/coupon-pools").json();
    let welcome = pools
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "welcome"));
    assert_eq!(
        welcome.map(|p| p["codes_total"].clone()),
        Some(json!(5)),
        "{pools}"
    );
    assert!(
        pools
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "win-back")),
        "the default pools exist: {pools}"
    );
    crate::support::start_segment_worker(&app.store);

    // A tracked event puts c1 in shoe-fans: one coupon, however often the playbooks run.
    let key = app.write_key();
    for n in 1..=2 {
        let event = json!({ "writeKey": key, "type": "track", "event": "Product Viewed", "userId": "c1", "messageId": format!("m{n}"), "properties": { "category": "shoes" } });
        assert_eq!(
            http_request_json(app.addr, "POST", "/v1/track", None, &event).status,
            200
        );
    }
    let view = run_until(&app, "c1", |v| coupons(v) > 0);
    assert_eq!(coupons(&view), 1, "{view}");
    assert!(
        view["perks"]["coupons"][0]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("W-"))
    );
    let again = app.post("/v1/playbooks/run").json();
    assert_eq!(again["changes"]["done"], 0, "{again}");
    assert_eq!(coupons(&app.get("/v1/customers/c1").json()), 1);
    let timeline = app.get("/v1/customers/c1/timeline").json();
    assert!(
        timeline
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["kind"] == "playbook"),
        "{timeline}"
    );

    // A trait write puts c2 in active: coupon, benefit, suppression; leaving undoes the last two.
    set_lifecycle(&*app.store, "c2", "active", 2);
    let view = run_until(&app, "c2", |v| coupons(v) > 0);
    assert_eq!(
        view["perks"]["benefits"][0]["benefit"], "vip_service",
        "{view}"
    );
    assert_eq!(view["perks"]["ads_suppressed"]["reason"], "test");
    let csv = app.get("/v1/ads-suppressions");
    assert!(
        csv.body
            .lines()
            .nth(1)
            .is_some_and(|line| line.starts_with("c2,")),
        "{}",
        csv.body
    );
    let dry = app.post("/v1/playbooks/actives/dry-run").json();
    assert_eq!(
        (
            dry["members"].as_u64(),
            dry["actions"][0]["would_run"].as_u64()
        ),
        (Some(1), Some(0)),
        "{dry}"
    );
    assert_eq!(dry["actions"][0]["already_done"], 1);

    set_lifecycle(&*app.store, "c2", "churned", 3);
    let view = run_until(&app, "c2", |v| {
        v["perks"]["benefits"].as_array().is_some_and(Vec::is_empty)
    });
    assert!(
        view["perks"]["benefits"]
            .as_array()
            .expect("benefits")
            .is_empty(),
        "{view}"
    );
    assert!(view["perks"]["ads_suppressed"].is_null(), "{view}");
    assert_eq!(coupons(&view), 1, "a coupon stays with the customer");

    // Entering again is a new membership, but the pool's limit of one per customer holds.
    set_lifecycle(&*app.store, "c2", "active", 4);
    let view = run_until(&app, "c2", |v| {
        v["perks"]["benefits"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    });
    assert_eq!(coupons(&view), 1, "{view}");
    let audit = app
        .store
        .customer_playbook_actions("c2", 50)
        .expect("ledger");
    assert!(
        audit
            .iter()
            .any(|a| a.outcome == "skipped" && a.detail["reason"] == "limit_reached"),
        "{audit:?}"
    );
}

#[test]
fn bad_configuration_is_refused_and_the_previous_one_stays() {
    let app = spawn_app();
    let created = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "active", "query": "lifecycle = \"active\"" }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let good = "[[playbook]]\nname = \"a\"\nsegment = \"active\"\non_enter = [{ action = \"add_tag\", tag = \"x\" }]\n";
    assert_eq!(send_text(&app, "PUT", "/v1/playbooks", good).status, 200);
    let bad = "[[playbook]]\nname = \"b\"\nsegment = \"activ\"\n\n[[playbook.on_enter]]\naction = \"issue_coupon\"\npool = \"nope\"\n";
    let refused = send_text(&app, "PUT", "/v1/playbooks", bad);
    assert_eq!(refused.status, 400, "{}", refused.body);
    let message = refused.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains(
            "line 3: playbook[1].segment: unknown segment \"activ\"; did you mean \"active\"?"
        ),
        "{message}"
    );
    assert!(
        message.contains("line 7: playbook[1].on_enter[1].pool: unknown coupon pool \"nope\""),
        "{message}"
    );
    let unknown = send_text(
        &app,
        "PUT",
        "/v1/playbooks",
        "[[playbook]]\nname = \"c\"\nsegment = \"active\"\ncolour = 1\n",
    );
    assert!(
        unknown.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("line 4: playbook[1].colour: unknown field")),
        "{}",
        unknown.body
    );
    let current = app.get("/v1/playbooks").json();
    assert_eq!(current["config"]["playbooks"][0]["name"], "a", "{current}");
    assert!(
        current["status"]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("colour"))
    );

    let pool = app.send_json(
        "POST",
        "/v1/coupon-pools",
        &json!({ "name": "p", "percent_off": 150 }),
    );
    assert_eq!(
        (pool.status, pool.json()["parameter"].as_str()),
        (400, Some("pool[1].percent_off")),
        "{}",
        pool.body
    );
    let pool = app.send_json(
        "POST",
        "/v1/coupon-pools",
        &json!({ "name": "p", "percent_off": 15 }),
    );
    assert_eq!(pool.status, 201, "{}", pool.body);
    let report = send_text(
        &app,
        "POST",
        "/v1/coupon-pools/p/codes",
        "code\nGOOD-1\nx\nGOOD-2\nGOOD-1\n",
    )
    .json();
    assert_eq!(report["added"], 2, "{report}");
    let lines: Vec<u64> = report["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .filter_map(|r| r["line"].as_u64())
        .collect();
    assert_eq!(lines, [3, 5]);
    assert_eq!(
        app.send_json(
            "POST",
            "/v1/coupon-pools/none/generate",
            &json!({ "count": 3 })
        )
        .status,
        404
    );
    let doc = app.get("/openapi.json").json();
    for path in [
        "/v1/playbooks",
        "/v1/playbooks/{name}/dry-run",
        "/v1/coupon-pools",
        "/v1/ads-suppressions",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

#[test]
fn a_playbook_file_is_reloaded_and_a_bad_edit_keeps_the_previous_one() {
    let app = spawn_app();
    let created = app.send_json(
        "POST",
        "/v1/segments",
        &json!({ "name": "active", "query": "lifecycle = \"active\"" }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let dir = TempDir::new("playbook-file");
    let file = dir.write(
        "playbooks.toml",
        "[[playbook]]\nname = \"one\"\nsegment = \"active\"\n",
    );
    let runtime = PlaybookRuntime::open(&*app.store, Some(file.clone()));
    assert_eq!(runtime.current().playbooks[0].name, "one");
    std::fs::write(&file, "[[playbook]]\nname = \"two\"\nsegment = \"gone\"\n").expect("edit");
    runtime.request_reload();
    runtime.poll_file(&*app.store);
    assert_eq!(
        runtime.current().playbooks[0].name,
        "one",
        "the bad edit is refused"
    );
    let error = runtime.status().last_error.unwrap_or_default();
    assert!(
        error.contains("playbooks.toml: line 3: playbook[1].segment: unknown segment \"gone\""),
        "{error}"
    );
    std::fs::write(
        &file,
        "[[playbook]]\nname = \"three\"\nsegment = \"active\"\n",
    )
    .expect("fix");
    runtime.request_reload();
    runtime.poll_file(&*app.store);
    assert_eq!(runtime.current().playbooks[0].name, "three");
    assert!(
        runtime.put(&*app.store, "", "test").is_err(),
        "the API cannot override a file"
    );
}
