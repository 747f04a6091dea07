//! Behaviour, interests and spending: sessions, dwell weighting, decay, percentiles, degenerate data.

use serde_json::json;

use super::activity::{Activity, ActivityKind, PurchaseLine, sessions, view_dwell_seconds};
use super::behaviour::behaviour;
use super::interests::{InterestRules, decay_factor, interests};
use super::spending::{PriceIndex, price_band, spending};
use crate::time::DAY_MILLIS;

const MIN: i64 = 60_000;

fn view(at: i64, category: &str, brand: &str, dwell: Option<f64>) -> Activity {
    let mut properties = json!({"product_id": "p1", "category": category, "brand": brand});
    if let Some(dwell) = dwell {
        properties["dwell_seconds"] = json!(dwell);
    }
    Activity::from_event("track", Some("Product Viewed"), at, &properties)
}

fn event(at: i64, name: &str, properties: serde_json::Value) -> Activity {
    Activity::from_event("track", Some(name), at, &properties)
}

fn page(at: i64, path: &str, dwell: u32) -> Activity {
    Activity::from_event(
        "page",
        Some("Category"),
        at,
        &json!({"path": path, "dwell_seconds": dwell}),
    )
}

fn line(
    order: u64,
    at: i64,
    category: Option<&'static str>,
    quantity: i64,
    price: i64,
) -> PurchaseLine<'static> {
    PurchaseLine {
        order,
        refund: false,
        at,
        category,
        brand: None,
        quantity,
        unit_price_cents: price,
        amount_cents: quantity * price,
    }
}

#[test]
fn events_are_reduced_and_split_into_sessions() {
    let home = page(0, "/c/shoes?sort=new", 1_000);
    assert_eq!(home.kind, ActivityKind::Page);
    assert_eq!(home.category.as_deref(), Some("shoes"));
    assert_eq!(home.dwell_seconds, Some(300.0), "dwell is capped");
    let search = event(0, "Products Searched", json!({"query": "  Red Boots "}));
    assert_eq!(search.query.as_deref(), Some("red boots"));
    let other = Activity::from_event("identify", None, 0, &json!({}));
    assert_eq!(other.kind, ActivityKind::Other);

    let list = [
        view(0, "a", "x", None),
        view(29 * MIN, "a", "x", None),
        view(60 * MIN, "b", "x", None),
    ];
    assert_eq!(sessions(&list), vec![0..2, 2..3]);
    assert!(sessions(&[]).is_empty());
}

#[test]
fn view_dwell_is_tracked_or_the_gap_to_the_next_event_in_the_session() {
    let list = [
        view(0, "a", "x", Some(12.0)),
        view(1_000, "a", "x", None),
        view(91_000, "a", "x", None),
        view(91_000 + 40 * MIN, "a", "x", None),
    ];
    assert_eq!(
        view_dwell_seconds(&list),
        vec![Some(12.0), Some(90.0), None, None],
        "tracked wins; gap in session; no next event in session"
    );
    let long = [view(0, "a", "x", None), view(20 * MIN, "a", "x", None)];
    assert_eq!(
        view_dwell_seconds(&long)[0],
        Some(300.0),
        "capped at 5 minutes"
    );
}

#[test]
fn decay_halves_every_half_life() {
    assert_eq!(decay_factor(0, 30.0), 1.0);
    assert!((decay_factor(30 * DAY_MILLIS, 30.0) - 0.5).abs() < 1e-12);
    assert!((decay_factor(60 * DAY_MILLIS, 30.0) - 0.25).abs() < 1e-12);
    assert_eq!(
        decay_factor(-DAY_MILLIS, 30.0),
        1.0,
        "future signals are not boosted"
    );
    assert_eq!(decay_factor(DAY_MILLIS, 0.0), 1.0, "no half-life, no decay");
}

