//! Reference and sanity checks of a loaded [`PlaybookSet`] against what the store holds.

use std::collections::BTreeSet;

use super::ConfigError;
use super::model::{Action, PlaybookSet};

/// Names that exist outside the configuration.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Saved and built-in segments.
    pub segments: BTreeSet<String>,
    /// Coupon pools already in the store.
    pub pools: BTreeSet<String>,
}

/// Checks names, duplicates and references; every problem is reported.
pub fn validate(set: &PlaybookSet, known: &Known) -> Result<(), Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut pools: BTreeSet<&str> = known.pools.iter().map(String::as_str).collect();
    let mut declared = BTreeSet::new();
    for (index, pool) in set.pools.iter().enumerate() {
        let field = format!("pool[{}].name", index + 1);
        check_name(&pool.name, &field, None, &mut errors);
        if !declared.insert(pool.name.as_str()) {
            errors.push(error(
                None,
                field,
                format!("pool {:?} is declared twice", pool.name),
            ));
        }
        pools.insert(&pool.name);
    }
    let mut names = BTreeSet::new();
    for (index, playbook) in set.playbooks.iter().enumerate() {
        let path = format!("playbook[{}]", index + 1);
        let line = playbook.line;
        check_name(&playbook.name, &format!("{path}.name"), line, &mut errors);
        if !names.insert(playbook.name.as_str()) {
            let message = format!("playbook {:?} is declared twice", playbook.name);
            errors.push(error(line, format!("{path}.name"), message));
        }
        if !known.segments.contains(&playbook.segment) {
            let message = format!(
                "unknown segment {:?}{}",
                playbook.segment,
                suggest(&playbook.segment, &known.segments)
            );
            errors.push(error(line, format!("{path}.segment"), message));
        }
        for (trigger, actions) in [
            ("on_enter", &playbook.on_enter),
            ("on_exit", &playbook.on_exit),
            ("while_member", &playbook.while_member),
        ] {
            let mut labels = BTreeSet::new();
            for (position, action) in actions.iter().enumerate() {
                let at = format!("{path}.{trigger}[{}]", position + 1);
                if !labels.insert(action.label()) {
                    errors.push(error(
                        line,
                        at.clone(),
                        format!("the same {} action is listed twice", action.name()),
                    ));
                }
                check_action(action, &at, line, &pools, &mut errors);
            }
        }
    }
    for error in &mut errors {
        if let Some(line) = set.lines.get(&error.field) {
            error.line = Some(*line);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_action(
    action: &Action,
    at: &str,
    line: Option<u32>,
    pools: &BTreeSet<&str>,
    errors: &mut Vec<ConfigError>,
) {
    match action {
        Action::IssueCoupon { pool } if !pools.contains(pool.as_str()) => {
            let known: BTreeSet<String> = pools.iter().map(|p| p.to_string()).collect();
            let message = format!("unknown coupon pool {pool:?}{}", suggest(pool, &known));
            errors.push(error(line, format!("{at}.pool"), message));
        }
        Action::Webhook { url } if !(url.starts_with("https://") || url.starts_with("http://")) => {
            errors.push(error(
                line,
                format!("{at}.url"),
                format!("{url:?} is not an http:// or https:// URL"),
            ));
        }
        Action::GrantBenefit { benefit } | Action::RevokeBenefit { benefit } => {
            check_name(benefit, &format!("{at}.benefit"), line, errors);
        }
        Action::AddTag { tag } | Action::RemoveTag { tag } => {
            check_name(tag, &format!("{at}.tag"), line, errors);
        }
        Action::SetAttribute { key, .. } if key.trim().is_empty() => {
            errors.push(error(
                line,
                format!("{at}.key"),
                "must not be empty".to_string(),
            ));
        }
        _ => {}
    }
}

/// Names are lower-case letters, digits, `-` and `_`.
fn check_name(name: &str, field: &str, line: Option<u32>, errors: &mut Vec<ConfigError>) {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        let message =
            format!("{name:?} is not a name (lower-case letters, digits, '-' and '_', at most 64)");
        errors.push(error(line, field.to_string(), message));
    }
}

fn error(line: Option<u32>, field: String, message: String) -> ConfigError {
    ConfigError {
        line,
        field,
        message,
    }
}

/// `; did you mean "x"?` for the closest known name within a small edit distance.
fn suggest(name: &str, known: &BTreeSet<String>) -> String {
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, candidate)| format!("; did you mean {candidate:?}?"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}
