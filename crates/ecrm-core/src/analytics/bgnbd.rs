//! The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
//!
//! While alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop
//! out with probability p ~ Beta(a, b). A customer is summarised by `(x, t_x, T)`: repeat purchases,
//! time of the last one and age, all in one time unit (CDNOW uses weeks) from the first purchase.
//! Every function here is a function over values; time is passed in.

use std::collections::HashMap;

use crate::analytics::bgnbd_likelihood::GroupedCustomers;
use crate::analytics::error::ModelError;
use crate::analytics::hyp2f1::ln_hyp2f1;
use crate::analytics::optimize::{
    Minimum, ValueAndGradient, minimize_nelder_mead, minimize_newton,
};

/// One customer's calibration summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgnbdCustomer {
    /// `x`: repeat purchases (purchase periods after the first).
    pub frequency: u32,
    /// `t_x`: time from the first to the last purchase (0 when `x = 0`).
    pub recency: f64,
    /// `T`: time from the first purchase to the end of calibration.
    pub age: f64,
}

/// The four BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgnbdParams {
    /// Shape of the purchase-rate gamma distribution.
    pub r: f64,
    /// Scale (in time units) of the purchase-rate gamma distribution.
    pub alpha: f64,
    /// First shape of the dropout-probability beta distribution.
    pub a: f64,
    /// Second shape of the dropout-probability beta distribution.
    pub b: f64,
}

/// A maximum-likelihood fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgnbdFit {
    /// The estimates.
    pub params: BgnbdParams,
    /// The summed log-likelihood at the estimates (eq. 6, in the data's time unit).
    pub log_likelihood: f64,
    /// Optimiser iterations (Newton iterations plus any Nelder-Mead evaluations).
    pub iterations: u32,
    /// Whether the optimiser met its convergence rule.
    pub converged: bool,
    /// Customers fitted.
    pub customers: u64,
    /// Customers with `x > 0`.
    pub repeat_customers: u64,
}

/// Above this many groups the optimiser is first run on a stride subsample.
const WARM_START_MIN_GROUPS: usize = 20_000;
/// Customers in the warm-start subsample.
const WARM_START_CUSTOMERS: usize = 20_000;
const MAX_NEWTON_ITERATIONS: u32 = 200;

impl BgnbdCustomer {
    /// `Err(reason)` when the summary is outside the model's domain.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(self.recency.is_finite() && self.age.is_finite()) {
            return Err("recency and age must be finite");
        }
        if self.recency < 0.0 || self.age < 0.0 {
            return Err("recency and age must not be negative");
        }
        if self.recency > self.age {
            return Err("recency must not exceed age");
        }
        Ok(())
    }
}

/// Fits BG/NBD by maximum likelihood on log-parameters: damped Newton from a scale-aware start,
/// with Nelder-Mead restarts as the fallback when Newton does not converge.
///
/// Identical `(x, t_x, T)` triples are compressed into weighted groups first. Above
/// 20,000 groups the start point and first Hessian come from a fit on a deterministic stride
/// subsample of 20,000 customers, so the full data needs only a few gradient evaluations.
pub fn fit_bgnbd(customers: &[BgnbdCustomer]) -> Result<BgnbdFit, ModelError> {
    let data = GroupedCustomers::new(customers)?;
    let mut start = default_start(data.max_age);
    let mut start_hessian = None;
    if data.group_count() > WARM_START_MIN_GROUPS {
        let stride = customers.len().div_ceil(WARM_START_CUSTOMERS);
        let sample: Vec<BgnbdCustomer> = customers.iter().step_by(stride).copied().collect();
        let sample_data = GroupedCustomers::new(&sample)?;
        let sample_fit = optimise(&sample_data, start, None);
        if sample_fit.converged {
            start = sample_fit.point;
            // The Hessian of a sum scales with the number of customers.
            let scale = data.customers as f64 / sample_data.customers as f64;
            start_hessian = sample_fit
                .hessian
                .map(|hessian| hessian.map(|row| row.map(|value| value * scale)));
        }
    }
    let minimum = optimise(&data, start, start_hessian);
    Ok(BgnbdFit {
        params: params_from_log(&minimum.point),
        log_likelihood: -minimum.value,
        iterations: minimum.iterations,
        converged: minimum.converged,
        customers: data.customers,
        repeat_customers: data.repeat_customers,
    })
}

