//! Reading a playbook configuration: TOML (or JSON) text to a located document, loading it, and
//! validating its references against the store. Errors name the origin (file), line and field.

use std::collections::BTreeSet;

use ecrm_core::playbook::{ConfigError, Known, Located, Node, PlaybookSet, load, validate};
use ecrm_store::Store;
use toml::de::{DeTable, DeValue};

use crate::app::AppError;

/// The playbooks and coupon pools `ecrm demo` and a fresh `ecrm serve` start with.
pub const DEFAULT_PLAYBOOKS: &str = include_str!("default_playbooks.toml");

/// A configuration that failed to load: every mistake, each naming the line and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub origin: String,
    pub errors: Vec<ConfigError>,
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {e}", self.origin))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

impl From<ConfigErrors> for AppError {
    fn from(errors: ConfigErrors) -> AppError {
        let field = errors
            .errors
            .first()
            .map(|e| e.field.clone())
            .unwrap_or_default();
        AppError::invalid(&field, errors.to_string())
    }
}

/// Parses TOML text (or JSON, when it starts with `{`) and loads it, without checking references.
pub fn parse(text: &str, origin: &str) -> Result<PlaybookSet, ConfigErrors> {
    let fail = |errors| ConfigErrors {
        origin: origin.to_string(),
        errors,
    };
    let root = if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|err| {
            fail(vec![ConfigError {
                line: u32::try_from(err.line()).ok(),
                field: "(document)".to_string(),
                message: format!("invalid JSON: {err}"),
            }])
        })?;
        Located::at(None, Node::from_json(&value))
    } else {
        let table = DeTable::parse(text).map_err(|err| {
            let line = err.span().map(|span| line_of(text, span.start));
            fail(vec![ConfigError {
                line,
                field: "(document)".to_string(),
                message: format!("invalid TOML: {}", err.message().trim()),
            }])
        })?;
        let line = Some(line_of(text, table.span().start));
        Located::at(line, table_node(text, table.get_ref()))
    };
    load(&root).map_err(fail)
}

/// Parses, loads and validates against the segments (the built-in ones are created first when
/// missing) and coupon pools in `store`.
pub fn load_checked(store: &dyn Store, text: &str, origin: &str) -> Result<PlaybookSet, AppError> {
    let set = parse(text, origin)?;
    crate::app::segments::builtin::ensure_builtins(store, crate::app::now_millis())?;
    let known = Known {
        segments: store.segments()?.into_iter().map(|s| s.name).collect(),
        pools: store
            .coupon_pools()?
            .into_iter()
            .map(|p| p.pool.name)
            .collect::<BTreeSet<_>>(),
    };
    validate(&set, &known).map_err(|errors| ConfigErrors {
        origin: origin.to_string(),
        errors,
    })?;
    Ok(set)
}

fn line_of(text: &str, offset: usize) -> u32 {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    u32::try_from(before.matches('\n').count() + 1).unwrap_or(u32::MAX)
}

fn table_node(text: &str, table: &DeTable<'_>) -> Node {
    Node::Table(
        table
            .iter()
            .map(|(key, value)| {
                let key_line = Some(line_of(text, key.span().start));
                let value_line = Some(line_of(text, value.span().start));
                (
                    Located::at(key_line, key.get_ref().to_string()),
                    Located::at(value_line, value_node(text, value.get_ref())),
                )
            })
            .collect(),
    )
}

fn value_node(text: &str, value: &DeValue<'_>) -> Node {
    match value {
        DeValue::String(s) => Node::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Node::Int(n),
            Err(_) => Node::Str(i.to_string()),
        },
        DeValue::Float(x) => Node::Float(x.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Node::Bool(*b),
        DeValue::Datetime(d) => Node::Str(d.to_string()),
        DeValue::Array(items) => Node::Array(
            items
                .iter()
                .map(|item| {
                    let line = Some(line_of(text, item.span().start));
                    Located::at(line, value_node(text, item.get_ref()))
                })
                .collect(),
        ),
        DeValue::Table(table) => table_node(text, table),
    }
}

/// The configuration text a command uses: the file when given, else the one set through the API,
/// else the defaults; with its origin for messages.
pub fn configured_text(
    store: &dyn Store,
    file: Option<&std::path::Path>,
) -> Result<(String, String), AppError> {
    if let Some(path) = file {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| {
            AppError::invalid("playbooks", format!("{origin}: cannot read: {err}"))
        })?;
        return Ok((text, origin));
    }
    match store.playbook_state(super::runtime::STORED_CONFIG)? {
        Some(text) => Ok((text, "stored configuration".to_string())),
        None => Ok((
            DEFAULT_PLAYBOOKS.to_string(),
            "default playbooks".to_string(),
        )),
    }
}
