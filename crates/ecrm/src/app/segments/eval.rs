//! Evaluating a segment over a [`Snapshot`] as sets of rows: every term narrows the set of
//! candidates it is given, so after `plan` puts cheap terms first, event aggregates run as SQL
//! only for the customers that survived them (by id when few, one indexed GROUP BY when many).
//! The meaning is exactly `ecrm_core::segment::evaluate`'s (a differential test checks it).

use std::cmp::Ordering;
use std::collections::HashMap;

use ecrm_core::segment::{
    Aggregate, AggregateFn, Cmp, DateValue, Expr, Literal, When, date_bound, plan,
};
use ecrm_core::time::{Millis, date_to_millis};
use ecrm_store::{Store, StoreResult};

use super::bits::Bits;
use super::snapshot::{Column, NO_BOOL, NO_TEXT, NO_TIME, Snapshot};

/// Up to this many candidates, an aggregate reads their events by customer; above, it groups all.
const BY_CUSTOMER_LIMIT: usize = 20_000;
/// `in segment` chains deeper than this are treated as no match (cycles are refused at save).
const MAX_DEPTH: usize = 16;

/// What an evaluation reads: the store (events), the snapshot, the time, and saved segments.
pub struct Evaluator<'a> {
    pub store: &'a dyn Store,
    pub snapshot: &'a Snapshot,
    pub now: Millis,
    /// Saved segments' expressions by name, for `in segment "NAME"`.
    pub segments: &'a HashMap<String, Expr>,
}

impl Evaluator<'_> {
    /// The alive rows that match `expr` (planned first).
    pub fn matching(&self, expr: &Expr) -> StoreResult<Bits> {
        let planned = plan(expr.clone());
        self.narrow(&planned, &self.snapshot.alive, 0)
    }

    /// The rows of `candidates` that match.
    pub fn narrow(&self, expr: &Expr, candidates: &Bits, depth: usize) -> StoreResult<Bits> {
        if candidates.is_empty() {
            return Ok(Bits::default());
        }
        match expr {
            Expr::And(items) => {
                let mut left = candidates.clone();
                for item in items {
                    left = self.narrow(item, &left, depth)?;
                }
                Ok(left)
            }
            Expr::Or(items) => {
                let mut matched = Bits::default();
                let mut rest = candidates.clone();
                for item in items {
                    let hit = self.narrow(item, &rest, depth)?;
                    rest = rest.and_not(&hit);
                    matched = matched.or(&hit);
                }
                Ok(matched)
            }
            Expr::Not(inner) => Ok(candidates.and_not(&self.narrow(inner, candidates, depth)?)),
            Expr::Compare { field, cmp, value } => Ok(self.compare(candidates, field, |fact| {
                compare(fact, value).is_some_and(|ordering| cmp.holds(ordering))
            })),
            Expr::In { field, values } => Ok(self.compare(candidates, field, |fact| {
                values
                    .iter()
                    .any(|value| compare(fact, value) == Some(Ordering::Equal))
            })),
            Expr::Date { field, when, date } => Ok(self.date(candidates, field, *when, date)),
            Expr::Has { identifier } => Ok(self
                .snapshot
                .identifiers
                .get(identifier)
                .map(|bits| candidates.and(bits))
                .unwrap_or_default()),
            Expr::InSegment { segment } => match self.segments.get(segment) {
                Some(inner) if depth < MAX_DEPTH => {
                    self.narrow(&plan(inner.clone()), candidates, depth + 1)
                }
                _ => Ok(Bits::default()),
            },
            Expr::Aggregate {
                aggregate,
                cmp,
                value,
            } => self.aggregate(candidates, aggregate, *cmp, *value),
        }
    }

    /// Rows whose field value satisfies `test`; text columns test each distinct value once.
    fn compare(&self, candidates: &Bits, field: &str, test: impl Fn(&Fact<'_>) -> bool) -> Bits {
        let Some(column) = self.snapshot.columns.get(field) else {
            return Bits::default();
        };
        match column {
            Column::Number(cells) => candidates.filter(|row| {
                cells
                    .get(row)
                    .is_some_and(|n| !n.is_nan() && test(&Fact::Number(*n)))
            }),
            Column::Time(cells) => candidates.filter(|row| {
                cells
                    .get(row)
                    .is_some_and(|t| *t != NO_TIME && test(&Fact::Time(*t)))
            }),
            Column::Bool(cells) => candidates.filter(|row| {
                cells
                    .get(row)
                    .is_some_and(|b| *b != NO_BOOL && test(&Fact::Bool(*b == 1)))
            }),
            Column::Text(text) => {
                let hits: Vec<bool> = text
                    .dict
                    .iter()
                    .map(|value| test(&Fact::Text(value)))
                    .collect();
                candidates.filter(|row| {
                    text.codes
                        .get(row)
                        .is_some_and(|code| *code != NO_TEXT && hits[*code as usize])
                })
            }
        }
    }

    fn date(&self, candidates: &Bits, field: &str, when: When, date: &DateValue) -> Bits {
        let (Some(Column::Time(cells)), Some(bound)) =
            (self.snapshot.columns.get(field), date_bound(date, self.now))
        else {
            return Bits::default();
        };
        candidates.filter(|row| {
            cells.get(row).is_some_and(|at| {
                *at != NO_TIME
                    && match when {
                        When::Before => *at < bound,
                        When::After => *at > bound,
                    }
            })
        })
    }

    fn aggregate(
        &self,
        candidates: &Bits,
        aggregate: &Aggregate,
        cmp: Cmp,
        threshold: f64,
    ) -> StoreResult<Bits> {
        let since = aggregate
            .window
            .map(|span| self.now - i64::from(span.n) * span.unit.millis());
        let ids: Vec<String> = candidates
            .rows()
            .map(|row| self.snapshot.ids[row].clone())
            .collect();
        let only = (ids.len() <= BY_CUSTOMER_LIMIT).then_some(ids.as_slice());
        let mut values: HashMap<usize, f64> = HashMap::new();
        for (customer_id, value) in self.store.event_aggregates(aggregate, since, only)? {
            if let Some(row) = self.snapshot.row_of(&customer_id) {
                values.insert(row, value);
            }
        }
        let absent = match aggregate.function {
            AggregateFn::Count | AggregateFn::Sum => 0.0,
            AggregateFn::Avg | AggregateFn::Min | AggregateFn::Max => f64::NAN,
        };
        Ok(candidates.filter(|row| {
            let value = values.get(&row).copied().unwrap_or(absent);
            value
                .partial_cmp(&threshold)
                .is_some_and(|ordering| cmp.holds(ordering))
        }))
    }
}

/// A cell's value, borrowed.
pub enum Fact<'a> {
    Number(f64),
    Time(Millis),
    Bool(bool),
    Text(&'a str),
}

/// The same comparison as `ecrm_core::segment::evaluate`: like types only, dates as `YYYY-MM-DD`.
fn compare(fact: &Fact<'_>, value: &Literal) -> Option<Ordering> {
    match (fact, value) {
        (Fact::Number(left), Literal::Number(right)) => left.partial_cmp(right),
        (Fact::Text(left), Literal::Text(right)) => Some((*left).cmp(right.as_str())),
        (Fact::Bool(left), Literal::Bool(right)) => Some(left.cmp(right)),
        (Fact::Time(left), Literal::Text(right)) => {
            let bound = chrono::NaiveDate::parse_from_str(right, "%Y-%m-%d")
                .ok()
                .map(date_to_millis)?;
            Some(left.cmp(&bound))
        }
        _ => None,
    }
}
