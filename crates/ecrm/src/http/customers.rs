//! `/v1/customers`: list and search, the 360° view, timeline pages, merges and undoing them.

use axum::Json;
use axum::extract::{Path, Query, State};
use ecrm_store::{AuditEntry, TimelineCursor};
use serde::Deserialize;

use super::auth::AdminKey;
use super::views::{
    CustomerListItemView, CustomerListView, CustomerView, MergeView, TimelineEntryView,
};
use super::{ApiError, AppState};
use crate::app::customers::{customer_view, find_customer, search_customers, timeline_page};
use crate::app::intelligence::traits::traits_of;
use crate::app::{now_millis, write_context};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// An email, phone, customer id or name prefix.
    pub search: Option<String>,
    /// Cursor: the last customer id of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<String>,
}

/// Parses an optional whole-number query parameter, naming it when it is not one.
fn number_param(value: Option<&str>, name: &str, default: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid(name, format!("{text:?} is not a whole number"))),
    }
}

/// List or search customers.
#[utoipa::path(get, path = "/v1/customers", params(ListParams), security(("api_key" = [])),
    responses((status = 200, body = CustomerListView), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    _admin: AdminKey,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CustomerListView>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let limit = number_param(params.limit.as_deref(), "limit", 50)?;
    let region = state.region;
    let (items, more) = state
        .blocking(move |store| {
            Ok(search_customers(
                store,
                params.search.as_deref(),
                params.after,
                limit,
                region,
            )?)
        })
        .await?;
    let next = if more {
        items.last().map(|item| item.id.clone())
    } else {
        None
    };
    Ok(Json(CustomerListView {
        customers: items.into_iter().map(CustomerListItemView::from).collect(),
        next,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ViewParams {
    /// How many latest orders to include (default 10, at most 100).
    pub orders: Option<String>,
    /// How many timeline entries to include (default 20, at most 500).
    pub timeline: Option<String>,
}

/// The customer 360° view, by any identifier (`00004`, `email:ann@example.com`, `phone:+8613800138000`).
#[utoipa::path(get, path = "/v1/customers/{identifier}", params(("identifier" = String, Path), ViewParams), security(("api_key" = [])),
    responses((status = 200, body = CustomerView), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_customer(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
    params: Result<Query<ViewParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CustomerView>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let orders = number_param(params.orders.as_deref(), "orders", 10)?;
    let timeline = number_param(params.timeline.as_deref(), "timeline", 20)?;
    if orders > 100 {
        return Err(ApiError::invalid("orders", "must be at most 100"));
    }
    if timeline == 0 || timeline > 500 {
        return Err(ApiError::invalid("timeline", "must be between 1 and 500"));
    }
    let region = state.region;
    let (view, entries) = state
        .blocking(move |store| Ok(customer_view(store, &identifier, region, orders, timeline)?))
        .await?;
    let customer_id = view.customer.id.clone();
    let (traits, memberships, perks) = state
        .blocking(move |store| {
            let traits = traits_of(store, &customer_id)?;
            let segments = crate::app::segments::read::customer_segments(store, &customer_id, 1)?;
            let perks = store.customer_perks(&customer_id)?;
            Ok((traits, segments.memberships, perks))
        })
        .await?;
    let mut customer = CustomerView::new(view, entries, timeline)
        .with_traits(traits)
        .with_perks(perks);
    customer.segments = memberships;
    Ok(Json(customer))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TimelineParams {
    /// Cursor from the previous page (`cursor` of its last entry).
    pub before: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<String>,
}

/// A page of a customer's timeline, newest first.
#[utoipa::path(get, path = "/v1/customers/{identifier}/timeline", params(("identifier" = String, Path), TimelineParams), security(("api_key" = [])),
    responses((status = 200, body = [TimelineEntryView]), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_timeline(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
    params: Result<Query<TimelineParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<TimelineEntryView>>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let before = params.before.as_deref().map(parse_cursor).transpose()?;
    let limit = number_param(params.limit.as_deref(), "limit", 50)?;
    let region = state.region;
    let entries = state
        .blocking(move |store| Ok(timeline_page(store, &identifier, region, before, limit)?))
        .await?;
    Ok(Json(
        entries.into_iter().map(TimelineEntryView::from).collect(),
    ))
}

fn parse_cursor(text: &str) -> Result<TimelineCursor, ApiError> {
    let parts: Vec<&str> = text.split('.').collect();
    let numbers: Option<Vec<i64>> = parts.iter().map(|part| part.parse().ok()).collect();
    match numbers.as_deref() {
        Some([at, stream, id]) => Ok(TimelineCursor {
            at: *at,
            stream: *stream,
            id: *id,
        }),
        _ => Err(ApiError::invalid(
            "before",
            "is not a cursor from a previous page",
        )),
    }
}

/// Merges into or out of a customer.
#[utoipa::path(get, path = "/v1/customers/{identifier}/merges", params(("identifier" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = [MergeView]), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_merges(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
) -> Result<Json<Vec<MergeView>>, ApiError> {
    let region = state.region;
    let merges = state
        .blocking(move |store| {
            let customer_id = find_customer(store, &identifier, region)?;
            Ok(store.merge_history(&customer_id)?)
        })
        .await?;
    Ok(Json(merges.into_iter().map(MergeView::from).collect()))
}

/// Undoes a merge; the two sides stay apart from now on. Audited.
#[utoipa::path(post, path = "/v1/merges/{merge_id}/undo", params(("merge_id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = [String]), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn undo_merge(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    merge_id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Vec<String>>, ApiError> {
    let Path(merge_id) =
        merge_id.map_err(|_| ApiError::invalid("merge_id", "must be an integer"))?;
    let limits = state.limits.clone();
    let customers = state
        .blocking(move |store| {
            let customers = store.unmerge(merge_id, &write_context("api:unmerge", &limits))?;
            store.append_audit(&AuditEntry {
                at: now_millis(),
                actor: format!("key:{}", admin.key_id),
                action: "customers.unmerge".to_string(),
                target: format!("merge:{merge_id}"),
                detail: serde_json::json!({ "customers": customers }),
            })?;
            Ok(customers)
        })
        .await?;
    Ok(Json(customers))
}
