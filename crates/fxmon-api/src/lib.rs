//! fxmon's HTTP API.

mod error;
mod rates;
mod state;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use fxmon_app::health::{self, Status};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use state::ApiDeps;

/// The API's routes.
pub fn router(deps: ApiDeps) -> Router {
    Router::new()
        .route("/", get(get_info))
        .route("/health", get(get_health))
        .route("/rates", get(rates::list_rates))
        .route("/rates/{base}/{quote}/history", get(rates::get_history))
        .route("/rates/{pair}/history", get(rates::get_history_encoded))
        .with_state(deps)
}

/// Serves the API on `listener` until `shutdown`, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    deps: ApiDeps,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(deps))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// `GET /`: what this service is and where its endpoints are.
async fn get_info() -> Json<serde_json::Value> {
    Json(json!({
        "service": "fxmon",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Real-time foreign-exchange rate monitoring and alerting",
        "endpoints": {
            "health": "/health",
            "rates": "/rates",
            "history": "/rates/{base}/{quote}/history",
        }
    }))
}

/// `GET /health`: 200 when healthy or degraded, 503 when unhealthy; names what is failing.
async fn get_health(State(deps): State<ApiDeps>) -> impl IntoResponse {
    let report = health::check(&deps.health, Utc::now()).await;
    let code = match report.status {
        Status::Healthy | Status::Degraded => StatusCode::OK,
        Status::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(report))
}
