//! The offline-evaluation splits, written so any other tool can reproduce them exactly
//! (`recs_implicit.py` in the peers implements the same rules for the Python `implicit` library).
//!
//! Input: clean customer order lines ([`PurchaseLog`]: no guest orders, no refunds, no line with a
//! quantity or unit price that is not positive). An order is the set of lines sharing
//! (customer, order key); its time is `ordered_at`.
//!
//! * **Last basket** ([`SplitRule::LastBasket`]): for every customer with at least two orders, the
//!   test order is the one with the greatest `ordered_at`, ties broken by the greatest order key
//!   compared byte-wise. Train is every other line; customers with one order stay wholly in train
//!   and are not evaluated.
//! * **Time** ([`SplitRule::Before`]): train is every line before the cutoff; test is every line at
//!   or after it whose customer has train lines.
//!
//! A customer's relevant items are the distinct products of their test lines that do not appear
//! in any of their own train lines; customers with none are not evaluated. A relevant product that
//! never appears in train stays in the set (no model can recommend it).
//!
//! The train matrix: users are customers with train lines, items are products with train lines,
//! both indexed in byte-wise sorted order; value(u, i) = number of distinct train orders of u that
//! contain i.

use crate::recommend::data::{Csr, PurchaseLog};
use crate::time::Millis;

/// How to cut the log into train and test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRule {
    /// Leave each customer's last basket out.
    LastBasket,
    /// Train on lines before this instant, test on the rest.
    Before(Millis),
}

/// The training data: who bought what, how often and when last.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSet {
    /// Customer ids, byte-wise sorted (row order).
    pub users: Vec<String>,
    /// Product ids, byte-wise sorted (column order).
    pub items: Vec<String>,
    /// value(u, i) = number of distinct train orders of u containing i.
    pub counts: Csr,
    /// When u last bought i, parallel to `counts.values`.
    pub last_bought: Vec<Millis>,
    /// The latest train order time (zero when empty).
    pub end: Millis,
}

impl TrainSet {
    /// The row of a customer id.
    pub fn user_index(&self, customer_id: &str) -> Option<u32> {
        self.users
            .binary_search_by(|u| u.as_bytes().cmp(customer_id.as_bytes()))
            .ok()
            .map(|i| i as u32)
    }

    /// The column of a product id.
    pub fn item_index(&self, product_id: &str) -> Option<u32> {
        self.items
            .binary_search_by(|p| p.as_bytes().cmp(product_id.as_bytes()))
            .ok()
            .map(|i| i as u32)
    }
}

/// Sizes of a split, to compare with another tool's.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SplitStats {
    /// Clean lines in the log.
    pub lines: u64,
    /// Lines skipped as not clean (quantity or unit price not positive).
    pub skipped_lines: u64,
    /// Customers in the log.
    pub customers: u64,
    /// Orders in the log.
    pub orders: u64,
    /// Lines in train.
    pub train_lines: u64,
    /// Lines in test.
    pub test_lines: u64,
    /// Rows of the train matrix.
    pub users: u64,
    /// Columns of the train matrix.
    pub items: u64,
    /// Stored values of the train matrix.
    pub train_nnz: u64,
    /// Customers evaluated.
    pub eval_users: u64,
    /// Mean number of relevant items per evaluated customer.
    pub mean_relevant: f64,
}

/// A train set and, per evaluated customer, the items they should be recommended.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSplit {
    /// What the models are trained on.
    pub train: TrainSet,
    /// Evaluated users (rows of `train.counts`), ascending.
    pub eval_users: Vec<u32>,
    /// Relevant items per evaluated user, ascending; negative ids are products absent from train.
    pub relevant: Vec<Vec<i64>>,
    /// Sizes.
    pub stats: SplitStats,
}

/// Builds the train set from the lines of the orders `in_train` keeps.
pub fn train_set(log: &PurchaseLog, in_train: &dyn Fn(usize) -> bool) -> TrainSet {
    let mut has_lines = vec![false; log.customers.len()];
    let mut product_used = vec![false; log.products.len()];
    let mut end = 0;
    for line in &log.lines {
        let order = &log.orders[line.order as usize];
        if in_train(line.order as usize) {
            has_lines[order.customer as usize] = true;
            product_used[line.product as usize] = true;
            end = end.max(order.ordered_at);
        }
    }
    let (users, user_of) = sorted_subset(&log.customers, &has_lines);
    let (items, item_of) = sorted_subset(&log.products, &product_used);
    let mut triples: Vec<(u32, u32, u32, Millis)> = log
        .lines
        .iter()
        .filter(|line| in_train(line.order as usize))
        .map(|line| {
            let order = &log.orders[line.order as usize];
            (
                user_of[order.customer as usize],
                item_of[line.product as usize],
                line.order,
                order.ordered_at,
            )
        })
        .collect();
    triples.sort_unstable();
    triples.dedup_by_key(|t| (t.0, t.1, t.2));
    let mut last: Vec<((u32, u32), Millis)> = Vec::new();
    let mut entries = Vec::new();
    for &(u, i, _, at) in &triples {
        match last.last_mut() {
            Some((key, when)) if *key == (u, i) => *when = (*when).max(at),
            _ => last.push(((u, i), at)),
        }
        entries.push((u, i, 1.0f32));
    }
    let counts = Csr::from_triples(users.len(), items.len(), entries);
    TrainSet {
        users,
        items,
        counts,
        last_bought: last.into_iter().map(|(_, at)| at).collect(),
        end,
    }
}

