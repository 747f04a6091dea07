//! Tiny hand-checked cases for the split, the metrics, ALS, item-to-item and popularity.

use crate::recommend::als::{AlsConfig, confidence, train_als};
use crate::recommend::data::{Csr, PurchaseLine, PurchaseLog};
use crate::recommend::eval::{metrics, recommend_users, top_k};
use crate::recommend::knn::item_neighbours;
use crate::recommend::models::{AlsScorer, PopularityScorer, popularity};
use crate::recommend::split::{SplitRule, split};

fn log(lines: &[(&str, &str, i64, &str, i64, i64)]) -> PurchaseLog {
    let mut log = PurchaseLog::new();
    for &(customer_id, order_key, ordered_at, product_id, quantity, unit_price_cents) in lines {
        log.push(&PurchaseLine {
            customer_id,
            order_key,
            ordered_at,
            product_id,
            quantity,
            unit_price_cents,
        });
    }
    log
}

#[test]
fn last_basket_split_follows_the_documented_rules() {
    let log = log(&[
        // c1: two orders at the same time; the test order is the greater key "o2"
        ("c1", "o1", 10, "a", 1, 100),
        ("c1", "o1", 10, "b", 1, 100),
        ("c1", "o2", 10, "b", 1, 100), // bought before: not relevant
        ("c1", "o2", 10, "c", 2, 100),
        ("c1", "o2", 10, "z", 1, 100), // never in train: relevant, unrecommendable
        ("c1", "o0", 5, "a", 1, 100),  // a is in two train orders
        // c2: one order, stays in train, not evaluated
        ("c2", "o3", 1, "c", 1, 100),
        ("c2", "o3", 1, "d", 1, 0),    // zero price: skipped
        ("c2", "o3", 1, "d", -1, 100), // not positive: skipped
        // c3: test order only repeats: not evaluated
        ("c3", "o4", 1, "a", 1, 100),
        ("c3", "o5", 2, "a", 1, 100),
    ]);
    let s = split(&log, SplitRule::LastBasket);
    assert_eq!(s.stats.skipped_lines, 2);
    assert_eq!(
        (s.stats.lines, s.stats.train_lines, s.stats.test_lines),
        (9, 5, 4)
    );
    assert_eq!(s.train.users, vec!["c1", "c2", "c3"]);
    assert_eq!(s.train.items, vec!["a", "b", "c"]);
    assert_eq!(s.train.counts.row(0), (&[0u32, 1][..], &[2.0f32, 1.0][..]));
    assert_eq!(s.train.last_bought[..2], [10, 10]);
    assert_eq!(s.eval_users, vec![0]);
    assert_eq!(s.relevant, vec![vec![-1, 2]]);
}

#[test]
fn time_split_tests_known_customers_only() {
    let log = log(&[
        ("c1", "o1", 10, "a", 1, 100),
        ("c1", "o2", 20, "b", 1, 100),
        ("c2", "o3", 30, "a", 1, 100),
    ]);
    let s = split(&log, SplitRule::Before(15));
    assert_eq!(s.train.users, vec!["c1"]);
    assert_eq!(s.stats.test_lines, 1);
    assert_eq!(s.relevant, vec![vec![-1]]);
}

#[test]
fn metrics_match_hand_computation() {
    // relevant {1, 2}; recs [1, 5, 2]: hits at ranks 1 and 3
    let m = metrics(&[vec![1, 5, 2]], &[vec![1, 2]], 3, 10);
    let idcg = 1.0 + 1.0 / 3f64.log2();
    assert!((m.recall - 1.0).abs() < 1e-12);
    assert!((m.ndcg - (1.0 + 0.5) / idcg).abs() < 1e-12);
    assert!((m.map - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    assert!((m.coverage - 0.3).abs() < 1e-12);
    let none = metrics(&[vec![7]], &[vec![1, 2, 3]], 1, 10);
    assert_eq!((none.recall, none.hit_rate), (0.0, 0.0));
}

#[test]
fn top_k_filters_and_breaks_ties_by_index() {
    assert_eq!(top_k(&[1.0, 3.0, 3.0, 2.0, 5.0], &[4], 3), vec![1, 2, 3]);
    assert_eq!(top_k(&[1.0], &[], 3), vec![0]);
}

#[test]
fn popularity_counts_customers_and_skips_what_was_bought() {
    let m = Csr::from_triples(
        3,
        3,
        vec![(0, 0, 2.0), (1, 0, 1.0), (1, 1, 1.0), (2, 2, 1.0)],
    );
    let pop = popularity(&m);
    assert_eq!(pop, vec![2.0, 1.0, 1.0]);
    let recs = recommend_users(&PopularityScorer { scores: pop }, &m, &[0, 1], 2, 2);
    assert_eq!(recs, vec![vec![1, 2], vec![2]]);
}

#[test]
fn item_neighbours_are_cosine() {
    // users: u0 {0,1}, u1 {0,1}, u2 {0,2}; sim(0,1) = 2/(sqrt3*sqrt2), sim(0,2) = 1/sqrt3
    let m = Csr::from_triples(
        3,
        3,
        vec![
            (0, 0, 1.0),
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 1, 1.0),
            (2, 0, 1.0),
            (2, 2, 1.0),
        ],
    );
    let n = item_neighbours(&m, 5, 0.0, 2);
    let (items, scores) = n.of(0);
    assert_eq!(items, &[1, 2]);
    assert!((scores[0] - 2.0 / (3f32.sqrt() * 2f32.sqrt())).abs() < 1e-6);
    assert!((scores[1] - 1.0 / 3f32.sqrt()).abs() < 1e-6);
    assert_eq!(n.of(2), (&[0u32][..], &[1.0 / 3f32.sqrt()][..]));
}

#[test]
fn als_learns_blocks_and_is_deterministic_across_threads() {
    // two blocks: users 0-2 buy items 0-2, users 3-5 buy items 3-5; each user misses one item
    let mut triples = Vec::new();
    for u in 0..6u32 {
        let base = if u < 3 { 0 } else { 3 };
        for i in base..base + 3 {
            if i != base + u % 3 {
                triples.push((u, i, 1.0));
            }
        }
    }
    let m = Csr::from_triples(6, 6, triples);
    let config = |threads| AlsConfig {
        factors: 4,
        iterations: 15,
        regularization: 0.01,
        cg_steps: 3,
        seed: 7,
        threads,
    };
    let c = confidence(&m, 5.0);
    let one = train_als(&c, &config(1)).expect("fit");
    let many = train_als(&c, &config(3)).expect("fit");
    assert_eq!(one, many);
    let recs = recommend_users(&AlsScorer { model: &one }, &m, &[0, 1, 2, 3, 4, 5], 1, 2);
    assert_eq!(
        recs,
        vec![vec![0], vec![1], vec![2], vec![3], vec![4], vec![5]]
    );
}

#[test]
fn als_rejects_zero_factors() {
    let m = Csr::from_triples(1, 1, vec![(0, 0, 1.0)]);
    let config = AlsConfig {
        factors: 0,
        iterations: 1,
        regularization: 0.1,
        cg_steps: 3,
        seed: 1,
        threads: 1,
    };
    assert!(train_als(&m, &config).is_err());
}
