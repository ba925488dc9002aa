//! `ApiError`: every failure an endpoint can return, rendered as RFC 9457 problem details.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An endpoint failure. 4xx bodies say exactly what was wrong; 5xx bodies are opaque
/// and the cause is logged.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a parameter is invalid; names it.
    #[error("{param}: {message}")]
    BadParam {
        param: &'static str,
        message: String,
    },
    /// 404: nothing known under this name.
    #[error("{0}")]
    NotFound(String),
    /// 503: a dependency is down.
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 naming `param`.
    pub fn bad(param: &'static str, message: impl ToString) -> Self {
        Self::BadParam {
            param,
            message: message.to_string(),
        }
    }
}

impl From<fxmon_app::ports::StoreError> for ApiError {
    fn from(error: fxmon_app::ports::StoreError) -> Self {
        match error {
            fxmon_app::ports::StoreError::Unavailable(e) => {
                Self::Unavailable(format!("store: {e}"))
            }
            fxmon_app::ports::StoreError::Rejected(e) => Self::Internal(format!("store: {e}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail, param) = match &self {
            ApiError::BadParam { param, .. } => {
                (StatusCode::BAD_REQUEST, self.to_string(), Some(*param))
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, self.to_string(), None),
            ApiError::Unavailable(_) => {
                tracing::warn!("Request failed: {self}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "A dependency is unavailable; retry later.".to_owned(),
                    None,
                )
            }
            ApiError::Internal(_) => {
                tracing::error!("Request failed: {self}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error.".to_owned(),
                    None,
                )
            }
        };
        let mut body = json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
        });
        if let Some(param) = param {
            body["param"] = json!(param);
        }
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}
