//! `recs train`: fit the default recommender on every clean customer order line and store it as a
//! new version; the model's binary encoding (little-endian, versioned by a magic header).

use std::time::Instant;

use ecrm_core::recommend::als::{AlsModel, train_als};
use ecrm_core::recommend::knn::{Neighbours, item_neighbours};
use ecrm_core::recommend::models::{popularity, trending};
use ecrm_core::recommend::split::train_set;
use ecrm_core::time::Millis;
use ecrm_store::{RecsModelInput, Store};
use serde_json::json;

use super::eval::recency_confidence;
use super::interactions::add_interactions;
use super::{RecsParams, load_log};
use crate::app::AppError;

const MAGIC: &[u8; 8] = b"ECRMREC1";

/// The stored model kind of the default recommender.
pub const KIND: &str = "default";

/// Everything serving needs: factors, neighbour lists, popularity and trending.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModel {
    /// Customer ids (rows of the user factors), byte-wise sorted.
    pub users: Vec<String>,
    /// Product ids (columns), byte-wise sorted.
    pub items: Vec<String>,
    /// ALS on recency-boosted confidences.
    pub als: AlsModel,
    /// Item-to-item neighbours.
    pub neighbours: Neighbours,
    /// Distinct customers per item.
    pub popularity: Vec<f32>,
    /// Recency-weighted customers per item as of the latest order.
    pub trending: Vec<f32>,
    /// Latest order time in the data.
    pub data_end: Millis,
}

/// What a training run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainSummary {
    /// The stored version.
    pub version: i64,
    /// Customers with factors.
    pub users: usize,
    /// Products with factors.
    pub items: usize,
    /// Clean lines used.
    pub lines: usize,
    /// Tracked views and cart adds added to the ALS confidences.
    pub interactions: u64,
    /// Seconds to load, fit and store.
    pub load_seconds: f64,
    /// Seconds to fit.
    pub train_seconds: f64,
    /// Bytes stored.
    pub bytes: usize,
}

/// Trains the default recommender on all data and stores it as a new version.
pub fn train_and_store(
    store: &dyn Store,
    params: &RecsParams,
    now: Millis,
) -> Result<TrainSummary, AppError> {
    let started = Instant::now();
    let log = load_log(store)?;
    let lines = log.lines.len();
    let train = train_set(&log, &|_| true);
    drop(log);
    let load_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (confidence, interactions) =
        add_interactions(store, &train, recency_confidence(&train, params), params)?;
    let als = train_als(&confidence, &params.als_config())
        .map_err(|err| AppError::invalid("als", err.to_string()))?;
    let neighbours = item_neighbours(
        &train.counts,
        params.neighbours,
        params.shrink,
        params.threads,
    );
    let model = TrainedModel {
        popularity: popularity(&train.counts),
        trending: trending(
            &train.counts,
            &train.last_bought,
            train.end,
            params.trend_half_life_days,
        ),
        data_end: train.end,
        users: train.users,
        items: train.items,
        als,
        neighbours,
    };
    let train_seconds = started.elapsed().as_secs_f64();
    let payload = encode(&model);
    let parameters = json!({"params": params, "users": model.users.len(), "items": model.items.len(), "lines": lines, "interactions": interactions});
    let version = store.write_recs_model(&RecsModelInput {
        kind: KIND.to_string(),
        parameters: parameters.to_string(),
        payload: payload.clone(),
        trained_at: now,
    })?;
    Ok(TrainSummary {
        version,
        users: model.users.len(),
        items: model.items.len(),
        lines,
        interactions,
        load_seconds,
        train_seconds,
        bytes: payload.len(),
    })
}

/// Encodes a model.
pub fn encode(model: &TrainedModel) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let u64_ = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
    let strings = |out: &mut Vec<u8>, list: &[String]| {
        u64_(out, list.len() as u64);
        for s in list {
            u64_(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
    };
    let floats = |out: &mut Vec<u8>, list: &[f32]| {
        u64_(out, list.len() as u64);
        list.iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    };
    u64_(&mut out, model.data_end as u64);
    u64_(&mut out, model.als.factors as u64);
    strings(&mut out, &model.users);
    strings(&mut out, &model.items);
    floats(&mut out, &model.als.user_factors);
    floats(&mut out, &model.als.item_factors);
    u64_(&mut out, model.neighbours.indptr.len() as u64);
    model
        .neighbours
        .indptr
        .iter()
        .for_each(|&v| u64_(&mut out, v as u64));
    u64_(&mut out, model.neighbours.items.len() as u64);
    model
        .neighbours
        .items
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    floats(&mut out, &model.neighbours.scores);
    floats(&mut out, &model.popularity);
    floats(&mut out, &model.trending);
    out
}

/// Decodes a model written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<TrainedModel, AppError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err(AppError::invalid(
            "model",
            "not an ecrm recommendation model",
        ));
    }
    let data_end = r.u64()? as Millis;
    let factors = r.len()?;
    let users = r.strings()?;
    let items = r.strings()?;
    let user_factors = r.floats()?;
    let item_factors = r.floats()?;
    let n = r.len()?;
    let indptr = (0..n).map(|_| r.len()).collect::<Result<Vec<_>, _>>()?;
    let n = r.len()?;
    let neighbour_items = (0..n)
        .map(|_| {
            r.take(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let scores = r.floats()?;
    let model = TrainedModel {
        als: AlsModel {
            factors,
            user_factors,
            item_factors,
        },
        neighbours: Neighbours {
            indptr,
            items: neighbour_items,
            scores,
        },
        popularity: r.floats()?,
        trending: r.floats()?,
        data_end,
        users,
        items,
    };
    let consistent = model.als.user_factors.len() == model.users.len() * factors
        && model.als.item_factors.len() == model.items.len() * factors
        && model.neighbours.indptr.len() == model.items.len() + 1
        && model.neighbours.indptr.last().copied() == Some(model.neighbours.items.len())
        && model
            .neighbours
            .items
            .iter()
            .all(|&i| (i as usize) < model.items.len())
        && model.popularity.len() == model.items.len()
        && model.trending.len() == model.items.len();
    if !consistent {
        return Err(AppError::invalid("model", "stored model is inconsistent"));
    }
    Ok(model)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AppError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| AppError::invalid("model", "stored model is truncated"))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u64(&mut self) -> Result<u64, AppError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn len(&mut self) -> Result<usize, AppError> {
        usize::try_from(self.u64()?).map_err(|_| AppError::invalid("model", "length overflow"))
    }

    fn strings(&mut self) -> Result<Vec<String>, AppError> {
        let n = self.len()?;
        (0..n)
            .map(|_| {
                let len = self.len()?;
                String::from_utf8(self.take(len)?.to_vec())
                    .map_err(|_| AppError::invalid("model", "bad utf-8"))
            })
            .collect()
    }

    fn floats(&mut self) -> Result<Vec<f32>, AppError> {
        let n = self.len()?;
        let bytes = self.take(
            n.checked_mul(4)
                .ok_or_else(|| AppError::invalid("model", "length overflow"))?,
        )?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}
