//! Personalised recommendations (functions over values): implicit-feedback ALS, item-to-item
//! similarity, popularity and trending, the default blend, and the offline evaluation.
//!
//! * [`data`]: the interned purchase log and the sparse matrix.
//! * [`split`]: the leave-last-basket-out and time splits, documented so other tools reproduce them.
//! * [`als`]: ALS with conjugate-gradient row solves (Hu, Koren & Volinsky 2008).
//! * [`knn`]: cosine item-to-item neighbours.
//! * [`models`]: the scorers (ALS, item-to-item, popularity, blend).
//! * [`eval`]: top-K ranking with already-bought items filtered, and the metrics.
//!
//! Architecture invariant: no I/O and no clock; "now" is an argument, seeds make fits reproducible.

pub mod als;
pub mod data;
pub mod error;
pub mod eval;
pub mod knn;
pub mod linalg;
pub mod models;
pub mod rng;
pub mod split;

pub use als::{AlsConfig, AlsModel, confidence, train_als};
pub use data::{Csr, PurchaseLine, PurchaseLog};
pub use error::RecommendError;
pub use eval::{Metrics, Scorer, metrics, recommend_users, top_k};
pub use knn::{Neighbours, item_neighbours};
pub use split::{EvalSplit, SplitRule, SplitStats, TrainSet, split};
#[cfg(test)]
mod tests;