/// The summed log-likelihood (eq. 6) of the customers under `params`.
pub fn bgnbd_log_likelihood(
    params: &BgnbdParams,
    customers: &[BgnbdCustomer],
) -> Result<f64, ModelError> {
    let data = GroupedCustomers::new(customers)?;
    Ok(data.log_likelihood_and_gradient(params).0)
}

/// `E[X(t) | x, t_x, T]`: expected purchases in the next `t` time units (eq. 10).
///
/// Matches lifetimes' `conditional_expected_number_of_purchases_up_to_time`. Needs `a ≠ 1`.
pub fn expected_purchases(params: &BgnbdParams, customer: &BgnbdCustomer, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let ln_decay = ln_decay(params, customer.frequency, customer.age, t);
    expected_from_ln_decay(params, customer, ln_decay)
}

/// `E[X(t) | x, t_x, T]` for many customers of one fit, bit for bit as [`expected_purchases`].
///
/// Its costly part, the hypergeometric term, depends only on `x`, `T` and `t`; the customers of a
/// store share far fewer `(x, T)` pairs than there are customers (ages are whole days), so the
/// term is computed once for each pair and horizon and remembered. A lifetime value asks for
/// twelve horizons, which made that term 95 % of the predictions of a million customers.
#[derive(Debug, Clone)]
pub struct ExpectedPurchases {
    params: BgnbdParams,
    /// The slot in `ln_decays` of each `(x, T)` seen (`T` as its bits).
    slots: HashMap<(u32, u64), usize>,
    /// Per `(x, T)`: each horizon asked for (as its bits) with its term.
    ln_decays: Vec<Vec<(u64, f64)>>,
    /// The pair asked for last and its slot: one customer's horizons come one after another.
    last: Option<((u32, u64), usize)>,
}

impl ExpectedPurchases {
    /// An empty memory for `params`.
    pub fn new(params: BgnbdParams) -> ExpectedPurchases {
        ExpectedPurchases {
            params,
            slots: HashMap::new(),
            ln_decays: Vec::new(),
            last: None,
        }
    }

    /// The parameters it computes with.
    pub fn params(&self) -> &BgnbdParams {
        &self.params
    }

    /// `E[X(t) | x, t_x, T]` of `customer`.
    pub fn of(&mut self, customer: &BgnbdCustomer, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let pair = (customer.frequency, customer.age.to_bits());
        let slot = match self.last {
            Some((last, slot)) if last == pair => slot,
            _ => {
                let next = self.ln_decays.len();
                let slot = *self.slots.entry(pair).or_insert(next);
                if slot == next {
                    self.ln_decays.push(Vec::new());
                }
                self.last = Some((pair, slot));
                slot
            }
        };
        let horizons = &mut self.ln_decays[slot];
        let ln_decay = match horizons.iter().find(|(bits, _)| *bits == t.to_bits()) {
            Some(&(_, known)) => known,
            None => {
                let computed = ln_decay(&self.params, customer.frequency, customer.age, t);
                horizons.push((t.to_bits(), computed));
                computed
            }
        };
        expected_from_ln_decay(&self.params, customer, ln_decay)
    }
}

/// `ln(((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x-1; z))` with `z = t/(α+T+t)`.
fn ln_decay(params: &BgnbdParams, frequency: u32, age: f64, t: f64) -> f64 {
    let BgnbdParams { r, alpha, a, b } = *params;
    let x = f64::from(frequency);
    let z = t / (alpha + age + t);
    (r + x) * (-z).ln_1p() + ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z)
}

/// Eq. 10 from its hypergeometric part.
fn expected_from_ln_decay(params: &BgnbdParams, customer: &BgnbdCustomer, ln_decay: f64) -> f64 {
    let BgnbdParams { a, b, .. } = *params;
    let x = f64::from(customer.frequency);
    let first = (a + b + x - 1.0) / (a - 1.0);
    let numerator = first * -ln_decay.exp_m1();
    numerator / (1.0 + dropout_odds(params, customer, customer.recency, customer.age))
}

/// P(alive | x, t_x, T); 1 when `x = 0`, as in the model (and lifetimes).
pub fn probability_alive(params: &BgnbdParams, customer: &BgnbdCustomer) -> f64 {
    1.0 / (1.0 + dropout_odds(params, customer, customer.recency, customer.age))
}

