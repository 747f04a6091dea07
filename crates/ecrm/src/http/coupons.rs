//! `/v1/coupon-pools`: list and create pools, import and generate codes.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AdminKey;
use super::{ApiError, AppState};
use crate::app::now_millis;
use crate::app::playbooks::pools::{
    CodeImportReport, create_pool, generate, import_codes, pool_decl_from_json,
};

/// A coupon pool with its code counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponPoolView {
    pub name: String,
    pub title: String,
    /// `amount` (value in cents) or `percent`.
    pub value_kind: String,
    pub value: i64,
    pub currency: Option<String>,
    pub valid_days: Option<i64>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub per_customer_limit: i64,
    pub codes_total: i64,
    pub codes_issued: i64,
}

impl From<ecrm_store::CouponPool> for CouponPoolView {
    fn from(pool: ecrm_store::CouponPool) -> Self {
        let date = |at: Option<i64>| at.map(ecrm_core::time::format_millis);
        CouponPoolView {
            name: pool.pool.name,
            title: pool.pool.title,
            value_kind: pool.pool.value_kind,
            value: pool.pool.value,
            currency: pool.pool.currency,
            valid_days: pool.pool.valid_days,
            valid_from: date(pool.pool.valid_from),
            valid_until: date(pool.pool.valid_until),
            per_customer_limit: pool.pool.per_customer_limit,
            codes_total: pool.codes_total,
            codes_issued: pool.codes_issued,
        }
    }
}

/// Every coupon pool.
#[utoipa::path(get, path = "/v1/coupon-pools", security(("api_key" = [])),
    responses((status = 200, body = [CouponPoolView]), (status = 401, body = super::error::ErrorBody)))]
pub async fn list_pools(
    State(state): State<AppState>,
    _admin: AdminKey,
) -> Result<Json<Vec<CouponPoolView>>, ApiError> {
    let pools = state.blocking(|store| Ok(store.coupon_pools()?)).await?;
    Ok(Json(pools.into_iter().map(CouponPoolView::from).collect()))
}

/// Creates a pool: the fields of a `[[pool]]` table (`name`, `title`, `amount` + `currency` or
/// `percent_off`, `valid_days`, `valid_from`, `valid_until`, `per_customer_limit`, `generate`, `prefix`).
#[utoipa::path(post, path = "/v1/coupon-pools", request_body(content = Object), security(("api_key" = [])),
    responses((status = 201, body = CouponPoolView), (status = 400, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<CouponPoolView>), ApiError> {
    let Json(body) = body.map_err(|err| ApiError::InvalidJson(err.body_text()))?;
    let pool = state
        .blocking(move |store| {
            let decl = pool_decl_from_json(body)?;
            create_pool(store, &decl, &format!("key:{}", admin.key_id), now_millis())?;
            store
                .coupon_pool(&decl.name)?
                .ok_or_else(|| ApiError::NotFound(format!("coupon pool {:?}", decl.name)))
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(pool.into())))
}

/// Imports codes into a pool: the body is a text file, one code per line (or a CSV's first
/// column). Bad lines come back as rejects naming the line; the good ones are kept.
#[utoipa::path(post, path = "/v1/coupon-pools/{name}/codes", params(("name" = String, Path)), request_body(content = String, content_type = "text/plain"), security(("api_key" = [])),
    responses((status = 200, body = CodeImportReport), (status = 404, body = super::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<CodeImportReport>, ApiError> {
    let report = state
        .blocking(move |store| {
            Ok(import_codes(
                store,
                &name,
                &body,
                &format!("key:{}", admin.key_id),
                now_millis(),
            )?)
        })
        .await?;
    Ok(Json(report))
}

/// How many codes to generate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GenerateRequest {
    pub count: u64,
    pub prefix: Option<String>,
}

/// Generates codes into a pool; answers the pool.
#[utoipa::path(post, path = "/v1/coupon-pools/{name}/generate", params(("name" = String, Path)), request_body = GenerateRequest, security(("api_key" = [])),
    responses((status = 200, body = CouponPoolView), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn generate_codes(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    Path(name): Path<String>,
    body: Result<Json<GenerateRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<CouponPoolView>, ApiError> {
    let Json(request) = body.map_err(|err| ApiError::InvalidJson(err.body_text()))?;
    let pool = state
        .blocking(move |store| {
            let actor = format!("key:{}", admin.key_id);
            generate(
                store,
                &name,
                request.count,
                request.prefix.as_deref(),
                &actor,
                now_millis(),
            )?;
            store
                .coupon_pool(&name)?
                .ok_or_else(|| ApiError::NotFound(format!("coupon pool {name:?}")))
        })
        .await?;
    Ok(Json(pool.into()))
}
