//! The Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and real `z < 1`.
//!
//! Paths, chosen by `z`:
//! * `z < 0`: Pfaff's transformation `(1-z)^(-a) ₂F₁(a, c-b; c; z/(z-1))` maps to `0 < z < 1`;
//! * `0 ≤ z ≤ 0.75`: the power series;
//! * `0.75 < z < 1`: the connection formula in `1 - z` (Abramowitz & Stegun 15.3.6), whose two
//!   series converge at the rate `(1-z)^n`. When `c - a - b` is within [`NEAR_INTEGER`] of an integer
//!   the formula's two terms cancel, so the value is interpolated from four points around the
//!   integer (error about `1e-11` relative).
//!
//! Before the power series and the connection formula, Euler's transformation
//! `₂F₁(a, b; c; z) = (1-z)^(c-a-b) ₂F₁(c-a, c-b; c; z)` is applied when it makes the numerator
//! parameters smaller; this keeps BG/NBD's `₂F₁(r+x, b+x; a+b+x-1; z)` cheap for large `x`.

use crate::analytics::special::ln_gamma_signed;

/// Largest `z` summed directly with the power series.
const DIRECT_SERIES_MAX_Z: f64 = 0.75;
/// Half-width of the band around an integer `c - a - b` where the connection formula is interpolated.
const NEAR_INTEGER: f64 = 1e-4;
/// The series stop when a term is below this fraction of the running sum.
const RELATIVE_TOLERANCE: f64 = 1e-17;
/// Upper bound on series terms; a series still running after that yields `NaN`.
const MAX_TERMS: usize = 200_000;

/// ₂F₁(a, b; c; z) for `z < 1`.
///
/// Returns `NaN` for `z ≥ 1`, non-finite input, `c` a non-positive integer, or a series that does
/// not converge within its term budget. May overflow to `±∞` for extreme parameters; use
/// [`ln_hyp2f1`] when only the logarithm is needed.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (ln_prefactor, value) = hyp2f1_scaled(a, b, c, z);
    ln_prefactor.exp() * value
}

/// `ln ₂F₁(a, b; c; z)` for `z < 1` where the function is positive (`NaN` where it is not).
///
/// Large prefactors such as `(1-z)^(c-a-b)` are kept in log space, so this does not overflow.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (ln_prefactor, value) = hyp2f1_scaled(a, b, c, z);
    if value > 0.0 {
        ln_prefactor + value.ln()
    } else {
        f64::NAN
    }
}

/// ₂F₁ as `exp(ln_prefactor) * value`.
fn hyp2f1_scaled(a: f64, b: f64, c: f64, z: f64) -> (f64, f64) {
    let finite = a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite();
    if !finite || z >= 1.0 || is_non_positive_integer(c) {
        return (0.0, f64::NAN);
    }
    if z == 0.0 {
        return (0.0, 1.0);
    }
    if z < 0.0 {
        // Pfaff: keep the parameter that terminates the series, if any, in the first slot.
        let (kept, other) = if is_non_positive_integer(b) {
            (b, a)
        } else {
            (a, b)
        };
        let mapped = z / (z - 1.0);
        let (ln_inner, value) = unit_interval(kept, c - other, c, mapped);
        return (-kept * (-z).ln_1p() + ln_inner, value);
    }
    unit_interval(a, b, c, z)
}

/// ₂F₁ for `0 < z < 1`, scaled as in [`hyp2f1_scaled`].
fn unit_interval(a: f64, b: f64, c: f64, z: f64) -> (f64, f64) {
    let terminating = is_non_positive_integer(a) || is_non_positive_integer(b);
    let use_euler = !terminating && (c - a).abs() + (c - b).abs() < a.abs() + b.abs();
    let (first, second, ln_prefactor) = if use_euler {
        (c - a, c - b, (c - a - b) * (-z).ln_1p())
    } else {
        (a, b, 0.0)
    };
    if z <= DIRECT_SERIES_MAX_Z || terminating {
        return (ln_prefactor, power_series(first, second, c, z));
    }
    (ln_prefactor, near_one(first, second, c, z))
}

/// The connection formula around `z = 1`; within [`NEAR_INTEGER`] of an integer `c - a - b` it is
/// evaluated at `c - a - b = m ± NEAR_INTEGER, m ± 2·NEAR_INTEGER` and interpolated by the cubic
/// through those four points.
fn near_one(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let excess = c - a - b;
    let nearest = excess.round();
    let offset = (excess - nearest) / NEAR_INTEGER;
    if offset.abs() >= 1.0 {
        return connection_formula(a, b, c, z);
    }
    let at = |node: f64| connection_formula(a, b, c + (nearest + node * NEAR_INTEGER - excess), z);
    let t = offset;
    let weights = [
        -(t * t - 1.0) * (t - 2.0) / 12.0,
        (t + 2.0) * (t - 1.0) * (t - 2.0) / 6.0,
        -(t + 2.0) * (t + 1.0) * (t - 2.0) / 6.0,
        (t + 2.0) * (t * t - 1.0) / 12.0,
    ];
    weights[0] * at(-2.0) + weights[1] * at(-1.0) + weights[2] * at(1.0) + weights[3] * at(2.0)
}

