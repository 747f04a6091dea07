//! RFM as of a day: recency, frequency and monetary value per customer, and quintile scores
//! computed exactly as SQL `NTILE(5)` (the peers' `RFM_SPEC`).
//!
//! Scores order the customers by
//! * R: `recency_days` descending, then `customer_id` ascending (most recent → 5);
//! * F: `frequency` ascending, then `customer_id` ascending (most orders → 5);
//! * M: `monetary_cents` ascending, then `customer_id` ascending (highest spend → 5);
//!
//! with `customer_id` compared byte-wise, so ties never share a position and the result is
//! deterministic. Positions become buckets 1..=5 whose sizes differ by at most one, larger first.
//! The work is three sorts of `(key, id rank)` pairs after one sort of the ids; the only
//! per-customer allocation is the id copied into the result.

use std::cmp::Reverse;
use std::fmt::Write;

/// One customer's order aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRfmInput {
    /// The customer's id; ids should be unique (duplicates are scored as separate customers).
    pub customer_id: String,
    /// UTC day (days since 1970-01-01) of the latest order.
    pub last_order_day: i64,
    /// Distinct orders.
    pub frequency: u64,
    /// Sum of the orders' values in cents.
    pub monetary_cents: i64,
}

/// One customer's RFM values and scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfmRow {
    /// The customer's id.
    pub customer_id: String,
    /// `as_of_day - last_order_day`.
    pub recency_days: i64,
    /// Distinct orders.
    pub frequency: u64,
    /// Sum of the orders' values in cents.
    pub monetary_cents: i64,
    /// Recency score, 1..=5 (5 = most recent).
    pub r_score: u8,
    /// Frequency score, 1..=5 (5 = most orders).
    pub f_score: u8,
    /// Monetary score, 1..=5 (5 = highest spend).
    pub m_score: u8,
}

/// Number of RFM score buckets.
pub const RFM_BUCKETS: usize = 5;

/// The range of raw values that received one score, for explanations
/// ("R = 5: the top quintile is 0 to 12 days").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreRange {
    /// Customers with this score.
    pub customers: u64,
    /// Smallest raw value with this score.
    pub min: i64,
    /// Largest raw value with this score.
    pub max: i64,
}

/// Per-score value ranges of each dimension; index 0 is score 1. `None` for an empty score
/// (fewer than five customers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfmThresholds {
    /// Recency days per R score.
    pub recency_days: [Option<ScoreRange>; RFM_BUCKETS],
    /// Orders per F score (as `i64`).
    pub frequency: [Option<ScoreRange>; RFM_BUCKETS],
    /// Cents per M score.
    pub monetary_cents: [Option<ScoreRange>; RFM_BUCKETS],
}

/// The 1-based SQL `NTILE(buckets)` bucket of the 0-based `position` among `count` rows.
pub fn ntile(position: usize, count: usize, buckets: usize) -> usize {
    let buckets = buckets.max(1);
    let small = count / buckets;
    let large_buckets = count % buckets;
    let in_large = large_buckets * (small + 1);
    if position < in_large {
        return position / (small + 1) + 1;
    }
    large_buckets + (position - in_large) / small.max(1) + 1
}

