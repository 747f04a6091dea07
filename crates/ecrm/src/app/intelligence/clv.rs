//! The lifetime-value models: BG/NBD + Gamma-Gamma fitted on the purchase days up to a calibration
//! end, stored as versioned fits, and per-customer predictions from the latest stored fits.

use std::time::Instant;

use chrono::NaiveDate;
use ecrm_core::analytics::{
    BgnbdFit, BgnbdParams, ClvConfig, ClvModel, ExpectedPurchases, GammaGammaCustomer,
    GammaGammaFit, GammaGammaParams, ModelError, PurchaseHistory, TimeUnit,
    customer_lifetime_value_with, expected_order_value, expected_time_to_next_purchase, fit_bgnbd,
    fit_gamma_gamma, frequency_value_correlation, probability_alive, purchase_history,
    trust_models,
};
use ecrm_core::time::{DAY_MILLIS, Millis};
use ecrm_store::{ModelFitInput, Store};
use serde_json::json;

use super::{PurchaseTable, date_of, day_of, load_purchases};
use crate::app::AppError;

/// Months and monthly discount rate of the CLV every prediction reports.
pub const CLV_CONFIG_MONTHS: u32 = 12;
/// Monthly discount rate of the reported CLV.
pub const CLV_MONTHLY_DISCOUNT: f64 = 0.01;

/// Both fits over one calibration window, and whether they can be trusted together.
#[derive(Debug)]
pub struct ModelFits {
    /// The last calibration day (inclusive).
    pub calibration_end: NaiveDate,
    /// The unit of `t_x`, `T` and horizons.
    pub unit: TimeUnit,
    /// Customers with an order by the calibration end.
    pub customers: u64,
    /// Of those, customers with a repeat purchase day.
    pub repeat_customers: u64,
    /// The BG/NBD fit, or why there is none.
    pub bgnbd: Result<BgnbdFit, ModelError>,
    /// The Gamma-Gamma fit, or why there is none.
    pub gamma_gamma: Result<GammaGammaFit, ModelError>,
    /// Pearson correlation of `x` and `m_x` over repeat customers (the model assumes it is weak).
    pub frequency_value_correlation: Option<f64>,
    /// The models, when both fits can be trusted; otherwise why not.
    pub trusted: Result<ClvModel, ModelError>,
    /// Seconds of the BG/NBD fit.
    pub bgnbd_seconds: f64,
    /// Seconds of the Gamma-Gamma fit.
    pub gamma_gamma_seconds: f64,
}

/// A fit run: the fits, each customer's summary and where the fits were stored.
#[derive(Debug)]
pub struct ClvFitReport {
    /// The fits.
    pub fits: ModelFits,
    /// Ids of the stored BG/NBD and Gamma-Gamma fits.
    pub stored: (Option<i64>, Option<i64>),
    /// Seconds loading from the store.
    pub load_seconds: f64,
    /// Wall seconds of the whole run.
    pub seconds: f64,
}

/// Fits both models on each loaded customer's history up to `end_day` inclusive; returns the fits
/// and every customer's summary (`None` without an order by then).
pub fn fit_models(
    table: &PurchaseTable,
    end_day: i64,
    unit: TimeUnit,
) -> (ModelFits, Vec<Option<PurchaseHistory>>) {
    let histories: Vec<Option<PurchaseHistory>> = (0..table.len())
        .map(|index| purchase_history(table.days_of(index), end_day, unit))
        .collect();
    let known: Vec<&PurchaseHistory> = histories.iter().flatten().collect();
    let purchases: Vec<_> = known.iter().map(|h| h.bgnbd_customer()).collect();
    let spend: Vec<GammaGammaCustomer> = known
        .iter()
        .filter(|h| h.frequency > 0 && h.mean_value > 0.0)
        .map(|h| GammaGammaCustomer {
            frequency: h.frequency,
            mean_value: h.mean_value,
        })
        .collect();
    let started = Instant::now();
    let bgnbd = fit_bgnbd(&purchases);
    let bgnbd_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let gamma_gamma = fit_gamma_gamma(&spend);
    let gamma_gamma_seconds = started.elapsed().as_secs_f64();
    let trusted = match (&bgnbd, &gamma_gamma) {
        (Ok(purchase_fit), Ok(spend_fit)) => trust_models(purchase_fit, spend_fit),
        (Err(err), _) | (_, Err(err)) => Err(err.clone()),
    };
    let fits = ModelFits {
        calibration_end: date_of(end_day),
        unit,
        customers: known.len() as u64,
        repeat_customers: known.iter().filter(|h| h.frequency > 0).count() as u64,
        bgnbd,
        gamma_gamma,
        frequency_value_correlation: frequency_value_correlation(&spend),
        trusted,
        bgnbd_seconds,
        gamma_gamma_seconds,
    };
    (fits, histories)
}

