//! The purchase log the recommenders learn from, and the sparse matrix they share.
//!
//! Strings (customer ids, order keys, product ids) are interned once as lines stream in, so a
//! store of millions of lines costs a few integers per line.

use std::collections::HashMap;

use crate::time::Millis;

/// One customer order line, as the store streams it (customer orders only: no guests, no refunds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseLine<'a> {
    /// The customer's id.
    pub customer_id: &'a str,
    /// The order's key (the source's order id).
    pub order_key: &'a str,
    /// When the order was placed (UTC epoch millis).
    pub ordered_at: Millis,
    /// The product's id.
    pub product_id: &'a str,
    /// Units bought.
    pub quantity: i64,
    /// Price per unit, in cents.
    pub unit_price_cents: i64,
}

/// Interns strings to dense `u32` ids in first-seen order.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// The id of `name`, if seen.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Ids ordered by their names compared byte-wise.
    pub fn sorted_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.names.len() as u32).collect();
        ids.sort_unstable_by(|a, b| {
            self.names[*a as usize]
                .as_bytes()
                .cmp(self.names[*b as usize].as_bytes())
        });
        ids
    }
}

/// One interned order: its customer, key and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOrder {
    /// Interned customer id.
    pub customer: u32,
    /// Interned order key.
    pub key: u32,
    /// Order time (UTC epoch millis).
    pub ordered_at: Millis,
}

/// One interned line: its order and product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine {
    /// Index into [`PurchaseLog::orders`].
    pub order: u32,
    /// Interned product id.
    pub product: u32,
}

/// Clean customer order lines, interned: what the evaluation and training read.
#[derive(Debug, Default, Clone)]
pub struct PurchaseLog {
    /// Customer ids.
    pub customers: Interner,
    /// Product ids.
    pub products: Interner,
    /// Order keys.
    pub order_keys: Interner,
    /// Orders, one per distinct (customer, order key).
    pub orders: Vec<LogOrder>,
    /// Lines kept.
    pub lines: Vec<LogLine>,
    /// Lines skipped because quantity or unit price was not positive.
    pub skipped_lines: u64,
    order_ids: HashMap<(u32, u32), u32>,
}

impl PurchaseLog {
    /// An empty log.
    pub fn new() -> PurchaseLog {
        PurchaseLog::default()
    }

    /// Adds one line; lines with a quantity or unit price that is not positive are counted and skipped
    /// (the clean-lines rule of the evaluation: no zero-price lines).
    pub fn push(&mut self, line: &PurchaseLine<'_>) {
        if line.quantity <= 0 || line.unit_price_cents <= 0 {
            self.skipped_lines += 1;
            return;
        }
        let customer = self.customers.intern(line.customer_id);
        let key = self.order_keys.intern(line.order_key);
        let next = self.orders.len() as u32;
        let order = *self.order_ids.entry((customer, key)).or_insert(next);
        if order == next {
            self.orders.push(LogOrder {
                customer,
                key,
                ordered_at: line.ordered_at,
            });
        }
        let product = self.products.intern(line.product_id);
        self.lines.push(LogLine { order, product });
    }
}

/// A compressed sparse row matrix of `f32` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row `r` spans `indptr[r]..indptr[r + 1]` of `indices` and `values`.
    pub indptr: Vec<usize>,
    /// Column of each stored value, ascending within a row.
    pub indices: Vec<u32>,
    /// The stored values.
    pub values: Vec<f32>,
}

impl Csr {
    /// Builds a matrix from (row, column, value) triples; duplicates are summed.
    pub fn from_triples(rows: usize, cols: usize, mut triples: Vec<(u32, u32, f32)>) -> Csr {
        triples.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; rows + 1];
        let mut indices = Vec::with_capacity(triples.len());
        let mut values: Vec<f32> = Vec::with_capacity(triples.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in triples {
            if last == Some((r, c)) {
                if let Some(value) = values.last_mut() {
                    *value += v;
                }
                continue;
            }
            last = Some((r, c));
            indptr[r as usize + 1] += 1;
            indices.push(c);
            values.push(v);
        }
        for r in 0..rows {
            indptr[r + 1] += indptr[r];
        }
        Csr {
            rows,
            cols,
            indptr,
            indices,
            values,
        }
    }

    /// The columns and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let span = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[span.clone()], &self.values[span])
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The value at (r, c), zero when not stored.
    pub fn get(&self, r: usize, c: u32) -> f32 {
        let (cols, values) = self.row(r);
        cols.binary_search(&c).map(|at| values[at]).unwrap_or(0.0)
    }

    /// The transpose (columns become rows).
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for c in 0..self.cols {
            counts[c + 1] += counts[c];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f32; self.nnz()];
        for r in 0..self.rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = next[c as usize];
                indices[at] = r as u32;
                values[at] = v;
                next[c as usize] += 1;
            }
        }
        Csr {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            values,
        }
    }

    /// The same pattern with every value passed through `f`.
    pub fn map_values(&self, f: impl Fn(f32) -> f32) -> Csr {
        Csr {
            values: self.values.iter().map(|&v| f(v)).collect(),
            ..self.clone()
        }
    }
}