/// Names kept by `keep`, byte-wise sorted, and each interned id's position among them.
fn sorted_subset(
    names: &crate::recommend::data::Interner,
    keep: &[bool],
) -> (Vec<String>, Vec<u32>) {
    let mut position = vec![u32::MAX; names.len()];
    let mut kept = Vec::new();
    for id in names.sorted_ids() {
        if keep[id as usize] {
            position[id as usize] = kept.len() as u32;
            kept.push(names.name(id).to_string());
        }
    }
    (kept, position)
}

/// Splits the log by `rule` (see the module documentation for the exact rules).
pub fn split(log: &PurchaseLog, rule: SplitRule) -> EvalSplit {
    let test = test_orders(log, rule);
    let train = train_set(log, &|order| !test[order]);
    let mut pairs: Vec<(u32, usize)> = Vec::new();
    let mut train_lines = 0u64;
    let mut test_lines = 0u64;
    let mut known: Vec<Option<bool>> = vec![None; log.customers.len()];
    for line in &log.lines {
        if !test[line.order as usize] {
            train_lines += 1;
            continue;
        }
        let customer = log.orders[line.order as usize].customer;
        let in_train = *known[customer as usize]
            .get_or_insert_with(|| train.user_index(log.customers.name(customer)).is_some());
        if in_train {
            test_lines += 1;
            pairs.push((customer, line.product as usize));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut relevant: Vec<(u32, i64)> = Vec::new();
    let mut unknown = 0i64;
    for (customer, product) in pairs {
        let Some(user) = train.user_index(log.customers.name(customer)) else {
            continue;
        };
        let item = match train.item_index(log.products.name(product as u32)) {
            Some(item) if train.counts.get(user as usize, item) > 0.0 => continue,
            Some(item) => item as i64,
            None => {
                unknown += 1;
                -unknown
            }
        };
        relevant.push((user, item));
    }
    relevant.sort_unstable();
    let mut eval_users = Vec::new();
    let mut sets: Vec<Vec<i64>> = Vec::new();
    for (user, item) in relevant {
        if eval_users.last() != Some(&user) {
            eval_users.push(user);
            sets.push(Vec::new());
        }
        if let Some(set) = sets.last_mut() {
            set.push(item);
        }
    }
    let total: usize = sets.iter().map(Vec::len).sum();
    let stats = SplitStats {
        lines: log.lines.len() as u64,
        skipped_lines: log.skipped_lines,
        customers: log.customers.len() as u64,
        orders: log.orders.len() as u64,
        train_lines,
        test_lines,
        users: train.users.len() as u64,
        items: train.items.len() as u64,
        train_nnz: train.counts.nnz() as u64,
        eval_users: eval_users.len() as u64,
        mean_relevant: if sets.is_empty() {
            0.0
        } else {
            total as f64 / sets.len() as f64
        },
    };
    EvalSplit {
        train,
        eval_users,
        relevant: sets,
        stats,
    }
}

/// Which orders are test orders under `rule`.
fn test_orders(log: &PurchaseLog, rule: SplitRule) -> Vec<bool> {
    match rule {
        SplitRule::Before(cutoff) => log.orders.iter().map(|o| o.ordered_at >= cutoff).collect(),
        SplitRule::LastBasket => {
            let mut best: Vec<Option<usize>> = vec![None; log.customers.len()];
            let mut count = vec![0u32; log.customers.len()];
            for (index, order) in log.orders.iter().enumerate() {
                let c = order.customer as usize;
                count[c] += 1;
                let later = match best[c] {
                    None => true,
                    Some(b) => {
                        let current = &log.orders[b];
                        (order.ordered_at, log.order_keys.name(order.key).as_bytes())
                            > (
                                current.ordered_at,
                                log.order_keys.name(current.key).as_bytes(),
                            )
                    }
                };
                if later {
                    best[c] = Some(index);
                }
            }
            let mut test = vec![false; log.orders.len()];
            for (c, chosen) in best.iter().enumerate() {
                if let Some(order) = chosen
                    && count[c] >= 2
                {
                    test[*order] = true;
                }
            }
            test
        }
    }
}
