//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves";
//! Fader & Hardie 2013, note 025).
//!
//! A customer's order values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of
//! how often they buy. It is fitted on repeat customers (`x > 0`) with their mean repeat order value
//! `m_x`, and predicts the expected mean order value of any customer.

use crate::analytics::error::ModelError;
use crate::analytics::optimize::{
    Minimum, ValueAndGradient, minimize_nelder_mead, minimize_newton,
};
use crate::analytics::special::{digamma, ln_gamma};

/// One customer's repeat purchases and their mean value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaCustomer {
    /// `x`: repeat purchases.
    pub frequency: u32,
    /// `m_x`: mean value of the repeat purchases (0 when `x = 0`).
    pub mean_value: f64,
}

/// The three Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaParams {
    /// Shape of an order value's gamma distribution.
    pub p: f64,
    /// Shape of the gamma distribution of the customers' rate ν.
    pub q: f64,
    /// Scale γ (lifetimes calls it `v`) of the gamma distribution of ν.
    pub gamma: f64,
}

/// A maximum-likelihood fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaFit {
    /// The estimates.
    pub params: GammaGammaParams,
    /// Summed log-likelihood of the fitted customers' mean values.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: u32,
    /// Whether the optimiser met its convergence rule.
    pub converged: bool,
    /// Customers used: `x > 0` and `m_x > 0`.
    pub repeat_customers: u64,
}

const MAX_NEWTON_ITERATIONS: u32 = 200;

/// Fits the model on the customers with `x > 0` and `m_x > 0` (others are skipped, as in lifetimes).
pub fn fit_gamma_gamma(customers: &[GammaGammaCustomer]) -> Result<GammaGammaFit, ModelError> {
    let mut repeat: Vec<GammaGammaCustomer> = Vec::with_capacity(customers.len());
    for (index, customer) in customers.iter().enumerate() {
        if !customer.mean_value.is_finite() || customer.mean_value < 0.0 {
            return Err(ModelError::InvalidCustomer {
                index,
                reason: "mean value must be finite and not negative",
            });
        }
        if customer.frequency > 0 && customer.mean_value > 0.0 {
            repeat.push(*customer);
        }
    }
    if repeat.is_empty() {
        return Err(ModelError::NoCustomers);
    }
    repeat.sort_unstable_by_key(|customer| customer.frequency);
    let mean = repeat
        .iter()
        .map(|customer| customer.mean_value)
        .sum::<f64>()
        / repeat.len() as f64;
    // Start at p = q = 1 and γ = mean value, the data's scale.
    let start = [0.0, 0.0, mean.ln()];
    let minimum = optimise(&repeat, start);
    Ok(GammaGammaFit {
        params: params_from_log(&minimum.point),
        log_likelihood: -minimum.value,
        iterations: minimum.iterations,
        converged: minimum.converged,
        repeat_customers: repeat.len() as u64,
    })
}

/// Summed log-likelihood of the mean values of customers with `x > 0` and `m_x > 0`.
pub fn gamma_gamma_log_likelihood(
    params: &GammaGammaParams,
    customers: &[GammaGammaCustomer],
) -> f64 {
    log_likelihood_and_gradient(params, customers).0
}

/// `E[M | x, m_x]`: the expected mean order value, shrinking `m_x` towards the population mean
/// `pγ/(q-1)` (lifetimes' `conditional_expected_average_profit`). `x = 0` gives the population mean.
/// Needs `q > 1`.
pub fn expected_order_value(params: &GammaGammaParams, customer: &GammaGammaCustomer) -> f64 {
    let GammaGammaParams { p, q, .. } = *params;
    let x = f64::from(customer.frequency);
    let individual_weight = p * x / (p * x + q - 1.0);
    (1.0 - individual_weight) * population_mean_order_value(params)
        + individual_weight * customer.mean_value
}

/// `pγ/(q-1)`: the mean order value across customers. Needs `q > 1`.
pub fn population_mean_order_value(params: &GammaGammaParams) -> f64 {
    params.p * params.gamma / (params.q - 1.0)
}

