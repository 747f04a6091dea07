//! The segment list (sizes and 7-day trends), a segment's page (query, members, weekly migration,
//! export) and its CSV export; agents may not export.

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::auth::Console;
use super::charts::flows;
use super::html::{Section, datetime, esc, int, page, shown_identifier, url_encode};
use super::i18n::{Lang, tr};
use crate::app::console::trends::{SegmentTrends, load_trends};
use crate::app::segments::builtin::builtin;
use crate::app::segments::crud::{SegmentView, find_segment, get_segment, list_segments};
use crate::app::segments::query_text;
use crate::app::segments::read::{export_rows, members_page};
use crate::app::{AppError, now_millis};
use crate::http::{ApiError, AppState};
use ecrm_store::SegmentRecord;

const PAGE: usize = 50;

/// A segment's title in the chosen language.
pub fn title(lang: Lang, segment: &SegmentView) -> String {
    match (lang, &segment.title_zh) {
        (Lang::Zh, Some(zh)) => zh.clone(),
        _ => segment.title.clone(),
    }
}

fn trend(segment: &SegmentView) -> String {
    let (entered, exited) = (segment.entered_7d, segment.exited_7d);
    let arrow = match entered.cmp(&exited) {
        std::cmp::Ordering::Greater => "<span class=\"up\">▲</span>",
        std::cmp::Ordering::Less => "<span class=\"down\">▼</span>",
        std::cmp::Ordering::Equal => "<span class=\"flat\">■</span>",
    };
    format!("{arrow} +{} / −{}", int(entered), int(exited))
}

/// A stored segment as the list shows it, its size and 7-day flows from the snapshot.
fn quick_view(record: SegmentRecord, trends: &SegmentTrends) -> Option<SegmentView> {
    let (size, week) = trends.size_and_week(record.id)?;
    let known = builtin(&record.name).filter(|_| record.builtin);
    Some(SegmentView {
        id: record.id,
        title: known.map_or_else(|| record.name.clone(), |b| b.title_en.to_string()),
        title_zh: known.map(|b| b.title_zh.to_string()),
        builtin: record.builtin,
        query: query_text(&record),
        definition: serde_json::from_str(&record.definition).unwrap_or(serde_json::Value::Null),
        size,
        entered_7d: week.entered,
        exited_7d: week.exited,
        size_7d_ago: (size + week.exited).saturating_sub(week.entered),
        created_at: record.created_at,
        updated_at: record.updated_at,
        name: record.name,
    })
}

/// Every segment with sizes and trends from the snapshot, and the snapshot's time; counted live
/// (time `None`) only when the snapshot is missing or a segment is newer than it.
fn segments_with_sizes(
    store: &dyn ecrm_store::Store,
) -> Result<(Vec<SegmentView>, Option<i64>), AppError> {
    let Some(trends) = load_trends(store)? else {
        return Ok((list_segments(store, now_millis())?, None));
    };
    crate::app::segments::builtin::ensure_builtins(store, now_millis())?;
    let records = store.segments()?;
    let quick: Vec<SegmentView> = records
        .iter()
        .filter_map(|record| quick_view(record.clone(), &trends))
        .collect();
    if quick.len() == records.len() {
        return Ok((quick, Some(trends.computed_at)));
    }
    Ok((list_segments(store, now_millis())?, None))
}

/// One segment: from the snapshot when it knows it, else counted live.
fn one_segment(store: &dyn ecrm_store::Store, key: &str) -> Result<SegmentView, AppError> {
    let record = find_segment(store, key)?;
    if let Some(view) = load_trends(store)?.and_then(|t| quick_view(record.clone(), &t)) {
        return Ok(view);
    }
    get_segment(store, &record.id.to_string(), now_millis())
}

