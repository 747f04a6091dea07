//! The `behaviour` trait: what a customer does on the site, from their tracked events and orders.
//!
//! * `sessions`: runs of events without a 30-minute gap ([`super::activity::sessions`]);
//! * `page_views`, `product_views`, `cart_adds`, `searches`: event counts;
//! * `avg_dwell_seconds`: mean `dwell_seconds` of the page events that carry one (capped at 300);
//! * `top_paths`: the 3 most frequent browse paths, a session's categories in visiting order
//!   (pages, product views, cart adds; repeats in a row collapsed; at most 5 steps), e.g.
//!   `shoes > bags`;
//! * `search_terms`: the 5 most frequent search terms (trimmed, lower-cased);
//! * `cart_abandonments`: sessions with a cart add but neither a checkout nor an order in the
//!   session nor an order placed until 30 minutes after its last event;
//! * `coupon_rate`: checkouts (and completed orders, counted once per order id) with a coupon over
//!   all of them;
//! * `return_rate`: orders with a refund over orders; `refund_rate`: refunded over ordered value.
//!
//! Ties in the top lists are broken alphabetically so the value is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::activity::{Activity, ActivityKind, PurchaseLine, SESSION_GAP_MILLIS, sessions};

/// Browse paths listed.
pub const TOP_PATHS: usize = 3;
/// Search terms listed.
pub const TOP_TERMS: usize = 5;
/// Steps of a browse path kept.
pub const PATH_STEPS: usize = 5;

/// A value and how many sessions (or searches) had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    /// The path (`shoes > bags`) or the search term.
    pub value: String,
    /// How often it occurred.
    pub count: u64,
}

/// The `behaviour` trait's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behaviour {
    /// Sessions.
    pub sessions: u64,
    /// Page views.
    pub page_views: u64,
    /// `Product Viewed` events.
    pub product_views: u64,
    /// Mean dwell time of pages that tracked one, in seconds (rounded to 0.1).
    pub avg_dwell_seconds: Option<f64>,
    /// The most frequent browse paths.
    pub top_paths: Vec<Counted>,
    /// `Products Searched` events.
    pub searches: u64,
    /// The most frequent search terms.
    pub search_terms: Vec<Counted>,
    /// `Product Added` events.
    pub cart_adds: u64,
    /// Sessions with a cart add.
    pub cart_sessions: u64,
    /// Of those, sessions that ended without a checkout or an order.
    pub cart_abandonments: u64,
    /// Checkouts and completed orders (one per order id).
    pub checkouts: u64,
    /// Of those, with a coupon.
    pub coupon_checkouts: u64,
    /// `coupon_checkouts / checkouts` (rounded to 4 decimals), `None` without a checkout.
    pub coupon_rate: Option<f64>,
    /// Distinct orders.
    pub orders: u64,
    /// Distinct refunds (returns).
    pub refunds: u64,
    /// `refunds / orders` (4 decimals), `None` without an order.
    pub return_rate: Option<f64>,
    /// Refunded over ordered value (4 decimals), `None` without ordered value.
    pub refund_rate: Option<f64>,
}

