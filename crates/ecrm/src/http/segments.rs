//! `/v1/segments`: preview, CRUD, members, the change stream, and a customer's segments.
//! Thin handlers over `app::segments`.
//!
//! The change stream is a long poll: `GET /v1/segments/{id}/changes?after=CURSOR&wait=SECONDS`
//! answers at once when changes after `after` exist, otherwise waits up to `wait` seconds (at
//! most 30) for the first; the answer's `next` is the `after` of the following call.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::auth::AdminKey;
use super::{ApiError, AppState};
use crate::app::customers::find_customer;
use crate::app::now_millis;
use crate::app::segments::crud::{self, SegmentUpdate, SegmentView};
use crate::app::segments::read::{self, ChangesPage, CustomerSegments, MembersPage};
use crate::app::segments::{Preview, SegmentInput, preview};

/// Longest a change-stream call waits.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting change-stream call looks again.
const POLL: Duration = Duration::from_millis(100);

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
        .map_err(|err| ApiError::InvalidJson(err.body_text()))
}

fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    params
        .map(|Query(value)| value)
        .map_err(|err| ApiError::invalid("query", err.body_text()))
}

fn actor(admin: &AdminKey) -> String {
    format!("key:{}", admin.0.key_id)
}

/// Count and sample the customers a query matches, without saving it.
#[utoipa::path(post, path = "/v1/segments/preview", request_body = SegmentInput, security(("api_key" = [])),
    responses((status = 200, body = Preview), (status = 400, description = "invalid query: `query_error` names line, column, found, expected and a hint", body = super::error::ErrorBody)))]
pub async fn preview_segment(
    State(state): State<AppState>,
    _admin: AdminKey,
    input: Result<Json<SegmentInput>, JsonRejection>,
) -> Result<Json<Preview>, ApiError> {
    let input = body(input)?;
    let engine = state.segments.clone();
    let found = state
        .blocking(move |store| Ok(preview(store, &engine, &input, now_millis())?))
        .await?;
    Ok(Json(found))
}

/// Saved segments with their sizes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentListView {
    pub segments: Vec<SegmentView>,
}

/// Every saved segment with its size and 7-day trend.
#[utoipa::path(get, path = "/v1/segments", security(("api_key" = [])), responses((status = 200, body = SegmentListView)))]
pub async fn list_segments(
    State(state): State<AppState>,
    _admin: AdminKey,
) -> Result<Json<SegmentListView>, ApiError> {
    let segments = state
        .blocking(move |store| Ok(crud::list_segments(store, now_millis())?))
        .await?;
    Ok(Json(SegmentListView { segments }))
}

/// A segment to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewSegmentBody {
    pub name: String,
    #[serde(flatten)]
    pub input: SegmentInput,
}

