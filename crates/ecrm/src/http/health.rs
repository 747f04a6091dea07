//! Health, readiness, metrics, the landing page and the 404 page.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{ApiError, AppState};

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.blocking(|store| Ok(store.stats()?)).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {err}")).into_response(),
    }
}

/// Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The landing page: what is in the store, and where the API is.
pub async fn index(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let stats = state.blocking(|store| Ok(store.stats()?)).await?;
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecrm</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:3rem auto;color:#1f2937}}\
         table{{border-collapse:collapse}}td{{padding:.3rem 1.2rem .3rem 0}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style>\
         </head><body><h1>ecrm</h1><p>The e-commerce CRM is running.</p><table>\
         <tr><td>customers</td><td class=n>{}</td></tr><tr><td>identifiers</td><td class=n>{}</td></tr>\
         <tr><td>orders</td><td class=n>{}</td></tr><tr><td>order lines</td><td class=n>{}</td></tr>\
         <tr><td>products</td><td class=n>{}</td></tr><tr><td>events</td><td class=n>{}</td></tr></table>\
         <p>API: <a href=\"/openapi.json\">/openapi.json</a> · <a href=\"/metrics\">/metrics</a> · \
         <a href=\"/healthz\">/healthz</a>. Customer endpoints need an admin key (<code>ecrm keys create --role admin</code>).</p>\
         </body></html>",
        stats.customers,
        stats.identifiers,
        stats.orders,
        stats.order_lines,
        stats.products,
        stats.events
    )))
}

/// Unknown routes: a JSON 404 in the one error shape.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("route {}", uri.path()))
}

/// A known route called with the wrong method: a JSON 405 in the one error shape.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}
