//! Evaluating an expression for one customer, over the facts a caller provides; and what an
//! expression depends on (for planning and for live re-evaluation).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::ast::{Aggregate, DateValue, Expr, Literal, When};
use crate::time::{Millis, date_to_millis};

/// A value of a customer's field.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    Number(f64),
    Text(String),
    Bool(bool),
    /// A timestamp in UTC milliseconds.
    Time(Millis),
}

/// What the evaluator may ask about one customer.
pub trait Facts {
    /// A field's value (`rfm.class`, `last_order_at`, `interests.category.shoes`); `None` when unknown.
    fn field(&self, name: &str) -> Option<FactValue>;
    /// Whether the customer has an identifier of this kind.
    fn has_identifier(&self, kind: &str) -> bool;
    /// Whether the customer is a member of the named segment.
    fn in_segment(&self, name: &str) -> bool;
    /// The aggregate over the customer's events, as of `now`.
    fn aggregate(&self, aggregate: &Aggregate, now: Millis) -> f64;
}

/// Whether the customer the facts describe matches. A condition on an unknown field is false.
pub fn evaluate(expr: &Expr, facts: &dyn Facts, now: Millis) -> bool {
    match expr {
        Expr::And(items) => items.iter().all(|item| evaluate(item, facts, now)),
        Expr::Or(items) => items.iter().any(|item| evaluate(item, facts, now)),
        Expr::Not(inner) => !evaluate(inner, facts, now),
        Expr::Compare { field, cmp, value } => facts
            .field(field)
            .and_then(|fact| compare(&fact, value))
            .is_some_and(|ordering| cmp.holds(ordering)),
        Expr::In { field, values } => match facts.field(field) {
            Some(fact) => values
                .iter()
                .any(|value| compare(&fact, value) == Some(Ordering::Equal)),
            None => false,
        },
        Expr::Date { field, when, date } => {
            let (Some(FactValue::Time(at)), Some(bound)) =
                (facts.field(field), date_bound(date, now))
            else {
                return false;
            };
            match when {
                When::Before => at < bound,
                When::After => at > bound,
            }
        }
        Expr::Has { identifier } => facts.has_identifier(identifier),
        Expr::InSegment { segment } => facts.in_segment(segment),
        Expr::Aggregate {
            aggregate,
            cmp,
            value,
        } => {
            let result = facts.aggregate(aggregate, now);
            result
                .partial_cmp(value)
                .is_some_and(|ordering| cmp.holds(ordering))
        }
    }
}

/// The instant a date condition compares with.
pub fn date_bound(date: &DateValue, now: Millis) -> Option<Millis> {
    match date {
        DateValue::Absolute(day) => NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .ok()
            .map(date_to_millis),
        DateValue::Ago(span) => Some(now - i64::from(span.n) * span.unit.millis()),
    }
}

fn compare(fact: &FactValue, value: &Literal) -> Option<Ordering> {
    match (fact, value) {
        (FactValue::Number(left), Literal::Number(right)) => left.partial_cmp(right),
        (FactValue::Text(left), Literal::Text(right)) => Some(left.as_str().cmp(right.as_str())),
        (FactValue::Bool(left), Literal::Bool(right)) => Some(left.cmp(right)),
        (FactValue::Time(left), Literal::Text(right)) => {
            let bound = NaiveDate::parse_from_str(right, "%Y-%m-%d")
                .ok()
                .map(date_to_millis)?;
            Some(left.cmp(&bound))
        }
        _ => None,
    }
}

/// What an expression reads: fields, identifier kinds, other segments, and whether it needs events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    pub fields: BTreeSet<String>,
    pub identifiers: BTreeSet<String>,
    pub segments: BTreeSet<String>,
    pub events: BTreeSet<String>,
    /// True when the result can change with time alone (`90 days ago`, `in last 30 days`).
    pub time_relative: bool,
}

/// Collects the dependencies of an expression.
pub fn dependencies(expr: &Expr) -> Dependencies {
    let mut out = Dependencies::default();
    collect(expr, &mut out);
    out
}

fn collect(expr: &Expr, out: &mut Dependencies) {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|item| collect(item, out)),
        Expr::Not(inner) => collect(inner, out),
        Expr::Compare { field, .. } | Expr::In { field, .. } => {
            out.fields.insert(field.clone());
        }
        Expr::Date { field, date, .. } => {
            out.fields.insert(field.clone());
            out.time_relative |= matches!(date, DateValue::Ago(_));
        }
        Expr::Has { identifier } => {
            out.identifiers.insert(identifier.clone());
        }
        Expr::InSegment { segment } => {
            out.segments.insert(segment.clone());
        }
        Expr::Aggregate { aggregate, .. } => {
            out.events.insert(aggregate.event.clone());
            out.time_relative |= aggregate.window.is_some();
        }
    }
}

/// Orders the terms of every `and` so cheap conditions run first and event aggregates last
/// (evaluation stops at the first false term, so aggregates run only for the survivors).
pub fn plan(expr: Expr) -> Expr {
    match expr {
        Expr::And(items) => {
            let mut planned: Vec<Expr> = items.into_iter().map(plan).collect();
            planned.sort_by_key(cost);
            Expr::And(planned)
        }
        Expr::Or(items) => {
            let mut planned: Vec<Expr> = items.into_iter().map(plan).collect();
            planned.sort_by_key(cost);
            Expr::Or(planned)
        }
        Expr::Not(inner) => Expr::Not(Box::new(plan(*inner))),
        other => other,
    }
}

/// A rough relative cost: field tests 1, identifier and segment lookups 2, event aggregates 100.
fn cost(expr: &Expr) -> u32 {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().map(cost).sum(),
        Expr::Not(inner) => cost(inner),
        Expr::Compare { .. } | Expr::In { .. } | Expr::Date { .. } => 1,
        Expr::Has { .. } | Expr::InSegment { .. } => 2,
        Expr::Aggregate { .. } => 100,
    }
}
