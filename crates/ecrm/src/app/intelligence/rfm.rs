//! RFM as of a day: scores, thresholds and class/segment shares, over one store query.

use std::time::Instant;

use chrono::NaiveDate;
use ecrm_core::analytics::{
    RfmRow, RfmSummary, RfmThresholds, compute_rfm, rfm_input, rfm_thresholds, summarize_rfm,
};
use ecrm_core::time::date_to_millis;
use ecrm_store::Store;

use super::{PurchaseTable, date_of, day_of, load_purchases};
use crate::app::AppError;

/// Scores, thresholds and shares of one RFM run.
#[derive(Debug)]
pub struct RfmReport {
    /// The as-of day: orders strictly before it count.
    pub as_of: NaiveDate,
    /// Per customer, in customer-id byte order.
    pub rows: Vec<RfmRow>,
    /// The value range behind each score.
    pub thresholds: RfmThresholds,
    /// Count and revenue share per value class and R×F segment.
    pub summary: RfmSummary,
    /// Seconds spent loading the aggregates from the store.
    pub load_seconds: f64,
    /// Seconds spent scoring and summarising.
    pub compute_seconds: f64,
}

/// Runs RFM as of `as_of` (default: the day after the latest order).
pub fn run_rfm(store: &dyn Store, as_of: Option<NaiveDate>) -> Result<RfmReport, AppError> {
    let started = Instant::now();
    let until = as_of.map_or(i64::MAX, date_to_millis);
    let table = load_purchases(store, until)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let as_of = match as_of {
        Some(day) => day,
        None => date_of(table.last_order_day().map_or(0, |day| day + 1)),
    };
    let rows = rfm_rows(&table, day_of(as_of));
    let thresholds = rfm_thresholds(&rows);
    let summary = summarize_rfm(&rows);
    Ok(RfmReport {
        as_of,
        rows,
        thresholds,
        summary,
        load_seconds,
        compute_seconds: started.elapsed().as_secs_f64(),
    })
}

/// RFM rows of every loaded customer with an order (their days must all be before `as_of_day`).
pub fn rfm_rows(table: &PurchaseTable, as_of_day: i64) -> Vec<RfmRow> {
    let inputs: Vec<_> = (0..table.len())
        .filter_map(|index| rfm_input(&table.ids[index], table.days_of(index)))
        .collect();
    compute_rfm(&inputs, as_of_day)
}