/// Save a segment; its members are recorded at once.
#[utoipa::path(post, path = "/v1/segments", request_body = NewSegmentBody, security(("api_key" = [])),
    responses((status = 201, body = SegmentView), (status = 400, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn create_segment(
    State(state): State<AppState>,
    admin: AdminKey,
    input: Result<Json<NewSegmentBody>, JsonRejection>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let input = body(input)?;
    let engine = state.segments.clone();
    let actor = actor(&admin);
    let created = state
        .blocking(move |store| {
            Ok(crud::create_segment(
                store,
                &engine,
                &input.name,
                &input.input,
                &actor,
                now_millis(),
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One segment, by id or name.
#[utoipa::path(get, path = "/v1/segments/{id}", params(("id" = String, Path, description = "id or name")), security(("api_key" = [])),
    responses((status = 200, body = SegmentView), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_segment(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(id): Path<String>,
) -> Result<Json<SegmentView>, ApiError> {
    let found = state
        .blocking(move |store| Ok(crud::get_segment(store, &id, now_millis())?))
        .await?;
    Ok(Json(found))
}

/// Rename and/or redefine a segment; members are re-evaluated (cause `definition changed`).
#[utoipa::path(patch, path = "/v1/segments/{id}", params(("id" = String, Path)), request_body = SegmentUpdate, security(("api_key" = [])),
    responses((status = 200, body = SegmentView), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn update_segment(
    State(state): State<AppState>,
    admin: AdminKey,
    Path(id): Path<String>,
    update: Result<Json<SegmentUpdate>, JsonRejection>,
) -> Result<Json<SegmentView>, ApiError> {
    let update = body(update)?;
    let engine = state.segments.clone();
    let actor = actor(&admin);
    let updated = state
        .blocking(move |store| {
            Ok(crud::update_segment(
                store,
                &engine,
                &id,
                &update,
                &actor,
                now_millis(),
            )?)
        })
        .await?;
    Ok(Json(updated))
}

/// Delete a segment (built-ins and segments others use cannot be deleted).
#[utoipa::path(delete, path = "/v1/segments/{id}", params(("id" = String, Path)), security(("api_key" = [])),
    responses((status = 204), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn delete_segment(
    State(state): State<AppState>,
    admin: AdminKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&admin);
    state
        .blocking(move |store| Ok(crud::delete_segment(store, &id, &actor, now_millis())?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Members: the last customer id of the previous page. Changes: the last change id read.
    pub after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
    /// Changes only: seconds to wait for a first change when there is none yet (at most 30).
    pub wait: Option<u64>,
}

/// A page of a segment's members, in customer-id order.
#[utoipa::path(get, path = "/v1/segments/{id}/members", params(("id" = String, Path), PageParams), security(("api_key" = [])),
    responses((status = 200, body = MembersPage), (status = 404, body = super::error::ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<MembersPage>, ApiError> {
    let params = query(params)?;
    let page = state
        .blocking(move |store| {
            Ok(read::members_page(
                store,
                &id,
                params.after.as_deref(),
                params.limit.unwrap_or(100),
            )?)
        })
        .await?;
    Ok(Json(page))
}

/// Entries and exits of a segment after a cursor (long poll with `wait`).
#[utoipa::path(get, path = "/v1/segments/{id}/changes", params(("id" = String, Path), PageParams), security(("api_key" = [])),
    responses((status = 200, body = ChangesPage), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn segment_changes(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<ChangesPage>, ApiError> {
    changes_stream(state, Some(id), query(params)?).await
}

/// Entries and exits of every segment after a cursor (long poll with `wait`).
#[utoipa::path(get, path = "/v1/segments/changes", params(PageParams), security(("api_key" = [])),
    responses((status = 200, body = ChangesPage), (status = 400, body = super::error::ErrorBody)))]
pub async fn all_changes(
    State(state): State<AppState>,
    _admin: AdminKey,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<ChangesPage>, ApiError> {
    changes_stream(state, None, query(params)?).await
}

async fn changes_stream(
    state: AppState,
    id: Option<String>,
    params: PageParams,
) -> Result<Json<ChangesPage>, ApiError> {
    let after = match params.after.as_deref() {
        None => 0,
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("after", format!("{text:?} is not a change id")))?,
    };
    let limit = params.limit.unwrap_or(100);
    let wait = Duration::from_secs(params.wait.unwrap_or(0)).min(MAX_WAIT);
    let started = Instant::now();
    loop {
        let key = id.clone();
        let page = state
            .blocking(move |store| Ok(read::changes_page(store, key.as_deref(), after, limit)?))
            .await?;
        if !page.changes.is_empty() || started.elapsed() >= wait {
            return Ok(Json(page));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryParams {
    /// How many of the latest entries and exits to include (1 to 1000, default 100).
    pub limit: Option<usize>,
}

/// A customer's current segments and their history of entries and exits.
#[utoipa::path(get, path = "/v1/customers/{identifier}/segments", params(("identifier" = String, Path), HistoryParams), security(("api_key" = [])),
    responses((status = 200, body = CustomerSegments), (status = 404, body = super::error::ErrorBody)))]
pub async fn customer_segments(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
    params: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<CustomerSegments>, ApiError> {
    let params = query(params)?;
    let region = state.region;
    let found = state
        .blocking(move |store| {
            let customer_id = find_customer(store, &identifier, region)?;
            Ok(read::customer_segments(
                store,
                &customer_id,
                params.limit.unwrap_or(100),
            )?)
        })
        .await?;
    Ok(Json(found))
}
