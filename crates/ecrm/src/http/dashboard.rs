//! `GET /v1/dashboard`: the console dashboard's figures (the stored snapshot) as JSON.

use axum::Json;
use axum::extract::State;

use super::auth::AdminKey;
use super::{ApiError, AppState};
use crate::app::console::dashboard::{Dashboard, load_dashboard};

/// The latest dashboard snapshot; 404 until one has been computed.
#[utoipa::path(get, path = "/v1/dashboard", security(("api_key" = [])),
    responses((status = 200, body = Dashboard), (status = 401, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    _key: AdminKey,
) -> Result<Json<Dashboard>, ApiError> {
    let snapshot = state.blocking(|store| Ok(load_dashboard(store)?)).await?;
    snapshot
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("dashboard snapshot (run `ecrm compute`)".to_string()))
}
