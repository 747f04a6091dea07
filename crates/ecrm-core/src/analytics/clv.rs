//! Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend model, as
//! lifetimes' `customer_lifetime_value` computes it, plus the rule that decides whether the two
//! fits can be trusted at all.
//!
//! `CLV = Σ_{i=1..months} E[M] · (E[X(i·u)] - E[X((i-1)·u)]) / (1 + d)^i`, where `E[X(t)]` is the
//! BG/NBD conditional expectation, `E[M]` the Gamma-Gamma expected order value, `u` the model time
//! units per month and `d` the monthly discount rate. lifetimes uses `u` = 4.345 weeks.

use crate::analytics::bgnbd::{
    BgnbdCustomer, BgnbdFit, BgnbdParams, ExpectedPurchases, expected_purchases,
};
use crate::analytics::error::ModelError;
use crate::analytics::gamma_gamma::{
    GammaGammaCustomer, GammaGammaFit, GammaGammaParams, expected_order_value,
};

/// Fewer repeat customers than this and the fits are not trusted.
pub const MIN_REPEAT_CUSTOMERS: u64 = 20;

/// Weeks per month in lifetimes' CLV (`freq = "W"`).
pub const WEEKS_PER_MONTH: f64 = 4.345;

/// Days per month in lifetimes' CLV (`freq = "D"`).
pub const DAYS_PER_MONTH: f64 = 30.0;

/// Fitted models that passed [`trust_models`]; the only way to compute a CLV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvModel {
    purchases: BgnbdParams,
    spend: GammaGammaParams,
}

/// The horizon and discounting of a CLV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvConfig {
    /// Months summed.
    pub months: u32,
    /// Discount rate per month (0.01 = 1 %).
    pub monthly_discount_rate: f64,
    /// Model time units in a month: [`WEEKS_PER_MONTH`] when `t_x` and `T` are in weeks.
    pub time_units_per_month: f64,
}

/// One customer's inputs to a CLV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvCustomer {
    /// `x`, `t_x`, `T` for BG/NBD.
    pub purchases: BgnbdCustomer,
    /// Mean repeat order value `m_x` (0 when `x = 0`).
    pub mean_value: f64,
}

/// Checks that both fits can be trusted: each converged, each saw at least
/// [`MIN_REPEAT_CUSTOMERS`] repeat customers, the parameters are finite and positive, BG/NBD's `a`
/// is not 1 (its expectations divide by `a - 1`) and Gamma-Gamma's `q > 1` (a finite mean).
pub fn trust_models(purchases: &BgnbdFit, spend: &GammaGammaFit) -> Result<ClvModel, ModelError> {
    for found in [purchases.repeat_customers, spend.repeat_customers] {
        if found < MIN_REPEAT_CUSTOMERS {
            return Err(ModelError::TooFewRepeatCustomers {
                found,
                required: MIN_REPEAT_CUSTOMERS,
            });
        }
    }
    if !purchases.converged {
        return Err(ModelError::NotConverged { model: "BG/NBD" });
    }
    if !spend.converged {
        return Err(ModelError::NotConverged {
            model: "Gamma-Gamma",
        });
    }
    let BgnbdParams { r, alpha, a, b } = purchases.params;
    let GammaGammaParams { p, q, gamma } = spend.params;
    let named = [
        ("r", r),
        ("alpha", alpha),
        ("a", a),
        ("b", b),
        ("p", p),
        ("q", q),
        ("gamma", gamma),
    ];
    for (name, value) in named {
        if !(value.is_finite() && value > 0.0) {
            return Err(ModelError::UnusableParameter {
                name,
                value,
                reason: "must be finite and positive",
            });
        }
    }
    if (a - 1.0).abs() < 1e-9 {
        return Err(ModelError::UnusableParameter {
            name: "a",
            value: a,
            reason: "must differ from 1",
        });
    }
    if q <= 1.0 {
        return Err(ModelError::UnusableParameter {
            name: "q",
            value: q,
            reason: "must exceed 1 for a finite mean",
        });
    }
    Ok(ClvModel {
        purchases: purchases.params,
        spend: spend.params,
    })
}

impl ClvModel {
    /// The trusted BG/NBD parameters.
    pub fn purchase_params(&self) -> &BgnbdParams {
        &self.purchases
    }

    /// The trusted Gamma-Gamma parameters.
    pub fn spend_params(&self) -> &GammaGammaParams {
        &self.spend
    }
}

/// The discounted value of the customer's expected purchases over `config.months` months.
pub fn customer_lifetime_value(
    model: &ClvModel,
    customer: &ClvCustomer,
    config: &ClvConfig,
) -> Result<f64, ModelError> {
    discounted_value(model, customer, config, |horizon| {
        expected_purchases(&model.purchases, &customer.purchases, horizon)
    })
}

/// [`customer_lifetime_value`] with the expectations taken from `memory`, which must hold this
/// model's purchase parameters: the same value, bit for bit, for a fraction of the work when
/// many customers are valued.
pub fn customer_lifetime_value_with(
    memory: &mut ExpectedPurchases,
    model: &ClvModel,
    customer: &ClvCustomer,
    config: &ClvConfig,
) -> Result<f64, ModelError> {
    debug_assert_eq!(memory.params(), &model.purchases);
    discounted_value(model, customer, config, |horizon| {
        memory.of(&customer.purchases, horizon)
    })
}

/// The sum over months of the expected order value times the purchases expected in that month.
fn discounted_value(
    model: &ClvModel,
    customer: &ClvCustomer,
    config: &ClvConfig,
    mut expected_by: impl FnMut(f64) -> f64,
) -> Result<f64, ModelError> {
    validate_config(config)?;
    let spend_customer = GammaGammaCustomer {
        frequency: customer.purchases.frequency,
        mean_value: customer.mean_value,
    };
    let order_value = expected_order_value(&model.spend, &spend_customer);
    let mut value = 0.0;
    let mut previous_purchases = 0.0;
    for month in 1..=config.months {
        let horizon = f64::from(month) * config.time_units_per_month;
        let purchases = expected_by(horizon);
        let discount = (1.0 + config.monthly_discount_rate).powi(month as i32);
        value += order_value * (purchases - previous_purchases) / discount;
        previous_purchases = purchases;
    }
    Ok(value)
}

fn validate_config(config: &ClvConfig) -> Result<(), ModelError> {
    if !(config.monthly_discount_rate.is_finite() && config.monthly_discount_rate > -1.0) {
        return Err(ModelError::InvalidSetting {
            name: "monthly_discount_rate",
            reason: "must be finite and above -1",
        });
    }
    if !(config.time_units_per_month.is_finite() && config.time_units_per_month > 0.0) {
        return Err(ModelError::InvalidSetting {
            name: "time_units_per_month",
            reason: "must be finite and positive",
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "clv_tests.rs"]
mod tests;
