//! The segment language: a readable boolean language over a customer's attributes, traits,
//! identifiers, segment memberships and event aggregates (grammar in `docs/segments.md`), its JSON
//! form for the console builder, type checks with "did you mean", and evaluation over [`Facts`].

mod ast;
mod error;
mod eval;
mod lex;
mod parse;
mod print;
mod schema;

pub use ast::{
    Aggregate, AggregateFn, Cmp, DateValue, Expr, Literal, PropertyFilter, Span, TimeUnit, When,
};
pub use error::SegmentError;
pub use eval::{Dependencies, FactValue, Facts, date_bound, dependencies, evaluate, plan};
pub use parse::parse;
pub use print::to_text;
pub use schema::{FieldType, Schema, closest, standard_schema};

/// Checks an expression that arrived as JSON against the schema (errors name the field, not a position).
pub fn check(expr: &Expr, schema: &Schema) -> Result<(), SegmentError> {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().try_for_each(|item| check(item, schema)),
        Expr::Not(inner) => check(inner, schema),
        Expr::Compare { field, value, .. } => schema.field_type(field)?.check(field, value),
        Expr::In { field, values } => {
            let field_type = schema.field_type(field)?;
            values
                .iter()
                .try_for_each(|value| field_type.check(field, value))
        }
        Expr::Date { field, date, .. } => {
            let field_type = schema.field_type(field)?;
            if !field_type.is_date() {
                return Err(SegmentError::syntax(
                    0,
                    0,
                    &format!("`{field}` ({})", field_type.name()),
                    "a date field",
                ));
            }
            match date {
                DateValue::Absolute(day)
                    if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() =>
                {
                    Err(SegmentError::syntax(
                        0,
                        0,
                        &format!("\"{day}\""),
                        "a date YYYY-MM-DD",
                    ))
                }
                _ => Ok(()),
            }
        }
        Expr::Has { identifier } => schema.check_identifier(identifier),
        Expr::InSegment { segment } if segment.trim().is_empty() => Err(SegmentError::syntax(
            0,
            0,
            "an empty segment name",
            "a segment name",
        )),
        Expr::InSegment { .. } | Expr::Aggregate { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests;
