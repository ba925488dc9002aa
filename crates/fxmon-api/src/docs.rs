//! `/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};

use crate::state::ApiDeps;

pub fn routes(openapi: utoipa::openapi::OpenApi) -> Router<ApiDeps> {
    Router::new().route(
        "/openapi.json",
        get(move || async move { Json(openapi.clone()) }),
    )
}
