//! Writes a [`super::tx::PgTx`] defers to commit time and then sends as one statement each, to save
//! a round trip per row on bulk imports.
//!
//! Deferring is invisible to the shared write logic because nothing it reads inside the transaction
//! depends on these rows or columns: lines are deferred only for orders created in the same
//! transaction (so their only possible duplicates are lines of this transaction, tracked here), order
//! totals and identifier seen-times are never read by a write, and the write lock keeps other writers
//! out until commit.

use std::collections::{HashMap, HashSet};

use ecrm_core::order::OrderLine;
use ecrm_core::time::Millis;
use postgres::GenericClient;

use super::Session;
use crate::error::StoreResult;
use crate::write::SEEN_GRANULARITY_MS;

/// Deferred lines sent in one statement once this many are waiting.
const MAX_PENDING_LINES: usize = 2_000;

const INSERT_LINES: &str = "INSERT INTO order_lines \
     (order_id, line_key, product_id, product_name, category, quantity, unit_price_cents, amount_cents) \
     SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], \
     $7::BIGINT[], $8::BIGINT[])";

const ADD_TOTALS: &str = "UPDATE orders SET total_cents = orders.total_cents + d.amount_cents, \
     line_count = orders.line_count + d.lines \
     FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS d(id, amount_cents, lines) WHERE orders.id = d.id";

const TOUCH_IDENTIFIERS: &str = "UPDATE identifiers SET first_seen = least(identifiers.first_seen, d.first_seen), \
     last_seen = greatest(identifiers.last_seen, d.last_seen) \
     FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS d(id, first_seen, last_seen) \
     WHERE identifiers.id = d.id \
     AND (identifiers.first_seen > d.first_seen + $4 OR identifiers.last_seen < d.last_seen - $4)";

/// What one transaction has deferred so far.
#[derive(Default)]
pub(crate) struct Pending {
    new_orders: HashSet<i64>,
    line_keys: HashSet<(i64, i64)>,
    lines: LineColumns,
    totals: HashMap<i64, (i64, i64)>,
    touches: HashMap<i64, (Millis, Millis)>,
}

/// Deferred order lines, column by column (bound as arrays).
#[derive(Default)]
struct LineColumns {
    order_id: Vec<i64>,
    line_key: Vec<i64>,
    product_id: Vec<Option<String>>,
    product_name: Vec<Option<String>>,
    category: Vec<Option<String>>,
    quantity: Vec<i64>,
    unit_price_cents: Vec<i64>,
    amount_cents: Vec<i64>,
}

impl Pending {
    /// Notes an order inserted by this transaction: its lines may be deferred.
    pub(crate) fn order_created(&mut self, order_row: i64) {
        self.new_orders.insert(order_row);
    }

    /// Defers a line of an order created in this transaction and says whether it is new; `None` when
    /// the order is older, so the line must be inserted now.
    pub(crate) fn defer_line(&mut self, order_row: i64, line: &OrderLine) -> Option<bool> {
        if !self.new_orders.contains(&order_row) {
            return None;
        }
        if !self.line_keys.insert((order_row, line.line_key)) {
            return Some(false);
        }
        let columns = &mut self.lines;
        columns.order_id.push(order_row);
        columns.line_key.push(line.line_key);
        columns.product_id.push(line.product_id.clone());
        columns.product_name.push(line.product_name.clone());
        columns.category.push(line.category.clone());
        columns.quantity.push(line.quantity);
        columns.unit_price_cents.push(line.unit_price_cents);
        columns.amount_cents.push(line.amount_cents);
        Some(true)
    }

    /// True when enough lines wait that they should be sent now.
    pub(crate) fn lines_full(&self) -> bool {
        self.lines.order_id.len() >= MAX_PENDING_LINES
    }

    pub(crate) fn add_totals(&mut self, order_row: i64, amount_cents: i64, lines: i64) {
        let entry = self.totals.entry(order_row).or_insert((0, 0));
        entry.0 += amount_cents;
        entry.1 += lines;
    }

    pub(crate) fn touch(&mut self, identifier_row: i64, seen_at: Millis) {
        let range = self
            .touches
            .entry(identifier_row)
            .or_insert((seen_at, seen_at));
        range.0 = range.0.min(seen_at);
        range.1 = range.1.max(seen_at);
    }

    /// Sends the deferred lines.
    pub(crate) fn flush_lines<C: GenericClient>(
        &mut self,
        session: &mut Session<'_, C>,
    ) -> StoreResult<()> {
        if self.lines.order_id.is_empty() {
            return Ok(());
        }
        let columns = std::mem::take(&mut self.lines);
        session.execute(
            INSERT_LINES,
            &[
                &columns.order_id,
                &columns.line_key,
                &columns.product_id,
                &columns.product_name,
                &columns.category,
                &columns.quantity,
                &columns.unit_price_cents,
                &columns.amount_cents,
            ],
        )?;
        Ok(())
    }

    /// Sends everything deferred; called just before commit.
    pub(crate) fn flush<C: GenericClient>(
        &mut self,
        session: &mut Session<'_, C>,
    ) -> StoreResult<()> {
        self.flush_lines(session)?;
        if !self.totals.is_empty() {
            let (rows, deltas): (Vec<i64>, Vec<(i64, i64)>) = self.totals.drain().unzip();
            let (amounts, lines): (Vec<i64>, Vec<i64>) = deltas.into_iter().unzip();
            session.execute(ADD_TOTALS, &[&rows, &amounts, &lines])?;
        }
        if !self.touches.is_empty() {
            let (rows, ranges): (Vec<i64>, Vec<(Millis, Millis)>) = self.touches.drain().unzip();
            let (first_seen, last_seen): (Vec<Millis>, Vec<Millis>) = ranges.into_iter().unzip();
            session.execute(
                TOUCH_IDENTIFIERS,
                &[&rows, &first_seen, &last_seen, &SEEN_GRANULARITY_MS],
            )?;
        }
        Ok(())
    }
}