/// `E[X(t)]`: expected purchases of a new customer in `t` time units (eq. 7). Needs `a ≠ 1`.
pub fn expected_purchases_unconditional(params: &BgnbdParams, t: f64) -> f64 {
    let BgnbdParams { r, alpha, a, b } = *params;
    if t <= 0.0 {
        return 0.0;
    }
    let z = t / (alpha + t);
    let ln_decay = r * (alpha / (alpha + t)).ln() + ln_hyp2f1(r, b, a + b - 1.0, z);
    (a + b - 1.0) / (a - 1.0) * -ln_decay.exp_m1()
}

/// Expected time until the next order: the smallest horizon `t` with `E[X(t) | x, t_x, T] ≥ 1`
/// (the point where one more purchase is expected), or `None` when that does not happen within
/// `max_horizon` (a customer who has probably dropped out). The expected next order date is the end
/// of calibration plus this time. Found by doubling then bisection to 1e-9 relative.
pub fn expected_time_to_next_purchase(
    params: &BgnbdParams,
    customer: &BgnbdCustomer,
    max_horizon: f64,
) -> Option<f64> {
    let reaches_one = |t: f64| expected_purchases(params, customer, t) >= 1.0;
    if max_horizon.is_nan() || max_horizon <= 0.0 || !reaches_one(max_horizon) {
        return None;
    }
    let mut low = 0.0;
    let mut high = max_horizon;
    while high - low > 1e-9 * high {
        let middle = 0.5 * (low + high);
        if reaches_one(middle) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Some(high)
}

/// `δ_{x>0} · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)`: the odds of having dropped out.
fn dropout_odds(params: &BgnbdParams, customer: &BgnbdCustomer, recency: f64, age: f64) -> f64 {
    if customer.frequency == 0 {
        return 0.0;
    }
    let BgnbdParams { r, alpha, a, b } = *params;
    let x = f64::from(customer.frequency);
    let ln_odds = (a / (b + x - 1.0)).ln() + (r + x) * ((alpha + age) / (alpha + recency)).ln();
    ln_odds.exp()
}

/// Runs Newton on log-parameters, falling back to Nelder-Mead then Newton.
fn optimise(
    data: &GroupedCustomers,
    start: [f64; 4],
    start_hessian: Option<[[f64; 4]; 4]>,
) -> Minimum<4> {
    let objective = |log_params: &[f64; 4]| -> ValueAndGradient<4> {
        let params = params_from_log(log_params);
        let (log_likelihood, gradient) = data.log_likelihood_and_gradient(&params);
        let scaled = [
            gradient[0] * params.r,
            gradient[1] * params.alpha,
            gradient[2] * params.a,
            gradient[3] * params.b,
        ];
        let finite = log_likelihood.is_finite() && scaled.iter().all(|value| value.is_finite());
        finite.then(|| (-log_likelihood, scaled.map(|value| -value)))
    };
    let newton = minimize_newton(objective, start, start_hessian, MAX_NEWTON_ITERATIONS);
    if newton.converged {
        return newton;
    }
    let value_only = |log_params: &[f64; 4]| -> f64 {
        let params = params_from_log(log_params);
        -data.log_likelihood_and_gradient(&params).0
    };
    let simplex = minimize_nelder_mead(value_only, start, 1.0, 5, 2_000);
    let polished = minimize_newton(objective, simplex.point, None, MAX_NEWTON_ITERATIONS);
    Minimum {
        iterations: newton.iterations + simplex.iterations + polished.iterations,
        ..polished
    }
}

/// Start: r = a = b = 1 and α at a tenth of the longest age (lifetimes' data scaling).
fn default_start(max_age: f64) -> [f64; 4] {
    let alpha = if max_age > 0.0 { max_age / 10.0 } else { 1.0 };
    [0.0, alpha.ln(), 0.0, 0.0]
}

fn params_from_log(log_params: &[f64; 4]) -> BgnbdParams {
    BgnbdParams {
        r: log_params[0].exp(),
        alpha: log_params[1].exp(),
        a: log_params[2].exp(),
        b: log_params[3].exp(),
    }
}

#[cfg(test)]
#[path = "bgnbd_tests.rs"]
mod tests;
