//! `ApiError`: every failure an endpoint can return, rendered as RFC 9457 problem details
//! (`application/problem+json`). 4xx bodies name the parameter and the reason; 5xx bodies
//! are opaque and the cause is logged.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use fxmon_app::ports::StoreError;
use fxmon_core::{CurrencyError, PairError};
use serde::Serialize;
use utoipa::ToSchema;

/// An endpoint failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read at all (e.g. a body that is not JSON).
    #[error("{0}")]
    Malformed(String),
    /// 422: a parameter or field has an invalid value; names it.
    #[error("{param} {message}")]
    Invalid { param: String, message: String },
    /// 404: a currency code fxmon does not know.
    #[error("{param}: currency {code:?} is not known; GET /currencies lists the known codes")]
    UnknownCurrency { param: String, code: String },
    /// 401: no API key where one is needed, or one that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the key is valid but the resource is not its own.
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing under this name.
    #[error("{0}")]
    NotFound(String),
    /// 413: the body is over the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// 503: a dependency is down.
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem-details body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What was wrong, and how to fix it.
    pub detail: String,
    /// The parameter or body field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

impl ApiError {
    /// A 422 naming `param`, e.g. `ApiError::invalid("limit", "must be 1..=10000, got 0")`.
    pub fn invalid(param: impl Into<String>, message: impl ToString) -> Self {
        Self::Invalid {
            param: param.into(),
            message: message.to_string(),
        }
    }

    /// Maps a currency parse failure of `param`: unknown → 404, malformed → 422.
    pub fn currency(param: &str, error: CurrencyError) -> Self {
        match error {
            CurrencyError::Unknown(code) => Self::UnknownCurrency {
                param: param.to_owned(),
                code,
            },
            CurrencyError::Malformed(_) => Self::invalid(param, error),
        }
    }

    /// Maps a pair parse failure of `param`: unknown currency → 404, otherwise 422.
    pub fn pair(param: &str, error: PairError) -> Self {
        match error {
            PairError::Currency { source, .. } => Self::currency(param, source),
            other => Self::invalid(param, other),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnknownCurrency { .. } | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(e) => Self::Unavailable(format!("store: {e}")),
            StoreError::Rejected(e) => Self::Internal(format!("store: {e}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (detail, param) = match &self {
            ApiError::Invalid { param, .. } | ApiError::UnknownCurrency { param, .. } => {
                (self.to_string(), Some(param.clone()))
            }
            ApiError::Malformed(_)
            | ApiError::NotFound(_)
            | ApiError::Forbidden(_)
            | ApiError::TooLarge(_) => (self.to_string(), None),
            ApiError::Unauthorized(_) => {
                let mut response = problem(status, self.to_string(), None);
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"fxmon\""),
                );
                return response;
            }
            ApiError::Unavailable(_) => {
                tracing::warn!("Request failed: {self}");
                ("A dependency is unavailable; retry later.".to_owned(), None)
            }
            ApiError::Internal(_) => {
                tracing::error!("Request failed: {self}");
                ("Internal error.".to_owned(), None)
            }
        };
        problem(status, detail, param)
    }
}

/// A problem-details response.
pub fn problem(status: StatusCode, detail: String, param: Option<String>) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        param,
    };
    let json = serde_json::to_string(&body).expect("plain fields serialize");
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response()
}
