//! `GET /health` (liveness) and `GET /ready` (readiness): each dependency checked for
//! real, the same report in both; only the status code differs.

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
    OpenApiRouter::new()
        .routes(routes!(get_health))
        .routes(routes!(get_ready))
}

/// Liveness: 200 whenever the process serves requests, whatever its dependencies say, so
/// an orchestrator does not restart it for an outage a restart cannot fix (PostgreSQL
/// down). The body checks the store, cache, bus and rate source; `status` is `healthy`,
/// `degraded` or `unhealthy` and each component says why it is not healthy.
#[utoipa::path(get, path = "/health", tag = "service", responses(
    (status = 200, description = "Serving; the body reports each dependency", body = Object),
))]
pub async fn get_health(State(deps): State<ApiDeps>) -> impl IntoResponse {
    Json(health::check(&deps.health, Utc::now()).await)
}

/// Readiness: the same checks and body as `/health`, but 503 when an essential dependency
/// (the store) fails, so a load balancer sends traffic elsewhere until it is back. 200
/// when `healthy` or `degraded` (a cache or bus outage, a failing provider: the API still
/// answers from the store).
#[utoipa::path(get, path = "/ready", tag = "service", responses(
    (status = 200, description = "Ready: healthy or degraded", body = Object),
    (status = 503, description = "Not ready: an essential dependency fails", body = Object),
))]
pub async fn get_ready(State(deps): State<ApiDeps>) -> impl IntoResponse {
    let report = health::check(&deps.health, Utc::now()).await;
    let code = match report.status {
        Status::Healthy | Status::Degraded => StatusCode::OK,
        Status::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(report))
}