#[test]
fn interests_weight_dwell_carts_purchases_and_decay() {
    let rules = InterestRules::STANDARD;
    let now = 100 * DAY_MILLIS;
    // One 120 s view of shoes now: 1 × (1 + 2) = 3; one view of bags now without dwell: 1.
    let list = [
        view(now, "shoes", "acme", Some(120.0)),
        view(now, "bags", "zed", None),
    ];
    let result = interests(&list, &[], now, &rules);
    assert_eq!(result.category["shoes"], 0.75);
    assert_eq!(result.category["bags"], 0.25);
    assert_eq!(result.brand["acme"], 0.75);
    assert_eq!(result.signals, 2);

    // A purchase (5) of hats 30 days ago counts 2.5; a cart add (3) of bags now.
    let add = event(now, "Product Added", json!({"category": "bags"}));
    let bought = line(1, now - 30 * DAY_MILLIS, Some("hats"), 1, 100);
    let result = interests(&[add], &[bought], now, &rules);
    assert_eq!(result.category["bags"], round4(3.0 / 5.5));
    assert_eq!(result.category["hats"], round4(2.5 / 5.5));
    let sum: f64 = result.category.values().sum();
    assert!((sum - 1.0).abs() < 1e-3, "shares sum to 1: {sum}");

    let slower = InterestRules {
        half_life_days: 300.0,
        ..rules
    };
    let add = event(now, "Product Added", json!({"category": "bags"}));
    let bought = line(1, now - 30 * DAY_MILLIS, Some("hats"), 1, 100);
    let result = interests(&[add], &[bought], now, &slower);
    assert!(
        result.category["hats"] > 0.6,
        "a longer half-life keeps old purchases"
    );
}