/// Scores every customer as of `as_of_day`; the rows come back sorted by `customer_id` byte-wise.
pub fn compute_rfm(customers: &[CustomerRfmInput], as_of_day: i64) -> Vec<RfmRow> {
    let count = customers.len();
    let mut by_id: Vec<u32> = (0..count as u32).collect();
    // Stable, so duplicate ids keep their input order.
    by_id.sort_by(|left, right| {
        customers[*left as usize]
            .customer_id
            .as_bytes()
            .cmp(customers[*right as usize].customer_id.as_bytes())
    });
    let mut id_rank = vec![0u32; count];
    for (rank, customer_index) in by_id.iter().enumerate() {
        id_rank[*customer_index as usize] = rank as u32;
    }
    let recency = |customer: &CustomerRfmInput| as_of_day.saturating_sub(customer.last_order_day);
    let r_scores = scores_by_key(customers, &id_rank, |customer| Reverse(recency(customer)));
    let f_scores = scores_by_key(customers, &id_rank, |customer| customer.frequency);
    let m_scores = scores_by_key(customers, &id_rank, |customer| customer.monetary_cents);
    by_id
        .iter()
        .map(|customer_index| {
            let index = *customer_index as usize;
            let customer = &customers[index];
            RfmRow {
                customer_id: customer.customer_id.clone(),
                recency_days: recency(customer),
                frequency: customer.frequency,
                monetary_cents: customer.monetary_cents,
                r_score: r_scores[index],
                f_score: f_scores[index],
                m_score: m_scores[index],
            }
        })
        .collect()
}

/// The value ranges behind each score.
pub fn rfm_thresholds(rows: &[RfmRow]) -> RfmThresholds {
    let mut thresholds = RfmThresholds {
        recency_days: [None; RFM_BUCKETS],
        frequency: [None; RFM_BUCKETS],
        monetary_cents: [None; RFM_BUCKETS],
    };
    for row in rows {
        let frequency = i64::try_from(row.frequency).unwrap_or(i64::MAX);
        widen(&mut thresholds.recency_days, row.r_score, row.recency_days);
        widen(&mut thresholds.frequency, row.f_score, frequency);
        widen(
            &mut thresholds.monetary_cents,
            row.m_score,
            row.monetary_cents,
        );
    }
    thresholds
}

/// The export lines `customer_id,recency_days,frequency,monetary_cents,R,F,M\n` in `customer_id`
/// byte order (the order [`compute_rfm`] returns; other orders are sorted first).
pub fn rfm_export_lines(rows: &[RfmRow]) -> String {
    let mut order: Vec<&RfmRow> = rows.iter().collect();
    if !order
        .is_sorted_by(|left, right| left.customer_id.as_bytes() <= right.customer_id.as_bytes())
    {
        order.sort_by(|left, right| {
            left.customer_id
                .as_bytes()
                .cmp(right.customer_id.as_bytes())
        });
    }
    let mut text = String::with_capacity(rows.len() * 32);
    for row in order {
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{}",
            row.customer_id,
            row.recency_days,
            row.frequency,
            row.monetary_cents,
            row.r_score,
            row.f_score,
            row.m_score
        );
    }
    text
}

/// NTILE(5) score per customer (input order) when sorted by `(key, id rank)`.
fn scores_by_key<K: Ord + Copy>(
    customers: &[CustomerRfmInput],
    id_rank: &[u32],
    key: impl Fn(&CustomerRfmInput) -> K,
) -> Vec<u8> {
    let mut keyed: Vec<(K, u32, u32)> = customers
        .iter()
        .enumerate()
        .map(|(index, customer)| (key(customer), id_rank[index], index as u32))
        .collect();
    // (key, id rank) is unique, so the unstable sort is deterministic.
    keyed.sort_unstable_by_key(|(key, rank, _index)| (*key, *rank));
    let mut scores = vec![0u8; customers.len()];
    for (position, (_key, _rank, index)) in keyed.iter().enumerate() {
        scores[*index as usize] = ntile(position, customers.len(), RFM_BUCKETS) as u8;
    }
    scores
}

fn widen(ranges: &mut [Option<ScoreRange>; RFM_BUCKETS], score: u8, value: i64) {
    let slot = usize::from(score.clamp(1, RFM_BUCKETS as u8)) - 1;
    ranges[slot] = Some(match ranges[slot] {
        None => ScoreRange {
            customers: 1,
            min: value,
            max: value,
        },
        Some(range) => ScoreRange {
            customers: range.customers + 1,
            min: range.min.min(value),
            max: range.max.max(value),
        },
    });
}

#[cfg(test)]
#[path = "rfm_tests.rs"]
mod tests;
