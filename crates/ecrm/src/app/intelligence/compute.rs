//! `ecrm compute`: the batch that turns purchase history into stored, explained traits.
//!
//! Phases (each timed, with the process's peak memory after it): load the purchase days (one store
//! query), the order lines, RFM with value classes and R×F segments, the BG/NBD fit, the
//! Gamma-Gamma fit, predictions per customer, the write-back of traits (plus their history) in
//! customer order, then the profile phase. The scan of the tracked events that the profile phase
//! needs (`events_scan`) runs on its own thread beside everything from the order lines to the
//! write-back; `events_wait` is how long the write-back then waited for it.
//!
//! Traits written per customer with an order: `rfm`, `lifecycle`, `risk_level` (with the complaint
//! tickets of the window) and `spending`; and, only when both model fits can be trusted, `clv` and
//! `value_tier` (never numbers from an untrusted fit). Customers without an order get the lifecycle
//! stage `prospect`. A last phase recomputes the event-driven `behaviour` and `interests` of every
//! customer with events or order lines (see `profile`).
//! The run itself is stored as a `compute` model fit holding the shared context every explanation
//! needs (as-of day, RFM score ranges, fitted parameters, rule settings).

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use ecrm_core::analytics::interests::InterestRules;
use ecrm_core::analytics::lifecycle::{
    LifecycleRules, RiskRules, ValueTierCutoffs, ValueTierRules, value_tier_cutoffs,
};
use ecrm_core::analytics::{
    ExpectedPurchases, PurchaseHistory, RfmRow, RfmThresholds, ScoreRange, TimeUnit,
    rfm_thresholds, value_classes,
};
use ecrm_core::time::{Millis, date_to_millis};
use ecrm_store::{EventNameCount, ModelFitInput, Store};
use serde::Serialize;
use serde_json::{Value, json};

use super::activity_table::ActivityTable;
use super::batch_traits::{TraitContext, customer_traits, prospect_trait};
use super::clv::{
    CLV_CONFIG_MONTHS, CLV_MONTHLY_DISCOUNT, ModelFits, Prediction, fit_models, predict, store_fits,
};
use super::profile::{
    LineTable, ProfileCounts, ProfileRun, load_lines, spending_traits, write_table_event_traits,
};
use super::rfm::rfm_rows;
use super::write_back::{merge_by_customer, write_traits_pipelined};
use super::{PurchaseTable, date_of, day_of, load_purchases};
use crate::app::AppError;

/// Settings of one compute run.
#[derive(Debug, Clone)]
pub struct ComputeOptions {
    /// Orders strictly before this day count (default: the day after the latest order).
    pub as_of: Option<NaiveDate>,
    /// Time unit of the BG/NBD summaries.
    pub unit: TimeUnit,
    /// Lifecycle thresholds.
    pub lifecycle: LifecycleRules,
    /// Value-tier shares.
    pub tiers: ValueTierRules,
    /// Risk bands.
    pub risk: RiskRules,
    /// Interest weights and half-life.
    pub interests: InterestRules,
}

impl ComputeOptions {
    /// As of the day after the latest order, in days, with the standard rules.
    pub fn standard() -> ComputeOptions {
        ComputeOptions {
            as_of: None,
            unit: TimeUnit::Day,
            lifecycle: LifecycleRules::STANDARD,
            tiers: ValueTierRules::STANDARD,
            risk: RiskRules::STANDARD,
            interests: InterestRules::STANDARD,
        }
    }
}

/// Seconds and peak memory of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// The phase's name.
    pub name: &'static str,
    /// Wall seconds.
    pub seconds: f64,
    /// Peak resident memory of the process after the phase, in MiB (Linux only).
    pub peak_rss_mib: Option<f64>,
}

/// What a compute run did.
#[derive(Debug, Serialize)]
pub struct ComputeReport {
    /// The as-of day.
    pub as_of: NaiveDate,
    /// Customers with an order before it.
    pub customers: u64,
    /// Of those, with a repeat purchase day.
    pub repeat_customers: u64,
    /// Whether CLV traits were written.
    pub models_trusted: bool,
    /// Why the models were not trusted.
    pub untrusted_reason: Option<String>,
    /// The stored run (every trait's `model_fit_id`).
    pub run_id: i64,
    /// Stored BG/NBD and Gamma-Gamma fit ids.
    pub fit_ids: (Option<i64>, Option<i64>),
    /// Traits written.
    pub traits_written: u64,
    /// Of those, values that changed.
    pub traits_changed: u64,
    /// Customers without an order (lifecycle `prospect`).
    pub prospects: u64,
    /// What the behaviour and interests pass did.
    pub profiles: ProfileCounts,
    /// The phases in order.
    pub phases: Vec<Phase>,
    /// The `track` event names the profile pass counted, for the console's funnel (so its
    /// refresh right after a compute need not read the events table again).
    #[serde(skip)]
    pub event_names: Vec<EventNameCount>,
    /// Wall seconds of the whole run.
    pub seconds: f64,
}

