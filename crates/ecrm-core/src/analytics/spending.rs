//! The `spending` trait: average order value, total spend and the price band.
//!
//! * `orders`: distinct orders; `ordered_cents`: their value; `total_spend_cents`: net of refunds;
//! * `refunds`: distinct refunds; `return_rate`: refunds over orders;
//! * `aov_cents`: `ordered_cents / orders`, rounded to the nearest cent;
//! * `price_percentile` (0–100): the quantity-weighted mean, over the customer's bought lines, of
//!   the percentile of the line's unit price among the unit prices of every bought line in the same
//!   category (mid-rank: lines cheaper count fully, lines at the same price half). Lines without a
//!   category are compared with the other uncategorised lines;
//! * `price_band`: `budget` below 100/3, `premium` from 200/3, `mid` in between.

use std::collections::HashMap;

use serde::Serialize;

use super::activity::PurchaseLine;
use super::behaviour::round_to;

/// Every bought line's unit price, by category: the population of the percentiles. After
/// `finish`, each category keeps its distinct prices with the number of lines below and at each,
/// so a percentile is one binary search over a few distinct prices, not over every line.
#[derive(Debug, Clone, Default)]
pub struct PriceIndex {
    prices: HashMap<String, Vec<i64>>,
    ranks: HashMap<String, PriceRanks>,
    sorted: bool,
}

/// One category's distinct prices, ascending, as `(price, lines below it, lines at it)`, and the
/// number of lines in all.
#[derive(Debug, Clone, Default)]
struct PriceRanks {
    steps: Vec<(i64, u64, u64)>,
    lines: u64,
}

impl PriceIndex {
    /// An empty index.
    pub fn new() -> Self {
        PriceIndex::default()
    }

    /// Adds one bought line's unit price (refund lines are not added).
    pub fn add(&mut self, category: Option<&str>, unit_price_cents: i64) {
        self.sorted = false;
        match self.prices.get_mut(category.unwrap_or("")) {
            Some(list) => list.push(unit_price_cents),
            None => {
                self.prices
                    .insert(category.unwrap_or("").to_string(), vec![unit_price_cents]);
            }
        }
    }

    /// Ranks the prices; call once after the last `add`.
    pub fn finish(&mut self) {
        self.ranks.clear();
        for (category, list) in &mut self.prices {
            list.sort_unstable();
            let mut ranks = PriceRanks {
                steps: Vec::new(),
                lines: list.len() as u64,
            };
            let mut below = 0u64;
            for run in list.chunk_by(|a, b| a == b) {
                ranks.steps.push((run[0], below, run.len() as u64));
                below += run.len() as u64;
            }
            self.ranks.insert(category.clone(), ranks);
        }
        self.sorted = true;
    }

    /// Lines indexed in `category` (`None`: uncategorised).
    pub fn lines_in(&self, category: Option<&str>) -> usize {
        self.prices.get(category.unwrap_or("")).map_or(0, Vec::len)
    }

    /// The mid-rank percentile (0–100) of `price` in `category`, `None` for an empty category or
    /// an unsorted index.
    pub fn percentile(&self, category: Option<&str>, price: i64) -> Option<f64> {
        if !self.sorted {
            return None;
        }
        let ranks = self.ranks.get(category.unwrap_or(""))?;
        if ranks.lines == 0 {
            return None;
        }
        let at = ranks.steps.partition_point(|&(p, _, _)| p < price);
        let (below, equal) = match ranks.steps.get(at) {
            Some(&(p, below, equal)) if p == price => (below, equal),
            Some(&(_, below, _)) => (below, 0),
            None => (ranks.lines, 0),
        };
        Some(100.0 * (below as f64 + 0.5 * equal as f64) / ranks.lines as f64)
    }
}

/// The `spending` trait's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spending {
    /// Distinct orders.
    pub orders: u64,
    /// Value of those orders, in cents.
    pub ordered_cents: i64,
    /// Ordered minus refunded, in cents.
    pub total_spend_cents: i64,
    /// Distinct refunds (returns).
    pub refunds: u64,
    /// `refunds / orders` (4 decimals), `None` without an order.
    pub return_rate: Option<f64>,
    /// Average order value in cents (`None` without an order).
    pub aov_cents: Option<i64>,
    /// Price percentile within the category, 0–100 (1 decimal).
    pub price_percentile: Option<f64>,
    /// `budget`, `mid` or `premium`.
    pub price_band: Option<&'static str>,
    /// Bought lines the percentile averages over.
    pub priced_lines: u64,
}

/// The band of a price percentile.
pub fn price_band(percentile: f64) -> &'static str {
    if percentile < 100.0 / 3.0 {
        "budget"
    } else if percentile < 200.0 / 3.0 {
        "mid"
    } else {
        "premium"
    }
}

/// The spending of a customer from their lines, with the percentiles of `index`.
pub fn spending(lines: &[PurchaseLine<'_>], index: &PriceIndex) -> Spending {
    let mut orders: Vec<u64> = lines
        .iter()
        .filter(|l| !l.refund)
        .map(|l| l.order)
        .collect();
    orders.sort_unstable();
    orders.dedup();
    let ordered_cents: i64 = lines
        .iter()
        .filter(|l| !l.refund)
        .map(|l| l.amount_cents)
        .sum();
    let refunded: i64 = lines
        .iter()
        .filter(|l| l.refund)
        .map(|l| l.amount_cents)
        .sum();
    let (mut weighted, mut weight, mut priced_lines) = (0.0, 0.0, 0u64);
    for line in lines.iter().filter(|l| !l.refund) {
        if let Some(p) = index.percentile(line.category, line.unit_price_cents) {
            let units = line.quantity.max(1) as f64;
            weighted += p * units;
            weight += units;
            priced_lines += 1;
        }
    }
    let price_percentile = (weight > 0.0).then(|| round_to(weighted / weight, 1));
    let count = orders.len() as i64;
    let mut refunds: Vec<u64> = lines.iter().filter(|l| l.refund).map(|l| l.order).collect();
    refunds.sort_unstable();
    refunds.dedup();
    Spending {
        orders: orders.len() as u64,
        ordered_cents,
        total_spend_cents: ordered_cents - refunded.abs(),
        refunds: refunds.len() as u64,
        return_rate: (count > 0).then(|| round_to(refunds.len() as f64 / count as f64, 4)),
        aov_cents: (count > 0).then(|| (ordered_cents as f64 / count as f64).round() as i64),
        price_percentile,
        price_band: price_percentile.map(price_band),
        priced_lines,
    }
}
