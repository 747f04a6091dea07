//! The segment expression tree, and its JSON form (the console builder edits the JSON; the text
//! language and the JSON convert both ways without loss).

use serde::{Deserialize, Serialize};

/// A segment condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `field cmp value`, e.g. `clv.next_365d > 500`.
    Compare {
        field: String,
        cmp: Cmp,
        value: Literal,
    },
    /// `field in ("a", "b")`.
    In {
        field: String,
        values: Vec<Literal>,
    },
    /// `field before|after DATE or N units ago`.
    Date {
        field: String,
        when: When,
        date: DateValue,
    },
    /// `has email`.
    Has {
        identifier: String,
    },
    /// `in segment "vip"`.
    InSegment {
        segment: String,
    },
    /// `count(event "Product Viewed" where category = "shoes" in last 30 days) >= 3`.
    Aggregate {
        aggregate: Aggregate,
        cmp: Cmp,
        value: f64,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    /// Applies the operator to an ordering of left against right.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Cmp::Eq => ordering == Equal,
            Cmp::Ne => ordering != Equal,
            Cmp::Lt => ordering == Less,
            Cmp::Le => ordering != Greater,
            Cmp::Gt => ordering == Greater,
            Cmp::Ge => ordering != Less,
        }
    }
}

/// A constant in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// `before` or `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    Before,
    After,
}

/// An absolute date (`2026-01-01`) or a relative one (`90 days ago`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateValue {
    Absolute(String),
    Ago(Span),
}

/// A length of time: `30 days`, `2 weeks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub n: u32,
    pub unit: TimeUnit,
}

/// Units of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    /// Milliseconds in one unit (a month is 30 days, a year 365 days).
    pub fn millis(self) -> i64 {
        const HOUR: i64 = 3_600_000;
        match self {
            TimeUnit::Hours => HOUR,
            TimeUnit::Days => 24 * HOUR,
            TimeUnit::Weeks => 7 * 24 * HOUR,
            TimeUnit::Months => 30 * 24 * HOUR,
            TimeUnit::Years => 365 * 24 * HOUR,
        }
    }

    pub fn name(self, n: u32) -> &'static str {
        match (self, n == 1) {
            (TimeUnit::Hours, true) => "hour",
            (TimeUnit::Hours, false) => "hours",
            (TimeUnit::Days, true) => "day",
            (TimeUnit::Days, false) => "days",
            (TimeUnit::Weeks, true) => "week",
            (TimeUnit::Weeks, false) => "weeks",
            (TimeUnit::Months, true) => "month",
            (TimeUnit::Months, false) => "months",
            (TimeUnit::Years, true) => "year",
            (TimeUnit::Years, false) => "years",
        }
    }
}

/// An aggregate over a customer's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub function: AggregateFn,
    /// The event name (`Product Viewed`).
    pub event: String,
    /// The property summed/averaged (`revenue`); `None` for `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// Property filters, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<PropertyFilter>,
    /// Only events in the last span; `None` for all time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Span>,
}

/// The aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggregateFn {
    pub fn name(self) -> &'static str {
        match self {
            AggregateFn::Count => "count",
            AggregateFn::Sum => "sum",
            AggregateFn::Avg => "avg",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
        }
    }
}

/// `category = "shoes"` inside an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyFilter {
    pub property: String,
    pub cmp: Cmp,
    pub value: Literal,
}
