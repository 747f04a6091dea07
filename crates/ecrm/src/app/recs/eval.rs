//! `recs eval`: load the clean customer order lines, split them, train every model on the train
//! part and score the top K against the held-out items (timed here: the core reads no clock).

use std::time::Instant;

use ecrm_core::recommend::als::{AlsModel, confidence, train_als};
use ecrm_core::recommend::knn::{Neighbours, item_neighbours};
use ecrm_core::recommend::models::{
    AlsScorer, BlendScorer, KnnScorer, PopularityScorer, TrendScorer, decay, popularity,
};
use ecrm_core::recommend::{
    Csr, EvalSplit, Metrics, Scorer, SplitRule, SplitStats, TrainSet, metrics, recommend_users,
    split,
};
use ecrm_store::Store;
use serde::Serialize;

use super::{RecsParams, load_log};
use crate::app::AppError;

/// One model's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResult {
    /// `als`, `item_to_item`, `popularity` or `default`.
    pub model: String,
    /// The metrics at K.
    pub metrics: Metrics,
    /// Seconds to train (0 for what needs no training; the blend reuses the others' fits).
    pub train_seconds: f64,
    /// Seconds to rank every evaluated customer's top K.
    pub recommend_seconds: f64,
}

/// What `recs eval` prints.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The split's sizes (to compare with another tool's).
    pub split: SplitStats,
    /// K.
    pub k: usize,
    /// The hyper-parameters used.
    pub params: RecsParams,
    /// Seconds to stream the lines from the store.
    pub load_seconds: f64,
    /// Seconds to build the split.
    pub split_seconds: f64,
    /// Per model.
    pub models: Vec<ModelResult>,
}

/// Runs the offline evaluation.
pub fn evaluate(
    store: &dyn Store,
    rule: SplitRule,
    k: usize,
    params: &RecsParams,
) -> Result<EvalReport, AppError> {
    if k == 0 || k > 1000 {
        return Err(AppError::invalid("k", "must be between 1 and 1000"));
    }
    let started = Instant::now();
    let log = load_log(store)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let data = split(&log, rule);
    drop(log);
    let split_seconds = started.elapsed().as_secs_f64();
    let fits = fit_all(&data, params)?;
    let mut models = Vec::new();
    let pop = PopularityScorer {
        scores: popularity(&data.train.counts),
    };
    let als = AlsScorer { model: &fits.als };
    let recent = AlsScorer {
        model: fits.recent_als.as_ref().unwrap_or(&fits.als),
    };
    let knn = knn_scorer(&data, &fits.neighbours, params);
    let trend = TrendScorer::new(
        &data.train.counts,
        &data.train.last_bought,
        params.trend_half_life_days,
    );
    let blend = BlendScorer {
        parts: vec![
            (params.blend_als, &recent as &dyn Scorer),
            (params.blend_knn, &knn),
            (params.blend_trend, &trend),
        ],
    };
    let scored: [(&str, &dyn Scorer, f64); 4] = [
        ("als", &als, fits.als_seconds),
        ("item_to_item", &knn, fits.knn_seconds),
        ("popularity", &pop, 0.0),
        ("default", &blend, fits.recent_seconds + fits.knn_seconds),
    ];
    for (name, scorer, train_seconds) in scored {
        let started = Instant::now();
        let recs = recommend_users(
            scorer,
            &data.train.counts,
            &data.eval_users,
            k,
            params.threads,
        );
        let recommend_seconds = started.elapsed().as_secs_f64();
        models.push(ModelResult {
            model: name.to_string(),
            metrics: metrics(&recs, &data.relevant, k, data.train.items.len()),
            train_seconds,
            recommend_seconds,
        });
    }
    Ok(EvalReport {
        split: data.stats,
        k,
        params: params.clone(),
        load_seconds,
        split_seconds,
        models,
    })
}

/// The fitted models of one split, with their training times.
pub struct Fits {
    /// ALS factors.
    pub als: AlsModel,
    /// Seconds ALS took.
    pub als_seconds: f64,
    /// ALS on recency-boosted confidences (the blend's), when a half-life is set.
    pub recent_als: Option<AlsModel>,
    /// Seconds it took.
    pub recent_seconds: f64,
    /// Item neighbours.
    pub neighbours: Neighbours,
    /// Seconds the neighbours took.
    pub knn_seconds: f64,
}

/// Trains ALS (on `alpha` × orders-per-item) and the item neighbours.
pub fn fit_all(data: &EvalSplit, params: &RecsParams) -> Result<Fits, AppError> {
    let started = Instant::now();
    let als = train_als(
        &confidence(&data.train.counts, params.alpha),
        &params.als_config(),
    )
    .map_err(|err| AppError::invalid("als", err.to_string()))?;
    let als_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let recent_als = match params.als_half_life_days > 0.0 {
        true => Some(
            train_als(
                &recency_confidence(&data.train, params),
                &params.als_config(),
            )
            .map_err(|err| AppError::invalid("als", err.to_string()))?,
        ),
        false => None,
    };
    let recent_seconds = match recent_als {
        Some(_) => started.elapsed().as_secs_f64(),
        None => als_seconds,
    };
    let started = Instant::now();
    let neighbours = item_neighbours(
        &data.train.counts,
        params.neighbours,
        params.shrink,
        params.threads,
    );
    let knn_seconds = started.elapsed().as_secs_f64();
    Ok(Fits {
        recent_als,
        recent_seconds,
        als,
        als_seconds,
        neighbours,
        knn_seconds,
    })
}

fn knn_scorer<'a>(
    data: &'a EvalSplit,
    neighbours: &'a Neighbours,
    params: &RecsParams,
) -> KnnScorer<'a> {
    KnnScorer {
        neighbours,
        history: &data.train.counts,
        last_bought: &data.train.last_bought,
        half_life_days: params.half_life_days,
    }
}

/// `alpha × r × (1 + 0.5^(age / half-life))`, the age counted from the customer's latest purchase:
/// what a customer bought lately weighs up to twice as much.
pub fn recency_confidence(train: &TrainSet, params: &RecsParams) -> Csr {
    let mut out = train.counts.clone();
    for u in 0..out.rows {
        let span = out.indptr[u]..out.indptr[u + 1];
        let latest = train.last_bought[span.clone()]
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        for at in span {
            let boost =
                1.0 + decay(latest - train.last_bought[at], params.als_half_life_days) as f32;
            out.values[at] *= params.alpha * boost;
        }
    }
    out
}
