//! `/v1/customers/{identifier}/recommendations` and `/v1/products/{id}/similar`: answered from the
//! latest stored model (loaded once), with the serving rules applied and a reason per item.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::auth::AdminKey;
use super::{ApiError, AppState};
use crate::app::now_millis;
use crate::app::recs::serve::{RecItem, RecList};
use crate::app::recs::{recommendations_for, similar_products};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecsParams {
    /// How many items, 1 to 100 (default 10).
    pub n: Option<String>,
    /// Only products of this category.
    pub category: Option<String>,
}

/// One recommended product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecItemView {
    pub product_id: String,
    pub name: Option<String>,
    pub category: Option<String>,
    /// Comparable within one list only.
    pub score: f32,
    /// Why: "because you bought X", "popular in C", "pinned", ...
    pub reason: String,
}

/// A list of recommendations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecListView {
    /// `personalised`; `popularity` for unknown customers or customers without purchases;
    /// `item_to_item` for similar products, `trending` (in its category) for a product the model
    /// has not seen yet.
    pub strategy: String,
    /// The model version used.
    pub model_version: i64,
    pub items: Vec<RecItemView>,
}

impl From<RecItem> for RecItemView {
    fn from(item: RecItem) -> Self {
        RecItemView {
            product_id: item.product_id,
            name: item.name,
            category: item.category,
            score: item.score,
            reason: item.reason,
        }
    }
}

impl From<RecList> for RecListView {
    fn from(list: RecList) -> Self {
        RecListView {
            strategy: list.strategy.to_string(),
            model_version: list.model_version,
            items: list.items.into_iter().map(RecItemView::from).collect(),
        }
    }
}

fn n_param(value: Option<&str>) -> Result<usize, ApiError> {
    match value {
        None => Ok(10),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid("n", format!("{text:?} is not a whole number"))),
    }
}

/// A customer's recommendations, by any identifier; unknown customers get popularity (marked).
#[utoipa::path(get, path = "/v1/customers/{identifier}/recommendations", params(("identifier" = String, Path), RecsParams), security(("api_key" = [])),
    responses((status = 200, body = RecListView), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn customer_recommendations(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(identifier): Path<String>,
    params: Result<Query<RecsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RecListView>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let n = n_param(params.n.as_deref())?;
    let (cache, rules, region) = (state.recs.clone(), state.recs_rules.clone(), state.region);
    let list = state
        .blocking(move |store| {
            let category = params.category.as_deref().filter(|c| !c.is_empty());
            Ok(recommendations_for(
                store,
                &cache,
                &rules,
                &identifier,
                region,
                n,
                category,
                now_millis(),
            )?)
        })
        .await?;
    Ok(Json(list.into()))
}

/// Products bought together with a product; an unknown product is a 404.
#[utoipa::path(get, path = "/v1/products/{id}/similar", params(("id" = String, Path), RecsParams), security(("api_key" = [])),
    responses((status = 200, body = RecListView), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(id): Path<String>,
    params: Result<Query<RecsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RecListView>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let n = n_param(params.n.as_deref())?;
    let (cache, rules) = (state.recs.clone(), state.recs_rules.clone());
    let list = state
        .blocking(move |store| Ok(similar_products(store, &cache, &rules, &id, n)?))
        .await?;
    Ok(Json(list.into()))
}
