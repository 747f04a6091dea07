//! From a customer's purchase days to the models' inputs: the RFM aggregates as of a day and the
//! BG/NBD calibration summary `(x, t_x, T)` with the mean repeat value for Gamma-Gamma.
//!
//! Conventions (those of the BTYD literature and `cdnow_customers_summary.csv`):
//! * orders on the same UTC day are one transaction, their values summed;
//! * `x` = days with an order after the first, `t_x` = last minus first order day, `T` = the
//!   calibration end day (inclusive) minus the first order day, in days or weeks (days / 7);
//! * the mean value is that of the repeat transactions, in currency units (cents / 100).
//!
//! Refunds lower the RFM monetary value (net spend) but neither the purchase count nor the
//! transaction values of the spend model: a refund is not a purchase occasion.

use serde::Serialize;

use crate::analytics::bgnbd::BgnbdCustomer;
use crate::analytics::clv::{ClvCustomer, DAYS_PER_MONTH, WEEKS_PER_MONTH};
use crate::analytics::rfm::CustomerRfmInput;

/// One customer's orders and refunds on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PurchaseDay {
    /// UTC day number (days since 1970-01-01).
    pub day: i64,
    /// Orders placed that day.
    pub orders: u32,
    /// Sum of those orders' totals, in cents.
    pub order_cents: i64,
    /// Sum of that day's refunds, in cents (zero or negative).
    pub refund_cents: i64,
}

/// The time unit of `t_x`, `T` and of predicted horizons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Days.
    Day,
    /// Weeks of 7 days.
    Week,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
        }
    }

    /// Units in a month, as lifetimes' CLV counts them.
    pub fn per_month(self) -> f64 {
        match self {
            TimeUnit::Day => DAYS_PER_MONTH,
            TimeUnit::Week => WEEKS_PER_MONTH,
        }
    }

    /// `day` or `week`.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        }
    }
}

/// A customer's calibration summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PurchaseHistory {
    /// Day of the first order.
    pub first_day: i64,
    /// Day of the last order.
    pub last_day: i64,
    /// Total order value of the first day, in currency units.
    pub first_value: f64,
    /// `x`, `t_x`, `T` in the chosen unit.
    pub frequency: u32,
    /// `t_x`.
    pub recency: f64,
    /// `T`.
    pub age: f64,
    /// Mean value of the repeat transactions in currency units (0 when `x = 0`).
    pub mean_value: f64,
}

impl PurchaseHistory {
    /// The inputs of a CLV.
    pub fn clv_customer(&self) -> ClvCustomer {
        ClvCustomer {
            purchases: self.bgnbd_customer(),
            mean_value: self.mean_value,
        }
    }

    /// The inputs of BG/NBD.
    pub fn bgnbd_customer(&self) -> BgnbdCustomer {
        BgnbdCustomer {
            frequency: self.frequency,
            recency: self.recency,
            age: self.age,
        }
    }
}

/// The RFM aggregates of a customer whose `days` all lie before the as-of day; `None` when the
/// customer has no order (refunds only).
pub fn rfm_input(customer_id: &str, days: &[PurchaseDay]) -> Option<CustomerRfmInput> {
    let last_order_day = days.iter().filter(|d| d.orders > 0).map(|d| d.day).max()?;
    let frequency = days.iter().map(|d| u64::from(d.orders)).sum();
    let monetary_cents = days.iter().map(|d| d.order_cents + d.refund_cents).sum();
    Some(CustomerRfmInput {
        customer_id: customer_id.to_string(),
        last_order_day,
        frequency,
        monetary_cents,
    })
}

/// The calibration summary over the order days up to `end_day` inclusive (later days ignored);
/// `None` when there is no order by then.
pub fn purchase_history(
    days: &[PurchaseDay],
    end_day: i64,
    unit: TimeUnit,
) -> Option<PurchaseHistory> {
    let mut orders = days.iter().filter(|d| d.orders > 0 && d.day <= end_day);
    let first = orders.next()?;
    let (mut frequency, mut last_day, mut repeat_cents) = (0u32, first.day, 0i64);
    for day in orders {
        frequency += 1;
        last_day = last_day.max(day.day);
        repeat_cents += day.order_cents;
    }
    let mean_value = if frequency == 0 {
        0.0
    } else {
        repeat_cents as f64 / 100.0 / f64::from(frequency)
    };
    Some(PurchaseHistory {
        first_day: first.day,
        last_day,
        first_value: first.order_cents as f64 / 100.0,
        frequency,
        recency: (last_day - first.day) as f64 / unit.days(),
        age: (end_day - first.day) as f64 / unit.days(),
        mean_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: i64, orders: u32, order_cents: i64, refund_cents: i64) -> PurchaseDay {
        PurchaseDay {
            day,
            orders,
            order_cents,
            refund_cents,
        }
    }

    #[test]
    fn rfm_nets_refunds_and_ignores_refund_only_days_for_recency() {
        let days = [
            day(10, 2, 1_000, 0),
            day(12, 1, 500, 0),
            day(14, 0, 0, -2_000),
        ];
        let input = rfm_input("c", &days).expect("orders");
        assert_eq!(input.last_order_day, 12);
        assert_eq!(input.frequency, 3);
        assert_eq!(
            input.monetary_cents, -500,
            "a refund larger than the orders goes negative"
        );
        assert!(rfm_input("c", &[day(3, 0, 0, -10)]).is_none());
    }

    #[test]
    fn history_counts_repeat_days_in_weeks_up_to_the_end_inclusive() {
        // CDNOW customer 1: first 1997-01-01, repeats 1997-01-18 and 1997-08-02, end 1997-09-30.
        let start = 9_862; // 1997-01-01
        let days = [
            day(start, 1, 2_933, 0),
            day(start + 17, 1, 2_973, 0),
            day(start + 213, 1, 1_496, 0),
            day(start + 273, 1, 9_999, 0),
        ];
        let history = purchase_history(&days, start + 272, TimeUnit::Week).expect("orders");
        assert_eq!(history.frequency, 2);
        assert!((history.recency - 30.43).abs() < 0.005);
        assert!((history.age - 38.86).abs() < 0.005);
        assert!((history.mean_value - 22.345).abs() < 1e-9);
        let one = purchase_history(&days[..1], start + 272, TimeUnit::Day).expect("orders");
        assert_eq!((one.frequency, one.recency, one.mean_value), (0, 0.0, 0.0));
        assert!(purchase_history(&days[3..], start + 272, TimeUnit::Day).is_none());
    }
}