/// Rounds to `places` decimals (stable values keep the trait history short).
pub fn round_to(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

fn top(counts: BTreeMap<String, u64>, n: usize) -> Vec<Counted> {
    let mut list: Vec<Counted> = counts
        .into_iter()
        .map(|(value, count)| Counted { value, count })
        .collect();
    // Stable sort keeps the alphabetical order of equal counts.
    list.sort_by_key(|item| std::cmp::Reverse(item.count));
    list.truncate(n);
    list
}

fn session_path(session: &[Activity]) -> Option<String> {
    let mut steps: Vec<&str> = Vec::new();
    for activity in session {
        let Some(category) = activity.category.as_deref() else {
            continue;
        };
        if !matches!(
            activity.kind,
            ActivityKind::Page | ActivityKind::ProductViewed | ActivityKind::ProductAdded
        ) {
            continue;
        }
        if steps.last() != Some(&category) && steps.len() < PATH_STEPS {
            steps.push(category);
        }
    }
    (!steps.is_empty()).then(|| steps.join(" > "))
}

/// The `behaviour` of a customer from their events (oldest first) and order lines.
pub fn behaviour(activities: &[Activity], lines: &[PurchaseLine<'_>]) -> Behaviour {
    let count = |kind: ActivityKind| activities.iter().filter(|a| a.kind == kind).count() as u64;
    let dwell: Vec<f64> = activities
        .iter()
        .filter(|a| a.kind == ActivityKind::Page)
        .filter_map(|a| a.dwell_seconds)
        .collect();
    let avg_dwell_seconds =
        (!dwell.is_empty()).then(|| round_to(dwell.iter().sum::<f64>() / dwell.len() as f64, 1));

    let order_times: Vec<i64> = lines.iter().filter(|l| !l.refund).map(|l| l.at).collect();
    let mut paths = BTreeMap::new();
    let (mut cart_sessions, mut cart_abandonments) = (0, 0);
    let session_ranges = sessions(activities);
    for range in &session_ranges {
        let session = &activities[range.clone()];
        if let Some(path) = session_path(session) {
            *paths.entry(path).or_insert(0) += 1;
        }
        if session.iter().any(|a| a.kind == ActivityKind::ProductAdded) {
            cart_sessions += 1;
            let checked_out = session.iter().any(|a| {
                matches!(
                    a.kind,
                    ActivityKind::CheckoutStarted | ActivityKind::OrderCompleted
                )
            });
            let (start, end) = (session[0].at, session[session.len() - 1].at);
            let ordered = order_times
                .iter()
                .any(|&at| at >= start && at <= end + SESSION_GAP_MILLIS);
            if !checked_out && !ordered {
                cart_abandonments += 1;
            }
        }
    }

    let mut terms = BTreeMap::new();
    for query in activities.iter().filter_map(|a| a.query.as_ref()) {
        *terms.entry(query.clone()).or_insert(0) += 1;
    }

    let mut seen_orders = BTreeSet::new();
    let (mut checkouts, mut coupon_checkouts) = (0u64, 0u64);
    for activity in activities.iter().filter(|a| {
        matches!(
            a.kind,
            ActivityKind::CheckoutStarted | ActivityKind::OrderCompleted
        )
    }) {
        if let Some(order_id) = &activity.order_id
            && !seen_orders.insert(order_id.clone())
        {
            continue;
        }
        checkouts += 1;
        coupon_checkouts += u64::from(activity.coupon.is_some());
    }

    let orders: BTreeSet<u64> = lines
        .iter()
        .filter(|l| !l.refund)
        .map(|l| l.order)
        .collect();
    let refunds: BTreeSet<u64> = lines.iter().filter(|l| l.refund).map(|l| l.order).collect();
    let ordered: i64 = lines
        .iter()
        .filter(|l| !l.refund)
        .map(|l| l.amount_cents)
        .sum();
    let refunded: i64 = lines
        .iter()
        .filter(|l| l.refund)
        .map(|l| l.amount_cents)
        .sum::<i64>()
        .abs();
    let ratio =
        |part: u64, whole: u64| (whole > 0).then(|| round_to(part as f64 / whole as f64, 4));

    Behaviour {
        sessions: session_ranges.len() as u64,
        page_views: count(ActivityKind::Page),
        product_views: count(ActivityKind::ProductViewed),
        avg_dwell_seconds,
        top_paths: top(paths, TOP_PATHS),
        searches: count(ActivityKind::Searched),
        search_terms: top(terms, TOP_TERMS),
        cart_adds: count(ActivityKind::ProductAdded),
        cart_sessions,
        cart_abandonments,
        checkouts,
        coupon_checkouts,
        coupon_rate: ratio(coupon_checkouts, checkouts),
        orders: orders.len() as u64,
        refunds: refunds.len() as u64,
        return_rate: ratio(refunds.len() as u64, orders.len() as u64),
        refund_rate: (ordered > 0).then(|| round_to(refunded as f64 / ordered as f64, 4)),
    }
}
