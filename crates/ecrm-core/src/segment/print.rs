//! Prints an expression back as segment-language text that parses to the same expression.

use std::fmt::Write;

use super::ast::{Aggregate, DateValue, Expr, Literal, Span, When};

/// The text form of an expression.
pub fn to_text(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, 0);
    out
}

/// Precedence: or = 1, and = 2, not and atoms = 3. A child is parenthesised when it binds looser.
fn write_expr(out: &mut String, expr: &Expr, parent: u8) {
    let own = match expr {
        Expr::Or(_) => 1,
        Expr::And(_) => 2,
        _ => 3,
    };
    let wrap = own < parent || (own < 3 && own == parent);
    if wrap {
        out.push('(');
    }
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            let joiner = if own == 1 { " or " } else { " and " };
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push_str(joiner);
                }
                write_expr(out, item, own + 1);
            }
        }
        Expr::Not(inner) => {
            out.push_str("not ");
            write_expr(out, inner, 3);
        }
        Expr::Compare { field, cmp, value } => {
            let _ = write!(out, "{field} {} {}", cmp.symbol(), literal(value));
        }
        Expr::In { field, values } => {
            let list: Vec<String> = values.iter().map(literal).collect();
            let _ = write!(out, "{field} in ({})", list.join(", "));
        }
        Expr::Date { field, when, date } => {
            let word = match when {
                When::Before => "before",
                When::After => "after",
            };
            let date_text = match date {
                DateValue::Absolute(day) => day.clone(),
                DateValue::Ago(span) => format!("{} ago", span_text(span)),
            };
            let _ = write!(out, "{field} {word} {date_text}");
        }
        Expr::Has { identifier } => {
            let _ = write!(out, "has {identifier}");
        }
        Expr::InSegment { segment } => {
            let _ = write!(out, "in segment {}", quoted(segment));
        }
        Expr::Aggregate {
            aggregate,
            cmp,
            value,
        } => {
            let _ = write!(
                out,
                "{} {} {}",
                aggregate_text(aggregate),
                cmp.symbol(),
                number(*value)
            );
        }
    }
    if wrap {
        out.push(')');
    }
}

fn aggregate_text(aggregate: &Aggregate) -> String {
    let mut text = format!(
        "{}(event {}",
        aggregate.function.name(),
        quoted(&aggregate.event)
    );
    if let Some(property) = &aggregate.property {
        let _ = write!(text, ".{property}");
    }
    if !aggregate.filters.is_empty() {
        let filters: Vec<String> = aggregate
            .filters
            .iter()
            .map(|f| format!("{} {} {}", f.property, f.cmp.symbol(), literal(&f.value)))
            .collect();
        let _ = write!(text, " where {}", filters.join(" and "));
    }
    if let Some(window) = &aggregate.window {
        let _ = write!(text, " in last {}", span_text(window));
    }
    text.push(')');
    text
}

fn span_text(span: &Span) -> String {
    format!("{} {}", span.n, span.unit.name(span.n))
}

fn literal(value: &Literal) -> String {
    match value {
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => number(*n),
        Literal::Text(text) => quoted(text),
    }
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
