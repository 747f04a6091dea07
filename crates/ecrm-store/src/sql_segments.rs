//! SQL text both backends build for segments: JSON paths of event properties and the parts of an
//! event-aggregate query (the dialects differ only in how a property is read).

use ecrm_core::segment::{AggregateFn, Cmp, Literal};

use crate::segments_model::{ChangeKind, CustomerChange};

/// A stored journal row as changes of its customer (unknown kinds are read as attribute
/// changes). A `trait` row names every trait of one write that changed, comma-separated
/// (`rfm,clv`), and reads as one change per trait.
pub(crate) fn journal_changes(
    customer_id: String,
    kind: &str,
    detail: Option<String>,
    out: &mut Vec<CustomerChange>,
) {
    let detail = detail.unwrap_or_default();
    let mut push = |change| {
        out.push(CustomerChange {
            customer_id: customer_id.clone(),
            change,
        })
    };
    match kind {
        "order" => push(ChangeKind::Order { kind: detail }),
        "identifiers" => push(ChangeKind::Identifiers { kind: detail }),
        "trait" => {
            for name in detail.split(',') {
                push(ChangeKind::Trait {
                    name: name.to_string(),
                });
            }
        }
        "removed" => push(ChangeKind::Removed),
        _ => push(ChangeKind::Attributes),
    }
}

/// The parts of a property path (`a.b` → `["a", "b"]`).
pub(crate) fn path_parts(property: &str) -> Vec<String> {
    property.split('.').map(str::to_string).collect()
}

/// A SQLite JSON path with every key quoted (`$."a"."b"`).
pub(crate) fn sqlite_path(property: &str) -> String {
    let mut path = String::from("$");
    for part in property.split('.') {
        path.push_str(".\"");
        path.push_str(&part.replace('"', ""));
        path.push('"');
    }
    path
}

/// What kind of JSON value a literal compares with, and the SQL value to bind.
pub(crate) enum Bound {
    Number(f64),
    Text(String),
    Bool(bool),
}

impl From<&Literal> for Bound {
    fn from(literal: &Literal) -> Self {
        match literal {
            Literal::Number(n) => Bound::Number(*n),
            Literal::Text(text) => Bound::Text(text.clone()),
            Literal::Bool(b) => Bound::Bool(*b),
        }
    }
}

/// The SQL aggregate of a function over a value expression (`count` ignores the value).
pub(crate) fn aggregate_sql(function: AggregateFn, value: &str, sum: &str) -> String {
    match function {
        AggregateFn::Count => "count(*)".to_string(),
        AggregateFn::Sum => format!("{sum}({value})"),
        AggregateFn::Avg => format!("avg({value})"),
        AggregateFn::Min => format!("min({value})"),
        AggregateFn::Max => format!("max({value})"),
    }
}

/// The SQL operator of a comparison.
pub(crate) fn op(cmp: Cmp) -> &'static str {
    match cmp {
        Cmp::Eq => "=",
        Cmp::Ne => "<>",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}
