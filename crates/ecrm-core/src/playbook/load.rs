//! Reads a located document into a [`PlaybookSet`], collecting every mistake with its line and field.

use super::ConfigError;
use super::doc::{Located, Node};
use super::model::{ACTION_NAMES, Action, Playbook, PlaybookSet, PoolDecl, PoolValue};

/// Reads the document. Every unknown key, missing field and wrong type is reported, not only the first.
pub fn load(root: &Located<Node>) -> Result<PlaybookSet, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut set = PlaybookSet::default();
    let mut top = Fields::open(root, "", &mut errors);
    if let Some(pools) = top.array("pool") {
        for (index, item) in pools.iter().enumerate() {
            let path = format!("pool[{}]", index + 1);
            if let Some(pool) = load_pool(item, &path, top.errors) {
                set.pools.push(pool);
            }
        }
    }
    if let Some(playbooks) = top.array("playbook") {
        for (index, item) in playbooks.iter().enumerate() {
            let path = format!("playbook[{}]", index + 1);
            if let Some(playbook) = load_playbook(item, &path, top.errors) {
                set.playbooks.push(playbook);
            }
        }
    }
    top.finish(&["pool", "playbook"]);
    if errors.is_empty() {
        collect_lines(root, "", &mut set.lines);
        Ok(set)
    } else {
        Err(errors)
    }
}

fn load_pool(item: &Located<Node>, path: &str, errors: &mut Vec<ConfigError>) -> Option<PoolDecl> {
    let before = errors.len();
    let mut f = Fields::open(item, path, errors);
    let name = f.required_str("name");
    let title = f.str("title").unwrap_or_default();
    let amount = f.str("amount");
    let currency = f.str("currency");
    let percent = f.uint("percent_off");
    let valid_days = f.uint("valid_days");
    let valid_from = f.date("valid_from");
    let valid_until = f.date("valid_until");
    let per_customer_limit = f.uint("per_customer_limit").unwrap_or(1);
    let generate = f.uint("generate").unwrap_or(0);
    let prefix = f.str("prefix");
    let value = match (amount, percent) {
        (Some(text), None) => match crate::money::parse_cents(&text) {
            Ok(cents) if cents > 0 => match currency {
                Some(code) => match crate::money::parse_currency(&code) {
                    Ok(currency) => Some(PoolValue::Amount { cents, currency }),
                    Err(err) => f.fail("currency", err.to_string()),
                },
                None => f.fail("currency", "required with `amount`".to_string()),
            },
            _ => f.fail(
                "amount",
                format!("{text:?} is not a positive amount like \"10.00\""),
            ),
        },
        (None, Some(percent)) if (1..=100).contains(&percent) => {
            Some(PoolValue::Percent { percent })
        }
        (None, Some(percent)) => f.fail("percent_off", format!("{percent} is not within 1..=100")),
        (Some(_), Some(_)) => f.fail(
            "amount",
            "give `amount` or `percent_off`, not both".to_string(),
        ),
        (None, None) => f.fail(
            "amount",
            "a pool needs `amount` (with `currency`) or `percent_off`".to_string(),
        ),
    };
    if per_customer_limit == 0 {
        f.fail::<()>("per_customer_limit", "must be at least 1".to_string());
    }
    f.finish(&[
        "name",
        "title",
        "amount",
        "currency",
        "percent_off",
        "valid_days",
        "valid_from",
        "valid_until",
        "per_customer_limit",
        "generate",
        "prefix",
    ]);
    let name = name?;
    let prefix = prefix.unwrap_or_else(|| default_prefix(&name));
    if errors.len() > before {
        return None;
    }
    Some(PoolDecl {
        name,
        title,
        value: value?,
        valid_days,
        valid_from,
        valid_until,
        per_customer_limit,
        generate,
        prefix,
    })
}

