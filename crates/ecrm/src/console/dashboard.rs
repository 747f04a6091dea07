//! The dashboard page and its CSV downloads, read from the stored snapshot
//! (`app::console::dashboard`), so the page costs one small read however large the store is.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Console;
use super::charts::{Bar, bars, heat_map};
use super::html::{Section, datetime, esc, int, money, money_short, page, pct};
use super::i18n::{Lang, tr, zh_term};
use crate::app::console::dashboard::{CLV_BOUNDS, Dashboard, load_dashboard};
use crate::http::{ApiError, AppState};

fn card(console: &Console, title: &str, csv: &str, body: &str, wide: bool) -> String {
    let link = if console.user.role.can_export() {
        format!(
            "<a class=\"csv\" href=\"/dashboard/csv/{csv}\" download>{}</a>",
            tr(console.lang, "download_csv")
        )
    } else {
        String::new()
    };
    let class = if wide { "card wide" } else { "card" };
    format!(
        "<section class=\"{class}\" id=\"card-{csv}\"><header><h2>{title}</h2>{link}</header>{body}</section>"
    )
}

fn kpi(id: &str, label: &str, value: &str, note: &str) -> String {
    format!(
        "<div class=\"kpi\" id=\"kpi-{id}\"><span class=\"kpi-label\">{}</span>\
         <span class=\"kpi-value\" data-kpi=\"{id}\">{}</span><span class=\"kpi-note\">{}</span></div>",
        esc(label),
        esc(value),
        esc(note)
    )
}

fn clv_label(i: usize) -> String {
    match (i.checked_sub(1).map(|p| CLV_BOUNDS[p]), CLV_BOUNDS.get(i)) {
        (None, Some(upper)) => format!("< ${upper:.0}"),
        (Some(lower), Some(upper)) => format!("${lower:.0} – ${upper:.0}"),
        (Some(lower), None) => format!("≥ ${lower:.0}"),
        (None, None) => String::new(),
    }
}

