//! Ranking and the offline metrics: Recall@K, NDCG@K, MAP@K, hit rate and catalogue coverage.
//!
//! Per evaluated customer, with `hits` the relevant items among the top K (already-bought items
//! filtered out): Recall@K = hits / |relevant|; NDCG@K = Σ_{hit at rank k} 1/log2(k+1) divided by
//! Σ_{k ≤ min(K, |relevant|)} 1/log2(k+1); MAP@K = Σ_{hit at rank k} precision@k / min(K, |relevant|);
//! hit rate = share of customers with at least one hit. All are averaged over evaluated customers.
//! Coverage = distinct items recommended to anyone / items in train.

use crate::recommend::data::Csr;

/// Scores every item for one user (higher is better).
pub trait Scorer: Sync {
    /// Writes one score per item into `out` (cleared first).
    fn score(&self, user: usize, out: &mut Vec<f32>);
}

/// The `k` best items of `scores`, best first, ties by lower index, skipping `exclude` (ascending)
/// and items scored `-inf`.
pub fn top_k(scores: &[f32], exclude: &[u32], k: usize) -> Vec<u32> {
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
    let mut skip = exclude.iter().peekable();
    for (item, &score) in scores.iter().enumerate() {
        let item = item as u32;
        while skip.peek().is_some_and(|&&e| e < item) {
            skip.next();
        }
        if skip.peek() == Some(&&item) || score == f32::NEG_INFINITY || score.is_nan() {
            continue;
        }
        if best.len() == k && best.last().is_none_or(|&(worst, _)| score <= worst) {
            continue;
        }
        let at = best.partition_point(|&(s, _)| s >= score);
        best.insert(at, (score, item));
        best.truncate(k);
    }
    best.into_iter().map(|(_, item)| item).collect()
}

/// Top-`k` recommendations for each of `users`, filtering the items in their row of `liked`.
pub fn recommend_users(
    scorer: &dyn Scorer,
    liked: &Csr,
    users: &[u32],
    k: usize,
    threads: usize,
) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); users.len()];
    let per = users.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        for (block, results) in users.chunks(per).zip(out.chunks_mut(per)) {
            scope.spawn(move || {
                let mut scores = Vec::new();
                for (&user, result) in block.iter().zip(results.iter_mut()) {
                    scorer.score(user as usize, &mut scores);
                    *result = top_k(&scores, liked.row(user as usize).0, k);
                }
            });
        }
    });
    out
}

/// The averaged metrics of one model.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// K.
    pub k: usize,
    /// Recall@K.
    pub recall: f64,
    /// NDCG@K.
    pub ndcg: f64,
    /// MAP@K.
    pub map: f64,
    /// Share of customers with at least one hit.
    pub hit_rate: f64,
    /// Distinct items recommended / items in train.
    pub coverage: f64,
}

/// Scores recommendations against relevant sets (both per evaluated customer, same order).
pub fn metrics(recs: &[Vec<u32>], relevant: &[Vec<i64>], k: usize, items: usize) -> Metrics {
    let disc: Vec<f64> = (0..k).map(|r| 1.0 / ((r + 2) as f64).log2()).collect();
    let mut sum = Metrics {
        k,
        ..Metrics::default()
    };
    let mut seen = vec![false; items];
    for (rec, rel) in recs.iter().zip(relevant) {
        let mut hits = 0usize;
        let mut dcg = 0.0;
        let mut ap = 0.0;
        for (rank, &item) in rec.iter().take(k).enumerate() {
            if let Some(flag) = seen.get_mut(item as usize) {
                *flag = true;
            }
            if rel.binary_search(&(item as i64)).is_ok() {
                hits += 1;
                dcg += disc[rank];
                ap += hits as f64 / (rank + 1) as f64;
            }
        }
        let ideal = rel.len().min(k);
        let idcg: f64 = disc[..ideal].iter().sum();
        if !rel.is_empty() {
            sum.recall += hits as f64 / rel.len() as f64;
            sum.ndcg += if idcg > 0.0 { dcg / idcg } else { 0.0 };
            sum.map += ap / ideal as f64;
        }
        sum.hit_rate += f64::from(u8::from(hits > 0));
    }
    let n = recs.len().max(1) as f64;
    sum.recall /= n;
    sum.ndcg /= n;
    sum.map /= n;
    sum.hit_rate /= n;
    sum.coverage = seen.iter().filter(|&&s| s).count() as f64 / items.max(1) as f64;
    sum
}
