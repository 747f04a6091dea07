//! The `interests` trait: category and brand affinities from views, cart adds and purchases, with
//! exponential time decay.
//!
//! Each signal adds a weight to its product's category and brand:
//! * a product view `view_weight × (1 + dwell / 60 s)` (dwell from
//!   [`super::activity::view_dwell_seconds`], capped at 300 s, 0 when unknown);
//! * a cart add `cart_weight`; a purchased line `purchase_weight` (refund lines add nothing);
//!
//! each multiplied by `0.5^(age / half_life_days)`, the age counted from the as-of time (signals
//! after it count as age 0).
//!
//! **Normalisation**: a customer's scores in each dimension are shares of their decayed weight in
//! that dimension, so they lie in 0..1 and sum to 1 over all categories (and over all brands);
//! `interests.category.shoes = 0.4` means 40 % of the customer's recent, weighted attention went to
//! shoes. The top [`TOP_INTERESTS`] of each dimension are kept, rounded to 4 decimals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::activity::{Activity, ActivityKind, PurchaseLine, view_dwell_seconds};
use super::behaviour::round_to;
use crate::time::{DAY_MILLIS, Millis};

/// Categories (and brands) kept per customer.
pub const TOP_INTERESTS: usize = 10;

/// The weights and the half-life of the interest scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InterestRules {
    /// Days after which a signal counts half.
    pub half_life_days: f64,
    /// Weight of a product view before the dwell bonus.
    pub view_weight: f64,
    /// Weight of a cart add.
    pub cart_weight: f64,
    /// Weight of a purchased line.
    pub purchase_weight: f64,
}

impl InterestRules {
    /// Half-life 30 days; view 1 (+1 per minute of dwell), cart add 3, purchase 5.
    pub const STANDARD: InterestRules = InterestRules {
        half_life_days: 30.0,
        view_weight: 1.0,
        cart_weight: 3.0,
        purchase_weight: 5.0,
    };
}

/// The `interests` trait's value: name to score (0..1), per dimension.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Interests {
    /// Category affinities.
    pub category: BTreeMap<String, f64>,
    /// Brand affinities.
    pub brand: BTreeMap<String, f64>,
    /// Signals used: views, cart adds and purchased lines.
    pub signals: u64,
    /// The half-life used, in days.
    pub half_life_days: f64,
}

/// `0.5^(age / half_life)`; no decay for a non-positive half-life.
pub fn decay_factor(age: Millis, half_life_days: f64) -> f64 {
    if half_life_days <= 0.0 || !half_life_days.is_finite() {
        return 1.0;
    }
    0.5f64.powf(age.max(0) as f64 / (half_life_days * DAY_MILLIS as f64))
}

fn normalise(weights: BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let total: f64 = weights.values().sum();
    if total <= 0.0 || !total.is_finite() {
        return BTreeMap::new();
    }
    let mut list: Vec<(String, f64)> = weights.into_iter().collect();
    list.sort_by(|a, b| b.1.total_cmp(&a.1));
    list.truncate(TOP_INTERESTS);
    list.into_iter()
        .map(|(name, weight)| (name, round_to(weight / total, 4)))
        .filter(|(_, score)| *score > 0.0)
        .collect()
}

/// The interests of a customer as of `as_of`, from their events (oldest first) and order lines.
pub fn interests(
    activities: &[Activity],
    lines: &[PurchaseLine<'_>],
    as_of: Millis,
    rules: &InterestRules,
) -> Interests {
    let mut category = BTreeMap::new();
    let mut brand = BTreeMap::new();
    let mut signals = 0u64;
    let mut add = |c: Option<&str>, b: Option<&str>, at: Millis, weight: f64| {
        let weight = weight * decay_factor(as_of - at, rules.half_life_days);
        if !(weight > 0.0 && weight.is_finite()) || (c.is_none() && b.is_none()) {
            return;
        }
        signals += 1;
        if let Some(c) = c {
            *category.entry(c.to_string()).or_insert(0.0) += weight;
        }
        if let Some(b) = b {
            *brand.entry(b.to_string()).or_insert(0.0) += weight;
        }
    };
    let dwell = view_dwell_seconds(activities);
    for (activity, dwell) in activities.iter().zip(dwell) {
        let weight = match activity.kind {
            ActivityKind::ProductViewed => rules.view_weight * (1.0 + dwell.unwrap_or(0.0) / 60.0),
            ActivityKind::ProductAdded => rules.cart_weight,
            _ => continue,
        };
        add(
            activity.category.as_deref(),
            activity.brand.as_deref(),
            activity.at,
            weight,
        );
    }
    for line in lines.iter().filter(|l| !l.refund) {
        add(line.category, line.brand, line.at, rules.purchase_weight);
    }
    Interests {
        category: normalise(category),
        brand: normalise(brand),
        signals,
        half_life_days: rules.half_life_days,
    }
}