fn round4(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

#[test]
fn interests_of_nothing_or_refunds_only_are_empty() {
    let rules = InterestRules::STANDARD;
    let empty = interests(&[], &[], 0, &rules);
    assert!(empty.category.is_empty() && empty.brand.is_empty());
    let mut refund = line(91, 0, Some("hats"), 1, -100);
    refund.refund = true;
    let no_category = view(0, "", "", None);
    let result = interests(&[no_category], &[refund], 0, &rules);
    assert_eq!(result.signals, 0);
    assert!(result.category.is_empty());
}

#[test]
fn percentiles_are_mid_rank_within_the_category() {
    let mut index = PriceIndex::new();
    for price in [100, 200, 200, 300] {
        index.add(Some("shoes"), price);
    }
    index.add(None, 5);
    assert_eq!(index.percentile(Some("shoes"), 100), None, "not finished");
    index.finish();
    assert_eq!(index.percentile(Some("shoes"), 100), Some(12.5));
    assert_eq!(index.percentile(Some("shoes"), 200), Some(50.0));
    assert_eq!(index.percentile(Some("shoes"), 300), Some(87.5));
    assert_eq!(index.percentile(Some("shoes"), 1_000), Some(100.0));
    assert_eq!(index.percentile(None, 5), Some(50.0));
    assert_eq!(index.percentile(Some("hats"), 5), None);
    assert_eq!(index.lines_in(Some("shoes")), 4);
    assert_eq!(
        (price_band(10.0), price_band(50.0), price_band(90.0)),
        ("budget", "mid", "premium")
    );
}

#[test]
fn spending_sums_orders_nets_refunds_and_weights_percentiles_by_quantity() {
    let mut index = PriceIndex::new();
    for price in [100, 200, 300, 400] {
        index.add(Some("shoes"), price);
    }
    index.finish();
    let mut refund = line(91, 2, Some("shoes"), 1, -400);
    refund.refund = true;
    let lines = [
        line(1, 0, Some("shoes"), 3, 100),
        line(1, 0, Some("shoes"), 1, 400),
        line(2, 1, Some("shoes"), 0, 0),
        refund,
    ];
    let result = spending(&lines, &index);
    assert_eq!(result.orders, 2);
    assert_eq!(result.ordered_cents, 700);
    assert_eq!(result.total_spend_cents, 300);
    assert_eq!((result.refunds, result.return_rate), (1, Some(0.5)));
    assert_eq!(result.aov_cents, Some(350));
    // 3 units at 12.5, 1 at 87.5, the zero-value line (0 → 0th percentile) counts 1 unit.
    assert_eq!(result.price_percentile, Some(25.0));
    assert_eq!(result.price_band, Some("budget"));

    let nothing = spending(&[], &index);
    assert_eq!((nothing.orders, nothing.aov_cents), (0, None));
    assert_eq!(nothing.price_band, None);
}

#[test]
fn behaviour_counts_paths_searches_abandonment_coupons_and_returns() {
    let t = 10 * DAY_MILLIS;
    let list = [
        // Session 1: shoes → shoes → bags, a cart add, no checkout, no order: abandoned.
        page(t, "/c/shoes", 20),
        view(t + MIN, "shoes", "acme", None),
        view(t + 2 * MIN, "bags", "zed", None),
        event(t + 3 * MIN, "Product Added", json!({"category": "bags"})),
        event(t + 4 * MIN, "Products Searched", json!({"query": "Boots"})),
        // Session 2: shoes → bags again, a cart add and a checkout with a coupon.
        page(t + DAY_MILLIS, "/c/shoes", 40),
        view(t + DAY_MILLIS + MIN, "bags", "zed", None),
        event(
            t + DAY_MILLIS + 2 * MIN,
            "Product Added",
            json!({"category": "bags"}),
        ),
        event(
            t + DAY_MILLIS + 3 * MIN,
            "Checkout Started",
            json!({"order_id": "o1", "coupon": "SAVE5"}),
        ),
        event(
            t + DAY_MILLIS + 4 * MIN,
            "Order Completed",
            json!({"order_id": "o1", "coupon": "SAVE5"}),
        ),
        // Session 3: a cart add, and an imported order 10 minutes later: not abandoned.
        event(
            t + 5 * DAY_MILLIS,
            "Product Added",
            json!({"category": "hats"}),
        ),
        event(
            t + 5 * DAY_MILLIS + MIN,
            "Products Searched",
            json!({"query": "boots"}),
        ),
        event(
            t + 6 * DAY_MILLIS,
            "Checkout Started",
            json!({"order_id": "o2"}),
        ),
    ];
    let mut refund = line(91, t + 7 * DAY_MILLIS, None, 1, -500);
    refund.refund = true;
    let lines = [
        line(1, t + DAY_MILLIS + 4 * MIN, None, 1, 1_000),
        line(3, t + 5 * DAY_MILLIS + 11 * MIN, None, 1, 1_000),
        refund,
    ];
    let result = behaviour(&list, &lines);
    assert_eq!(result.sessions, 4);
    assert_eq!((result.page_views, result.product_views), (2, 3));
    assert_eq!(result.avg_dwell_seconds, Some(30.0));
    assert_eq!(result.top_paths[0].value, "shoes > bags");
    assert_eq!(result.top_paths[0].count, 2);
    assert_eq!(result.top_paths[1].value, "hats");
    assert_eq!(result.search_terms[0].value, "boots");
    assert_eq!(result.search_terms[0].count, 2);
    assert_eq!((result.cart_adds, result.cart_sessions), (3, 3));
    assert_eq!(result.cart_abandonments, 1);
    assert_eq!((result.checkouts, result.coupon_checkouts), (2, 1));
    assert_eq!(result.coupon_rate, Some(0.5));
    assert_eq!((result.orders, result.refunds), (2, 1));
    assert_eq!(result.return_rate, Some(0.5));
    assert_eq!(result.refund_rate, Some(0.25));

    let empty = behaviour(&[], &[]);
    assert_eq!(empty.sessions, 0);
    assert_eq!(empty.avg_dwell_seconds, None);
    assert_eq!(
        (empty.return_rate, empty.refund_rate, empty.coupon_rate),
        (None, None, None)
    );
}
