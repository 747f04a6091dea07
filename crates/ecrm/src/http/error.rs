//! The one API error type, its stable codes and its one JSON body shape.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ecrm_store::StoreError;
use serde::Serialize;

use super::tracking_views::RejectView;
use crate::app::AppError;

/// Every error the API returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid {parameter}: {message}")]
    InvalidParameter { parameter: String, message: String },
    #[error("missing or unknown API key")]
    Unauthorized,
    #[error("this key may not {0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("the event is over 32 KB ({0} bytes or more)")]
    EventTooLarge(usize),
    #[error("the batch is over 500 KB ({0} bytes or more)")]
    BatchTooLarge(usize),
    #[error("unsupported Content-Encoding {0:?} (send gzip or none)")]
    UnsupportedEncoding(String),
    #[error("{}", rejected_summary(.0))]
    RejectedMessages(Vec<RejectView>),
    #[error("invalid {parameter}: {error}")]
    InvalidQuery {
        parameter: String,
        error: ecrm_core::segment::SegmentError,
    },
}

fn rejected_summary(rejected: &[RejectView]) -> String {
    match rejected {
        [only] if only.field.is_empty() => only.reason.clone(),
        [only] => format!("{} {}", only.field, only.reason),
        _ => format!("all {} messages were refused", rejected.len()),
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub message: String,
    pub code: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Refused messages of a tracking call, by index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RejectView>,
    /// Where a segment query went wrong: `line`, `column`, `found`, `expected` and a `hint`
    /// ("did you mean ...") when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub query_error: Option<ecrm_core::segment::SegmentError>,
}

impl ApiError {
    /// The stable code, the error type and the status of each error.
    fn code(&self) -> (&'static str, &'static str, StatusCode) {
        match self {
            ApiError::NotFound(_) => ("not_found", "invalid_request", StatusCode::NOT_FOUND),
            ApiError::InvalidParameter { .. } => (
                "invalid_parameter",
                "invalid_request",
                StatusCode::BAD_REQUEST,
            ),
            ApiError::Unauthorized => ("unauthorized", "auth", StatusCode::UNAUTHORIZED),
            ApiError::Forbidden(_) => ("forbidden", "auth", StatusCode::FORBIDDEN),
            ApiError::Conflict(_) => ("conflict", "invalid_request", StatusCode::CONFLICT),
            ApiError::MethodNotAllowed(_) => (
                "method_not_allowed",
                "invalid_request",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            ApiError::Unavailable(_) => ("unavailable", "system", StatusCode::SERVICE_UNAVAILABLE),
            ApiError::Internal(_) => ("internal", "system", StatusCode::INTERNAL_SERVER_ERROR),
            ApiError::InvalidJson(_) => {
                ("invalid_json", "invalid_request", StatusCode::BAD_REQUEST)
            }
            ApiError::EventTooLarge(_) => (
                "event_too_large",
                "invalid_request",
                StatusCode::BAD_REQUEST,
            ),
            ApiError::BatchTooLarge(_) => (
                "batch_too_large",
                "invalid_request",
                StatusCode::BAD_REQUEST,
            ),
            ApiError::UnsupportedEncoding(_) => (
                "unsupported_encoding",
                "invalid_request",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            ApiError::RejectedMessages(rejected) => (
                rejected
                    .first()
                    .map_or("invalid_message", |reject| reject.code),
                "invalid_request",
                StatusCode::BAD_REQUEST,
            ),
            ApiError::InvalidQuery { .. } => {
                ("invalid_query", "invalid_request", StatusCode::BAD_REQUEST)
            }
        }
    }

    pub fn invalid(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, kind, status) = self.code();
        match &self {
            ApiError::Internal(detail) | ApiError::Unavailable(detail) => {
                tracing::error!(%detail, code, "request failed")
            }
            other => tracing::debug!(error = %other, code, "request rejected"),
        }
        let parameter = match &self {
            ApiError::InvalidParameter { parameter, .. }
            | ApiError::InvalidQuery { parameter, .. } => Some(parameter.clone()),
            ApiError::RejectedMessages(rejected) => rejected
                .first()
                .map(|reject| reject.field.clone())
                .filter(|field| !field.is_empty()),
            _ => None,
        };
        let rejected = match &self {
            ApiError::RejectedMessages(rejected) => rejected.clone(),
            _ => Vec::new(),
        };
        let query_error = match &self {
            ApiError::InvalidQuery { error, .. } => Some(error.clone()),
            _ => None,
        };
        let body = ErrorBody {
            message: self.to_string(),
            code,
            kind,
            link: format!("https://ecrm.dev/docs/errors#{code}"),
            parameter,
            rejected,
            query_error,
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Unavailable(detail) => ApiError::Unavailable(detail),
            StoreError::Other(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound(what) => ApiError::NotFound(what),
            AppError::Invalid { parameter, message } => {
                ApiError::InvalidParameter { parameter, message }
            }
            AppError::Conflict(message) => ApiError::Conflict(message),
            AppError::Query { parameter, error } => ApiError::InvalidQuery { parameter, error },
            AppError::Store(store) => store.into(),
        }
    }
}