struct Timer {
    started: Instant,
    phases: Vec<Phase>,
}

impl Timer {
    fn lap(&mut self, name: &'static str) {
        self.phases.push(Phase {
            name,
            seconds: self.started.elapsed().as_secs_f64(),
            peak_rss_mib: peak_rss_mib(),
        });
        self.started = Instant::now();
    }
}

/// Runs the whole batch and writes the traits.
pub fn run_compute(
    store: &dyn Store,
    options: &ComputeOptions,
    now: Millis,
) -> Result<ComputeReport, AppError> {
    let wall = Instant::now();
    let mut timer = Timer {
        started: Instant::now(),
        phases: Vec::new(),
    };
    let table = load_purchases(store, options.as_of.map_or(i64::MAX, date_to_millis))?;
    let as_of = options
        .as_of
        .unwrap_or_else(|| date_of(table.last_order_day().map_or(0, |day| day + 1)));
    let as_of_millis = date_to_millis(as_of);
    timer.lap("load");
    // The events scan (one sequential read of the largest table, on one core) runs beside the
    // purchase phases and the write-back, which leave the second core partly idle.
    std::thread::scope(|scope| {
        let events = scope.spawn(move || {
            let started = Instant::now();
            let table = ActivityTable::load(store, as_of_millis);
            (table, started.elapsed().as_secs_f64())
        });
        let rest = compute_after_load(store, options, now, &table, as_of, &mut timer);
        let (events, events_seconds) = events
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut rest = rest?;
        // Waiting for the scan after the write-back, if it was still running.
        timer.lap("events_wait");
        timer.phases.push(Phase {
            name: "events_scan",
            seconds: events_seconds,
            peak_rss_mib: peak_rss_mib(),
        });
        timer.started = Instant::now();
        let profile_run = ProfileRun {
            as_of: as_of_millis,
            until: as_of_millis,
            rules: options.interests,
            model_fit_id: Some(rest.report.run_id),
        };
        let (profiles, event_names) =
            write_table_event_traits(store, events?, &rest.lines, &profile_run)?;
        timer.lap("profiles");
        rest.report.profiles = profiles;
        rest.report.event_names = event_names;
        rest.report.phases = std::mem::take(&mut timer.phases);
        rest.report.seconds = wall.elapsed().as_secs_f64();
        Ok(rest.report)
    })
}

/// What the purchase phases leave for the profile phase.
struct AfterLoad {
    lines: LineTable,
    report: ComputeReport,
}

/// The phases after the purchase load, up to and including the write-back.
fn compute_after_load(
    store: &dyn Store,
    options: &ComputeOptions,
    now: Millis,
    table: &PurchaseTable,
    as_of: NaiveDate,
    timer: &mut Timer,
) -> Result<AfterLoad, AppError> {
    let as_of_day = day_of(as_of);
    let as_of_millis = date_to_millis(as_of);
    let lines = load_lines(store, None, as_of_millis)?;
    let window = options.risk.complaint_window_days * ecrm_core::time::DAY_MILLIS;
    let complaints: HashMap<String, u32> = store
        .complaint_counts(as_of_millis - window, as_of_millis)?
        .into_iter()
        .collect();
    timer.lap("load_lines");

    let rows = rfm_rows(table, as_of_day);
    let classes = value_classes(&rows);
    let thresholds = rfm_thresholds(&rows);
    timer.lap("rfm");

    let (fits, histories) = fit_models(table, as_of_day - 1, options.unit);
    timer.phases.push(Phase {
        name: "bgnbd_fit",
        seconds: fits.bgnbd_seconds,
        peak_rss_mib: peak_rss_mib(),
    });
    timer.phases.push(Phase {
        name: "gamma_gamma_fit",
        seconds: fits.gamma_gamma_seconds,
        peak_rss_mib: peak_rss_mib(),
    });
    let fit_ids = store_fits(store, &fits, now)?;
    timer.started = Instant::now();

    let predictions = predict_all(&fits, &histories, as_of_day - 1, options.unit);
    let clv_values: Vec<f64> = predictions.iter().flatten().map(|p| p.clv).collect();
    let cutoffs = value_tier_cutoffs(&clv_values, &options.tiers);
    timer.lap("predictions");

    let run = run_parameters(as_of, &rows, &thresholds, &fits, fit_ids, &cutoffs, options);
    let run_id = store.write_model_fit(&ModelFitInput {
        model: "compute".to_string(),
        parameters: run.to_string(),
        log_likelihood: None,
        window_start: None,
        window_end: Some(date_to_millis(as_of)),
        fitted_at: now,
    })?;
    let mut prospect_ids = Vec::new();
    store.customer_ids(&mut |id| {
        if table.position(id).is_none() {
            prospect_ids.push(id.to_string());
        }
        Ok(())
    })?;
    let context = TraitContext {
        as_of_day,
        cutoffs: &cutoffs,
        complaints: &complaints,
        options,
    };
    let customers_with_orders = rows.iter().zip(&classes).flat_map(|(row, class)| {
        let index = table.position(&row.customer_id).unwrap_or(usize::MAX);
        let days = if index == usize::MAX {
            &[][..]
        } else {
            table.days_of(index)
        };
        let prediction = predictions.get(index).and_then(Option::as_ref);
        customer_traits(row, *class, days, prediction, &context)
    });
    // One pass in customer order: each customer's rows are written together, once.
    let traits = merge_by_customer(vec![
        Box::new(customers_with_orders),
        Box::new(prospect_ids.iter().map(|id| prospect_trait(id))),
        Box::new(spending_traits(&lines)),
    ]);
    let counts = write_traits_pipelined(store, traits, now, Some(run_id))?;
    timer.lap("write_back");

    Ok(AfterLoad {
        lines,
        report: ComputeReport {
            as_of,
            customers: fits.customers,
            repeat_customers: fits.repeat_customers,
            models_trusted: fits.trusted.is_ok(),
            untrusted_reason: fits.trusted.as_ref().err().map(ToString::to_string),
            run_id,
            fit_ids,
            traits_written: counts.written,
            traits_changed: counts.changed,
            prospects: prospect_ids.len() as u64,
            profiles: ProfileCounts::default(),
            phases: Vec::new(),
            event_names: Vec::new(),
            seconds: 0.0,
        },
    })
}

