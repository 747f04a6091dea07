//! `ecrm clv fit|predict`: the BG/NBD + Gamma-Gamma lifetime-value models.

use clap::{Subcommand, ValueEnum};
use ecrm_core::analytics::TimeUnit;
use serde_json::{Value, json};

use super::GlobalOptions;
use crate::app::customers::find_customer;
use crate::app::intelligence::clv::{
    CLV_CONFIG_MONTHS, CLV_MONTHLY_DISCOUNT, ClvFitReport, Prediction, StoredModels,
    predict_customer, run_clv_fit,
};
use crate::app::intelligence::parse_day;
use crate::app::now_millis;

/// The time unit on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UnitArg {
    Day,
    Week,
}

impl From<UnitArg> for TimeUnit {
    fn from(unit: UnitArg) -> TimeUnit {
        match unit {
            UnitArg::Day => TimeUnit::Day,
            UnitArg::Week => TimeUnit::Week,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ClvCommand {
    /// Fit BG/NBD and Gamma-Gamma on orders up to the calibration end (inclusive) and store the fits.
    Fit {
        /// Last calibration day (YYYY-MM-DD); default: the latest order day.
        #[arg(long)]
        calibration_end: Option<String>,
        #[arg(long, value_enum, default_value = "week")]
        time_unit: UnitArg,
        #[arg(long)]
        json: bool,
    },
    /// Predict a customer's purchases, P(alive), order value and CLV from the latest stored fits.
    Predict {
        /// A customer id or `email:…`, `phone:…`, `anonymous_id:…`.
        ident: String,
        /// Horizon in the fit's time unit (default: 365 days).
        #[arg(long)]
        horizon: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(global: &GlobalOptions, command: ClvCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match command {
        ClvCommand::Fit {
            calibration_end,
            time_unit,
            json,
        } => {
            let end = calibration_end
                .as_deref()
                .map(|text| parse_day("--calibration-end", text))
                .transpose()?;
            let report = run_clv_fit(&*store, end, time_unit.into(), now_millis())?;
            let value = fit_json(&report);
            if json {
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print_fit(&report);
            }
        }
        ClvCommand::Predict {
            ident,
            horizon,
            json,
        } => {
            let customer_id = find_customer(&*store, &ident, global.region()?)?;
            let (models, prediction) = predict_customer(&*store, &customer_id, horizon)?;
            let value = prediction_json(&customer_id, &models, &prediction);
            if json {
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                for (key, item) in value.as_object().into_iter().flatten() {
                    println!(
                        "{key:<28} {}",
                        item.as_str().map_or(item.to_string(), str::to_string)
                    );
                }
            }
        }
    }
    Ok(())
}

/// The JSON of `ecrm clv fit --json`.
pub fn fit_json(report: &ClvFitReport) -> Value {
    let fits = &report.fits;
    let bgnbd = match &fits.bgnbd {
        Ok(fit) => json!({
            "r": fit.params.r, "alpha": fit.params.alpha, "a": fit.params.a, "b": fit.params.b,
            "log_likelihood": fit.log_likelihood, "iterations": fit.iterations,
            "converged": fit.converged, "seconds": fits.bgnbd_seconds, "fit_id": report.stored.0,
        }),
        Err(err) => json!({"error": err.to_string()}),
    };
    let gamma_gamma = match &fits.gamma_gamma {
        Ok(fit) => json!({
            "p": fit.params.p, "q": fit.params.q, "gamma": fit.params.gamma,
            "log_likelihood": fit.log_likelihood, "iterations": fit.iterations,
            "converged": fit.converged, "customers": fit.repeat_customers,
            "frequency_value_correlation": fits.frequency_value_correlation,
            "seconds": fits.gamma_gamma_seconds, "fit_id": report.stored.1,
        }),
        Err(err) => json!({"error": err.to_string()}),
    };
    json!({
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "customers": fits.customers,
        "repeat_customers": fits.repeat_customers,
        "calibration_end": fits.calibration_end.to_string(),
        "time_unit": fits.unit.name(),
        "trusted": fits.trusted.is_ok(),
        "untrusted_reason": fits.trusted.as_ref().err().map(ToString::to_string),
        "load_seconds": report.load_seconds,
        "seconds": report.seconds,
    })
}

fn print_fit(report: &ClvFitReport) {
    let fits = &report.fits;
    println!(
        "calibration: orders up to {} inclusive, time unit {}; {} customers, {} with repeat purchases",
        fits.calibration_end,
        fits.unit.name(),
        fits.customers,
        fits.repeat_customers
    );
    match &fits.bgnbd {
        Ok(fit) => println!(
            "BG/NBD       r = {:.6}  alpha = {:.6}  a = {:.6}  b = {:.6}  LL = {:.4}  ({} iterations, {:.3} s)",
            fit.params.r,
            fit.params.alpha,
            fit.params.a,
            fit.params.b,
            fit.log_likelihood,
            fit.iterations,
            fits.bgnbd_seconds
        ),
        Err(err) => println!("BG/NBD       not fitted: {err}"),
    }
    match &fits.gamma_gamma {
        Ok(fit) => println!(
            "Gamma-Gamma  p = {:.6}  q = {:.6}  gamma = {:.6}  LL = {:.4}  ({} customers, {} iterations, {:.3} s)",
            fit.params.p,
            fit.params.q,
            fit.params.gamma,
            fit.log_likelihood,
            fit.repeat_customers,
            fit.iterations,
            fits.gamma_gamma_seconds
        ),
        Err(err) => println!("Gamma-Gamma  not fitted: {err}"),
    }
    if let Some(correlation) = fits.frequency_value_correlation {
        println!(
            "frequency/value correlation {correlation:.4} (the spend model assumes it is weak)"
        );
    }
    match &fits.trusted {
        Ok(_) => println!("the fits can be trusted"),
        Err(err) => {
            println!("the fits CANNOT be trusted: {err}; no CLV will be computed from them")
        }
    }
    println!(
        "load {:.3} s, total {:.3} s",
        report.load_seconds, report.seconds
    );
}

/// The JSON of `ecrm clv predict --json`.
pub fn prediction_json(customer_id: &str, models: &StoredModels, p: &Prediction) -> Value {
    let unit = models.unit.name();
    let params = models.model.purchase_params();
    let spend = models.model.spend_params();
    let explanation = format!(
        "Orders up to {end} give x = {x} repeat purchase days, t_x = {tx:.2} and T = {t:.2} {unit}s. \
         BG/NBD (r = {r:.4}, α = {alpha:.4}, a = {a:.4}, b = {b:.4}) expects {e:.4} orders in the \
         next {h} {unit}s and P(alive) = {alive:.4}; Gamma-Gamma (p = {pp:.4}, q = {q:.4}, \
         γ = {g:.4}) moves the mean repeat value {mx:.2} to an expected order value of {eov:.2}; \
         {months} months discounted at {rate}% a month give a CLV of {clv:.2}.",
        end = models.calibration_end,
        x = p.history.frequency,
        tx = p.history.recency,
        t = p.history.age,
        r = params.r,
        alpha = params.alpha,
        a = params.a,
        b = params.b,
        e = p.expected_purchases,
        h = p.horizon,
        alive = p.probability_alive,
        pp = spend.p,
        q = spend.q,
        g = spend.gamma,
        mx = p.history.mean_value,
        eov = p.expected_order_value,
        months = CLV_CONFIG_MONTHS,
        rate = CLV_MONTHLY_DISCOUNT * 100.0,
        clv = p.clv,
    );
    json!({
        "customer_id": customer_id,
        "calibration_end": models.calibration_end.to_string(),
        "time_unit": unit,
        "frequency": p.history.frequency,
        "recency": p.history.recency,
        "T": p.history.age,
        "mean_value": p.history.mean_value,
        "horizon": p.horizon,
        "expected_purchases": p.expected_purchases,
        "probability_alive": p.probability_alive,
        "expected_order_value": p.expected_order_value,
        "clv": p.clv,
        "expected_next_order": p.expected_next_order.map(|d| d.to_string()),
        "fit_ids": [models.fit_ids.0, models.fit_ids.1],
        "explanation": explanation,
    })
}
