//! `GET /health`: each dependency checked for real.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use fxmon_app::health::{self, Status};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(get_health))
}

/// Checks the store, cache, bus and rate source. 200 when `healthy` or `degraded`,
/// 503 when `unhealthy`; each component says why it is not healthy.
#[utoipa::path(get, path = "/health", tag = "service", responses(
    (status = 200, description = "Healthy or degraded", body = Object),
    (status = 503, description = "Unhealthy: an essential dependency fails", body = Object),
))]
pub async fn get_health(State(deps): State<ApiDeps>) -> impl IntoResponse {
    let report = health::check(&deps.health, Utc::now()).await;
    let code = match report.status {
        Status::Healthy | Status::Degraded => StatusCode::OK,
        Status::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(report))
}