/// `new-customer-gift` gives `NCG`.
fn default_prefix(name: &str) -> String {
    name.split(['-', '_'])
        .filter_map(|part| part.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn load_playbook(
    item: &Located<Node>,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<Playbook> {
    let before = errors.len();
    let mut f = Fields::open(item, path, errors);
    let name = f.required_str("name");
    let segment = f.required_str("segment");
    let title = f.str("title").unwrap_or_default();
    let enabled = f.bool("enabled").unwrap_or(true);
    let every_days = f.uint("every_days");
    let keep_on_exit = f.bool("keep_on_exit").unwrap_or(false);
    let mut lists = Vec::new();
    for trigger in ["on_enter", "on_exit", "while_member"] {
        let mut actions = Vec::new();
        if let Some(items) = f.array(trigger) {
            for (index, action) in items.iter().enumerate() {
                let at = format!("{path}.{trigger}[{}]", index + 1);
                if let Some(action) = load_action(action, &at, f.errors) {
                    actions.push(action);
                }
            }
        }
        lists.push(actions);
    }
    if every_days == Some(0) {
        f.fail::<()>("every_days", "must be at least 1".to_string());
    }
    f.finish(&[
        "name",
        "title",
        "segment",
        "enabled",
        "on_enter",
        "on_exit",
        "while_member",
        "every_days",
        "keep_on_exit",
    ]);
    let (name, segment) = (name?, segment?);
    if errors.len() > before {
        return None;
    }
    let while_member = lists.pop().unwrap_or_default();
    let on_exit = lists.pop().unwrap_or_default();
    let on_enter = lists.pop().unwrap_or_default();
    Some(Playbook {
        name,
        title,
        segment,
        enabled,
        on_enter,
        on_exit,
        while_member,
        every_days: every_days.unwrap_or(30),
        keep_on_exit,
        line: item.line,
    })
}

fn load_action(item: &Located<Node>, path: &str, errors: &mut Vec<ConfigError>) -> Option<Action> {
    let before = errors.len();
    let mut f = Fields::open(item, path, errors);
    let name = f.required_str("action")?;
    let (action, fields): (Option<Action>, &[&str]) = match name.as_str() {
        "issue_coupon" => (
            f.required_str("pool")
                .map(|pool| Action::IssueCoupon { pool }),
            &["pool"],
        ),
        "grant_benefit" => (
            f.required_str("benefit")
                .map(|benefit| Action::GrantBenefit { benefit }),
            &["benefit"],
        ),
        "revoke_benefit" => (
            f.required_str("benefit")
                .map(|benefit| Action::RevokeBenefit { benefit }),
            &["benefit"],
        ),
        "set_attribute" => {
            let key = f.required_str("key");
            let value = f.required("value").map(Node::to_json);
            (
                key.zip(value)
                    .map(|(key, value)| Action::SetAttribute { key, value }),
                &["key", "value"],
            )
        }
        "add_tag" => (
            f.required_str("tag").map(|tag| Action::AddTag { tag }),
            &["tag"],
        ),
        "remove_tag" => (
            f.required_str("tag").map(|tag| Action::RemoveTag { tag }),
            &["tag"],
        ),
        "webhook" => (
            f.required_str("url").map(|url| Action::Webhook { url }),
            &["url"],
        ),
        "raise_priority" => {
            let level = f.uint("level").unwrap_or(1);
            (Some(Action::RaisePriority { level }), &["level"])
        }
        "suppress_ads" => {
            let reason = f.str("reason").unwrap_or_else(|| "playbook".to_string());
            (Some(Action::SuppressAds { reason }), &["reason"])
        }
        "unsuppress_ads" => (Some(Action::UnsuppressAds), &[]),
        other => {
            let message = format!(
                "unknown action {other:?}; expected one of {}",
                ACTION_NAMES.join(", ")
            );
            f.fail::<()>("action", message);
            return None;
        }
    };
    let mut allowed = vec!["action"];
    allowed.extend_from_slice(fields);
    f.finish(&allowed);
    if errors.len() > before {
        return None;
    }
    action
}

/// The keys of one table, read one by one; `finish` reports the keys nobody asked for.
struct Fields<'a, 'e> {
    entries: &'a [(Located<String>, Located<Node>)],
    line: Option<u32>,
    path: String,
    errors: &'e mut Vec<ConfigError>,
}

impl<'a, 'e> Fields<'a, 'e> {
    fn open(
        item: &'a Located<Node>,
        path: &str,
        errors: &'e mut Vec<ConfigError>,
    ) -> Fields<'a, 'e> {
        let entries: &[(Located<String>, Located<Node>)] = match &item.value {
            Node::Table(entries) => entries,
            other => {
                errors.push(ConfigError {
                    line: item.line,
                    field: if path.is_empty() {
                        "(document)".to_string()
                    } else {
                        path.to_string()
                    },
                    message: format!("expected a table, found {}", other.kind()),
                });
                &[]
            }
        };
        Fields {
            entries,
            line: item.line,
            path: path.to_string(),
            errors,
        }
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Located<Node>> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }

    fn fail<T>(&mut self, key: &str, message: String) -> Option<T> {
        let line = self.get(key).and_then(|v| v.line).or(self.line);
        let field = self.field(key);
        self.errors.push(ConfigError {
            line,
            field,
            message,
        });
        None
    }

    fn wrong_type<T>(&mut self, key: &str, expected: &str, found: &Node) -> Option<T> {
        self.fail(key, format!("expected {expected}, found {}", found.kind()))
    }

    fn required(&mut self, key: &str) -> Option<&'a Node> {
        match self.get(key) {
            Some(value) => Some(&value.value),
            None => self.fail(key, "missing required field".to_string()),
        }
    }

    fn str(&mut self, key: &str) -> Option<String> {
        match self.get(key).map(|v| &v.value) {
            None => None,
            Some(Node::Str(s)) => Some(s.clone()),
            Some(other) => self.wrong_type(key, "a string", other),
        }
    }

    fn required_str(&mut self, key: &str) -> Option<String> {
        self.required(key)?;
        let value = self.str(key)?;
        if value.trim().is_empty() {
            return self.fail(key, "must not be empty".to_string());
        }
        Some(value)
    }

    fn uint(&mut self, key: &str) -> Option<u32> {
        match self.get(key).map(|v| &v.value) {
            None => None,
            Some(Node::Int(i)) => match u32::try_from(*i) {
                Ok(n) => Some(n),
                Err(_) => self.fail(key, format!("{i} is not a non-negative integer")),
            },
            Some(other) => self.wrong_type(key, "an integer", other),
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key).map(|v| &v.value) {
            None => None,
            Some(Node::Bool(b)) => Some(*b),
            Some(other) => self.wrong_type(key, "a boolean", other),
        }
    }

    fn date(&mut self, key: &str) -> Option<crate::time::Millis> {
        let text = self.str(key)?;
        match crate::time::parse_date(&text) {
            Ok(date) => Some(crate::time::date_to_millis(date)),
            Err(_) => self.fail(key, format!("{text:?} is not a date like 2026-01-31")),
        }
    }

    fn array(&mut self, key: &str) -> Option<&'a [Located<Node>]> {
        match self.get(key).map(|v| &v.value) {
            None => None,
            Some(Node::Array(items)) => Some(items),
            Some(other) => self.wrong_type(key, "an array of tables", other),
        }
    }

    /// Reports every key not in `allowed`.
    fn finish(self, allowed: &[&str]) {
        for (key, _) in self.entries {
            if !allowed.contains(&key.value.as_str()) {
                let field = self.field(&key.value);
                self.errors.push(ConfigError {
                    line: key.line,
                    field,
                    message: format!("unknown field; expected one of {}", allowed.join(", ")),
                });
            }
        }
    }
}

/// Records the line of every value by its path, named as errors name fields.
fn collect_lines(
    node: &Located<Node>,
    path: &str,
    lines: &mut std::collections::BTreeMap<String, u32>,
) {
    if let (Some(line), false) = (node.line, path.is_empty()) {
        lines.insert(path.to_string(), line);
    }
    match &node.value {
        Node::Table(entries) => {
            for (key, value) in entries {
                let child = if path.is_empty() {
                    key.value.clone()
                } else {
                    format!("{path}.{}", key.value)
                };
                collect_lines(value, &child, lines);
            }
        }
        Node::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_lines(item, &format!("{path}[{}]", index + 1), lines);
            }
        }
        _ => {}
    }
}
