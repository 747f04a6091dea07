//! Tracked views and cart adds as extra ALS confidence: `view_weight × (1 + min(dwell, 300 s) / 60 s)`
//! per `Product Viewed` and `cart_weight` per `Product Added`, each decayed by
//! `0.5^(age / 30 days)` from the latest order in the data. Only customers and products the
//! purchase data knows are used (a model row needs a purchase).

use ecrm_core::recommend::Csr;
use ecrm_core::recommend::TrainSet;
use ecrm_core::recommend::models::decay;
use ecrm_store::{InteractionKind, Store};

use super::RecsParams;
use crate::app::AppError;

/// Half-life of an interaction's weight, in days.
const HALF_LIFE_DAYS: f64 = 30.0;

/// `confidence` plus the weighted interactions; returns the new matrix and how many were used.
pub fn add_interactions(
    store: &dyn Store,
    train: &TrainSet,
    confidence: Csr,
    params: &RecsParams,
) -> Result<(Csr, u64), AppError> {
    if params.view_weight <= 0.0 && params.cart_weight <= 0.0 {
        return Ok((confidence, 0));
    }
    let mut extra: Vec<(u32, u32, f32)> = Vec::new();
    store.recs_interactions(&mut |event| {
        let (Some(u), Some(i)) = (
            train.user_index(event.customer_id),
            train.item_index(event.product_id),
        ) else {
            return Ok(());
        };
        let weight = match event.kind {
            InteractionKind::View => {
                let dwell = event.dwell_seconds.unwrap_or(0).clamp(0, 300) as f32;
                params.view_weight * (1.0 + dwell / 60.0)
            }
            InteractionKind::CartAdd => params.cart_weight,
        };
        let weight = weight * decay(train.end - event.occurred_at, HALF_LIFE_DAYS) as f32;
        if weight > 0.0 {
            extra.push((u, i, weight));
        }
        Ok(())
    })?;
    let used = extra.len() as u64;
    if used == 0 {
        return Ok((confidence, 0));
    }
    for u in 0..confidence.rows {
        let (cols, values) = confidence.row(u);
        extra.extend(cols.iter().zip(values).map(|(&i, &v)| (u as u32, i, v)));
    }
    Ok((
        Csr::from_triples(confidence.rows, confidence.cols, extra),
        used,
    ))
}