/// Loads, fits and stores both models (default calibration end: the latest order day).
pub fn run_clv_fit(
    store: &dyn Store,
    calibration_end: Option<NaiveDate>,
    unit: TimeUnit,
    now: Millis,
) -> Result<ClvFitReport, AppError> {
    let started = Instant::now();
    let until = calibration_end.map_or(i64::MAX, |end| (day_of(end) + 1) * DAY_MILLIS);
    let table = load_purchases(store, until)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let Some(end_day) = calibration_end.map(day_of).or(table.last_order_day()) else {
        return Err(AppError::invalid("store", "there are no orders to fit"));
    };
    let (fits, _histories) = fit_models(&table, end_day, unit);
    let stored = store_fits(store, &fits, now)?;
    Ok(ClvFitReport {
        fits,
        stored,
        load_seconds,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Stores each successful fit with its window, unit and counts; returns their ids.
pub fn store_fits(
    store: &dyn Store,
    fits: &ModelFits,
    now: Millis,
) -> Result<(Option<i64>, Option<i64>), AppError> {
    let window_end = Some((day_of(fits.calibration_end) + 1) * DAY_MILLIS);
    let common = json!({
        "calibration_end": fits.calibration_end.to_string(),
        "time_unit": fits.unit.name(),
        "customers": fits.customers,
        "repeat_customers": fits.repeat_customers,
        "trusted": fits.trusted.is_ok(),
        "untrusted_reason": fits.trusted.as_ref().err().map(ToString::to_string),
    });
    let mut ids = (None, None);
    if let Ok(fit) = &fits.bgnbd {
        let mut parameters = common.clone();
        parameters["r"] = json!(fit.params.r);
        parameters["alpha"] = json!(fit.params.alpha);
        parameters["a"] = json!(fit.params.a);
        parameters["b"] = json!(fit.params.b);
        parameters["converged"] = json!(fit.converged);
        parameters["iterations"] = json!(fit.iterations);
        ids.0 = Some(store.write_model_fit(&ModelFitInput {
            model: "bgnbd".to_string(),
            parameters: parameters.to_string(),
            log_likelihood: Some(fit.log_likelihood),
            window_start: None,
            window_end,
            fitted_at: now,
        })?);
    }
    if let Ok(fit) = &fits.gamma_gamma {
        let mut parameters = common;
        parameters["p"] = json!(fit.params.p);
        parameters["q"] = json!(fit.params.q);
        parameters["gamma"] = json!(fit.params.gamma);
        parameters["converged"] = json!(fit.converged);
        parameters["iterations"] = json!(fit.iterations);
        parameters["spend_customers"] = json!(fit.repeat_customers);
        parameters["frequency_value_correlation"] = json!(fits.frequency_value_correlation);
        ids.1 = Some(store.write_model_fit(&ModelFitInput {
            model: "gamma_gamma".to_string(),
            parameters: parameters.to_string(),
            log_likelihood: Some(fit.log_likelihood),
            window_start: None,
            window_end,
            fitted_at: now,
        })?);
    }
    Ok(ids)
}

/// One customer's predictions from the trusted models.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// The customer's calibration summary.
    pub history: PurchaseHistory,
    /// The horizon, in model time units.
    pub horizon: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Probability the customer is still active.
    pub probability_alive: f64,
    /// Gamma-Gamma expected average order value.
    pub expected_order_value: f64,
    /// Discounted value over [`CLV_CONFIG_MONTHS`] months at [`CLV_MONTHLY_DISCOUNT`] a month.
    pub clv: f64,
    /// Day the next order is expected (the day one more purchase is expected), if within 10 years.
    pub expected_next_order: Option<NaiveDate>,
}

/// Predicts for one customer summary. `memory` holds the model's purchase parameters
/// (`ExpectedPurchases::new(*model.purchase_params())`); one kept across customers saves most of
/// the work.
pub fn predict(
    memory: &mut ExpectedPurchases,
    model: &ClvModel,
    history: &PurchaseHistory,
    calibration_end_day: i64,
    unit: TimeUnit,
    horizon: f64,
    with_next_order: bool,
) -> Result<Prediction, ModelError> {
    let customer = history.clv_customer();
    let params: &BgnbdParams = model.purchase_params();
    let spend: &GammaGammaParams = model.spend_params();
    let config = ClvConfig {
        months: CLV_CONFIG_MONTHS,
        monthly_discount_rate: CLV_MONTHLY_DISCOUNT,
        time_units_per_month: unit.per_month(),
    };
    let max_horizon = 3_650.0 / unit.days();
    Ok(Prediction {
        history: *history,
        horizon,
        expected_purchases: memory.of(&customer.purchases, horizon),
        probability_alive: probability_alive(params, &customer.purchases),
        expected_order_value: expected_order_value(
            spend,
            &GammaGammaCustomer {
                frequency: history.frequency,
                mean_value: history.mean_value,
            },
        ),
        clv: customer_lifetime_value_with(memory, model, &customer, &config)?,
        expected_next_order: with_next_order
            .then(|| expected_time_to_next_purchase(params, &customer.purchases, max_horizon))
            .flatten()
            .map(|t| date_of(calibration_end_day + (t * unit.days()).ceil() as i64)),
    })
}

/// The latest stored fits, trusted together.
#[derive(Debug, Clone)]
pub struct StoredModels {
    /// The models.
    pub model: ClvModel,
    /// The last calibration day.
    pub calibration_end: NaiveDate,
    /// Their time unit.
    pub unit: TimeUnit,
    /// Ids of the BG/NBD and Gamma-Gamma fits.
    pub fit_ids: (i64, i64),
}

/// Loads the latest BG/NBD and Gamma-Gamma fits and checks they can be trusted.
pub fn load_stored_models(store: &dyn Store) -> Result<StoredModels, AppError> {
    let missing = || {
        AppError::NotFound("a stored model fit (run `ecrm clv fit` or `ecrm compute`)".to_string())
    };
    let purchase_fit = store.latest_model_fit("bgnbd")?.ok_or_else(missing)?;
    let spend_fit = store.latest_model_fit("gamma_gamma")?.ok_or_else(missing)?;
    let purchase: serde_json::Value = serde_json::from_str(&purchase_fit.parameters)
        .map_err(|err| AppError::invalid("model fit", err.to_string()))?;
    let spend: serde_json::Value = serde_json::from_str(&spend_fit.parameters)
        .map_err(|err| AppError::invalid("model fit", err.to_string()))?;
    let number = |value: &serde_json::Value, key: &str| value[key].as_f64().unwrap_or(f64::NAN);
    let count = |value: &serde_json::Value, key: &str| value[key].as_u64().unwrap_or(0);
    let unit = match purchase["time_unit"].as_str() {
        Some("week") => TimeUnit::Week,
        _ => TimeUnit::Day,
    };
    let calibration_end = purchase["calibration_end"]
        .as_str()
        .and_then(|text| text.parse::<NaiveDate>().ok())
        .ok_or_else(|| AppError::invalid("model fit", "no calibration end"))?;
    let bgnbd = BgnbdFit {
        params: BgnbdParams {
            r: number(&purchase, "r"),
            alpha: number(&purchase, "alpha"),
            a: number(&purchase, "a"),
            b: number(&purchase, "b"),
        },
        log_likelihood: purchase_fit.log_likelihood.unwrap_or(f64::NAN),
        iterations: 0,
        converged: purchase["converged"].as_bool().unwrap_or(false),
        customers: count(&purchase, "customers"),
        repeat_customers: count(&purchase, "repeat_customers"),
    };
    let gamma_gamma = GammaGammaFit {
        params: GammaGammaParams {
            p: number(&spend, "p"),
            q: number(&spend, "q"),
            gamma: number(&spend, "gamma"),
        },
        log_likelihood: spend_fit.log_likelihood.unwrap_or(f64::NAN),
        iterations: 0,
        converged: spend["converged"].as_bool().unwrap_or(false),
        repeat_customers: count(&spend, "spend_customers"),
    };
    let model = trust_models(&bgnbd, &gamma_gamma).map_err(|err| {
        AppError::Conflict(format!("the stored model fits cannot be trusted: {err}"))
    })?;
    Ok(StoredModels {
        model,
        calibration_end,
        unit,
        fit_ids: (purchase_fit.id, spend_fit.id),
    })
}

/// Predicts for `customer_id` from the latest stored fits over `horizon` model time units
/// (default: 365 days in the fit's unit).
pub fn predict_customer(
    store: &dyn Store,
    customer_id: &str,
    horizon: Option<f64>,
) -> Result<(StoredModels, Prediction), AppError> {
    let models = load_stored_models(store)?;
    let end_day = day_of(models.calibration_end);
    let mut days = Vec::new();
    store.customer_purchase_days((end_day + 1) * DAY_MILLIS, &mut |customer| {
        if customer.customer_id == customer_id {
            days = customer.days;
        }
        Ok(())
    })?;
    let days: Vec<_> = days
        .iter()
        .map(|d| ecrm_core::analytics::PurchaseDay {
            day: d.day,
            orders: d.orders,
            order_cents: d.order_cents,
            refund_cents: d.refund_cents,
        })
        .collect();
    let history = purchase_history(&days, end_day, models.unit).ok_or_else(|| {
        AppError::NotFound(format!(
            "an order of customer {customer_id} by {}",
            models.calibration_end
        ))
    })?;
    let horizon = horizon.unwrap_or(365.0 / models.unit.days());
    let mut memory = ExpectedPurchases::new(*models.model.purchase_params());
    let prediction = predict(
        &mut memory,
        &models.model,
        &history,
        end_day,
        models.unit,
        horizon,
        true,
    )
    .map_err(|err| AppError::invalid("horizon", err.to_string()))?;
    Ok((models, prediction))
}