/// `GET /segments`.
pub async fn list(State(state): State<AppState>, console: Console) -> Result<Response, ApiError> {
    let lang = console.lang;
    let (segments, as_of) = state
        .blocking(|store| Ok(segments_with_sizes(store)?))
        .await?;
    let mut body = format!(
        "<div class=\"page-head\"><h1>{}</h1><a class=\"button\" id=\"new-segment\" href=\"/segments/new\">{}</a></div>\
         <table class=\"list\" id=\"segment-list\"><thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
        tr(lang, "segments"),
        tr(lang, "new_segment"),
        tr(lang, "segment"),
        tr(lang, "query"),
        tr(lang, "members"),
        tr(lang, "trend_7d")
    );
    for segment in &segments {
        let _ = write!(
            body,
            "<tr data-segment=\"{name}\"><td><a href=\"/segments/{url}\">{title}</a><br><small class=\"muted\">{name}</small></td>\
             <td><code>{query}</code></td><td class=\"n size\">{size}</td><td class=\"n\">{trend}</td></tr>",
            name = esc(&segment.name),
            url = url_encode(&segment.name),
            title = esc(&title(lang, segment)),
            query = esc(&segment.query),
            size = int(segment.size),
            trend = trend(segment)
        );
    }
    body.push_str("</tbody></table>");
    let _ = match as_of {
        Some(at) => write!(
            body,
            "<p class=\"muted\" id=\"sizes-as-of\">{} <time>{}</time> {}</p>",
            tr(lang, "sizes_as_of"),
            datetime(at),
            tr(lang, "sizes_refreshed")
        ),
        None => write!(
            body,
            "<p class=\"muted\" id=\"sizes-as-of\">{}</p>",
            tr(lang, "sizes_counted_now")
        ),
    };
    Ok(Html(page(
        lang,
        Some(&console.user),
        Section::Segments,
        tr(lang, "segments"),
        "/segments",
        &body,
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    after: Option<String>,
}

/// `GET /segments/{name}`.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(key): Path<String>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, ApiError> {
    let lang = console.lang;
    let found = state
        .blocking(move |store| {
            let segment = match one_segment(store, &key) {
                Ok(segment) => segment,
                Err(AppError::NotFound(_)) => return Ok(None),
                Err(err) => return Err(err.into()),
            };
            let members =
                members_page(store, &segment.id.to_string(), query.after.as_deref(), PAGE)?;
            let trends = load_trends(store)?;
            Ok(Some((segment, members, trends)))
        })
        .await?;
    let Some((segment, members, trends)) = found else {
        return Ok(super::not_found_page(lang));
    };
    let user = &console.user;
    let name_url = url_encode(&segment.name);
    let export = if user.role.can_export() {
        format!(
            "<a class=\"csv\" id=\"export\" href=\"/segments/{name_url}/export.csv\" download>{}</a>",
            tr(lang, "export_csv")
        )
    } else {
        String::new()
    };
    let mut body = format!(
        "<div class=\"page-head\"><h1 id=\"segment-title\">{}</h1><span class=\"muted\">{}</span></div>\
         <div class=\"kpis three\"><div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\" id=\"segment-size\">{}</span></div>\
         <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\">{}</span></div>\
         <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value small\"><code>{}</code></span>\
         <a class=\"kpi-note\" href=\"/segments/new?from={name_url}\">{}</a></div></div><div class=\"stack\">",
        esc(&title(lang, &segment)),
        esc(&segment.name),
        tr(lang, "members"),
        int(segment.size),
        tr(lang, "trend_7d"),
        trend(&segment),
        tr(lang, "query"),
        esc(&segment.query),
        tr(lang, "edit_in_builder")
    );
    // Migration over time.
    let weekly = trends.as_ref().and_then(|t| {
        let weeks = t.segments.get(&segment.id)?;
        Some((t.week_starts.clone(), weeks.clone(), t.computed_at))
    });
    let chart = match weekly {
        Some((starts, weeks, at)) => {
            let rows: Vec<(String, u64, u64)> = starts
                .iter()
                .zip(weeks.iter())
                .map(|(start, week)| {
                    (
                        datetime(*start)[..10].to_string(),
                        week.entered,
                        week.exited,
                    )
                })
                .collect();
            format!(
                "{}<p class=\"legend\"><span class=\"up\">■</span> {} · <span class=\"down\">■</span> {} · {} {}</p>",
                flows("chart-migration", &rows),
                tr(lang, "entered"),
                tr(lang, "exited"),
                tr(lang, "computed"),
                datetime(at)
            )
        }
        None => format!("<p class=\"muted\">{}</p>", tr(lang, "no_trend_yet")),
    };
    let _ = write!(
        body,
        "<section class=\"card\" id=\"migration\"><header><h2>{}</h2></header>{chart}</section>",
        tr(lang, "migration")
    );
    // Members.
    let _ = write!(
        body,
        "<section class=\"card\" id=\"members\"><header><h2>{}</h2>{export}</header>\
         <table class=\"list\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "members"),
        tr(lang, "name"),
        tr(lang, "email"),
        tr(lang, "phone"),
        tr(lang, "entered_at")
    );
    for member in &members.members {
        let c = &member.customer;
        let _ = write!(
            body,
            "<tr><td><a href=\"/customers/{}\">{}</a></td><td class=\"pii\">{}</td><td class=\"pii\">{}</td><td>{}</td></tr>",
            url_encode(&c.id),
            esc(c.name.as_deref().unwrap_or(&c.id)),
            esc(&c
                .email
                .as_deref()
                .map(|e| shown_identifier(user, "email", e))
                .unwrap_or_default()),
            esc(&c
                .phone
                .as_deref()
                .map(|p| shown_identifier(user, "phone", p))
                .unwrap_or_default()),
            datetime(member.entered_at)
        );
    }
    body.push_str("</tbody></table>");
    if let Some(next) = &members.next {
        let _ = write!(
            body,
            "<p class=\"pager\"><a href=\"/segments/{name_url}?after={}\">{} →</a></p>",
            url_encode(next),
            tr(lang, "next_page")
        );
    }
    body.push_str("</section></div>");
    let path = format!("/segments/{name_url}");
    Ok(Html(page(
        lang,
        Some(user),
        Section::Segments,
        &title(lang, &segment),
        &path,
        &body,
    ))
    .into_response())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `GET /segments/{name}/export.csv`: every member; audited; not for agents.
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    if !console.user.role.can_export() {
        return Ok((
            StatusCode::FORBIDDEN,
            tr(console.lang, "forbidden").to_string(),
        )
            .into_response());
    }
    let actor = format!("console:{}", console.user.username);
    let file = format!(
        "{}.csv",
        key.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let csv = state
        .blocking(move |store| {
            let mut out = String::from("customer_id,name,email,phone,country,entered_at\n");
            let count = export_rows(store, &key, &mut |row| {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    csv_field(&row.customer_id),
                    csv_field(row.name.as_deref().unwrap_or("")),
                    csv_field(row.email.as_deref().unwrap_or("")),
                    csv_field(row.phone.as_deref().unwrap_or("")),
                    csv_field(row.country.as_deref().unwrap_or("")),
                    datetime(row.entered_at)
                );
                Ok(())
            })?;
            store.append_audit(&ecrm_store::AuditEntry {
                at: now_millis(),
                actor,
                action: "segment.export".to_string(),
                target: format!("segment:{key}"),
                detail: serde_json::json!({"rows": count, "via": "console"}),
            })?;
            Ok(out)
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        csv,
    )
        .into_response())
}