/// Predictions per loaded customer (`None` without an order or without trusted models), on two
/// threads.
fn predict_all(
    fits: &ModelFits,
    histories: &[Option<PurchaseHistory>],
    end_day: i64,
    unit: TimeUnit,
) -> Vec<Option<Prediction>> {
    let Ok(model) = &fits.trusted else {
        return vec![None; histories.len()];
    };
    let horizon = 365.0 / unit.days();
    // Each thread remembers the expectations its customers share (`ExpectedPurchases`).
    let part_of = |part: &[Option<PurchaseHistory>]| {
        let mut memory = ExpectedPurchases::new(*model.purchase_params());
        part.iter()
            .map(|history| {
                history.as_ref().and_then(|h| {
                    predict(&mut memory, model, h, end_day, unit, horizon, false).ok()
                })
            })
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = histories.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = histories
            .chunks(chunk)
            .map(|part| scope.spawn(move || part_of(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    })
}

/// The shared context every explanation of this run needs.
fn run_parameters(
    as_of: NaiveDate,
    rows: &[RfmRow],
    thresholds: &RfmThresholds,
    fits: &ModelFits,
    fit_ids: (Option<i64>, Option<i64>),
    cutoffs: &ValueTierCutoffs,
    options: &ComputeOptions,
) -> Value {
    let count = rows.len().max(1) as f64;
    let mean =
        |score: fn(&RfmRow) -> u8| rows.iter().map(|r| f64::from(score(r))).sum::<f64>() / count;
    let ranges = |ranges: &[Option<ScoreRange>; 5]| -> Value {
        ranges
            .iter()
            .map(|range| match range {
                Some(r) => json!({"min": r.min, "max": r.max, "customers": r.customers}),
                None => Value::Null,
            })
            .collect()
    };
    json!({
        "as_of": as_of.to_string(),
        "rfm": {
            "customers": rows.len(),
            "mean_scores": {"r": mean(|r| r.r_score), "f": mean(|r| r.f_score), "m": mean(|r| r.m_score)},
            "thresholds": {
                "r": ranges(&thresholds.recency_days),
                "f": ranges(&thresholds.frequency),
                "m": ranges(&thresholds.monetary_cents),
            },
        },
        "models": {
            "trusted": fits.trusted.is_ok(),
            "untrusted_reason": fits.trusted.as_ref().err().map(ToString::to_string),
            "time_unit": fits.unit.name(),
            "calibration_end": fits.calibration_end.to_string(),
            "customers": fits.customers,
            "repeat_customers": fits.repeat_customers,
            "bgnbd": fits.bgnbd.as_ref().ok().map(|f| json!({
                "r": f.params.r, "alpha": f.params.alpha, "a": f.params.a, "b": f.params.b,
                "log_likelihood": f.log_likelihood, "fit_id": fit_ids.0,
            })),
            "gamma_gamma": fits.gamma_gamma.as_ref().ok().map(|f| json!({
                "p": f.params.p, "q": f.params.q, "gamma": f.params.gamma,
                "log_likelihood": f.log_likelihood, "fit_id": fit_ids.1,
            })),
            "frequency_value_correlation": fits.frequency_value_correlation,
            "horizon_days": 365,
            "clv_months": CLV_CONFIG_MONTHS,
            "monthly_discount": CLV_MONTHLY_DISCOUNT,
        },
        "lifecycle_rules": options.lifecycle,
        "value_tier_rules": options.tiers,
        "value_tier_cutoffs": cutoffs,
        "risk_rules": options.risk,
        "interest_rules": options.interests,
    })
}

/// Peak resident memory of this process in MiB (`VmHWM`), on Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
