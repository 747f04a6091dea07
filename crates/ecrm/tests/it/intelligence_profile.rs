//! Profile traits through `run_compute` on a real SQLite store, explained over real HTTP:
//! behaviour, interests and spending from tracked events and order lines, the prospect stage, and
//! complaint tickets raising the risk level.

use ecrm::app::intelligence::compute::{ComputeOptions, run_compute};
use ecrm_core::analytics::TimeUnit;
use ecrm_core::analytics::interests::InterestRules;
use ecrm_core::analytics::lifecycle::{LifecycleRules, RiskRules, ValueTierRules};
use ecrm_core::identity::IdentityLimits;
use ecrm_core::order::{CustomerRef, OrderKind, OrderLine};
use ecrm_core::{Identifier, IdentifierKind};
use ecrm_store::{EventInput, Store, TicketInput, WriteContext};
use serde_json::{Value, json};

use crate::support::{TempDir, fresh_store, spawn_app_on};

const DAY: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

fn user(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierKind::UserId,
        value: value.to_string(),
    }
}

fn ctx() -> WriteContext {
    WriteContext {
        source: "test".to_string(),
        at: T0,
        limits: IdentityLimits::standard(),
    }
}

fn order_line(key: &str, line: i64, who: &str, at: i64, category: &str, price: i64) -> OrderLine {
    OrderLine {
        order_key: key.to_string(),
        kind: OrderKind::Order,
        customer: CustomerRef::new(vec![user(who)], None, None),
        ordered_at: at,
        line_key: line,
        product_id: Some(format!("p-{category}-{price}")),
        product_name: None,
        category: Some(category.to_string()),
        quantity: 1,
        unit_price_cents: price,
        amount_cents: price,
        currency: "USD".to_string(),
        status: None,
    }
}

fn event(id: &str, who: &str, kind: &str, name: &str, at: i64, properties: Value) -> EventInput {
    EventInput {
        message_id: id.to_string(),
        kind: kind.to_string(),
        name: Some(name.to_string()),
        customer: CustomerRef::new(vec![user(who)], None, None),
        channel: Some("web".to_string()),
        occurred_at: at,
        client_time: None,
        sent_at: None,
        received_at: at,
        properties,
        context: json!({}),
    }
}

