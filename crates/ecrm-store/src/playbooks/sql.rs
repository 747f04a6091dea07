//! A small dynamic SQL interface both backends implement, so that the playbook tables' SQL is written
//! once: `?1`-style placeholders (PostgreSQL's implementation rewrites them to `$1`), and values that
//! are integers, text or NULL.

use crate::error::{StoreError, StoreResult};

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Int(i64),
    Text(String),
    Null,
}

impl Val {
    pub(crate) fn text(value: &str) -> Val {
        Val::Text(value.to_string())
    }

    pub(crate) fn opt_int(value: Option<i64>) -> Val {
        value.map_or(Val::Null, Val::Int)
    }

    pub(crate) fn opt_text(value: Option<&str>) -> Val {
        value.map_or(Val::Null, Val::text)
    }

    pub(crate) fn int(&self) -> StoreResult<i64> {
        match self {
            Val::Int(i) => Ok(*i),
            other => Err(StoreError::Other(format!(
                "expected an integer column, got {other:?}"
            ))),
        }
    }

    pub(crate) fn maybe_int(&self) -> StoreResult<Option<i64>> {
        match self {
            Val::Null => Ok(None),
            other => other.int().map(Some),
        }
    }

    pub(crate) fn string(&self) -> StoreResult<String> {
        match self {
            Val::Text(s) => Ok(s.clone()),
            other => Err(StoreError::Other(format!(
                "expected a text column, got {other:?}"
            ))),
        }
    }

    pub(crate) fn maybe_string(&self) -> StoreResult<Option<String>> {
        match self {
            Val::Null => Ok(None),
            other => other.string().map(Some),
        }
    }
}

/// One row of a result.
pub(crate) type SqlRow = Vec<Val>;

/// Runs statements on one connection or open transaction.
pub(crate) trait Sql {
    /// Runs a statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> StoreResult<u64>;
    /// Runs a query and returns every row.
    fn query(&mut self, sql: &str, params: &[Val]) -> StoreResult<Vec<SqlRow>>;
}

/// Column `index` of `row`.
pub(crate) fn col(row: &SqlRow, index: usize) -> StoreResult<&Val> {
    row.get(index)
        .ok_or_else(|| StoreError::Other(format!("missing column {index}")))
}
