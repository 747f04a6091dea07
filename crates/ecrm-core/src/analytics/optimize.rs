//! Small unconstrained minimisers for the model fits (a handful of parameters, log-parameterised).
//!
//! [`minimize_newton`] is a Levenberg-damped Newton method: analytic gradient, Hessian by forward
//! differences of the gradient, a step accepted only when it lowers the objective. Once the steps
//! are small the last Hessian is reused (chord iterations, one gradient each), which converges
//! fast because the Hessian barely changes near the optimum. [`minimize_nelder_mead`] is the derivative-free fallback,
//! restarted from its best vertex so a collapsed simplex cannot stall it.

/// Objective value and gradient at a point; `None` when the point is outside the domain.
pub type ValueAndGradient<const N: usize> = Option<(f64, [f64; N])>;

/// Where a minimisation ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minimum<const N: usize> {
    /// The best point found.
    pub point: [f64; N],
    /// The objective there.
    pub value: f64,
    /// Newton iterations or Nelder-Mead evaluations spent.
    pub iterations: u32,
    /// Whether the stopping rule was met (rather than the iteration budget running out).
    pub converged: bool,
    /// The last Hessian used (Newton only), to seed a related minimisation.
    pub hessian: Option<[[f64; N]; N]>,
}

/// Stop when every coordinate of the Newton step is below this.
const STEP_TOLERANCE: f64 = 1e-9;
/// Below this largest step the previous Hessian is reused (chord iterations).
const CHORD_BELOW_STEP: f64 = 1e-2;
/// Finite-difference step for the Hessian.
const HESSIAN_STEP: f64 = 1e-6;

/// Minimises with damped Newton steps, starting at `start`; `start_hessian`, if given, is used
/// for the first step instead of a finite-difference one.
pub fn minimize_newton<const N: usize>(
    mut objective: impl FnMut(&[f64; N]) -> ValueAndGradient<N>,
    start: [f64; N],
    start_hessian: Option<[[f64; N]; N]>,
    max_iterations: u32,
) -> Minimum<N> {
    let mut point = start;
    let Some((mut value, mut gradient)) = objective(&point) else {
        return Minimum {
            point,
            value: f64::INFINITY,
            iterations: 0,
            converged: false,
            hessian: None,
        };
    };
    let mut damping = 0.0;
    let mut reusable_hessian = start_hessian;
    let mut last_hessian = None;
    for iteration in 1..=max_iterations {
        let hessian = match reusable_hessian {
            Some(hessian) => hessian,
            None => match hessian_from_gradients(&mut objective, &point, &gradient) {
                Some(hessian) => hessian,
                None => break,
            },
        };
        last_hessian = Some(hessian);
        let mut accepted = false;
        for _attempt in 0..40 {
            let Some(step) = solve_damped(&hessian, &gradient, damping) else {
                damping = next_damping(damping, &hessian);
                continue;
            };
            let mut candidate = point;
            for (coordinate, delta) in candidate.iter_mut().zip(step.iter()) {
                *coordinate -= delta;
            }
            let largest_step = step
                .iter()
                .fold(0.0f64, |largest, delta| largest.max(delta.abs()));
            match objective(&candidate) {
                Some((candidate_value, candidate_gradient))
                    if candidate_value <= value + 1e-13 * value.abs().max(1.0) =>
                {
                    point = candidate;
                    value = candidate_value;
                    gradient = candidate_gradient;
                    damping *= 0.1;
                    if damping < 1e-12 {
                        damping = 0.0;
                    }
                    accepted = true;
                    // Near the optimum the Hessian barely changes: reuse it (a chord step costs one
                    // gradient instead of N + 1).
                    reusable_hessian =
                        (largest_step < CHORD_BELOW_STEP && damping == 0.0).then_some(hessian);
                    if largest_step < STEP_TOLERANCE {
                        return Minimum {
                            point,
                            value,
                            iterations: iteration,
                            converged: true,
                            hessian: last_hessian,
                        };
                    }
                    break;
                }
                _ => damping = next_damping(damping, &hessian),
            }
        }
        if !accepted && reusable_hessian.take().is_some() {
            // The reused Hessian failed: retry this iteration with a fresh one.
            continue;
        }
        if !accepted {
            return Minimum {
                point,
                value,
                iterations: iteration,
                converged: false,
                hessian: last_hessian,
            };
        }
    }
    Minimum {
        point,
        value,
        iterations: max_iterations,
        converged: false,
        hessian: last_hessian,
    }
}

