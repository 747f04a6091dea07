//! Recommendations: offline evaluation, training a versioned model, and serving with business rules.

pub mod eval;
pub mod interactions;
pub mod model;
pub mod schedule;
pub mod serve;

use ecrm_core::phone::PhoneRegion;
use ecrm_core::recommend::als::AlsConfig;
use ecrm_core::recommend::{PurchaseLine, PurchaseLog};
use ecrm_core::time::Millis;
use ecrm_store::Store;
use serde::Serialize;

use crate::app::AppError;
use crate::app::customers::find_customer;

/// The recommenders' hyper-parameters (the CLI's flags and the stored model's parameters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecsParams {
    /// ALS latent factors.
    pub factors: usize,
    /// ALS iterations.
    pub iterations: usize,
    /// ALS L2 regularisation.
    pub regularization: f32,
    /// ALS confidence multiplier (`implicit`'s alpha: confidence = alpha × orders with the item).
    pub alpha: f32,
    /// Seed of the initial factors.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Neighbours kept per item.
    pub neighbours: usize,
    /// Cosine shrinkage (added to the denominator).
    pub shrink: f32,
    /// Half-life in days of a history item's weight in item-to-item scores (0 = no decay).
    pub half_life_days: f64,
    /// Half-life in days of the recency boost of the blend's ALS confidences (0 = the plain ALS).
    pub als_half_life_days: f64,
    /// ALS confidence of one tracked product view (times 1 + dwell minutes, dwell capped at 5).
    pub view_weight: f32,
    /// ALS confidence of one cart add.
    pub cart_weight: f32,
    /// Weight of ALS in the default blend.
    pub blend_als: f32,
    /// Weight of item-to-item in the default blend.
    pub blend_knn: f32,
    /// Weight of "trending when the customer last bought" in the default blend.
    pub blend_trend: f32,
    /// Half-life in days of the trending scores.
    pub trend_half_life_days: f64,
}

impl RecsParams {
    /// The defaults: `implicit`'s ALS settings and the documented blend.
    pub fn standard(threads: usize) -> RecsParams {
        RecsParams {
            factors: 64,
            iterations: 15,
            regularization: 0.01,
            alpha: 1.0,
            seed: 42,
            threads: threads.max(1),
            neighbours: 100,
            shrink: 0.0,
            half_life_days: 14.0,
            als_half_life_days: 14.0,
            view_weight: 0.1,
            cart_weight: 0.3,
            blend_als: 1.0,
            blend_knn: 0.75,
            blend_trend: 0.25,
            trend_half_life_days: 7.0,
        }
    }

    /// The ALS part.
    pub fn als_config(&self) -> AlsConfig {
        AlsConfig {
            factors: self.factors,
            iterations: self.iterations,
            regularization: self.regularization,
            cg_steps: 3,
            seed: self.seed,
            threads: self.threads,
        }
    }
}

/// Streams every clean customer order line from the store into an interned log.
pub fn load_log(store: &dyn Store) -> Result<PurchaseLog, AppError> {
    let mut log = PurchaseLog::new();
    store.recs_order_lines(None, &mut |line| {
        log.push(&PurchaseLine {
            customer_id: line.customer_id,
            order_key: line.order_key,
            ordered_at: line.ordered_at,
            product_id: line.product_id,
            quantity: line.quantity,
            unit_price_cents: line.unit_price_cents,
        });
        Ok(())
    })?;
    Ok(log)
}

/// A customer's recommendations: unknown identifiers get popularity (marked so), `n` over the
/// cap is an error naming `n`.
#[allow(clippy::too_many_arguments)]
pub fn recommendations_for(
    store: &dyn Store,
    cache: &serve::RecsCache,
    rules: &serve::ServingRules,
    reference: &str,
    region: PhoneRegion,
    n: usize,
    category: Option<&str>,
    now: Millis,
) -> Result<serve::RecList, AppError> {
    if n == 0 || n > rules.max_n {
        return Err(AppError::invalid(
            "n",
            format!("must be between 1 and {}", rules.max_n),
        ));
    }
    let serving = cache.get(store, rules)?;
    let customer = match find_customer(store, reference, region) {
        Ok(id) => Some(id),
        Err(AppError::NotFound(_)) => None,
        Err(other) => return Err(other),
    };
    serving.for_customer(store, customer.as_deref(), n, category, now)
}

/// Products similar to `product_id`; `n` over the cap is an error naming `n`.
pub fn similar_products(
    store: &dyn Store,
    cache: &serve::RecsCache,
    rules: &serve::ServingRules,
    product_id: &str,
    n: usize,
) -> Result<serve::RecList, AppError> {
    if n == 0 || n > rules.max_n {
        return Err(AppError::invalid(
            "n",
            format!("must be between 1 and {}", rules.max_n),
        ));
    }
    cache.get(store, rules)?.similar(product_id, n)
}
