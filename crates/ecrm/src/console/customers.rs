//! Customer search and the 360° page: identity, orders, traits (each explained on demand),
//! recommendations with their reasons and the cross-channel timeline. Agents see masked emails and
//! phone numbers.

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Console;
use super::html::{Section, datetime, esc, int, money, page, shown_identifier, url_encode};
use super::i18n::{Lang, tr, zh_term};
use crate::app::customers::{customer_view, search_customers};
use crate::app::intelligence::traits::{explain_customer_trait, traits_of};
use crate::app::recs::recommendations_for;
use crate::app::segments::read::{CustomerSegments, customer_segments};
use crate::app::{AppError, now_millis};
use crate::http::{ApiError, AppState};

const PAGE: usize = 25;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    after: Option<String>,
}

/// `GET /customers?q=...`: search by any identifier or a name prefix, 25 a page.
pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let lang = console.lang;
    let text = query.q.clone().unwrap_or_default();
    let (region, search_text, after) = (state.region, text.clone(), query.after.clone());
    let (items, more) = state
        .blocking(move |store| {
            let text = Some(search_text.as_str()).filter(|t| !t.trim().is_empty());
            Ok(search_customers(store, text, after, PAGE, region)?)
        })
        .await?;
    let mut body = format!(
        "<div class=\"page-head\"><h1>{}</h1></div>\
         <form class=\"search\" method=\"get\" action=\"/customers\">\
         <input name=\"q\" id=\"customer-search\" value=\"{}\" placeholder=\"{}\" autofocus>\
         <button type=\"submit\" id=\"search-button\">{}</button></form>",
        tr(lang, "customers"),
        esc(&text),
        esc(tr(lang, "search_hint")),
        tr(lang, "search")
    );
    if console.user.role.masks_pii() {
        let _ = write!(body, "<p class=\"note\">{}</p>", tr(lang, "masked_note"));
    }
    if items.is_empty() {
        let _ = write!(
            body,
            "<p class=\"muted\" id=\"no-results\">{}</p>",
            tr(lang, "no_results")
        );
    } else {
        let _ = write!(
            body,
            "<table class=\"list\" id=\"customer-results\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            tr(lang, "name"),
            tr(lang, "email"),
            tr(lang, "phone"),
            tr(lang, "country"),
            tr(lang, "created")
        );
        for item in &items {
            let _ = write!(
                body,
                "<tr><td><a class=\"customer-link\" href=\"/customers/{}\">{}</a></td><td class=\"pii\">{}</td><td class=\"pii\">{}</td><td>{}</td><td>{}</td></tr>",
                url_encode(&item.id),
                esc(item.name.as_deref().unwrap_or(&item.id)),
                esc(&item
                    .email
                    .as_deref()
                    .map(|e| shown_identifier(&console.user, "email", e))
                    .unwrap_or_default()),
                esc(&item
                    .phone
                    .as_deref()
                    .map(|p| shown_identifier(&console.user, "phone", p))
                    .unwrap_or_default()),
                esc(item.country.as_deref().unwrap_or("")),
                datetime(item.created_at)
            );
        }
        body.push_str("</tbody></table>");
        if let (true, Some(last)) = (more, items.last()) {
            let _ = write!(
                body,
                "<p class=\"pager\"><a id=\"next-page\" href=\"/customers?q={}&amp;after={}\">{} →</a></p>",
                url_encode(&text),
                url_encode(&last.id),
                tr(lang, "next_page")
            );
        }
    }
    Ok(Html(page(
        lang,
        Some(&console.user),
        Section::Customers,
        tr(lang, "customers"),
        "/customers",
        &body,
    ))
    .into_response())
}