/// Minimises without derivatives: Nelder-Mead with `restarts` fresh simplices of side `scale`
/// around the best point, `evaluations_per_run` objective calls each.
pub fn minimize_nelder_mead<const N: usize>(
    mut objective: impl FnMut(&[f64; N]) -> f64,
    start: [f64; N],
    scale: f64,
    restarts: u32,
    evaluations_per_run: u32,
) -> Minimum<N> {
    let mut best = start;
    let mut best_value = finite_or_infinity(objective(&start));
    let mut evaluations = 1;
    for _run in 0..restarts {
        let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
        simplex.push((best, best_value));
        for axis in 0..N {
            let mut vertex = best;
            vertex[axis] += scale;
            let vertex_value = finite_or_infinity(objective(&vertex));
            simplex.push((vertex, vertex_value));
        }
        evaluations += N as u32;
        let mut run_evaluations = 0;
        while run_evaluations < evaluations_per_run {
            simplex.sort_by(|left, right| left.1.total_cmp(&right.1));
            let spread = simplex[N].1 - simplex[0].1;
            if spread.abs() <= 1e-12 * simplex[0].1.abs().max(1.0) {
                break;
            }
            run_evaluations += nelder_mead_step(&mut objective, &mut simplex);
        }
        evaluations += run_evaluations;
        simplex.sort_by(|left, right| left.1.total_cmp(&right.1));
        best = simplex[0].0;
        best_value = simplex[0].1;
    }
    Minimum {
        point: best,
        value: best_value,
        iterations: evaluations,
        converged: best_value.is_finite(),
        hessian: None,
    }
}

/// One reflection / expansion / contraction / shrink; returns the evaluations spent.
fn nelder_mead_step<const N: usize>(
    objective: &mut impl FnMut(&[f64; N]) -> f64,
    simplex: &mut [([f64; N], f64)],
) -> u32 {
    let worst = simplex[N];
    let mut centroid = [0.0; N];
    for (vertex, _value) in simplex.iter().take(N) {
        for (sum, coordinate) in centroid.iter_mut().zip(vertex.iter()) {
            *sum += coordinate / N as f64;
        }
    }
    let along = |factor: f64| -> [f64; N] {
        let mut point = centroid;
        for (coordinate, worst_coordinate) in point.iter_mut().zip(worst.0.iter()) {
            *coordinate += factor * (*coordinate - worst_coordinate);
        }
        point
    };
    let reflected = along(1.0);
    let reflected_value = finite_or_infinity(objective(&reflected));
    if reflected_value < simplex[0].1 {
        let expanded = along(2.0);
        let expanded_value = finite_or_infinity(objective(&expanded));
        simplex[N] = if expanded_value < reflected_value {
            (expanded, expanded_value)
        } else {
            (reflected, reflected_value)
        };
        return 2;
    }
    if reflected_value < simplex[N - 1].1 {
        simplex[N] = (reflected, reflected_value);
        return 1;
    }
    let contracted = along(if reflected_value < worst.1 { 0.5 } else { -0.5 });
    let contracted_value = finite_or_infinity(objective(&contracted));
    if contracted_value < worst.1.min(reflected_value) {
        simplex[N] = (contracted, contracted_value);
        return 2;
    }
    let best = simplex[0].0;
    for (vertex, value) in simplex.iter_mut().skip(1) {
        for (coordinate, best_coordinate) in vertex.iter_mut().zip(best.iter()) {
            *coordinate = best_coordinate + 0.5 * (*coordinate - best_coordinate);
        }
        *value = finite_or_infinity(objective(vertex));
    }
    2 + N as u32
}

