//! `/v1/customers/{identifier}/traits/{name}/explain` and the `traits` section of the 360° view.

use axum::Json;
use axum::extract::{Path, State};
use ecrm_core::time::format_millis;
use ecrm_store::TraitRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::AdminKey;
use super::views::CustomerView;
use super::{ApiError, AppState};
use crate::app::intelligence::traits::{ExplainedTrait, explain_customer_trait};

/// One stored trait of a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraitView {
    /// The trait's name (`rfm`, `clv`, `lifecycle`, `value_tier`, `risk_level`).
    pub name: String,
    /// Its value.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// When it was computed.
    pub computed_at: String,
    /// The compute run that wrote it.
    pub run_id: Option<i64>,
}

impl From<TraitRecord> for TraitView {
    fn from(record: TraitRecord) -> TraitView {
        TraitView {
            value: serde_json::from_str(&record.value).unwrap_or(serde_json::Value::Null),
            name: record.name,
            computed_at: format_millis(record.computed_at),
            run_id: record.model_fit_id,
        }
    }
}

/// A trait and how it was reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraitExplanationView {
    /// The trait.
    #[serde(flatten)]
    pub trait_value: TraitView,
    /// Plain words with the numbers used.
    pub explanation: String,
}

impl From<ExplainedTrait> for TraitExplanationView {
    fn from(explained: ExplainedTrait) -> TraitExplanationView {
        TraitExplanationView {
            trait_value: TraitView::from(explained.record),
            explanation: explained.explanation,
        }
    }
}

impl CustomerView {
    /// The view with the customer's stored traits.
    pub fn with_traits(mut self, traits: Vec<TraitRecord>) -> CustomerView {
        self.traits = traits.into_iter().map(TraitView::from).collect();
        self
    }
}

/// Why a customer's trait has its value, in plain words with the numbers used.
#[utoipa::path(get, path = "/v1/customers/{identifier}/traits/{name}/explain",
    params(("identifier" = String, Path), ("name" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = TraitExplanationView), (status = 404, body = super::error::ErrorBody)))]
pub async fn explain(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path((identifier, name)): Path<(String, String)>,
) -> Result<Json<TraitExplanationView>, ApiError> {
    let region = state.region;
    let explained = state
        .blocking(move |store| Ok(explain_customer_trait(store, &identifier, &name, region)?))
        .await?;
    Ok(Json(TraitExplanationView::from(explained)))
}
