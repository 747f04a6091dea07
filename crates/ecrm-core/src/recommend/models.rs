//! Scorers over a train set: ALS, item-to-item, popularity, and the default blend.

use crate::recommend::als::AlsModel;
use crate::recommend::data::Csr;
use crate::recommend::eval::Scorer;
use crate::recommend::knn::Neighbours;
use crate::time::{DAY_MILLIS, Millis};

/// Items ranked by number of distinct customers (descending), ties by lower index.
pub fn popularity(user_items: &Csr) -> Vec<f32> {
    let mut counts = vec![0f32; user_items.cols];
    for &i in &user_items.indices {
        counts[i as usize] += 1.0;
    }
    counts
}

/// Customers per item with each purchase weighted by `0.5^(age / half_life)` at `as_of`:
/// "trending" (filter the columns by category for trending per category).
pub fn trending(
    user_items: &Csr,
    last_bought: &[Millis],
    as_of: Millis,
    half_life_days: f64,
) -> Vec<f32> {
    let mut scores = vec![0f32; user_items.cols];
    for (&i, &at) in user_items.indices.iter().zip(last_bought) {
        scores[i as usize] += decay(as_of - at, half_life_days) as f32;
    }
    scores
}

/// `0.5^(age / half_life)`, with ages in millis (1 for a non-positive half-life).
pub fn decay(age: Millis, half_life_days: f64) -> f64 {
    if half_life_days <= 0.0 {
        return 1.0;
    }
    0.5f64.powf(age.max(0) as f64 / (half_life_days * DAY_MILLIS as f64))
}

/// The same score list for everyone.
pub struct PopularityScorer {
    /// Score per item.
    pub scores: Vec<f32>,
}

impl Scorer for PopularityScorer {
    fn score(&self, _user: usize, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.scores);
    }
}

/// Dot products of user and item factors.
pub struct AlsScorer<'a> {
    /// The fitted model.
    pub model: &'a AlsModel,
}

impl Scorer for AlsScorer<'_> {
    fn score(&self, user: usize, out: &mut Vec<f32>) {
        self.model.score_items(self.model.user(user), out);
    }
}

/// Item-to-item: the sum, over the customer's items, of their neighbours' similarities, each
/// history item weighted by `0.5^(age / half_life)` from the customer's latest purchase.
pub struct KnnScorer<'a> {
    /// Neighbour lists.
    pub neighbours: &'a Neighbours,
    /// The customer × item history.
    pub history: &'a Csr,
    /// When each history item was last bought (parallel to `history.values`).
    pub last_bought: &'a [Millis],
    /// Recency half-life in days (0 = no decay).
    pub half_life_days: f64,
}

impl Scorer for KnnScorer<'_> {
    fn score(&self, user: usize, out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.history.cols, 0.0);
        let span = self.history.indptr[user]..self.history.indptr[user + 1];
        let times = &self.last_bought[span.clone()];
        let latest = times.iter().copied().max().unwrap_or(0);
        for (&i, &at) in self.history.indices[span].iter().zip(times) {
            let weight = decay(latest - at, self.half_life_days) as f32;
            let (items, sims) = self.neighbours.of(i as usize);
            for (&j, &s) in items.iter().zip(sims) {
                out[j as usize] += weight * s;
            }
        }
    }
}

/// A weighted sum of scorers, each scaled per customer so its best item scores 1.
pub struct BlendScorer<'a> {
    /// (weight, scorer) pairs.
    pub parts: Vec<(f32, &'a dyn Scorer)>,
}

impl Scorer for BlendScorer<'_> {
    fn score(&self, user: usize, out: &mut Vec<f32>) {
        out.clear();
        let mut part = Vec::new();
        for (weight, scorer) in &self.parts {
            scorer.score(user, &mut part);
            if out.is_empty() {
                out.resize(part.len(), 0.0);
            }
            let max = part.iter().copied().fold(0f32, f32::max);
            if max > 0.0 {
                let scale = weight / max;
                for (o, p) in out.iter_mut().zip(&part) {
                    *o += scale * p;
                }
            }
        }
    }
}

/// "Trending when the customer last bought": for item i, the customers who bought it up to the
/// customer's latest purchase (at the granularity of one time bucket, a day on data spans under
/// a few years), each weighted by `0.5^(gap / half_life)` (seasonality for the next basket; with
/// "now" as the customer's time this is plain trending).
pub struct TrendScorer<'a> {
    /// The customer × item history.
    pub history: &'a Csr,
    /// When each history item was last bought (parallel to `history.values`).
    pub last_bought: &'a [Millis],
    /// `items × buckets`: per item, cumulative sums of `2^(t / half_life)` up to each bucket.
    cumulative: Vec<f64>,
    buckets: usize,
    bucket_millis: i64,
    origin: Millis,
    half_life_days: f64,
}

impl<'a> TrendScorer<'a> {
    /// Indexes every (customer, item) last purchase time by item and time bucket.
    pub fn new(
        history: &'a Csr,
        last_bought: &'a [Millis],
        half_life_days: f64,
    ) -> TrendScorer<'a> {
        let origin = last_bought.iter().copied().min().unwrap_or(0);
        let end = last_bought.iter().copied().max().unwrap_or(0);
        let days = ((end - origin) / DAY_MILLIS + 1) as usize;
        let budget = (50_000_000 / history.cols.max(1)).clamp(16, 4096);
        let buckets = days.min(budget).max(1);
        let bucket_millis = ((end - origin) / buckets as i64 + 1).max(1);
        let unit = half_life_days.max(1e-9) * DAY_MILLIS as f64;
        let mut cumulative = vec![0f64; history.cols * buckets];
        for (&i, &at) in history.indices.iter().zip(last_bought) {
            let b = ((at - origin) / bucket_millis) as usize;
            cumulative[i as usize * buckets + b.min(buckets - 1)] +=
                ((at - origin) as f64 / unit).exp2();
        }
        for row in cumulative.chunks_exact_mut(buckets) {
            for b in 1..buckets {
                row[b] += row[b - 1];
            }
        }
        TrendScorer {
            history,
            last_bought,
            cumulative,
            buckets,
            bucket_millis,
            origin,
            half_life_days,
        }
    }
}

impl Scorer for TrendScorer<'_> {
    fn score(&self, user: usize, out: &mut Vec<f32>) {
        out.clear();
        let span = self.history.indptr[user]..self.history.indptr[user + 1];
        let latest = self.last_bought[span]
            .iter()
            .copied()
            .max()
            .unwrap_or(self.origin);
        let bucket = (((latest - self.origin) / self.bucket_millis) as usize).min(self.buckets - 1);
        let now =
            (latest - self.origin) as f64 / (self.half_life_days.max(1e-9) * DAY_MILLIS as f64);
        let scale = (-now).exp2();
        out.extend(
            self.cumulative
                .chunks_exact(self.buckets)
                .map(|row| (row[bucket] * scale) as f32),
        );
    }
}
