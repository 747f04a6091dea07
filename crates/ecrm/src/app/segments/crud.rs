//! Saved segments: list with sizes and trend, get, create, update, delete; references to other
//! segments must exist and may not form a cycle; every change is audited and re-materialised.

use std::collections::{BTreeSet, HashMap};

use ecrm_core::segment::{Expr, dependencies, to_text};
use ecrm_core::time::Millis;
use ecrm_store::{AuditEntry, NewSegment, SegmentRecord, Store};
use serde::{Deserialize, Serialize};

use super::builtin::builtin;
use super::{SegmentEngine, SegmentInput, decode, definitions, live};
use crate::app::AppError;

/// The trend window of the list: entries and exits over the last 7 days.
const TREND_MILLIS: Millis = 7 * 86_400_000;

/// A saved segment with its size and how that moved over the last 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    /// The English title (built-ins have their own; other segments show their name).
    pub title: String,
    /// The 简体中文 title of a built-in segment.
    pub title_zh: Option<String>,
    pub builtin: bool,
    /// The query in the segment language.
    pub query: String,
    /// The JSON form.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// Current members.
    pub size: u64,
    /// Entries and exits recorded in the last 7 days, and the size before them.
    pub entered_7d: u64,
    pub exited_7d: u64,
    pub size_7d_ago: u64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A change to a saved segment: a new name and/or a new definition.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SegmentUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
}

fn view(record: SegmentRecord, size: u64, entered: u64, exited: u64) -> SegmentView {
    let known = builtin(&record.name).filter(|_| record.builtin);
    let definition = serde_json::from_str(&record.definition).unwrap_or(serde_json::Value::Null);
    SegmentView {
        id: record.id,
        title: known.map_or_else(|| record.name.clone(), |b| b.title_en.to_string()),
        title_zh: known.map(|b| b.title_zh.to_string()),
        builtin: record.builtin,
        query: super::query_text(&record),
        definition,
        size,
        entered_7d: entered,
        exited_7d: exited,
        size_7d_ago: (size + exited).saturating_sub(entered),
        created_at: record.created_at,
        updated_at: record.updated_at,
        name: record.name,
    }
}

/// Every saved segment with its size and 7-day trend, by name.
pub fn list_segments(store: &dyn Store, now: Millis) -> Result<Vec<SegmentView>, AppError> {
    super::builtin::ensure_builtins(store, now)?;
    let sizes: HashMap<i64, u64> = store.segment_sizes()?.into_iter().collect();
    let flows: HashMap<i64, (u64, u64)> = store
        .segment_flows(now - TREND_MILLIS)?
        .into_iter()
        .map(|flow| (flow.segment_id, (flow.entered, flow.exited)))
        .collect();
    Ok(store
        .segments()?
        .into_iter()
        .map(|record| {
            let size = sizes.get(&record.id).copied().unwrap_or(0);
            let (entered, exited) = flows.get(&record.id).copied().unwrap_or((0, 0));
            view(record, size, entered, exited)
        })
        .collect())
}

/// A segment by id (digits) or name.
pub fn find_segment(store: &dyn Store, key: &str) -> Result<SegmentRecord, AppError> {
    let found = match key.parse::<i64>() {
        Ok(id) => store.segment(id)?,
        Err(_) => None,
    };
    match found {
        Some(record) => Ok(record),
        None => store
            .segment_by_name(key)?
            .ok_or_else(|| AppError::NotFound(format!("segment \"{key}\""))),
    }
}

/// One segment with its size and trend.
pub fn get_segment(store: &dyn Store, key: &str, now: Millis) -> Result<SegmentView, AppError> {
    let record = find_segment(store, key)?;
    list_segments(store, now)?
        .into_iter()
        .find(|segment| segment.id == record.id)
        .ok_or_else(|| AppError::NotFound(format!("segment \"{key}\"")))
}

/// Creates a segment, records its members (cause `definition changed`) and audits it.
pub fn create_segment(
    store: &dyn Store,
    engine: &SegmentEngine,
    name: &str,
    input: &SegmentInput,
    actor: &str,
    now: Millis,
) -> Result<SegmentView, AppError> {
    validate_name(name)?;
    let expr = input.expr(&engine.snapshot(store)?.schema())?;
    let segments = definitions(store)?;
    check_references(&expr, &segments, Some(name))?;
    let record = store.create_segment(&NewSegment {
        name: name.to_string(),
        definition: encode(&expr)?,
        builtin: false,
        at: now,
    })?;
    audit(store, actor, "segment.create", &record, now)?;
    live::refresh_segments(store, engine, &[record.id], live::DEFINITION_CHANGED, now)?;
    get_segment(store, &record.id.to_string(), now)
}

