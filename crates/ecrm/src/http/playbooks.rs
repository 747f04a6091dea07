//! `/v1/playbooks`: the configuration in force (read, replace), dry runs and running them now; and
//! `/v1/ads-suppressions`, the paid-ads suppression list as CSV.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AdminKey;
use super::{ApiError, AppState};
use crate::app::now_millis;
use crate::app::playbooks::engine::{DryRun, RunReport, dry_run, member_pass, process_changes};
use crate::app::playbooks::runtime::RuntimeStatus;
use crate::app::playbooks::suppression::export_csv;

/// The playbook configuration in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybooksView {
    pub status: RuntimeStatus,
    /// Coupon pools and playbooks, as loaded (the shape of `docs/playbooks.md`).
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

fn view(state: &AppState) -> PlaybooksView {
    PlaybooksView {
        status: state.playbooks.status(),
        config: serde_json::to_value(&*state.playbooks.current()).unwrap_or_default(),
    }
}

/// The playbooks in force, where they came from and the last refused configuration.
#[utoipa::path(get, path = "/v1/playbooks", security(("api_key" = [])),
    responses((status = 200, body = PlaybooksView), (status = 401, body = super::error::ErrorBody)))]
pub async fn get_playbooks(State(state): State<AppState>, _admin: AdminKey) -> Json<PlaybooksView> {
    Json(view(&state))
}

/// Replaces the playbooks: a `playbooks.toml` document (or the same as JSON). An invalid one is
/// refused with every error (line and field) and the previous configuration stays in force.
#[utoipa::path(put, path = "/v1/playbooks", request_body(content = String, content_type = "application/toml"), security(("api_key" = [])),
    responses((status = 200, body = PlaybooksView), (status = 400, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn put_playbooks(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
    body: String,
) -> Result<Json<PlaybooksView>, ApiError> {
    let runtime = state.playbooks.clone();
    state
        .blocking(move |store| Ok(runtime.put(store, &body, &format!("key:{}", admin.key_id))?))
        .await?;
    Ok(Json(view(&state)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DryRunParams {
    /// Customers listed per action (default 10, at most 1000).
    pub sample: Option<usize>,
}

/// What a playbook would do to its segment's current members (counts per action and a sample),
/// without doing it.
#[utoipa::path(post, path = "/v1/playbooks/{name}/dry-run", params(("name" = String, Path), DryRunParams), security(("api_key" = [])),
    responses((status = 200, body = DryRun), (status = 404, body = super::error::ErrorBody)))]
pub async fn dry_run_playbook(
    State(state): State<AppState>,
    _admin: AdminKey,
    Path(name): Path<String>,
    params: Result<Query<DryRunParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DryRun>, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::invalid("sample", err.body_text()))?;
    let sample = params.sample.unwrap_or(10);
    if sample > 1000 {
        return Err(ApiError::invalid("sample", "must be at most 1000"));
    }
    let set = state.playbooks.current();
    let playbook = set
        .playbook(&name)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("playbook {name:?}")))?;
    let run = state
        .blocking(move |store| Ok(dry_run(store, &playbook, now_millis(), sample)?))
        .await?;
    Ok(Json(run))
}

/// What running the playbooks now did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub changes: RunReport,
    pub member_pass: RunReport,
}

/// Runs the playbooks now on the recorded segment changes and the "while member" pass (the
/// server's worker does this continuously).
#[utoipa::path(post, path = "/v1/playbooks/run", security(("api_key" = [])),
    responses((status = 200, body = RunView), (status = 401, body = super::error::ErrorBody)))]
pub async fn run_playbooks(
    State(state): State<AppState>,
    AdminKey(admin): AdminKey,
) -> Result<Json<RunView>, ApiError> {
    let set = state.playbooks.current();
    let view = state
        .blocking(move |store| {
            let now = now_millis();
            let changes = process_changes(store, &set, now, 0)?;
            let member_pass = member_pass(store, &set, now)?;
            store.append_audit(&ecrm_store::AuditEntry {
                at: now,
                actor: format!("key:{}", admin.key_id),
                action: "playbooks.run".to_string(),
                target: "playbooks".to_string(),
                detail: serde_json::json!({ "changes": changes.changes, "done": changes.done + member_pass.done }),
            })?;
            Ok(RunView { changes, member_pass })
        })
        .await?;
    Ok(Json(view))
}

/// The paid-ads suppression list as CSV (`customer_id,email,phone,email_sha256,phone_sha256,reason,added_at,source`).
#[utoipa::path(get, path = "/v1/ads-suppressions", security(("api_key" = [])),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 401, body = super::error::ErrorBody)))]
pub async fn ads_suppressions(
    State(state): State<AppState>,
    _admin: AdminKey,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = state
        .blocking(move |store| {
            let mut out = Vec::new();
            export_csv(store, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes))
}

/// Coupons held (pool, code, value, issue and expiry times in ms), benefits, tags and ads
/// suppression of a customer.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PerksView {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub perks: ecrm_store::CustomerPerks,
}

impl super::views::CustomerView {
    /// The view with what playbooks gave the customer.
    pub fn with_perks(mut self, perks: ecrm_store::CustomerPerks) -> super::views::CustomerView {
        self.perks = PerksView { perks };
        self
    }
}
