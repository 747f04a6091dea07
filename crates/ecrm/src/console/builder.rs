//! The segment builder: condition rows that write the JSON form, the JSON form itself and the
//! segment language, kept in step with a live count (`POST /segments/preview`), errors shown next to
//! the field they concern, and saving (`POST /segments`). The typed query is kept in the browser's
//! local storage, so an expired session does not lose it.

use std::fmt::Write;

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use ecrm_core::segment::to_text;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Console, csrf_rejected, see_other};
use super::html::{Section, esc, page, shown_identifier, url_encode};
use super::i18n::{Lang, tr};
use crate::app::segments::crud::{create_segment, find_segment};
use crate::app::segments::{SegmentInput, preview, query_text};
use crate::app::{AppError, now_millis};
use crate::http::{ApiError, AppState};

/// Fields offered in the condition rows (any field of `docs/segments.md` may be typed).
const FIELDS: &[&str] = &[
    "rfm.class",
    "rfm.segment",
    "rfm.r",
    "rfm.f",
    "rfm.m",
    "rfm.monetary",
    "rfm.frequency",
    "rfm.recency_days",
    "lifecycle",
    "value_tier",
    "risk_level",
    "clv.clv_12m",
    "clv.p_alive",
    "clv.churn_risk",
    "orders",
    "revenue",
    "country",
    "city",
    "gender",
    "name",
];

struct Errors {
    name: Option<String>,
    query: Option<String>,
}

fn builder_page(console: &Console, name: &str, query: &str, errors: &Errors) -> String {
    let lang = console.lang;
    let field_error = |id: &str, error: &Option<String>| {
        format!(
            "<p class=\"field-error\" id=\"{id}\" role=\"alert\">{}</p>",
            esc(error.as_deref().unwrap_or(""))
        )
    };
    let mut options = String::new();
    for field in FIELDS {
        let _ = write!(options, "<option value=\"{field}\">");
    }
    let ops: String = ["=", "!=", ">", ">=", "<", "<="]
        .iter()
        .map(|op| format!("<option>{}</option>", esc(op)))
        .collect();
    let save = if console.user.role.can_edit_segments() {
        format!(
            "<form id=\"save-form\" method=\"post\" action=\"/segments\" novalidate>\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label>{name_label}<input name=\"name\" id=\"segment-name\" value=\"{name}\" placeholder=\"vip-shanghai\"></label>{name_error}\
             <input type=\"hidden\" name=\"query\" id=\"save-query\" value=\"{query}\">\
             <button type=\"submit\" id=\"save-segment\">{save}</button></form>",
            csrf = esc(&console.user.csrf_token),
            name_label = tr(lang, "segment_name"),
            name = esc(name),
            name_error = field_error("name-error", &errors.name),
            query = esc(query),
            save = tr(lang, "save_segment"),
        )
    } else {
        format!("<p class=\"note\">{}</p>", tr(lang, "forbidden"))
    };
    format!(
        "<div class=\"page-head\"><h1>{title}</h1></div>\
         <div id=\"builder\" class=\"cols\" data-csrf=\"{csrf}\">\
         <div class=\"stack\"><section class=\"card\"><header><h2>{conditions}</h2>\
         <select id=\"combine\" aria-label=\"{combine}\"><option value=\"and\">{all}</option><option value=\"or\">{any}</option></select></header>\
         <div id=\"rows\"></div><button type=\"button\" class=\"secondary\" id=\"add-row\">+ {add}</button>\
         <template id=\"row-template\"><div class=\"row\"><input class=\"field\" list=\"fields\" placeholder=\"rfm.class\" aria-label=\"{field}\">\
         <select class=\"op\" aria-label=\"op\">{ops}</select><input class=\"value\" placeholder=\"{value}\" aria-label=\"{value}\">\
         <button type=\"button\" class=\"remove secondary\" aria-label=\"remove\">×</button></div></template>\
         <datalist id=\"fields\">{options}</datalist></section>\
         <section class=\"card\"><header><h2>{json}</h2></header>\
         <textarea id=\"segment-json\" spellcheck=\"false\" rows=\"10\"></textarea>{json_error}</section></div>\
         <div class=\"stack\"><section class=\"card\"><header><h2>{language}</h2></header>\
         <textarea id=\"segment-query\" spellcheck=\"false\" rows=\"4\" placeholder='rfm.class = \"重要价值客户\" and country = \"CN\"'>{query}</textarea>{query_error}\
         <div class=\"live\"><span class=\"kpi-value\" id=\"live-count\">—</span> <span class=\"muted\">{matching}</span></div>\
         <ul id=\"sample\" class=\"sample\" data-masked=\"{masked}\"></ul></section>\
         <section class=\"card\">{save}</section></div></div>",
        title = tr(lang, "segment_builder"),
        csrf = esc(&console.user.csrf_token),
        conditions = tr(lang, "conditions"),
        combine = tr(lang, "combine"),
        all = tr(lang, "match_all"),
        any = tr(lang, "match_any"),
        add = tr(lang, "condition"),
        field = tr(lang, "field"),
        value = tr(lang, "value"),
        json = tr(lang, "json_form"),
        json_error = field_error("json-error", &None),
        language = tr(lang, "segment_language"),
        query = esc(query),
        query_error = field_error("query-error", &errors.query),
        matching = tr(lang, "customers_match"),
        masked = console.user.role.masks_pii(),
    )
}