fn finite_or_infinity(value: f64) -> f64 {
    if value.is_finite() {
        value
    } else {
        f64::INFINITY
    }
}

fn next_damping<const N: usize>(damping: f64, hessian: &[[f64; N]; N]) -> f64 {
    let diagonal_scale = (0..N).fold(0.0f64, |largest, index| {
        largest.max(hessian[index][index].abs())
    });
    (damping * 10.0).max(1e-6 * diagonal_scale.max(1.0))
}

/// Symmetrised forward-difference Hessian from gradients.
// Matrix code reads best with explicit row and column indices.
#[allow(clippy::needless_range_loop)]
fn hessian_from_gradients<const N: usize>(
    objective: &mut impl FnMut(&[f64; N]) -> ValueAndGradient<N>,
    point: &[f64; N],
    gradient: &[f64; N],
) -> Option<[[f64; N]; N]> {
    let mut hessian = [[0.0; N]; N];
    for column in 0..N {
        let mut shifted = *point;
        shifted[column] += HESSIAN_STEP;
        let (_value, shifted_gradient) = objective(&shifted)?;
        for row in 0..N {
            hessian[row][column] = (shifted_gradient[row] - gradient[row]) / HESSIAN_STEP;
        }
    }
    for row in 0..N {
        for column in 0..row {
            let mean = 0.5 * (hessian[row][column] + hessian[column][row]);
            hessian[row][column] = mean;
            hessian[column][row] = mean;
        }
    }
    Some(hessian)
}

/// Solves (H + λI) step = gradient by Cholesky; `None` when the matrix is not positive definite.
#[allow(clippy::needless_range_loop)]
fn solve_damped<const N: usize>(
    hessian: &[[f64; N]; N],
    gradient: &[f64; N],
    damping: f64,
) -> Option<[f64; N]> {
    let mut lower = [[0.0; N]; N];
    for row in 0..N {
        for column in 0..=row {
            let mut sum = hessian[row][column] + if row == column { damping } else { 0.0 };
            for inner in 0..column {
                sum -= lower[row][inner] * lower[column][inner];
            }
            if row == column {
                if sum.is_nan() || sum <= 0.0 {
                    return None;
                }
                lower[row][column] = sum.sqrt();
            } else {
                lower[row][column] = sum / lower[column][column];
            }
        }
    }
    let mut forward = [0.0; N];
    for row in 0..N {
        let mut sum = gradient[row];
        for inner in 0..row {
            sum -= lower[row][inner] * forward[inner];
        }
        forward[row] = sum / lower[row][row];
    }
    let mut solution = [0.0; N];
    for row in (0..N).rev() {
        let mut sum = forward[row];
        for inner in row + 1..N {
            sum -= lower[inner][row] * solution[inner];
        }
        solution[row] = sum / lower[row][row];
    }
    Some(solution)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(point: &[f64; 2]) -> f64 {
        (1.0 - point[0]).powi(2) + 100.0 * (point[1] - point[0] * point[0]).powi(2)
    }

    fn rosenbrock_with_gradient(point: &[f64; 2]) -> ValueAndGradient<2> {
        let [x, y] = *point;
        let gradient = [
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            200.0 * (y - x * x),
        ];
        Some((rosenbrock(point), gradient))
    }

    #[test]
    fn newton_finds_the_rosenbrock_minimum() {
        let minimum = minimize_newton(rosenbrock_with_gradient, [-1.2, 1.0], None, 200);
        assert!(minimum.converged);
        assert!((minimum.point[0] - 1.0).abs() < 1e-7 && (minimum.point[1] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let minimum = minimize_nelder_mead(rosenbrock, [-1.2, 1.0], 0.5, 4, 2000);
        assert!((minimum.point[0] - 1.0).abs() < 1e-4 && (minimum.point[1] - 1.0).abs() < 1e-4);
    }
}