/// A&S 15.3.6: ₂F₁(a,b;c;z) = Γ(c)Γ(s)/(Γ(c-a)Γ(c-b)) ₂F₁(a,b;1-s;1-z)
///   + (1-z)^s Γ(c)Γ(-s)/(Γ(a)Γ(b)) ₂F₁(c-a,c-b;1+s;1-z), with s = c-a-b not an integer.
fn connection_formula(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let excess = c - a - b;
    let complement = 1.0 - z;
    let first = gamma_ratio([c, excess], [c - a, c - b]);
    let second = gamma_ratio([c, -excess], [a, b]);
    let mut sum = 0.0;
    if first != 0.0 {
        sum += first * power_series(a, b, 1.0 - excess, complement);
    }
    if second != 0.0 {
        sum += (excess * complement.ln()).exp()
            * second
            * power_series(c - a, c - b, 1.0 + excess, complement);
    }
    sum
}

/// Γ(n0)Γ(n1) / (Γ(d0)Γ(d1)); zero when a denominator argument is a pole.
fn gamma_ratio(numerator: [f64; 2], denominator: [f64; 2]) -> f64 {
    let mut ln_abs = 0.0;
    let mut sign = 1.0;
    for argument in denominator {
        let (ln_value, value_sign) = ln_gamma_signed(argument);
        if value_sign == 0.0 {
            return 0.0;
        }
        ln_abs -= ln_value;
        sign *= value_sign;
    }
    for argument in numerator {
        let (ln_value, value_sign) = ln_gamma_signed(argument);
        ln_abs += ln_value;
        sign *= value_sign;
    }
    sign * ln_abs.exp()
}

/// Σ (a)_n (b)_n / ((c)_n n!) z^n, summed until the terms are negligible and shrinking.
fn power_series(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for index in 0..MAX_TERMS {
        let n = index as f64;
        let ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        sum += term;
        if term == 0.0 {
            return sum;
        }
        let shrinking = ratio.abs() < 1.0;
        if shrinking && term.abs() <= RELATIVE_TOLERANCE * sum.abs() {
            return sum;
        }
    }
    f64::NAN
}

fn is_non_positive_integer(value: f64) -> bool {
    value <= 0.0 && value == value.floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_relative(got: f64, want: f64, tolerance: f64) {
        let error = ((got - want) / want).abs();
        assert!(
            error <= tolerance,
            "got {got}, want {want}, relative error {error:e}"
        );
    }

    #[test]
    fn closed_forms_hold_on_the_whole_domain() {
        for z in [
            -50.0, -3.0, -0.9, -0.1, 0.01, 0.3, 0.5, 0.74, 0.76, 0.9, 0.99, 0.999_9,
        ] {
            // ₂F₁(1, 1; 2; z) = -ln(1 - z) / z.
            assert_relative(hyp2f1(1.0, 1.0, 2.0, z), -(-z).ln_1p() / z, 1e-10);
            // ₂F₁(a, b; b; z) = (1 - z)^(-a).
            assert_relative(hyp2f1(0.37, 2.5, 2.5, z), (1.0 - z).powf(-0.37), 1e-10);
            // ₂F₁(1/2, 1; 3/2; -x²) = atan(x) / x.
            if z < 0.0 {
                let x = (-z).sqrt();
                assert_relative(hyp2f1(0.5, 1.0, 1.5, z), x.atan() / x, 1e-12);
            }
            // ₂F₁(1/2, 1/2; 3/2; x²) = asin(x) / x.
            if z > 0.0 {
                let x = z.sqrt();
                assert_relative(hyp2f1(0.5, 0.5, 1.5, z), x.asin() / x, 1e-10);
            }
        }
    }

    #[test]
    fn series_and_connection_formula_agree_at_the_switch() {
        let cases = [
            (0.24, 2.4, 2.2),
            (2.24, 4.4, 3.2),
            (20.24, 22.4, 21.2),
            (0.5, -0.3, 3.7),
            (1.3, 0.7, 2.0),
        ];
        for (a, b, c) in cases {
            let series = power_series(a, b, c, DIRECT_SERIES_MAX_Z);
            let connection = near_one(a, b, c, DIRECT_SERIES_MAX_Z);
            assert_relative(connection, series, 1e-10);
        }
    }

    #[test]
    fn terminating_series_are_polynomials() {
        // ₂F₁(-2, b; c; z) = 1 - 2bz/c + b(b+1)z²/(c(c+1)).
        let (b, c, z) = (1.5, 2.5, 0.9);
        let want = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert_relative(hyp2f1(-2.0, b, c, z), want, 1e-14);
    }

    #[test]
    fn logarithm_avoids_overflow() {
        let (a, b, c, z) = (2000.0, 2000.0, 1000.5, 0.99);
        let ln_value = ln_hyp2f1(a, b, c, z);
        assert!(ln_value.is_finite() && ln_value > 700.0);
        assert!(hyp2f1(1.0, 1.0, 0.0, 0.5).is_nan());
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_nan());
    }
}
