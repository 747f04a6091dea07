//! The Segment-compatible tracking API (`/v1/identify|track|page|screen|group|alias|batch|import`)
//! and the customer events endpoint. Handlers stay thin: the extractor authenticates and reads the
//! body, `app::tracking` validates, the group-commit queue stores, and the answer comes after commit.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, Query, State};
use ecrm_store::{EventCursor, EventQuery, TrackedBatch};
use serde::Deserialize;

use super::auth::AdminKey;
use super::metrics::Metrics;
use super::tracking_body::TrackingRequest;
use super::tracking_views::{EventPageView, EventView, RejectView, TrackResponse};
use super::{ApiError, AppState};
use crate::app::customers::find_customer;
use crate::app::ingest_queue::{QueueError, QueueObserver};
use crate::app::now_millis;
use crate::app::tracking::prepare_messages;

impl QueueObserver for Metrics {
    fn queue_changed(&self, messages: i64) {
        self.queue_depth.fetch_add(messages, Ordering::Relaxed);
    }

    fn committed(&self, events: u64) {
        self.rows_imported.fetch_add(events, Ordering::Relaxed);
    }
}

/// Stores a Segment message or batch. Single calls answer `400` when their message is refused;
/// a batch stores its valid messages and lists the refused ones (all refused: `400`).
#[utoipa::path(post, path = "/v1/batch", request_body(content = Object, description = "a Segment batch: {\"batch\": [messages], \"writeKey\"?, \"context\"?}"),
    security(("write_key" = [])),
    responses((status = 200, body = TrackResponse), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)))]
pub async fn track(
    State(state): State<AppState>,
    request: TrackingRequest,
) -> Result<Json<TrackResponse>, ApiError> {
    let received_at = now_millis();
    let (items, rejects) = prepare_messages(request.messages, received_at, &state.tracking);
    let rejected: Vec<RejectView> = rejects.into_iter().map(RejectView::from).collect();
    if items.is_empty() && !rejected.is_empty() {
        return Err(ApiError::RejectedMessages(rejected));
    }
    tracing::debug!(
        key_id = request.key.key_id,
        messages = items.len(),
        rejected = rejected.len(),
        "tracking call"
    );
    let batch = TrackedBatch {
        source: format!("api:{}", request.key.source),
        items,
    };
    let counts = state.ingest.write(batch).await.map_err(|err| match err {
        QueueError::Stopped => ApiError::Unavailable("the ingest writer has stopped".to_string()),
        QueueError::Store(store) => ApiError::from(store),
    })?;
    Ok(Json(TrackResponse {
        success: true,
        accepted: counts.events_created,
        duplicates: counts.duplicates_skipped,
        rejected,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventParams {
    /// Only this message type (`track`, `page`, `screen`, `identify`, `group`, `alias`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only this event name (`Order Completed`) or page name.
    pub event: Option<String>,
    /// Only events at or after this time (RFC 3339 or epoch milliseconds).
    pub from: Option<String>,
    /// Only events strictly before this time (RFC 3339 or epoch milliseconds).
    pub to: Option<String>,
    /// Cursor: the `cursor` of the last event of the previous page.
    pub before: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<usize>,
}

/// A customer's stored events, newest first, across all their identifiers.
#[utoipa::path(get, path = "/v1/customers/{identifier}/events", params(("identifier" = String, Path), EventParams), security(("api_key" = [])),
    responses((status = 200, body = EventPageView), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn customer_events(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
    params: Result<Query<EventParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EventPageView>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let query = EventQuery {
        kind: params.kind.filter(|k| !k.is_empty()),
        name: params.event.filter(|e| !e.is_empty()),
        from: params
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: params
            .to
            .as_deref()
            .map(|t| parse_time("to", t))
            .transpose()?,
        before: params.before.as_deref().map(parse_cursor).transpose()?,
        limit,
    };
    let region = state.region;
    let events = state
        .blocking(move |store| {
            let customer_id = find_customer(store, &identifier, region)?;
            Ok(store.customer_events(&customer_id, &query)?)
        })
        .await?;
    let next = (events.len() == limit)
        .then(|| events.last().map(|e| format!("{}.{}", e.occurred_at, e.id)))
        .flatten();
    Ok(Json(EventPageView {
        events: events.into_iter().map(EventView::from).collect(),
        next,
    }))
}

fn parse_time(parameter: &str, text: &str) -> Result<i64, ApiError> {
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    ecrm_core::time::parse_timestamp(text, &ecrm_core::time::DateFormat::Auto)
        .map_err(|err| ApiError::invalid(parameter, err.to_string()))
}

fn parse_cursor(text: &str) -> Result<EventCursor, ApiError> {
    let parsed = text
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.parse().ok()?)));
    match parsed {
        Some((occurred_at, id)) => Ok(EventCursor { occurred_at, id }),
        None => Err(ApiError::invalid(
            "before",
            "is not a cursor from a previous page",
        )),
    }
}
