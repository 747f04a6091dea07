//! Special functions the models need: log-gamma (with sign), digamma and a stable log-sum-exp.
//!
//! Both gamma functions shift the argument up to at least [`ASYMPTOTIC_FROM`] with the recurrence
//! and then use the asymptotic (Stirling / Bernoulli) series, which is accurate to about 1e-16 there.

use std::f64::consts::PI;

/// Below this argument the recurrence shifts `x` up before the asymptotic series is used.
const ASYMPTOTIC_FROM: f64 = 10.0;

/// `0.5 * ln(2π)`.
const HALF_LN_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Natural log of the gamma function for `x > 0`; `NaN` for `x <= 0` or `NaN` input.
///
/// For negative arguments use [`ln_gamma_signed`].
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut shifted = x;
    let mut ln_product = 0.0;
    while shifted < ASYMPTOTIC_FROM {
        ln_product += shifted.ln();
        shifted += 1.0;
    }
    stirling_ln_gamma(shifted) - ln_product
}

/// `(ln |Γ(x)|, sign of Γ(x))` for any real `x`; at the poles (`0, -1, -2, ...`) it returns
/// `(+∞, 0.0)`.
pub fn ln_gamma_signed(x: f64) -> (f64, f64) {
    if x > 0.0 {
        return (ln_gamma(x), 1.0);
    }
    if x.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x == x.floor() {
        return (f64::INFINITY, 0.0);
    }
    // Reflection: Γ(x) Γ(1 - x) = π / sin(πx), with Γ(1 - x) > 0 here.
    let sine = sin_pi(x);
    let ln_abs = PI.ln() - sine.abs().ln() - ln_gamma(1.0 - x);
    (ln_abs, sine.signum())
}

/// The digamma function ψ(x) = d/dx ln Γ(x); `NaN` at the poles `0, -1, -2, ...`.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x < 0.0 {
        // Reflection: ψ(1 - x) - ψ(x) = π cot(πx).
        return digamma(1.0 - x) - PI * cos_pi(x) / sin_pi(x);
    }
    let mut shifted = x;
    let mut reciprocal_sum = 0.0;
    while shifted < ASYMPTOTIC_FROM {
        reciprocal_sum += 1.0 / shifted;
        shifted += 1.0;
    }
    let inv2 = 1.0 / (shifted * shifted);
    // Bernoulli series: ln x - 1/(2x) - Σ B_2k / (2k x^2k).
    let tail = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0))))));
    shifted.ln() - 0.5 / shifted - tail - reciprocal_sum
}

/// `ln(exp(left) + exp(right))` without overflow, and the share `exp(right) / (exp(left) + exp(right))`.
pub fn log_add_exp_with_share(left: f64, right: f64) -> (f64, f64) {
    if left >= right {
        let ratio = (right - left).exp();
        (left + ratio.ln_1p(), ratio / (1.0 + ratio))
    } else {
        let ratio = (left - right).exp();
        (right + ratio.ln_1p(), 1.0 / (1.0 + ratio))
    }
}

fn stirling_ln_gamma(x: f64) -> f64 {
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv
        * (1.0 / 12.0
            - inv2
                * (1.0 / 360.0
                    - inv2
                        * (1.0 / 1260.0
                            - inv2
                                * (1.0 / 1680.0
                                    - inv2 * (1.0 / 1188.0 - inv2 * (691.0 / 360_360.0))))));
    (x - 0.5) * x.ln() - x + HALF_LN_TWO_PI + series
}

/// sin(πx), reduced to an argument in [-π/2, π/2] first so integers give exactly 0 and small
/// distances from an integer keep their relative precision.
fn sin_pi(x: f64) -> f64 {
    // In [-1, 1]; exact, because x and 2·round(x/2) are close.
    let reduced = x - 2.0 * (x / 2.0).round();
    if reduced > 0.5 {
        return (PI * (1.0 - reduced)).sin();
    }
    if reduced < -0.5 {
        return -(PI * (1.0 + reduced)).sin();
    }
    (PI * reduced).sin()
}

/// cos(πx) = sin(π(x + 1/2)), reduced the same way.
fn cos_pi(x: f64) -> f64 {
    let reduced = x - 2.0 * (x / 2.0).round();
    sin_pi(0.5 - reduced.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: f64, want: f64, tolerance: f64) {
        let scale = want.abs().max(1.0);
        assert!(
            (got - want).abs() <= tolerance * scale,
            "got {got}, want {want}"
        );
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        assert_close(ln_gamma(1.0), 0.0, 1e-15);
        assert_close(ln_gamma(2.0), 0.0, 1e-15);
        assert_close(ln_gamma(0.5), PI.sqrt().ln(), 1e-14);
        assert_close(ln_gamma(10.0), (362_880.0f64).ln(), 1e-15);
        assert_close(ln_gamma(100.0), 359.134_205_369_575_4, 1e-15);
        assert_close(ln_gamma(1e-8), 18.420_680_738_180_21, 1e-14);
        assert!(ln_gamma(0.0).is_nan());
    }

    #[test]
    fn ln_gamma_signed_handles_negative_arguments() {
        // Γ(-0.5) = -2 sqrt(π), Γ(-1.5) = 4 sqrt(π) / 3.
        let (ln_abs, sign) = ln_gamma_signed(-0.5);
        assert_close(ln_abs, (2.0 * PI.sqrt()).ln(), 1e-14);
        assert_eq!(sign, -1.0);
        let (ln_abs, sign) = ln_gamma_signed(-1.5);
        assert_close(ln_abs, (4.0 * PI.sqrt() / 3.0).ln(), 1e-14);
        assert_eq!(sign, 1.0);
        assert_eq!(ln_gamma_signed(-2.0).1, 0.0);
    }

    #[test]
    fn digamma_matches_known_values() {
        let euler_gamma = 0.577_215_664_901_532_9;
        assert_close(digamma(1.0), -euler_gamma, 1e-14);
        assert_close(digamma(0.5), -euler_gamma - 2.0 * 2.0f64.ln(), 1e-14);
        assert_close(digamma(25.0), 3.198_742_512_851_974, 1e-15);
        assert_close(digamma(-0.5), 0.036_489_973_978_576_52, 1e-13);
    }

    #[test]
    fn log_add_exp_is_stable() {
        let (value, share) = log_add_exp_with_share(-1000.0, -1000.0);
        assert_close(value, -1000.0 + 2.0f64.ln(), 1e-15);
        assert_close(share, 0.5, 1e-15);
        let (value, share) = log_add_exp_with_share(0.0, -800.0);
        assert_close(value, 0.0, 1e-15);
        assert!(share < 1e-300);
    }
}