/// Renames and/or redefines a segment; members are re-evaluated, and so are segments that use it.
pub fn update_segment(
    store: &dyn Store,
    engine: &SegmentEngine,
    key: &str,
    update: &SegmentUpdate,
    actor: &str,
    now: Millis,
) -> Result<SegmentView, AppError> {
    let record = find_segment(store, key)?;
    let segments = definitions(store)?;
    let name = update.name.clone().unwrap_or_else(|| record.name.clone());
    if name != record.name {
        validate_name(&name)?;
        if record.builtin {
            return Err(AppError::Conflict(format!(
                "the built-in segment \"{}\" cannot be renamed",
                record.name
            )));
        }
        let users = users_of(&record.name, &segments);
        if !users.is_empty() {
            return Err(AppError::Conflict(format!(
                "segment \"{}\" is used by {}; it cannot be renamed",
                record.name,
                quoted(&users)
            )));
        }
    }
    let expr = if update.query.is_some() || update.definition.is_some() {
        let input = SegmentInput {
            query: update.query.clone(),
            definition: update.definition.clone(),
        };
        input.expr(&engine.snapshot(store)?.schema())?
    } else {
        decode(&record)?
    };
    let mut others = segments;
    others.remove(&record.name);
    check_references(&expr, &others, Some(&name))?;
    let updated = store.update_segment(record.id, &name, &encode(&expr)?, now)?;
    audit(store, actor, "segment.update", &updated, now)?;
    others.insert(name.clone(), expr);
    let mut affected = vec![updated.id];
    for user in users_of(&name, &others) {
        if let Some(segment) = store.segment_by_name(&user)? {
            affected.push(segment.id);
        }
    }
    live::refresh_segments(store, engine, &affected, live::DEFINITION_CHANGED, now)?;
    get_segment(store, &updated.id.to_string(), now)
}

/// Deletes a segment (not a built-in, not one another segment uses), recording its members' exits.
pub fn delete_segment(
    store: &dyn Store,
    key: &str,
    actor: &str,
    now: Millis,
) -> Result<(), AppError> {
    let record = find_segment(store, key)?;
    if record.builtin {
        return Err(AppError::Conflict(format!(
            "the built-in segment \"{}\" cannot be deleted",
            record.name
        )));
    }
    let users = users_of(&record.name, &definitions(store)?);
    if !users.is_empty() {
        return Err(AppError::Conflict(format!(
            "segment \"{}\" is used by {}; change those first",
            record.name,
            quoted(&users)
        )));
    }
    live::exit_all(store, record.id, "segment deleted", now)?;
    store.delete_segment(record.id)?;
    audit(store, actor, "segment.delete", &record, now)
}

/// Every `in segment` reference must name a saved segment, and following them from a segment
/// named `name` must never lead back to it.
pub fn check_references(
    expr: &Expr,
    segments: &HashMap<String, Expr>,
    name: Option<&str>,
) -> Result<(), AppError> {
    for reference in dependencies(expr).segments {
        if !segments.contains_key(&reference) && Some(reference.as_str()) != name {
            return Err(AppError::invalid(
                "query",
                format!("there is no segment \"{reference}\" (in segment \"{reference}\")"),
            ));
        }
        if let Some(name) = name
            && let Some(path) = path_to(&reference, name, segments, &mut Vec::new())
        {
            return Err(AppError::invalid(
                "query",
                format!(
                    "segment \"{name}\" would depend on itself: {name} → {}",
                    path.join(" → ")
                ),
            ));
        }
    }
    Ok(())
}

/// The chain of references from `from` to `target`, if there is one.
fn path_to(
    from: &str,
    target: &str,
    segments: &HashMap<String, Expr>,
    seen: &mut Vec<String>,
) -> Option<Vec<String>> {
    if from == target {
        return Some(vec![from.to_string()]);
    }
    if seen.iter().any(|s| s == from) {
        return None;
    }
    seen.push(from.to_string());
    let expr = segments.get(from)?;
    for next in dependencies(expr).segments {
        if let Some(mut rest) = path_to(&next, target, segments, seen) {
            rest.insert(0, from.to_string());
            return Some(rest);
        }
    }
    None
}

/// Segments whose definition refers to `name`, directly or through others.
fn users_of(name: &str, segments: &HashMap<String, Expr>) -> BTreeSet<String> {
    segments
        .keys()
        .filter(|other| other.as_str() != name)
        .filter(|other| path_to(other, name, segments, &mut Vec::new()).is_some())
        .cloned()
        .collect()
}

fn quoted(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate_name(name: &str) -> Result<(), AppError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed != name {
        return Err(AppError::invalid(
            "name",
            "a segment name must not be empty or start or end with spaces",
        ));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            "a segment name has at most 100 characters and no control characters",
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid(
            "name",
            "a segment name must not be all digits (digits address segments by id)",
        ));
    }
    Ok(())
}

fn encode(expr: &Expr) -> Result<String, AppError> {
    serde_json::to_string(expr).map_err(|err| AppError::invalid("definition", err.to_string()))
}

fn audit(
    store: &dyn Store,
    actor: &str,
    action: &str,
    record: &SegmentRecord,
    now: Millis,
) -> Result<(), AppError> {
    let query = decode(record)
        .map(|expr| to_text(&expr))
        .unwrap_or_default();
    store.append_audit(&AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: action.to_string(),
        target: format!("segment:{}", record.name),
        detail: serde_json::json!({ "id": record.id, "query": query }),
    })?;
    Ok(())
}
