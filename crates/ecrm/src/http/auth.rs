//! Key extractors: a handler that takes `AdminKey` can only run for an admin key.
//! Keys come as `Authorization: Bearer KEY` or as the HTTP Basic username (Segment's way).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::app::keys::{KeyRole, Principal, verify_key};

/// A verified admin key.
pub struct AdminKey(pub Principal);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = principal(parts, state).await?;
        if principal.role != KeyRole::Admin {
            return Err(ApiError::Forbidden(
                "use admin endpoints (write keys only send events)".to_string(),
            ));
        }
        Ok(AdminKey(principal))
    }
}

async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let presented = presented_key(parts).ok_or(ApiError::Unauthorized)?;
    let found = state
        .blocking(move |store| Ok(verify_key(store, &presented)?))
        .await?;
    found.ok_or(ApiError::Unauthorized)
}

/// The key in the request, if any.
pub fn presented_key(parts: &Parts) -> Option<String> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    if let Some(token) = header.strip_prefix("Bearer ") {
        return Some(token.trim().to_string()).filter(|t| !t.is_empty());
    }
    super::basic_auth::username(header)
}
