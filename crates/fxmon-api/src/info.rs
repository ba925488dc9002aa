//! `GET /`: what this service is and where its endpoints are, as JSON for API clients
//! and as the dashboard for browsers.

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dashboard;
use crate::http::accepts;
use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(get_info))
}

/// Service info with a link to every endpoint (the original's JSON). A browser, which asks
/// for `text/html`, gets the dashboard instead (also at `/dashboard`).
#[utoipa::path(get, path = "/", tag = "service", responses(
    (status = 200, description = "Service info, or the dashboard on `Accept: text/html`",
     content((Object = "application/json"), (String = "text/html")))))]
pub async fn get_info(headers: HeaderMap) -> Response {
    let vary = [(header::VARY, "accept")];
    if accepts(&headers, "text/html") {
        return (vary, dashboard::page().await).into_response();
    }
    (vary, Json(info())).into_response()
}

fn info() -> Value {
    json!({
        "service": "fxmon",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Real-time foreign-exchange rate monitoring and alerting",
        "docs": "/docs",
        "openapi": "/openapi.json",
        "endpoints": {
            "health": "/health",
            "ready": "/ready",
            "metrics": "/metrics",
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
        },
        "dashboard": "/dashboard",
    })
}
