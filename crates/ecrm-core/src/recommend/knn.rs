//! Item-to-item similarity ("customers who bought this also bought"): cosine on the binary
//! customer × item matrix, keeping the top N neighbours of each item.
//!
//! sim(i, j) = |U(i) ∩ U(j)| / (sqrt(|U(i)|) · sqrt(|U(j)|) + shrink), with U(i) the customers with
//! item i; the same function serves co-view when the matrix holds views.

use crate::recommend::data::Csr;

/// Each item's nearest neighbours, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    /// `items + 1` offsets into `items` and `scores`.
    pub indptr: Vec<usize>,
    /// Neighbour item ids.
    pub items: Vec<u32>,
    /// Their similarities.
    pub scores: Vec<f32>,
}

impl Neighbours {
    /// The neighbours of `item` and their similarities, best first.
    pub fn of(&self, item: usize) -> (&[u32], &[f32]) {
        let span = self.indptr[item]..self.indptr[item + 1];
        (&self.items[span.clone()], &self.scores[span])
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cosine neighbours of every item of a user × item matrix (values are treated as 0/1).
pub fn item_neighbours(user_items: &Csr, top_n: usize, shrink: f32, threads: usize) -> Neighbours {
    let item_users = user_items.transpose();
    let items = item_users.rows;
    let norms: Vec<f32> = (0..items)
        .map(|i| (item_users.row(i).0.len() as f32).sqrt())
        .collect();
    let per = items.div_ceil(threads.max(1)).max(1);
    let mut lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); items];
    std::thread::scope(|scope| {
        for (chunk, block) in lists.chunks_mut(per).enumerate() {
            let (item_users, norms) = (&item_users, &norms);
            scope.spawn(move || {
                let mut overlap = vec![0u32; items];
                let mut touched: Vec<u32> = Vec::new();
                for (offset, list) in block.iter_mut().enumerate() {
                    let i = chunk * per + offset;
                    for &u in item_users.row(i).0 {
                        for &j in user_items.row(u as usize).0 {
                            if j as usize != i {
                                if overlap[j as usize] == 0 {
                                    touched.push(j);
                                }
                                overlap[j as usize] += 1;
                            }
                        }
                    }
                    let mut scored: Vec<(u32, f32)> = touched
                        .iter()
                        .map(|&j| {
                            let denom = norms[i] * norms[j as usize] + shrink;
                            (j, overlap[j as usize] as f32 / denom)
                        })
                        .collect();
                    for &j in &touched {
                        overlap[j as usize] = 0;
                    }
                    touched.clear();
                    scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                    scored.truncate(top_n);
                    *list = scored;
                }
            });
        }
    });
    let mut indptr = Vec::with_capacity(items + 1);
    indptr.push(0);
    let mut out_items = Vec::new();
    let mut scores = Vec::new();
    for list in lists {
        for (j, s) in list {
            out_items.push(j);
            scores.push(s);
        }
        indptr.push(out_items.len());
    }
    Neighbours {
        indptr,
        items: out_items,
        scores,
    }
}
