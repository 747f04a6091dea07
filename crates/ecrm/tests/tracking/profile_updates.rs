//! The event-driven updater: a tracked `Product Viewed` changes the customer's `interests` (and
//! `behaviour`) shortly after the `200`, observed by polling the 360° view (no fixed sleeps).

use std::time::{Duration, Instant};

use ecrm::app::intelligence::schedule::{ProfileUpdater, spawn_profile_updater};
use ecrm_core::analytics::interests::InterestRules;
use serde_json::{Value, json};

use crate::support::{Db, spawn_app};

/// How long the test waits; the updater polls every 200 ms.
/// Generous: this checks that the update happens, not how fast (benchmarks measure that), and CI
/// runs many test binaries at once on 2 cores.
const DEADLINE: Duration = Duration::from_secs(60);

fn trait_of(view: &Value, name: &str) -> Option<Value> {
    view["traits"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == name)
        .map(|t| t["value"].clone())
}

/// Polls the 360° view until `check` accepts the `interests` trait; returns it and the wait.
fn wait_for_interests(
    app: &crate::support::TestApp,
    customer: &str,
    check: impl Fn(&Value) -> bool,
) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let reply = app.get(&format!("/v1/customers/{customer}"));
        if reply.status == 200
            && let Some(interests) = trait_of(&reply.body, "interests")
            && check(&interests)
        {
            return (interests, started.elapsed());
        }
        assert!(
            started.elapsed() < DEADLINE,
            "interests of {customer} did not change within {DEADLINE:?}: {}",
            reply.body
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn viewed(id: &str, category: &str, brand: &str) -> Value {
    json!({"type": "track", "userId": "shopper-1", "event": "Product Viewed", "messageId": id,
        "properties": {"product_id": "p1", "category": category, "brand": brand,
        "dwell_seconds": 90}})
}

pub fn tracked_views_update_interests_within_the_deadline(db: Db, test: &str) {
    let Some(app) = spawn_app(db, test) else {
        return;
    };
    // Saved position: a restarted updater resumes, a new one starts at the head.
    let updater = ProfileUpdater::start(&*app.store, InterestRules::STANDARD);
    assert!(updater.is_ok(), "the updater starts on an empty store");
    spawn_profile_updater(
        app.store.clone(),
        InterestRules::STANDARD,
        Duration::from_millis(200),
    )
    .expect("spawn the updater");

    let reply = app.post("/v1/track", &viewed("v-1", "shoes", "acme"));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (interests, waited) = wait_for_interests(&app, "shopper-1", |i| {
        i["category"]["shoes"].as_f64() == Some(1.0)
    });
    eprintln!("interests after the first view: {interests} (after {waited:?})");
    assert_eq!(interests["brand"]["acme"], 1.0);

    let reply = app.post("/v1/track", &viewed("v-2", "bags", "zed"));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (interests, waited) = wait_for_interests(&app, "shopper-1", |i| {
        i["category"]["bags"].as_f64().is_some()
    });
    eprintln!("interests after the second view: {interests} (after {waited:?})");
    let shoes = interests["category"]["shoes"].as_f64().unwrap_or(0.0);
    let bags = interests["category"]["bags"].as_f64().unwrap_or(0.0);
    assert!((shoes + bags - 1.0).abs() < 1e-3, "shares: {interests}");

    let explained = app.get("/v1/customers/shopper-1/traits/interests/explain");
    assert_eq!(explained.status, 200, "{:?}", explained.body);
    let text = explained.body["explanation"].as_str().unwrap_or("");
    assert!(text.contains("halved every 30"), "{text}");
    assert!(
        text.contains("cart add 3"),
        "the updater's rules are explained: {text}"
    );
    let behaviour = app.get("/v1/customers/shopper-1/traits/behaviour/explain");
    assert_eq!(behaviour.status, 200, "{:?}", behaviour.body);
}