fn render(
    console: &Console,
    name: &str,
    query: &str,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let lang = console.lang;
    let body = builder_page(console, name, query, errors);
    (
        status,
        Html(page(
            lang,
            Some(&console.user),
            Section::Segments,
            tr(lang, "segment_builder"),
            "/segments/new",
            &body,
        )),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    from: Option<String>,
    q: Option<String>,
}

/// `GET /segments/new?from=NAME`: the builder, empty or with a saved segment's query.
pub async fn new_segment(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<NewQuery>,
) -> Result<Response, ApiError> {
    let text = match query.from {
        Some(from) => {
            state
                .blocking(move |store| {
                    Ok(find_segment(store, &from)
                        .map(|s| query_text(&s))
                        .unwrap_or_default())
                })
                .await?
        }
        None => query.q.unwrap_or_default(),
    };
    let errors = Errors {
        name: None,
        query: None,
    };
    Ok(render(&console, "", &text, &errors, StatusCode::OK))
}

/// An error as the builder shows it: a message and, for query errors, the position.
fn error_json(err: &AppError, lang: Lang) -> Value {
    match err {
        AppError::Query { parameter, error } => json!({
            "parameter": parameter,
            "message": error.to_string(),
            "line": error.line,
            "column": error.column,
            "hint": error.hint,
        }),
        AppError::Invalid { parameter, message } => {
            json!({"parameter": parameter, "message": message})
        }
        AppError::NotFound(what) => {
            json!({"parameter": "query", "message": format!("{what} {}", tr(lang, "not_found_lower"))})
        }
        other => json!({"parameter": "query", "message": other.to_string()}),
    }
}

/// `POST /segments/preview` (JSON `{query}` or `{definition}`, header `X-CSRF-Token`): the count,
/// a sample, and the segment in both forms; or the error with its position.
pub async fn preview_json(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    Json(input): Json<SegmentInput>,
) -> Result<Response, ApiError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !console.csrf_ok(token) {
        return Ok(csrf_rejected());
    }
    let (engine, lang, user) = (state.segments.clone(), console.lang, console.user.clone());
    let answer = state
        .blocking(move |store| {
            let converted = engine
                .snapshot(store)
                .and_then(|snapshot| input.expr(&snapshot.schema()));
            let result = converted.and_then(|expr| {
                let found = preview(store, &engine, &input, now_millis())?;
                Ok((expr, found))
            });
            Ok(match result {
                Ok((expr, found)) => {
                    let sample: Vec<Value> = found
                        .sample
                        .iter()
                        .map(|c| json!({
                            "id": c.id,
                            "url": format!("/customers/{}", url_encode(&c.id)),
                            "name": c.name.clone().unwrap_or_else(|| c.id.clone()),
                            "email": c.email.as_deref().map(|e| shown_identifier(&user, "email", e)),
                        }))
                        .collect();
                    (StatusCode::OK, json!({
                        "count": found.count,
                        "sample": sample,
                        "query": to_text(&expr),
                        "definition": serde_json::to_value(&expr).unwrap_or(Value::Null),
                    }))
                }
                Err(AppError::Store(err)) => return Err(AppError::Store(err).into()),
                Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, json!({"error": error_json(&err, lang)})),
            })
        })
        .await?;
    Ok((answer.0, Json(answer.1)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /segments`: saves a new segment (admins and marketers); errors go next to their field.
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<SaveForm>,
) -> Result<Response, ApiError> {
    if !console.csrf_ok(&form.csrf) {
        return Ok(csrf_rejected());
    }
    if !console.user.role.can_edit_segments() {
        return Ok((
            StatusCode::FORBIDDEN,
            tr(console.lang, "forbidden").to_string(),
        )
            .into_response());
    }
    let (engine, actor) = (
        state.segments.clone(),
        format!("console:{}", console.user.username),
    );
    let (name, query) = (form.name.trim().to_string(), form.query.clone());
    let created = state
        .blocking(move |store| {
            Ok(create_segment(
                store,
                &engine,
                &name,
                &SegmentInput::text(&query),
                &actor,
                now_millis(),
            ))
        })
        .await?;
    match created {
        Ok(segment) => Ok(see_other(&format!(
            "/segments/{}",
            url_encode(&segment.name)
        ))),
        Err(AppError::Store(ecrm_store::StoreError::Conflict(message))) => {
            let errors = Errors {
                name: Some(message),
                query: None,
            };
            Ok(render(
                &console,
                form.name.trim(),
                &form.query,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(AppError::Store(err)) => Err(AppError::Store(err).into()),
        Err(err) => {
            let message = error_json(&err, console.lang)["message"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let on_name =
                matches!(&err, AppError::Invalid { parameter, .. } if parameter == "name");
            let errors = if on_name {
                Errors {
                    name: Some(message),
                    query: None,
                }
            } else {
                Errors {
                    name: None,
                    query: Some(message),
                }
            };
            Ok(render(
                &console,
                form.name.trim(),
                &form.query,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
