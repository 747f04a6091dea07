//! The dashboard's figures, computed in one pass over purchase days, traits and event counts and
//! kept as the `dashboard` snapshot: pages read the snapshot and never compute on the request path.
//! `ecrm compute`, `ecrm demo` and a background thread of `ecrm serve` refresh it.

use std::collections::BTreeMap;

use chrono::Datelike;
use ecrm_core::analytics::ValueClass;
use ecrm_core::time::Millis;
use ecrm_store::{EventNameCount, SnapshotRecord, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppError;
use crate::app::intelligence::date_of;

/// The snapshot's name.
pub const SNAPSHOT: &str = "dashboard";

/// The funnel's steps (Segment E-commerce spec names).
pub const FUNNEL: [&str; 4] = [
    "Product Viewed",
    "Product Added",
    "Checkout Started",
    "Order Completed",
];

/// Upper bounds of the predicted-CLV buckets, in currency units (the last bucket is open).
pub const CLV_BOUNDS: [f64; 7] = [25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0];

/// Months of retention shown per cohort, and cohorts shown.
pub const COHORT_MONTHS: usize = 12;

/// One RFM value class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ClassShare {
    /// The class's Chinese name (the stored value of `rfm.class`).
    pub class: String,
    /// Its English name.
    pub class_en: String,
    /// Customers in it.
    pub customers: u64,
    /// Their summed monetary value, in cents.
    pub monetary_cents: i64,
    /// Share of all customers' monetary value.
    pub revenue_share: f64,
}

/// One monthly cohort: customers by the month of their first order, and how many ordered again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Cohort {
    /// `YYYY-MM` of the first order.
    pub month: String,
    /// Customers whose first order fell in it.
    pub customers: u64,
    /// Of those, customers with an order in month 0, 1, ... after it (month 0 is everyone).
    pub active: Vec<u64>,
}

/// One funnel step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct FunnelStep {
    /// The event name.
    pub name: String,
    /// Distinct known customers who sent it (for `Order Completed`: customers with an order).
    pub customers: u64,
    /// Events sent (for `Order Completed`: orders).
    pub events: u64,
}

/// Every figure of the dashboard.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Dashboard {
    /// When the figures were computed.
    pub computed_at: Millis,
    /// The day after the latest order (`YYYY-MM-DD`), if any.
    pub as_of: Option<String>,
    /// All customers.
    pub customers: u64,
    /// Customers with at least one order.
    pub buyers: u64,
    /// Customers in the lifecycle stages new, active and reactivated.
    pub active: u64,
    /// Customers in the lifecycle stage new.
    pub new_customers: u64,
    /// Customers in the lifecycle stage churned.
    pub churned: u64,
    /// Buyers with orders on two days or more.
    pub repeat_buyers: u64,
    /// `repeat_buyers / buyers`.
    pub repeat_purchase_rate: f64,
    /// `churned / buyers`.
    pub churn_rate: f64,
    /// Orders.
    pub orders: u64,
    /// Order value minus refunds, in cents.
    pub revenue_cents: i64,
    /// Average order value (before refunds), in cents.
    pub aov_cents: i64,
    /// Customers with a predicted 12-month CLV.
    pub clv_customers: u64,
    /// Their summed predicted 12-month CLV, in currency units.
    pub clv_total: f64,
    /// Customers per CLV bucket (`CLV_BOUNDS`, then the open bucket).
    pub clv_buckets: Vec<u64>,
    /// The eight RFM value classes.
    pub rfm_classes: Vec<ClassShare>,
    /// Customers by R score (rows, 5 first) and F score (columns, 1 first).
    pub rf_grid: Vec<Vec<u64>>,
    /// Customers per lifecycle stage.
    pub lifecycle: BTreeMap<String, u64>,
    /// The latest `COHORT_MONTHS` monthly cohorts, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Product viewed → added → checkout started → order completed.
    pub funnel: Vec<FunnelStep>,
}