fn options() -> ComputeOptions {
    ComputeOptions {
        as_of: Some(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")),
        unit: TimeUnit::Day,
        lifecycle: LifecycleRules::STANDARD,
        tiers: ValueTierRules::STANDARD,
        risk: RiskRules::STANDARD,
        interests: InterestRules::STANDARD,
    }
}

fn trait_value(store: &dyn Store, customer: &str, name: &str) -> Value {
    let record = store
        .customer_traits(customer)
        .expect("traits")
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{customer} has no {name} trait"));
    serde_json::from_str(&record.value).expect("json")
}

#[test]
fn compute_writes_profile_traits_prospects_and_complaints_and_explains_them() {
    let dir = TempDir::new("profile");
    let store = fresh_store(&dir);
    let lines = [
        order_line("o1", 1, "ann", T0 + 10 * DAY, "shoes", 5_000),
        order_line("o1", 2, "ann", T0 + 10 * DAY, "bags", 1_000),
        order_line("o2", 3, "ann", T0 + 40 * DAY, "shoes", 9_000),
        order_line("o3", 4, "bob", T0 + 20 * DAY, "shoes", 7_000),
    ];
    store.write_orders(&lines, &ctx()).expect("orders");
    let s = T0 + 50 * DAY;
    let events = [
        event(
            "e1",
            "ann",
            "page",
            "Category",
            s,
            json!({"path": "/c/hats", "dwell_seconds": 30}),
        ),
        event(
            "e2",
            "ann",
            "track",
            "Product Viewed",
            s + 60_000,
            json!({"category": "hats", "brand": "acme", "dwell_seconds": 240}),
        ),
        event(
            "e3",
            "ann",
            "track",
            "Product Added",
            s + 120_000,
            json!({"category": "hats", "brand": "acme"}),
        ),
        event(
            "e4",
            "ann",
            "track",
            "Products Searched",
            s + 150_000,
            json!({"query": "Felt Hat"}),
        ),
        // A visitor who only browsed: a prospect.
        event(
            "e5",
            "cid",
            "page",
            "Home",
            s,
            json!({"path": "/", "dwell_seconds": 10}),
        ),
    ];
    store.write_events(&events, &ctx()).expect("events");
    store
        .write_ticket(&TicketInput {
            customer_id: Some("bob".to_string()),
            order_key: Some("o3".to_string()),
            channel: "email".to_string(),
            topic: "complaint".to_string(),
            status: "open".to_string(),
            opened_at: T0 + 25 * DAY,
        })
        .expect("ticket");

    let report = run_compute(&*store, &options(), T0 + 70 * DAY).expect("compute");
    assert_eq!(report.prospects, 1);
    assert_eq!(report.profiles.events, 5);

    let behaviour = trait_value(&*store, "ann", "behaviour");
    assert_eq!(behaviour["sessions"], 1);
    assert_eq!(
        behaviour["cart_abandonments"], 1,
        "a cart add and no order after it"
    );
    assert_eq!(behaviour["top_paths"][0]["value"], "hats");
    assert_eq!(behaviour["search_terms"][0]["value"], "felt hat");
    assert_eq!(behaviour["avg_dwell_seconds"], 30.0);

    let interests = trait_value(&*store, "ann", "interests");
    let hats = interests["category"]["hats"].as_f64().expect("hats");
    let shoes = interests["category"]["shoes"].as_f64().expect("shoes");
    assert!(
        hats > shoes,
        "recent carts and long views outweigh older purchases: {interests}"
    );
    assert_eq!(interests["brand"]["acme"], 1.0, "the only brand seen");

    let spending = trait_value(&*store, "ann", "spending");
    assert_eq!(spending["orders"], 2);
    assert_eq!(spending["aov_cents"], 7_500);
    assert_eq!(spending["total_spend_cents"], 15_000);
    // Shoes sold at 50, 70 and 90: ann's 50 and 90 sit at 16.7 and 83.3, her bag alone at 50.
    assert_eq!(spending["price_percentile"], 50.0);
    assert_eq!(spending["price_band"], "mid");

    assert_eq!(
        trait_value(&*store, "cid", "lifecycle")["stage"],
        "prospect"
    );
    let risk = trait_value(&*store, "bob", "risk_level");
    assert_eq!(risk["complaints"], 1);
    assert_eq!(
        risk["level"], "medium",
        "one complaint raises low to medium: {risk}"
    );

    let app = spawn_app_on(dir, store);
    for (customer, name, needle) in [
        ("ann", "behaviour", "1 sessions"),
        ("ann", "interests", "hats"),
        ("ann", "spending", "percentile 50"),
        ("cid", "lifecycle", "no order"),
        ("bob", "risk_level", "1 complaint tickets"),
    ] {
        let response = app.get(&format!("/v1/customers/{customer}/traits/{name}/explain"));
        assert_eq!(response.status, 200, "{name}: {}", response.body);
        let body: Value = serde_json::from_str(&response.body).expect("json");
        let explanation = body["explanation"].as_str().unwrap_or("");
        assert!(explanation.contains(needle), "{name}: {explanation}");
        assert!(
            !explanation.contains("no explanation"),
            "{name}: {explanation}"
        );
    }
}

#[test]
fn the_compute_schedule_writes_batch_traits() {
    let dir = TempDir::new("schedule");
    let store = fresh_store(&dir);
    let lines = [order_line("o1", 1, "dee", T0, "shoes", 5_000)];
    store.write_orders(&lines, &ctx()).expect("orders");
    ecrm::app::intelligence::schedule::spawn_compute_schedule(
        store.clone(),
        options(),
        std::time::Duration::from_millis(50),
    )
    .expect("spawn the schedule");
    let started = std::time::Instant::now();
    loop {
        let names: Vec<String> = store
            .customer_traits("dee")
            .expect("traits")
            .into_iter()
            .map(|t| t.name)
            .collect();
        if ["rfm", "lifecycle", "spending", "interests"]
            .iter()
            .all(|name| names.iter().any(|n| n == name))
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no scheduled compute: {names:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn imported_events_update_interests_through_the_updater() {
    use ecrm::app::import::ImportKind;
    use ecrm::app::intelligence::schedule::spawn_profile_updater;

    let dir = TempDir::new("import-updater");
    let store = fresh_store(&dir);
    spawn_profile_updater(
        store.clone(),
        InterestRules::STANDARD,
        std::time::Duration::from_millis(200),
    )
    .expect("spawn the updater");
    // Let the updater start at the head of the (empty) change stream before the import.
    let started = std::time::Instant::now();
    while store
        .change_consumer_position(ecrm::app::intelligence::schedule::UPDATER_CONSUMER)
        .expect("position")
        .is_none()
        && store.latest_model_fit("profile").expect("fit").is_none()
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let file = dir.write(
        "events.jsonl",
        r#"{"type":"track","event":"Product Viewed","userId":"eve","messageId":"i1","timestamp":"2024-02-01T10:00:00Z","properties":{"product_id":"p1","category":"lamps","brand":"lux","dwell_seconds":30}}
"#,
    );
    let options = crate::support::import_options(&dir, ImportKind::Events, "");
    crate::support::import(&*store, std::slice::from_ref(&file), &options).expect("import");
    let customer = store
        .find_customer_id(&user("eve"))
        .expect("lookup")
        .expect("eve is known");
    let started = std::time::Instant::now();
    loop {
        let interests = store
            .customer_traits(&customer)
            .expect("traits")
            .into_iter()
            .find(|t| t.name == "interests");
        if let Some(record) = interests {
            let value: Value = serde_json::from_str(&record.value).expect("json");
            assert_eq!(value["category"]["lamps"], 1.0, "{value}");
            eprintln!(
                "interests after the import: {value} ({:?})",
                started.elapsed()
            );
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the imported view did not reach interests"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_whole_store_pass_gives_the_same_traits_as_the_per_customer_pass() {
    use ecrm::app::intelligence::profile::{
        ProfileRun, load_lines, write_all_event_traits, write_event_traits,
    };
    let dir = TempDir::new("profile-passes");
    let store = fresh_store(&dir);
    let lines = [
        order_line("o1", 1, "ann", T0 + 10 * DAY, "shoes", 5_000),
        order_line("o2", 2, "cat", T0 + 12 * DAY, "bags", 2_500),
    ];
    store.write_orders(&lines, &ctx()).expect("orders");
    let s = T0 + 50 * DAY;
    let events = [
        // Out of time order in storage, two at the same millisecond, an escaped string, a
        // numeric category and a search term: the whole-store pass groups them in memory.
        event(
            "e1",
            "bob",
            "track",
            "Product Viewed",
            s + 60_000,
            json!({"category": 7, "brand": "acme"}),
        ),
        event(
            "e2",
            "ann",
            "page",
            "Category",
            s,
            json!({"path": "/c/hats", "dwell_seconds": 30}),
        ),
        event(
            "e3",
            "bob",
            "track",
            "Product Viewed",
            s,
            json!({"category": "caf\u{e9} \"x\"", "dwell_seconds": 999}),
        ),
        event(
            "e4",
            "bob",
            "track",
            "Product Added",
            s,
            json!({"category": "hats"}),
        ),
        event(
            "e5",
            "ann",
            "track",
            "Products Searched",
            s + 5_000,
            json!({"query": " Felt Hat "}),
        ),
        event(
            "e6",
            "ann",
            "track",
            "Checkout Started",
            s + 9_000,
            json!({"order_id": 42, "coupon": "X1"}),
        ),
        event(
            "e7",
            "bob",
            "track",
            "Product Viewed",
            s + 90 * DAY,
            json!({"category": "late"}),
        ),
    ];
    store.write_events(&events, &ctx()).expect("events");
    let until = T0 + 100 * DAY;
    let run = ProfileRun {
        as_of: until,
        until,
        rules: InterestRules::STANDARD,
        model_fit_id: None,
    };
    let all = load_lines(&*store, None, until).expect("lines");
    let (whole, names) = write_all_event_traits(&*store, &all, &run).expect("whole pass");
    assert_eq!(
        names,
        store.event_name_counts().expect("counts"),
        "the scan counts the console's funnel as the store does, late events included"
    );
    assert_eq!(
        whole.customers, 3,
        "ann and bob with events, cat with lines only"
    );
    assert_eq!(whole.events, 6, "the event after the cut-off is left out");
    let bob = trait_value(&*store, "bob", "interests");
    assert!(bob["category"].get("7").is_some(), "{bob}");
    let listed: Vec<String> = ["ann", "bob", "cat"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let some = load_lines(&*store, Some(&listed), until).expect("lines");
    let again = write_event_traits(&*store, Some(&listed), &some, &run).expect("per customer");
    assert_eq!(again.written, whole.written);
    assert_eq!(again.changed, 0, "both passes compute the same values");
    let rerun = write_event_traits(&*store, None, &all, &run).expect("whole pass again");
    assert_eq!((rerun.written, rerun.changed), (whole.written, 0));
}