/// Pearson correlation between `x` and `m_x` over customers with `x > 0` and `m_x > 0`; the model
/// assumes it is weak. `None` with fewer than two such customers or no variation.
pub fn frequency_value_correlation(customers: &[GammaGammaCustomer]) -> Option<f64> {
    let repeat = customers
        .iter()
        .filter(|customer| customer.frequency > 0 && customer.mean_value > 0.0);
    let (mut count, mut sum_x, mut sum_m) = (0.0, 0.0, 0.0);
    for customer in repeat.clone() {
        count += 1.0;
        sum_x += f64::from(customer.frequency);
        sum_m += customer.mean_value;
    }
    if count < 2.0 {
        return None;
    }
    let (mean_x, mean_m) = (sum_x / count, sum_m / count);
    let (mut covariance, mut variance_x, mut variance_m) = (0.0, 0.0, 0.0);
    for customer in repeat {
        let dx = f64::from(customer.frequency) - mean_x;
        let dm = customer.mean_value - mean_m;
        covariance += dx * dm;
        variance_x += dx * dx;
        variance_m += dm * dm;
    }
    let denominator = (variance_x * variance_m).sqrt();
    (denominator > 0.0).then(|| covariance / denominator)
}

/// Log-likelihood and its gradient in `(p, q, γ)`; customers sorted by `x`, all with `x, m_x > 0`.
fn log_likelihood_and_gradient(
    params: &GammaGammaParams,
    customers: &[GammaGammaCustomer],
) -> (f64, [f64; 3]) {
    let GammaGammaParams { p, q, gamma } = *params;
    let (ln_gamma_q, digamma_q, ln_v) = (ln_gamma(q), digamma(q), gamma.ln());
    let mut log_likelihood = 0.0;
    let mut gradient = [0.0; 3];
    let mut level_start = 0;
    while level_start < customers.len() {
        let frequency = customers[level_start].frequency;
        let level_end = level_start
            + customers[level_start..]
                .iter()
                .take_while(|customer| customer.frequency == frequency)
                .count();
        let x = f64::from(frequency);
        let (px, ln_x) = (p * x, x.ln());
        let (ln_gamma_pxq, ln_gamma_px) = (ln_gamma(px + q), ln_gamma(px));
        let (digamma_pxq, digamma_px) = (digamma(px + q), digamma(px));
        for customer in &customers[level_start..level_end] {
            if customer.frequency == 0 || customer.mean_value <= 0.0 {
                continue;
            }
            let ln_m = customer.mean_value.ln();
            let total = x * customer.mean_value + gamma;
            let ln_total = total.ln();
            log_likelihood +=
                ln_gamma_pxq - ln_gamma_px - ln_gamma_q + q * ln_v + px * ln_x + (px - 1.0) * ln_m
                    - (px + q) * ln_total;
            gradient[0] += x * (digamma_pxq - digamma_px + ln_x + ln_m - ln_total);
            gradient[1] += digamma_pxq - digamma_q + ln_v - ln_total;
            gradient[2] += q / gamma - (px + q) / total;
        }
        level_start = level_end;
    }
    (log_likelihood, gradient)
}

fn optimise(customers: &[GammaGammaCustomer], start: [f64; 3]) -> Minimum<3> {
    let objective = |log_params: &[f64; 3]| -> ValueAndGradient<3> {
        let params = params_from_log(log_params);
        let (log_likelihood, gradient) = log_likelihood_and_gradient(&params, customers);
        let scaled = [
            gradient[0] * params.p,
            gradient[1] * params.q,
            gradient[2] * params.gamma,
        ];
        let finite = log_likelihood.is_finite() && scaled.iter().all(|value| value.is_finite());
        finite.then(|| (-log_likelihood, scaled.map(|value| -value)))
    };
    let newton = minimize_newton(objective, start, None, MAX_NEWTON_ITERATIONS);
    if newton.converged {
        return newton;
    }
    let value_only = |log_params: &[f64; 3]| -> f64 {
        -log_likelihood_and_gradient(&params_from_log(log_params), customers).0
    };
    let simplex = minimize_nelder_mead(value_only, start, 1.0, 5, 2_000);
    let polished = minimize_newton(objective, simplex.point, None, MAX_NEWTON_ITERATIONS);
    Minimum {
        iterations: newton.iterations + simplex.iterations + polished.iterations,
        ..polished
    }
}

fn params_from_log(log_params: &[f64; 3]) -> GammaGammaParams {
    GammaGammaParams {
        p: log_params[0].exp(),
        q: log_params[1].exp(),
        gamma: log_params[2].exp(),
    }
}

#[cfg(test)]
#[path = "gamma_gamma_tests.rs"]
mod tests;
