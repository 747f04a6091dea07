//! The fields a segment may test, with their types, and the "did you mean" for unknown names.

use super::ast::Literal;
use super::error::SegmentError;

/// The type of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Number,
    Text,
    Bool,
    /// A timestamp: compared with `before`/`after`.
    Date,
    /// Text from a fixed set of values.
    OneOf(Vec<String>),
}

impl FieldType {
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Number => "number",
            FieldType::Text | FieldType::OneOf(_) => "text",
            FieldType::Bool => "true/false",
            FieldType::Date => "date",
        }
    }

    pub fn is_date(&self) -> bool {
        matches!(self, FieldType::Date)
    }

    /// Checks a constant against the type (the position is filled in by the caller).
    pub fn check(&self, field: &str, value: &Literal) -> Result<(), SegmentError> {
        let ok = match (self, value) {
            (FieldType::Number, Literal::Number(_)) | (FieldType::Bool, Literal::Bool(_)) => true,
            (FieldType::Text, Literal::Text(_)) | (FieldType::Date, Literal::Text(_)) => true,
            (FieldType::OneOf(values), Literal::Text(text)) => {
                if values.iter().any(|v| v == text) {
                    true
                } else {
                    let hint = closest(text, values.iter().map(String::as_str))
                        .map(|best| format!("did you mean \"{best}\"?"))
                        .unwrap_or_else(|| format!("one of {}", values.join(", ")));
                    return Err(SegmentError::syntax(
                        0,
                        0,
                        &format!("\"{text}\""),
                        &format!("a value of `{field}`"),
                    )
                    .with_hint(hint));
                }
            }
            _ => false,
        };
        if ok {
            return Ok(());
        }
        Err(SegmentError::syntax(
            0,
            0,
            &describe(value),
            &format!("a {} value for `{field}`", self.name()),
        ))
    }
}

fn describe(value: &Literal) -> String {
    match value {
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => format!("number {n}"),
        Literal::Text(text) => format!("\"{text}\""),
    }
}

/// The fields of a store: exact names, and prefixes whose last part is free (`interests.category.*`).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub fields: Vec<(String, FieldType)>,
    pub prefixes: Vec<(String, FieldType)>,
    pub identifiers: Vec<String>,
}

impl Schema {
    /// The type of a field, or an error suggesting the closest known name.
    pub fn field_type(&self, field: &str) -> Result<FieldType, SegmentError> {
        if let Some((_, field_type)) = self.fields.iter().find(|(name, _)| name == field) {
            return Ok(field_type.clone());
        }
        for (prefix, field_type) in &self.prefixes {
            if let Some(rest) = field.strip_prefix(prefix.as_str())
                && !rest.is_empty()
                && !rest.contains('.')
            {
                return Ok(field_type.clone());
            }
        }
        let names = self.fields.iter().map(|(name, _)| name.as_str());
        let hint = closest(field, names).map(|best| format!("did you mean `{best}`?"));
        let err = SegmentError::syntax(
            0,
            0,
            &format!("unknown field `{field}`"),
            "a known field or trait",
        );
        Err(match hint {
            Some(hint) => err.with_hint(hint),
            None => err,
        })
    }

    /// Checks an identifier kind after `has`.
    pub fn check_identifier(&self, name: &str) -> Result<(), SegmentError> {
        if self.identifiers.iter().any(|known| known == name) || name.starts_with("ext.") {
            return Ok(());
        }
        let hint = closest(name, self.identifiers.iter().map(String::as_str))
            .map(|best| format!("did you mean `{best}`?"));
        let err = SegmentError::syntax(
            0,
            0,
            &format!("`{name}`"),
            "an identifier kind (email, phone, user_id, anonymous_id)",
        );
        Err(match hint {
            Some(hint) => err.with_hint(hint),
            None => err,
        })
    }
}

/// The known name closest to `name` by edit distance, if close enough to be a likely typo.
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let distance = edit_distance(&name.to_lowercase(), &candidate.to_lowercase());
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let limit = (name.chars().count() / 3).clamp(2, 4);
    best.filter(|(distance, _)| *distance <= limit)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b_chars.iter().enumerate() {
            let cost = usize::from(a_char != *b_char);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b_chars.len()]
}

/// The fields every ecrm store has: profile attributes, order summary, and the traits `ecrm compute` writes.
pub fn standard_schema() -> Schema {
    let one_of = |values: &[&str]| FieldType::OneOf(values.iter().map(|v| v.to_string()).collect());
    let classes = [
        "重要价值客户",
        "重要发展客户",
        "重要保持客户",
        "重要挽留客户",
        "一般价值客户",
        "一般发展客户",
        "一般保持客户",
        "一般挽留客户",
    ];
    let segments = [
        "champions",
        "loyal customers",
        "potential loyalists",
        "new customers",
        "promising",
        "need attention",
        "about to sleep",
        "at risk",
        "can't lose them",
        "hibernating",
    ];
    let stages = [
        "prospect",
        "new",
        "active",
        "at_risk",
        "churned",
        "reactivated",
    ];
    let levels = ["low", "medium", "high"];
    let mut fields: Vec<(&str, FieldType)> = vec![
        ("name", FieldType::Text),
        ("gender", FieldType::Text),
        ("country", FieldType::Text),
        ("city", FieldType::Text),
        ("birthday", FieldType::Date),
        ("signup_at", FieldType::Date),
        ("first_order_at", FieldType::Date),
        ("last_order_at", FieldType::Date),
        ("orders", FieldType::Number),
        ("revenue", FieldType::Number),
        ("rfm.r", FieldType::Number),
        ("rfm.f", FieldType::Number),
        ("rfm.m", FieldType::Number),
        ("rfm.recency_days", FieldType::Number),
        ("rfm.frequency", FieldType::Number),
        ("rfm.monetary", FieldType::Number),
        ("rfm.class", one_of(&classes)),
        ("rfm.segment", one_of(&segments)),
        ("clv.next_365d", FieldType::Number),
        ("clv.clv_12m", FieldType::Number),
        ("clv.expected_purchases_365d", FieldType::Number),
        ("clv.p_alive", FieldType::Number),
        ("clv.churn_risk", FieldType::Number),
        ("clv.expected_order_value", FieldType::Number),
        ("lifecycle", one_of(&stages)),
        ("value_tier", FieldType::Text),
        ("risk_level", one_of(&levels)),
    ];
    fields.sort_by(|a, b| a.0.cmp(b.0));
    Schema {
        fields: fields
            .into_iter()
            .map(|(name, field_type)| (name.to_string(), field_type))
            .collect(),
        prefixes: vec![
            ("interests.category.".to_string(), FieldType::Number),
            ("interests.brand.".to_string(), FieldType::Number),
            ("attributes.".to_string(), FieldType::Text),
        ],
        identifiers: ["user_id", "email", "phone", "anonymous_id"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}