/// A trait's value in a few words.
fn trait_summary(lang: Lang, name: &str, value: &Value) -> String {
    let text = |key: &str| value[key].as_str().unwrap_or("").to_string();
    match name {
        "rfm" => {
            let class = match lang {
                Lang::Zh => text("class"),
                Lang::En => text("class_en"),
            };
            format!("R{} F{} M{} · {class}", value["r"], value["f"], value["m"])
        }
        "lifecycle" => {
            let stage = text("stage");
            match (lang, zh_term(&stage)) {
                (Lang::Zh, Some(zh)) => zh.to_string(),
                _ => stage.replace('_', " "),
            }
        }
        "risk_level" => text("level"),
        "value_tier" => text("tier"),
        "clv" => format!(
            "${:.2} · p(alive) {:.2}",
            value["clv_12m"].as_f64().unwrap_or(0.0),
            value["p_alive"].as_f64().unwrap_or(0.0)
        ),
        "interests" => {
            let top = |kind: &str| {
                value[kind].as_object().and_then(|map| {
                    map.iter()
                        .filter_map(|(name, score)| Some((name, score.as_f64()?)))
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .map(|(name, score)| format!("{kind} {name} ({score:.2})"))
                })
            };
            [top("category"), top("brand")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        }
        "spending" => format!(
            "AOV {} · {} {}",
            money(value["aov_cents"].as_i64().unwrap_or(0)),
            value["orders"].as_u64().unwrap_or(0),
            tr(lang, "orders_count")
        ),
        _ => scalar_leaves(value),
    }
}

/// Up to four scalar leaves of a JSON object as `key value`, for traits without their own summary.
fn scalar_leaves(value: &Value) -> String {
    let Some(map) = value.as_object() else {
        return value.to_string();
    };
    map.iter()
        .filter_map(|(key, leaf)| match leaf {
            Value::Number(n) => Some(match n.as_i64() {
                Some(i) => format!("{} {}", key.replace('_', " "), int(i.max(0) as u64)),
                None => format!("{} {:.2}", key.replace('_', " "), n.as_f64().unwrap_or(0.0)),
            }),
            Value::String(text) => Some(format!("{} {text}", key.replace('_', " "))),
            Value::Bool(flag) => Some(format!("{} {flag}", key.replace('_', " "))),
            _ => None,
        })
        .take(4)
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `GET /customers/{id}`: the 360° page.
pub async fn customer(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = console.lang;
    let (region, cache, rules, reference) = (
        state.region,
        state.recs.clone(),
        state.recs_rules.clone(),
        id.clone(),
    );
    let found = state
        .blocking(move |store| {
            let (view, timeline) = match customer_view(store, &reference, region, 10, 50) {
                Ok(found) => found,
                Err(AppError::NotFound(_)) => return Ok(None),
                Err(other) => return Err(other.into()),
            };
            let traits = traits_of(store, &view.customer.id)?;
            let segments = customer_segments(store, &view.customer.id, 20)?;
            // Right after a start the model may still be loading: the page does not wait for it.
            // `None`: still loading; `Some(None)`: no recommendations.
            let recs = (!cache.is_warming()).then(|| {
                recommendations_for(
                    store,
                    &cache,
                    &rules,
                    &view.customer.id,
                    region,
                    5,
                    None,
                    now_millis(),
                )
                .ok()
            });
            Ok(Some((view, timeline, traits, recs, segments)))
        })
        .await?;
    let Some((view, timeline, traits, recs, segments)) = found else {
        return Ok(super::not_found_page(lang));
    };
    let c = &view.customer;
    let user = &console.user;
    let title = c.name.clone().unwrap_or_else(|| c.id.clone());
    let mut body = format!(
        "<div class=\"page-head\"><h1 id=\"customer-name\">{}</h1><span class=\"muted\">{}</span></div>",
        esc(&title),
        esc(&c.id)
    );
    if user.role.masks_pii() {
        let _ = write!(body, "<p class=\"note\">{}</p>", tr(lang, "masked_note"));
    }
    body.push_str("<div class=\"cols\"><div class=\"stack\">");
    // Identity and order summary.
    let s = &view.order_summary;
    let _ = write!(
        body,
        "<section class=\"card\" id=\"identity\"><header><h2>{}</h2></header><dl class=\"facts\">",
        tr(lang, "identifiers")
    );
    for identifier in &view.identifiers {
        let _ = write!(
            body,
            "<dt>{}</dt><dd class=\"pii\" data-kind=\"{}\">{}</dd>",
            esc(&identifier.kind),
            esc(&identifier.kind),
            esc(&shown_identifier(user, &identifier.kind, &identifier.value))
        );
    }
    for (label, value) in [
        ("country", c.country.clone()),
        ("created", Some(datetime(c.created_at))),
    ] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", tr(lang, label), esc(&value));
        }
    }
    let _ = write!(
        body,
        "</dl></section><section class=\"card\" id=\"summary\"><header><h2>{}</h2></header><dl class=\"facts\">\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} → {}</dd></dl></section>",
        tr(lang, "order_summary"),
        tr(lang, "orders"),
        int(s.orders),
        tr(lang, "net_revenue"),
        money(s.net_cents),
        tr(lang, "date"),
        s.first_order_at.map(datetime).unwrap_or_default(),
        s.last_order_at.map(datetime).unwrap_or_default()
    );
    // Traits, explained on demand.
    let _ = write!(
        body,
        "<section class=\"card\" id=\"traits\"><header><h2>{}</h2></header>",
        tr(lang, "traits")
    );
    if traits.is_empty() {
        let _ = write!(body, "<p class=\"muted\">{}</p>", tr(lang, "no_data"));
    }
    for record in &traits {
        let value: Value = serde_json::from_str(&record.value).unwrap_or(Value::Null);
        let _ = write!(
            body,
            "<details class=\"trait\" data-trait=\"{name}\" data-explain=\"/customers/{id}/traits/{name}\">\
             <summary><strong>{name}</strong><span>{summary}</span><span class=\"muted\">{why}</span></summary>\
             <div class=\"explain\">…</div></details>",
            name = esc(&record.name),
            id = url_encode(&c.id),
            summary = esc(&trait_summary(lang, &record.name, &value)),
            why = tr(lang, "explain")
        );
    }
    body.push_str("</section>");
    // Recommendations with reasons.
    let _ = write!(
        body,
        "<section class=\"card\" id=\"recommendations\"><header><h2>{}</h2></header>",
        tr(lang, "recommendations")
    );
    match recs {
        Some(Some(list)) if !list.items.is_empty() => {
            let _ = write!(
                body,
                "<table class=\"list\"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
                tr(lang, "product"),
                tr(lang, "reason")
            );
            for item in &list.items {
                let _ = write!(
                    body,
                    "<tr><td>{}<br><small class=\"muted\">{}</small></td><td>{}</td></tr>",
                    esc(item.name.as_deref().unwrap_or(&item.product_id)),
                    esc(item.category.as_deref().unwrap_or("")),
                    esc(&item.reason)
                );
            }
            body.push_str("</tbody></table>");
        }
        None => {
            let _ = write!(
                body,
                "<p class=\"muted\" id=\"recs-loading\">{}</p>",
                tr(lang, "recs_loading")
            );
        }
        _ => {
            let _ = write!(body, "<p class=\"muted\">{}</p>", tr(lang, "no_data"));
        }
    }
    body.push_str("</section>");
    segments_card(&mut body, lang, &segments);
    body.push_str("</div><div class=\"stack\">");
    // Latest orders.
    let _ = write!(
        body,
        "<section class=\"card\" id=\"orders\"><header><h2>{}</h2></header><table class=\"list\"><thead><tr><th>{}</th><th>{}</th><th class=\"n\">{}</th></tr></thead><tbody>",
        tr(lang, "orders"),
        tr(lang, "date"),
        tr(lang, "product"),
        tr(lang, "amount")
    );
    for order in &view.latest_orders {
        let products: Vec<&str> = order
            .lines
            .iter()
            .map(|l| {
                l.product_name
                    .as_deref()
                    .or(l.product_id.as_deref())
                    .unwrap_or("?")
            })
            .collect();
        let _ = write!(
            body,
            "<tr><td>{} <span class=\"kind {}\">{}</span></td><td>{}</td><td class=\"n\">{}</td></tr>",
            datetime(order.ordered_at),
            esc(&order.kind),
            esc(&kind_label(lang, &order.kind)),
            esc(&products.join(", ")),
            money(order.total_cents)
        );
    }
    body.push_str("</tbody></table></section>");
    // The cross-channel timeline.
    let _ = write!(
        body,
        "<section class=\"card\" id=\"timeline\"><header><h2>{}</h2></header><table class=\"list\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "timeline"),
        tr(lang, "date"),
        tr(lang, "event"),
        tr(lang, "channel"),
        tr(lang, "source")
    );
    for entry in &timeline {
        let _ = write!(
            body,
            "<tr><td>{}</td><td><span class=\"kind {}\">{}</span> {}</td><td>{}</td><td>{}</td></tr>",
            datetime(entry.at),
            esc(&entry.kind),
            esc(&kind_label(lang, &entry.kind)),
            esc(&entry.title),
            esc(entry.channel.as_deref().unwrap_or("")),
            esc(&entry.source)
        );
    }
    body.push_str("</tbody></table></section></div></div>");
    let path = format!("/customers/{}", url_encode(&c.id));
    Ok(Html(page(
        lang,
        Some(user),
        Section::Customers,
        &title,
        &path,
        &body,
    ))
    .into_response())
}

