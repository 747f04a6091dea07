//! Customer intelligence: RFM as of a day, the BG/NBD + Gamma-Gamma lifetime-value models, and the
//! batch `compute` that turns them into stored, explained traits.
//!
//! Every use case starts from one streamed store query (`Store::customer_purchase_days`) loaded
//! into a flat, compact table, then runs the pure models of `ecrm_core::analytics`.

pub mod activity_table;
pub mod batch_traits;
pub mod clv;
pub mod compute;
pub mod grouping;
pub mod profile;
pub mod rfm;
pub mod schedule;
pub mod trait_values;
pub mod traits;
pub mod write_back;

use chrono::NaiveDate;
use ecrm_core::analytics::PurchaseDay;
use ecrm_core::time::{DAY_MILLIS, date_to_millis, parse_date};
use ecrm_store::Store;

use super::AppError;

/// Every customer's purchase days, flat: customer `i` owns `days[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Default)]
pub struct PurchaseTable {
    /// Customer ids in byte order.
    pub ids: Vec<String>,
    /// All purchase days, grouped by customer, oldest first.
    pub days: Vec<PurchaseDay>,
    /// Start of each customer's days, plus one final end.
    pub offsets: Vec<usize>,
}

impl PurchaseTable {
    /// Customers loaded.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no customer was loaded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The purchase days of customer `index`.
    pub fn days_of(&self, index: usize) -> &[PurchaseDay] {
        &self.days[self.offsets[index]..self.offsets[index + 1]]
    }

    /// The index of `customer_id`, if loaded.
    pub fn position(&self, customer_id: &str) -> Option<usize> {
        self.ids
            .binary_search_by(|id| id.as_bytes().cmp(customer_id.as_bytes()))
            .ok()
    }

    /// The latest day with an order.
    pub fn last_order_day(&self) -> Option<i64> {
        self.days
            .iter()
            .filter(|d| d.orders > 0)
            .map(|d| d.day)
            .max()
    }
}

/// Loads every customer's purchase days strictly before `until` (UTC epoch millis).
pub fn load_purchases(store: &dyn Store, until: i64) -> Result<PurchaseTable, AppError> {
    let mut table = PurchaseTable {
        offsets: vec![0],
        ..PurchaseTable::default()
    };
    store.customer_purchase_days(until, &mut |customer| {
        table.ids.push(customer.customer_id);
        table.days.extend(customer.days.iter().map(|d| PurchaseDay {
            day: d.day,
            orders: d.orders,
            order_cents: d.order_cents,
            refund_cents: d.refund_cents,
        }));
        table.offsets.push(table.days.len());
        Ok(())
    })?;
    Ok(table)
}

/// Parses a `YYYY-MM-DD` command-line or query date.
pub fn parse_day(parameter: &str, text: &str) -> Result<NaiveDate, AppError> {
    parse_date(text).map_err(|err| AppError::invalid(parameter, err.to_string()))
}

/// The UTC day number of a date.
pub fn day_of(date: NaiveDate) -> i64 {
    date_to_millis(date).div_euclid(DAY_MILLIS)
}

/// The date of a UTC day number.
pub fn date_of(day: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(day)
}
