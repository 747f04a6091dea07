use std::collections::HashMap;

use super::*;
use crate::time::DAY_MILLIS;

fn schema() -> Schema {
    standard_schema()
}

fn parsed(text: &str) -> Expr {
    parse(text, &schema()).unwrap_or_else(|err| panic!("{text}: {err}"))
}

const EXAMPLES: &[&str] = &[
    r#"rfm.class = "重要价值客户""#,
    "clv.next_365d > 500",
    r#"lifecycle in ("at_risk", "churned")"#,
    "interests.category.shoes >= 0.3",
    "last_order_at before 90 days ago",
    "signup_at after 2026-01-01",
    "has email",
    r#"count(event "Product Viewed" where category = "shoes" in last 30 days) >= 3"#,
    r#"sum(event "Order Completed".revenue in last 365 days) > 1000"#,
    r#"in segment "vip""#,
    r#"rfm.class = "重要挽留客户" and clv.next_365d > 500 and last_order_at before 90 days ago and count(event "Product Viewed" where category = "shoes" in last 30 days) >= 3"#,
    r#"not (has phone or country = "CN") and (rfm.r >= 4 or rfm.f >= 4)"#,
];

#[test]
fn the_documented_examples_parse() {
    for text in EXAMPLES {
        parsed(text);
    }
}

#[test]
fn text_and_json_round_trip_without_loss() {
    for text in EXAMPLES {
        let expr = parsed(text);
        let printed = to_text(&expr);
        assert_eq!(
            parsed(&printed),
            expr,
            "text round trip of {text} via {printed}"
        );
        let json = serde_json::to_string(&expr).expect("to json");
        let back: Expr = serde_json::from_str(&json).expect("from json");
        assert_eq!(back, expr, "json round trip of {text}");
        assert!(check(&back, &schema()).is_ok());
    }
}

#[test]
fn and_binds_tighter_than_or() {
    let expr = parsed("has email or has phone and country = \"CN\"");
    assert!(
        matches!(&expr, Expr::Or(items) if items.len() == 2 && matches!(items[1], Expr::And(_)))
    );
}

#[test]
fn errors_name_line_column_found_and_expected() {
    let err = parse("has email and\n  clv.next_365d >", &schema()).expect_err("incomplete");
    assert_eq!((err.line, err.column), (2, 18));
    assert_eq!(err.found, "the end of the query");
    assert!(err.expected.contains("value"), "{err}");

    let err = parse("rfm.clas = \"x\"", &schema()).expect_err("typo");
    assert_eq!((err.line, err.column), (1, 1));
    assert_eq!(err.hint.as_deref(), Some("did you mean `rfm.class`?"));

    let err = parse("clv.next_365d > \"a lot\"", &schema()).expect_err("type");
    assert_eq!(err.column, 17);
    assert!(err.expected.contains("number"), "{err}");

    let err = parse("lifecycle = \"churnd\"", &schema()).expect_err("enum");
    assert_eq!(err.hint.as_deref(), Some("did you mean \"churned\"?"));

    let err = parse("has emial", &schema()).expect_err("identifier");
    assert_eq!(err.hint.as_deref(), Some("did you mean `email`?"));

    let err = parse("(has email", &schema()).expect_err("paren");
    assert_eq!(err.expected, "`)`");

    let err = parse("orders > 1 country = \"CN\"", &schema()).expect_err("missing and");
    assert_eq!(err.column, 12);
    assert!(
        err.to_string()
            .starts_with("line 1, column 12: found `country`"),
        "{err}"
    );
}

struct Customer {
    fields: HashMap<&'static str, FactValue>,
    identifiers: Vec<&'static str>,
    views_of_shoes: f64,
}

impl Facts for Customer {
    fn field(&self, name: &str) -> Option<FactValue> {
        self.fields.get(name).cloned()
    }
    fn has_identifier(&self, kind: &str) -> bool {
        self.identifiers.contains(&kind)
    }
    fn in_segment(&self, name: &str) -> bool {
        name == "vip"
    }
    fn aggregate(&self, aggregate: &Aggregate, _now: i64) -> f64 {
        if aggregate.event == "Product Viewed" {
            self.views_of_shoes
        } else {
            0.0
        }
    }
}

#[test]
fn evaluates_over_facts() {
    let now = 20_000 * DAY_MILLIS;
    let customer = Customer {
        fields: HashMap::from([
            ("rfm.class", FactValue::Text("重要挽留客户".to_string())),
            ("clv.next_365d", FactValue::Number(750.0)),
            ("last_order_at", FactValue::Time(now - 120 * DAY_MILLIS)),
            ("lifecycle", FactValue::Text("at_risk".to_string())),
        ]),
        identifiers: vec!["email"],
        views_of_shoes: 4.0,
    };
    let cases = [
        (EXAMPLES[10], true),
        ("last_order_at before 150 days ago", false),
        (r#"lifecycle in ("at_risk", "churned")"#, true),
        ("has phone", false),
        ("not has phone and in segment \"vip\"", true),
        ("interests.category.shoes >= 0.3", false),
        ("not interests.category.shoes >= 0.3", true),
        ("last_order_at after 2020-01-01", true),
    ];
    for (text, expected) in cases {
        assert_eq!(evaluate(&parsed(text), &customer, now), expected, "{text}");
    }
}

#[test]
fn plans_cheap_terms_first_and_reports_dependencies() {
    let planned = plan(parsed(EXAMPLES[10]));
    let Expr::And(items) = &planned else {
        panic!("an and")
    };
    assert!(matches!(items.last(), Some(Expr::Aggregate { .. })));
    let deps = dependencies(&planned);
    assert!(deps.time_relative);
    assert!(deps.fields.contains("rfm.class") && deps.events.contains("Product Viewed"));
    assert!(
        dependencies(&parsed("in segment \"vip\""))
            .segments
            .contains("vip")
    );
}