/// Current segments, and the latest entries and exits with their causes.
fn segments_card(body: &mut String, lang: Lang, segments: &CustomerSegments) {
    let _ = write!(
        body,
        "<section class=\"card\" id=\"segments\"><header><h2>{}</h2></header><p>",
        tr(lang, "current_segments")
    );
    if segments.memberships.is_empty() {
        let _ = write!(body, "<span class=\"muted\">{}</span>", tr(lang, "none"));
    }
    for membership in &segments.memberships {
        let _ = write!(
            body,
            "<a class=\"tag\" href=\"/segments/{}\">{}</a>",
            url_encode(&membership.segment),
            esc(&membership.segment)
        );
    }
    let _ = write!(
        body,
        "</p><h3>{}</h3><table class=\"list\" id=\"segment-history\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "segment_history"),
        tr(lang, "date"),
        tr(lang, "segment"),
        tr(lang, "change"),
        tr(lang, "cause")
    );
    for change in segments.history.iter().rev() {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><span class=\"kind {}\">{}</span></td><td>{}</td></tr>",
            datetime(change.at),
            esc(&change.segment),
            esc(&change.change),
            esc(if change.change == "enter" {
                tr(lang, "entered")
            } else {
                tr(lang, "exited")
            }),
            esc(&change.cause)
        );
    }
    body.push_str("</tbody></table></section>");
}

fn kind_label(lang: Lang, kind: &str) -> String {
    match (lang, zh_term(kind)) {
        (Lang::Zh, Some(zh)) => zh.to_string(),
        _ => kind.to_string(),
    }
}

/// `GET /customers/{id}/traits/{name}`: the explanation as plain text (fetched when opened).
pub async fn explain_trait(
    State(state): State<AppState>,
    _console: Console,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let region = state.region;
    let explained = state
        .blocking(move |store| Ok(explain_customer_trait(store, &id, &name, region)?))
        .await?;
    Ok(explained.explanation.into_response())
}
