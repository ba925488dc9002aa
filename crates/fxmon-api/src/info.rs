//! `GET /`: what this service is and where its endpoints are.

use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(get_info))
}

/// Service info with a link to every endpoint.
#[utoipa::path(get, path = "/", tag = "service", responses((status = 200, description = "Service info", body = Object)))]
pub async fn get_info() -> Json<Value> {
    Json(json!({
        "service": "fxmon",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Real-time foreign-exchange rate monitoring and alerting",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "endpoints": {
            "health": "/health",
            "rates": "/rates",
            "rate": "/rates/{base}/{quote}",
            "history": "/rates/{base}/{quote}/history",
            "ohlc": "/rates/{base}/{quote}/ohlc",
            "fluctuation": "/rates/{base}/{quote}/fluctuation",
            "cross_rates": "/cross-rates",
            "convert": "/convert",
            "currencies": "/currencies",
            "alerts": "/alerts",
            "alert": "/alerts/{id}",
            "alert_history": "/alerts/history",
            "stream": "/stream",
            "frankfurter_latest": "/v1/latest",
            "frankfurter_date": "/v1/{date}",
            "frankfurter_series": "/v1/{start}..{end}",
            "frankfurter_currencies": "/v1/currencies",
        }
    }))
}