fn month_index(day: i64) -> i64 {
    let date = date_of(day);
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

fn month_label(index: i64) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// How long each phase of a refresh took, in seconds, in the order they ran.
pub type Phases = Vec<(&'static str, f64)>;

/// Records the time since the last lap as `phase`.
struct Laps {
    at: std::time::Instant,
    phases: Phases,
}

impl Laps {
    fn lap(&mut self, phase: &'static str) {
        self.phases.push((phase, self.at.elapsed().as_secs_f64()));
        self.at = std::time::Instant::now();
    }
}

/// Computes every figure from the store.
pub fn compute_dashboard(store: &dyn Store, now: Millis) -> Result<Dashboard, AppError> {
    Ok(compute_dashboard_timed(store, now, None)?.0)
}

/// Computes every figure from the store, with the time each phase took.
fn compute_dashboard_timed(
    store: &dyn Store,
    now: Millis,
    event_names: Option<Vec<EventNameCount>>,
) -> Result<(Dashboard, Phases), AppError> {
    let mut laps = Laps {
        at: std::time::Instant::now(),
        phases: Vec::new(),
    };
    let customers = store.customer_count()?;
    laps.lap("customers");
    let (mut buyers, mut orders, mut order_cents, mut refund_cents) = (0u64, 0u64, 0i64, 0i64);
    let mut last_day: Option<i64> = None;
    // first month -> months (offsets) with an order -> customers
    let mut cohort_months: BTreeMap<i64, (u64, Vec<u64>)> = BTreeMap::new();
    let mut months: Vec<i64> = Vec::new();
    store.customer_purchase_days(i64::MAX, &mut |customer| {
        let order_days: Vec<_> = customer.days.iter().filter(|d| d.orders > 0).collect();
        for day in &customer.days {
            orders += u64::from(day.orders);
            order_cents += day.order_cents;
            refund_cents += day.refund_cents;
        }
        let Some(first) = order_days.first() else {
            return Ok(());
        };
        buyers += 1;
        let first_month = month_index(first.day);
        months.clear();
        months.extend(order_days.iter().map(|d| month_index(d.day) - first_month));
        months.dedup();
        let entry = cohort_months
            .entry(first_month)
            .or_insert_with(|| (0, vec![0; COHORT_MONTHS]));
        entry.0 += 1;
        for offset in &months {
            if let Some(slot) = usize::try_from(*offset)
                .ok()
                .and_then(|o| entry.1.get_mut(o))
            {
                *slot += 1;
            }
        }
        if let Some(last) = order_days.last() {
            last_day = Some(last_day.map_or(last.day, |d: i64| d.max(last.day)));
        }
        Ok(())
    })?;
    laps.lap("purchase days and cohorts");
    let cohorts: Vec<Cohort> = cohort_months
        .iter()
        .rev()
        .take(COHORT_MONTHS)
        .rev()
        .map(|(month, (count, active))| {
            let last_month = last_day.map_or(*month, month_index);
            let shown = usize::try_from(last_month - month + 1)
                .unwrap_or(0)
                .min(COHORT_MONTHS);
            Cohort {
                month: month_label(*month),
                customers: *count,
                active: active[..shown].to_vec(),
            }
        })
        .collect();

    let mut classes: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    let mut rf_grid = vec![vec![0u64; 5]; 5];
    let mut repeat_buyers = 0u64;
    let mut lifecycle: BTreeMap<String, u64> = BTreeMap::new();
    let (mut clv_customers, mut clv_total) = (0u64, 0.0f64);
    let mut clv_buckets = vec![0u64; CLV_BOUNDS.len() + 1];
    // One pass over the traits for all three (each name alone is a whole scan).
    store.trait_values(&["rfm", "lifecycle", "clv"], &mut |name, _, value| {
        let value: Value = serde_json::from_str(value)?;
        match name {
            "rfm" => {
                let rfm = value;
                let class = rfm["class"].as_str().unwrap_or_default().to_string();
                let entry = classes.entry(class).or_default();
                entry.0 += 1;
                entry.1 += rfm["monetary_cents"].as_i64().unwrap_or(0);
                if rfm["frequency"].as_u64().unwrap_or(0) >= 2 {
                    repeat_buyers += 1;
                }
                let score = |key: &str| rfm[key].as_u64().filter(|s| (1..=5).contains(s));
                if let (Some(r), Some(f)) = (score("r"), score("f")) {
                    rf_grid[(5 - r) as usize][(f - 1) as usize] += 1;
                }
            }
            "lifecycle" => {
                let stage = value["stage"].as_str().unwrap_or("unknown").to_string();
                *lifecycle.entry(stage).or_default() += 1;
            }
            _ => {
                if let Some(amount) = value["clv_12m"].as_f64().filter(|v| v.is_finite()) {
                    clv_customers += 1;
                    clv_total += amount;
                    let bucket = CLV_BOUNDS
                        .iter()
                        .position(|bound| amount < *bound)
                        .unwrap_or(CLV_BOUNDS.len());
                    clv_buckets[bucket] += 1;
                }
            }
        }
        Ok(())
    })?;
    laps.lap("rfm, lifecycle, clv traits");
    let monetary_total: i64 = classes.values().map(|(_, cents)| cents).sum();
    let rfm_classes = ValueClass::ALL
        .iter()
        .map(|class| {
            let (count, cents) = classes
                .get(class.chinese_name())
                .copied()
                .unwrap_or_default();
            ClassShare {
                class: class.chinese_name().to_string(),
                class_en: class.english_name().to_string(),
                customers: count,
                monetary_cents: cents,
                revenue_share: if monetary_total > 0 {
                    cents as f64 / monetary_total as f64
                } else {
                    0.0
                },
            }
        })
        .collect();

    let stage = |name: &str| lifecycle.get(name).copied().unwrap_or(0);
    let active = stage("new") + stage("active") + stage("reactivated");

    let counts = match event_names {
        Some(counts) => counts,
        None => store.event_name_counts()?,
    };
    laps.lap("event name counts");
    let funnel = FUNNEL
        .iter()
        .map(|name| {
            let found = counts.iter().find(|c| c.name == *name);
            let mut step = FunnelStep {
                name: name.to_string(),
                customers: found.map_or(0, |c| c.customers),
                events: found.map_or(0, |c| c.events),
            };
            // Tracked `Order Completed` events are written as orders, like imported orders:
            // the last step counts every customer with an order, and every order.
            if *name == "Order Completed" {
                step.customers = step.customers.max(buyers);
                step.events = step.events.max(orders);
            }
            step
        })
        .collect();

    let dashboard = Dashboard {
        computed_at: now,
        as_of: last_day.map(|day| date_of(day + 1).to_string()),
        customers,
        buyers,
        active,
        new_customers: stage("new"),
        churned: stage("churned"),
        repeat_buyers,
        repeat_purchase_rate: ratio(repeat_buyers, buyers),
        churn_rate: ratio(stage("churned"), buyers),
        orders,
        revenue_cents: order_cents + refund_cents,
        aov_cents: if orders > 0 {
            order_cents / orders as i64
        } else {
            0
        },
        clv_customers,
        clv_total,
        clv_buckets,
        rfm_classes,
        rf_grid,
        lifecycle,
        cohorts,
        funnel,
    };
    Ok((dashboard, laps.phases))
}

/// Computes the figures and stores them as the snapshot (with the segment trends).
pub fn refresh_dashboard(store: &dyn Store, now: Millis) -> Result<Dashboard, AppError> {
    refresh_dashboard_counted(store, now, None)
}

/// [`refresh_dashboard`] with the `track` event names already counted (by the scan of an
/// `ecrm compute` just run), so the events table is not read a second time.
pub fn refresh_dashboard_counted(
    store: &dyn Store,
    now: Millis,
    event_names: Option<Vec<EventNameCount>>,
) -> Result<Dashboard, AppError> {
    let (dashboard, phases) = refresh_timed(store, now, event_names)?;
    for (phase, seconds) in phases {
        tracing::debug!(phase, seconds, "console snapshot phase");
    }
    Ok(dashboard)
}

/// [`refresh_dashboard`], with the time each phase took (`ecrm bench dashboard`).
pub fn refresh_dashboard_timed(
    store: &dyn Store,
    now: Millis,
) -> Result<(Dashboard, Phases), AppError> {
    refresh_timed(store, now, None)
}

fn refresh_timed(
    store: &dyn Store,
    now: Millis,
    event_names: Option<Vec<EventNameCount>>,
) -> Result<(Dashboard, Phases), AppError> {
    let (dashboard, mut phases) = compute_dashboard_timed(store, now, event_names)?;
    let dashboard = store_with_trends(store, now, dashboard, &mut phases)?;
    Ok((dashboard, phases))
}

/// The figures that do not depend on segment memberships (purchases, traits, the funnel from
/// `event_names` when given), to be stored by [`store_dashboard`] once memberships are current:
/// a compute runs this beside the segment catch-up.
pub fn compute_dashboard_counted(
    store: &dyn Store,
    now: Millis,
    event_names: Option<Vec<EventNameCount>>,
) -> Result<Dashboard, AppError> {
    Ok(compute_dashboard_timed(store, now, event_names)?.0)
}

/// Computes the segment trends and stores them with `dashboard` as the console snapshot.
pub fn store_dashboard(
    store: &dyn Store,
    now: Millis,
    dashboard: Dashboard,
) -> Result<Dashboard, AppError> {
    store_with_trends(store, now, dashboard, &mut Vec::new())
}

fn store_with_trends(
    store: &dyn Store,
    now: Millis,
    dashboard: Dashboard,
    phases: &mut Phases,
) -> Result<Dashboard, AppError> {
    let started = std::time::Instant::now();
    let trends = super::trends::compute_trends(store, now)?;
    phases.push(("segment trends and sizes", started.elapsed().as_secs_f64()));
    let started = std::time::Instant::now();
    super::trends::store_trends(store, &trends)?;
    store.write_snapshot(&SnapshotRecord {
        name: SNAPSHOT.to_string(),
        payload: serde_json::to_string(&dashboard)
            .map_err(|err| AppError::Conflict(format!("dashboard snapshot: {err}")))?,
        computed_at: now,
    })?;
    phases.push(("write snapshots", started.elapsed().as_secs_f64()));
    Ok(dashboard)
}

/// The stored snapshot, if any (an unreadable one counts as none).
pub fn load_dashboard(store: &dyn Store) -> Result<Option<Dashboard>, AppError> {
    Ok(store
        .snapshot(SNAPSHOT)?
        .and_then(|record| serde_json::from_str(&record.payload).ok()))
}

/// Whether the snapshot is missing or older than the latest `ecrm compute` run.
pub fn dashboard_is_stale(store: &dyn Store) -> Result<bool, AppError> {
    let Some(snapshot) = store.snapshot(SNAPSHOT)? else {
        return Ok(true);
    };
    let computed = store.latest_model_fit("compute")?;
    Ok(computed.is_some_and(|fit| fit.fitted_at > snapshot.computed_at))
}