fn class_label(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

fn term(lang: Lang, term: &str) -> String {
    match (lang, zh_term(term)) {
        (Lang::Zh, Some(zh)) => zh.to_string(),
        _ => term.replace('_', " "),
    }
}

fn cohort_cells(d: &Dashboard) -> Vec<Vec<Option<(f64, String)>>> {
    d.cohorts
        .iter()
        .map(|cohort| {
            (0..crate::app::console::dashboard::COHORT_MONTHS)
                .map(|m| {
                    let active = *cohort.active.get(m)?;
                    let share = if cohort.customers > 0 {
                        active as f64 / cohort.customers as f64
                    } else {
                        0.0
                    };
                    // Month 0 is 100% by definition; shade later months on their own scale.
                    let shade = if m == 0 { 1.0 } else { (share * 4.0).min(1.0) };
                    Some((shade, pct(share)))
                })
                .collect()
        })
        .collect()
}

fn body(console: &Console, d: &Dashboard) -> String {
    let lang = console.lang;
    let mut out = String::with_capacity(32_768);
    let _ = write!(
        out,
        "<div class=\"page-head\"><h1>{}</h1><p class=\"muted\">{} {} · {} {}</p></div>",
        tr(lang, "dashboard"),
        tr(lang, "as_of"),
        esc(d.as_of.as_deref().unwrap_or("—")),
        tr(lang, "computed"),
        datetime(d.computed_at)
    );
    out.push_str("<div class=\"kpis\">");
    let kpis = [
        kpi(
            "customers",
            tr(lang, "all_customers"),
            &int(d.customers),
            &format!("{} {}", int(d.buyers), tr(lang, "buyers")),
        ),
        kpi(
            "active",
            tr(lang, "active"),
            &int(d.active),
            tr(lang, "in_lifecycle"),
        ),
        kpi(
            "new",
            tr(lang, "new"),
            &int(d.new_customers),
            tr(lang, "first_order_30"),
        ),
        kpi(
            "repeat",
            tr(lang, "repeat_rate"),
            &pct(d.repeat_purchase_rate),
            &format!("{} {}", int(d.repeat_buyers), tr(lang, "buyers")),
        ),
        kpi(
            "churn",
            tr(lang, "churn_rate"),
            &pct(d.churn_rate),
            tr(lang, "of_buyers"),
        ),
        kpi(
            "revenue",
            tr(lang, "revenue"),
            &money_short(d.revenue_cents as f64 / 100.0),
            &format!("{} {}", int(d.orders), tr(lang, "orders_count")),
        ),
        kpi(
            "aov",
            tr(lang, "aov"),
            &money(d.aov_cents),
            tr(lang, "per_order"),
        ),
        kpi(
            "clv",
            tr(lang, "clv_total"),
            &money_short(d.clv_total),
            &format!(
                "{} {}",
                int(d.clv_customers),
                tr(lang, "customers_predicted")
            ),
        ),
    ];
    for k in kpis {
        out.push_str(&k);
    }
    out.push_str("</div><div class=\"grid\">");

    let class_bars: Vec<Bar> = d
        .rfm_classes
        .iter()
        .map(|c| Bar {
            label: class_label(lang, &c.class, &c.class_en),
            value: c.customers as f64,
            text: format!("{} · {}", int(c.customers), pct(c.revenue_share)),
        })
        .collect();
    let mut rfm = bars("chart-rfm", &class_bars, "#2563eb");
    let _ = write!(
        rfm,
        "<p class=\"legend\">{} · {}</p>",
        tr(lang, "customers_col"),
        tr(lang, "revenue_share")
    );
    out.push_str(&card(
        console,
        tr(lang, "rfm_classes"),
        "rfm_classes",
        &rfm,
        false,
    ));

    let rf_max = d
        .rf_grid
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let rf_cells: Vec<Vec<Option<(f64, String)>>> = d
        .rf_grid
        .iter()
        .map(|row| {
            row.iter()
                .map(|n| Some((*n as f64 / rf_max as f64, int(*n))))
                .collect()
        })
        .collect();
    let rf = heat_map(
        "chart-rf",
        &(1..=5).rev().map(|r| format!("R{r}")).collect::<Vec<_>>(),
        &(1..=5).map(|f| format!("F{f}")).collect::<Vec<_>>(),
        &rf_cells,
        (tr(lang, "frequency"), tr(lang, "recency")),
    );
    out.push_str(&card(console, tr(lang, "rf_map"), "rf_map", &rf, false));

    let clv_bars: Vec<Bar> = d
        .clv_buckets
        .iter()
        .enumerate()
        .map(|(i, n)| Bar {
            label: clv_label(i),
            value: *n as f64,
            text: int(*n),
        })
        .collect();
    let clv = bars("chart-clv", &clv_bars, "#059669");
    out.push_str(&card(console, tr(lang, "clv_dist"), "clv", &clv, false));

    let first = d.funnel.first().map_or(0, |s| s.customers);
    let funnel_bars: Vec<Bar> = d
        .funnel
        .iter()
        .map(|step| Bar {
            label: term(lang, &step.name),
            value: step.customers as f64,
            text: format!(
                "{} · {}",
                int(step.customers),
                pct(if first > 0 {
                    step.customers as f64 / first as f64
                } else {
                    0.0
                })
            ),
        })
        .collect();
    let funnel = bars("chart-funnel", &funnel_bars, "#d97706");
    out.push_str(&card(console, tr(lang, "funnel"), "funnel", &funnel, false));

    let months: Vec<String> = (0..crate::app::console::dashboard::COHORT_MONTHS)
        .map(|m| format!("M{m}"))
        .collect();
    let rows: Vec<String> = d
        .cohorts
        .iter()
        .map(|c| format!("{} ({})", c.month, int(c.customers)))
        .collect();
    let cohorts = if d.cohorts.is_empty() {
        format!("<p class=\"muted\">{}</p>", tr(lang, "no_data"))
    } else {
        heat_map(
            "chart-cohorts",
            &rows,
            &months,
            &cohort_cells(d),
            (tr(lang, "month"), tr(lang, "cohort")),
        )
    };
    out.push_str(&card(
        console,
        tr(lang, "cohorts"),
        "cohorts",
        &cohorts,
        true,
    ));
    out.push_str("</div>");
    out
}

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    console: Console,
) -> Result<Response, ApiError> {
    let snapshot = state.blocking(|store| Ok(load_dashboard(store)?)).await?;
    let lang = console.lang;
    let html = match snapshot {
        Some(d) => body(&console, &d),
        None => format!(
            "<h1>{}</h1><p class=\"notice\" id=\"preparing\">{}</p>\
             <script>setTimeout(function(){{location.reload()}},4000)</script>",
            tr(lang, "dashboard"),
            tr(lang, "preparing")
        ),
    };
    Ok(Html(page(
        lang,
        Some(&console.user),
        Section::Dashboard,
        tr(lang, "dashboard"),
        "/dashboard",
        &html,
    ))
    .into_response())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The CSV of one chart.
pub fn chart_csv(d: &Dashboard, chart: &str) -> Option<String> {
    let mut out = String::new();
    match chart {
        "kpis" => {
            out.push_str("metric,value\n");
            for (name, value) in [
                ("customers", d.customers.to_string()),
                ("buyers", d.buyers.to_string()),
                ("active", d.active.to_string()),
                ("new", d.new_customers.to_string()),
                ("repeat_purchase_rate", d.repeat_purchase_rate.to_string()),
                ("churn_rate", d.churn_rate.to_string()),
                ("orders", d.orders.to_string()),
                ("revenue_cents", d.revenue_cents.to_string()),
                ("aov_cents", d.aov_cents.to_string()),
                ("clv_total", format!("{:.2}", d.clv_total)),
            ] {
                let _ = writeln!(out, "{name},{value}");
            }
        }
        "rfm_classes" => {
            out.push_str("class,class_en,customers,monetary_cents,revenue_share\n");
            for c in &d.rfm_classes {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{:.6}",
                    csv_field(&c.class),
                    csv_field(&c.class_en),
                    c.customers,
                    c.monetary_cents,
                    c.revenue_share
                );
            }
        }
        "rf_map" => {
            out.push_str("r,f,customers\n");
            for (i, row) in d.rf_grid.iter().enumerate() {
                for (j, n) in row.iter().enumerate() {
                    let _ = writeln!(out, "{},{},{n}", 5 - i, j + 1);
                }
            }
        }
        "clv" => {
            out.push_str("bucket,customers\n");
            for (i, n) in d.clv_buckets.iter().enumerate() {
                let _ = writeln!(out, "{},{n}", csv_field(&clv_label(i)));
            }
        }
        "cohorts" => {
            out.push_str("cohort,customers,month,active,retention\n");
            for c in &d.cohorts {
                for (m, active) in c.active.iter().enumerate() {
                    let share = if c.customers > 0 {
                        *active as f64 / c.customers as f64
                    } else {
                        0.0
                    };
                    let _ = writeln!(out, "{},{},{m},{active},{share:.6}", c.month, c.customers);
                }
            }
        }
        "funnel" => {
            out.push_str("step,customers,events\n");
            for s in &d.funnel {
                let _ = writeln!(out, "{},{},{}", csv_field(&s.name), s.customers, s.events);
            }
        }
        _ => return None,
    }
    Some(out)
}

/// `GET /dashboard/csv/{chart}`: not for roles that may not export.
pub async fn dashboard_csv(
    State(state): State<AppState>,
    console: Console,
    Path(chart): Path<String>,
) -> Result<Response, ApiError> {
    if !console.user.role.can_export() {
        return Ok((
            StatusCode::FORBIDDEN,
            tr(console.lang, "forbidden").to_string(),
        )
            .into_response());
    }
    let snapshot = state.blocking(|store| Ok(load_dashboard(store)?)).await?;
    let Some(csv) = snapshot.as_ref().and_then(|d| chart_csv(d, &chart)) else {
        return Err(ApiError::NotFound(format!("chart {chart}")));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{chart}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
