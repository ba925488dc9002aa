//! Extractors whose rejections are problem details, so no malformed request gets a
//! plain-text error or a 500.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use fxmon_core::{Currency, Pair};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

mod fields;
pub(crate) use fields::name_field;

/// `Json<T>`: a body that is not JSON is a 400; a field that is missing, unknown, given
/// twice or of the wrong type is a 422 naming it in `param`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let rejection = match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => return Ok(Self(value)),
            Err(rejection) => rejection,
        };
        Err(name_field(match rejection {
            JsonRejection::JsonDataError(e) => {
                ApiError::invalid("body", data_error(&e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::Malformed(
                "the body must be JSON, sent with Content-Type: application/json".into(),
            ),
            other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge(format!(
                    "the body is larger than this server accepts ({}); send a smaller one",
                    other.body_text()
                ))
            }
            other => {
                ApiError::Malformed(format!("the body is not valid JSON: {}", other.body_text()))
            }
        }))
    }
}

/// `Query<T>`: a parameter that is unknown or of the wrong type is a 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                name_field(ApiError::invalid("query", data_error(&e.body_text())))
            })
    }
}

/// `Path<T>` with problem-details rejections.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::invalid("path", e.body_text()))
    }
}

/// serde's message without axum's prefix ("Failed to deserialize the JSON body into the
/// target type: ").
fn data_error(text: &str) -> String {
    text.split_once(": ")
        .map_or(text, |(_, rest)| rest)
        .to_owned()
}

/// Parses a currency given as parameter `param`.
pub fn currency(param: &str, raw: &str) -> Result<Currency, ApiError> {
    Currency::parse(raw).map_err(|e| ApiError::currency(param, e))
}

/// Parses a pair given as two path segments.
pub fn pair_of(base: &str, quote: &str) -> Result<Pair, ApiError> {
    let base = currency("base", base)?;
    let quote = currency("quote", quote)?;
    Pair::new(base, quote).map_err(|e| ApiError::pair("pair", e))
}

/// Parses a pair given in one string (`USD/EUR`, `USD-EUR`, `USDEUR`, `USD%2FEUR`).
pub fn pair(param: &str, raw: &str) -> Result<Pair, ApiError> {
    Pair::parse(raw).map_err(|e| ApiError::pair(param, e))
}
