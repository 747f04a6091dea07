//! Health, readiness, metrics and the 404 answers.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

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

/// Unknown routes: the console's 404 page for a browser (`Accept: text/html`) outside `/v1`, else a
/// JSON 404 in the one error shape.
pub async fn not_found(headers: axum::http::HeaderMap, uri: axum::http::Uri) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser && !uri.path().starts_with("/v1") {
        return crate::console::not_found_page(crate::console::auth::lang_of(&headers));
    }
    ApiError::NotFound(format!("route {}", uri.path())).into_response()
}

/// A known route called with the wrong method: a JSON 405 in the one error shape.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}
