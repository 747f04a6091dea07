//! Implicit-feedback matrix factorisation by alternating least squares
//! (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets").
//!
//! The confidence matrix follows the `implicit` library's convention so figures compare: a stored
//! value `c` is the confidence of a positive preference (`p = 1`), every missing value has
//! confidence 1 and preference 0, and `c - 1` is the extra weight. Pass `1 + alpha * r` for the
//! paper's form; [`confidence`] builds `implicit`'s `alpha * r`.
//!
//! Each half-iteration solves `(YᵀY + Yᵀ(Cᵤ - I)Y + λI) xᵤ = YᵀCᵤp(u)` for every row with a few
//! conjugate-gradient steps started from the current factors (as `implicit` does: 3 steps), with
//! `YᵀY + λI` computed once per half-iteration. Rows are solved in parallel on scoped threads; each
//! row's solve only reads shared state, so the result does not depend on the thread count.

use crate::recommend::data::Csr;
use crate::recommend::error::RecommendError;
use crate::recommend::linalg::{axpy, dot, gram, symv};
use crate::recommend::rng::SplitMix64;

/// Hyper-parameters of one ALS fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlsConfig {
    /// Latent factors per user and item.
    pub factors: usize,
    /// Alternating iterations (each solves users, then items).
    pub iterations: usize,
    /// L2 regularisation λ.
    pub regularization: f32,
    /// Conjugate-gradient steps per row and half-iteration.
    pub cg_steps: usize,
    /// Seed of the initial factors (uniform in [0, 0.01)).
    pub seed: u64,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// Fitted user and item factors, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct AlsModel {
    /// Latent factors per row.
    pub factors: usize,
    /// `users × factors`.
    pub user_factors: Vec<f32>,
    /// `items × factors`.
    pub item_factors: Vec<f32>,
}

impl AlsModel {
    /// The factor vector of user `u`.
    pub fn user(&self, u: usize) -> &[f32] {
        &self.user_factors[u * self.factors..(u + 1) * self.factors]
    }

    /// The factor vector of item `i`.
    pub fn item(&self, i: usize) -> &[f32] {
        &self.item_factors[i * self.factors..(i + 1) * self.factors]
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.item_factors.len() / self.factors.max(1)
    }

    /// Scores of every item for a user factor vector, written into `out`.
    pub fn score_items(&self, user: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend(
            self.item_factors
                .chunks_exact(self.factors)
                .map(|y| dot(user, y)),
        );
    }
}

/// `implicit`'s confidence: every stored value multiplied by `alpha`.
pub fn confidence(values: &Csr, alpha: f32) -> Csr {
    values.map_values(|v| alpha * v)
}

/// Fits ALS on a user × item confidence matrix.
pub fn train_als(confidence: &Csr, config: &AlsConfig) -> Result<AlsModel, RecommendError> {
    if config.factors == 0 {
        return Err(RecommendError::InvalidSetting {
            name: "factors",
            reason: "must be at least 1",
        });
    }
    if config.regularization < 0.0 || !config.regularization.is_finite() {
        return Err(RecommendError::InvalidSetting {
            name: "regularization",
            reason: "must be a finite number >= 0",
        });
    }
    let f = config.factors;
    let mut rng = SplitMix64::new(config.seed);
    let mut user_factors: Vec<f32> = (0..confidence.rows * f)
        .map(|_| rng.next_f32() * 0.01)
        .collect();
    let mut item_factors: Vec<f32> = (0..confidence.cols * f)
        .map(|_| rng.next_f32() * 0.01)
        .collect();
    let transposed = confidence.transpose();
    for _ in 0..config.iterations {
        solve_rows(confidence, &mut user_factors, &item_factors, config);
        solve_rows(&transposed, &mut item_factors, &user_factors, config);
    }
    Ok(AlsModel {
        factors: f,
        user_factors,
        item_factors,
    })
}

/// Updates every row of `x` given the fixed factors `y` (one half-iteration).
fn solve_rows(c: &Csr, x: &mut [f32], y: &[f32], config: &AlsConfig) {
    let f = config.factors;
    let mut yty = gram(y, f, config.threads);
    for k in 0..f {
        yty[k * f + k] += config.regularization;
    }
    let threads = config.threads.max(1);
    let rows_per = c.rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (chunk, block) in x.chunks_mut(rows_per * f).enumerate() {
            let yty = &yty;
            scope.spawn(move || {
                let mut work = CgWork::new(f);
                for (offset, xu) in block.chunks_exact_mut(f).enumerate() {
                    let (cols, conf) = c.row(chunk * rows_per + offset);
                    cg_solve(xu, cols, conf, y, yty, config.cg_steps, &mut work);
                }
            });
        }
    });
}

struct CgWork {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

impl CgWork {
    fn new(f: usize) -> CgWork {
        CgWork {
            r: vec![0.0; f],
            p: vec![0.0; f],
            ap: vec![0.0; f],
        }
    }
}

/// A few conjugate-gradient steps on one row, from its current value (`implicit`'s `least_squares_cg`).
fn cg_solve(
    x: &mut [f32],
    cols: &[u32],
    conf: &[f32],
    y: &[f32],
    yty: &[f32],
    steps: usize,
    w: &mut CgWork,
) {
    let f = x.len();
    // r = YᵀCᵤp - (YᵀY + λI + Yᵀ(Cᵤ - I)Y) x
    symv(yty, x, &mut w.r);
    w.r.iter_mut().for_each(|v| *v = -*v);
    for (&i, &c) in cols.iter().zip(conf) {
        let yi = &y[i as usize * f..(i as usize + 1) * f];
        let (c, target) = if c > 0.0 { (c, c) } else { (-c, 0.0) };
        axpy(target - (c - 1.0) * dot(yi, x), yi, &mut w.r);
    }
    w.p.copy_from_slice(&w.r);
    let mut rs_old = dot(&w.r, &w.r);
    if rs_old < 1e-20 {
        return;
    }
    for _ in 0..steps {
        symv(yty, &w.p, &mut w.ap);
        for (&i, &c) in cols.iter().zip(conf) {
            let yi = &y[i as usize * f..(i as usize + 1) * f];
            axpy((c.abs() - 1.0) * dot(yi, &w.p), yi, &mut w.ap);
        }
        let alpha = rs_old / dot(&w.p, &w.ap);
        axpy(alpha, &w.p, x);
        axpy(-alpha, &w.ap, &mut w.r);
        let rs_new = dot(&w.r, &w.r);
        if rs_new < 1e-20 {
            break;
        }
        let beta = rs_new / rs_old;
        for (p, r) in w.p.iter_mut().zip(&w.r) {
            *p = r + beta * *p;
        }
        rs_old = rs_new;
    }
}
