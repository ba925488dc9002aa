//! The live dashboard: one HTML page, its scripts and styles, and the vendored uPlot chart
//! library, all compiled into the binary so the page needs nothing from the internet. It
//! reads the same public endpoints as any client and follows `/stream` for live updates.

use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::problem;
use crate::state::ApiDeps;

/// The page, served at `/dashboard` and, to browsers, at `/`.
pub const PAGE: &str = include_str!("../assets/dashboard/index.html");

/// Every file the page loads from `/dashboard/`, with its content type.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        CSS,
        include_bytes!("../assets/dashboard/app.css"),
    ),
    ("main.js", JS, include_bytes!("../assets/dashboard/main.js")),
    ("api.js", JS, include_bytes!("../assets/dashboard/api.js")),
    (
        "format.js",
        JS,
        include_bytes!("../assets/dashboard/format.js"),
    ),
    (
        "rates.js",
        JS,
        include_bytes!("../assets/dashboard/rates.js"),
    ),
    (
        "chart.js",
        JS,
        include_bytes!("../assets/dashboard/chart.js"),
    ),
    (
        "heatmap.js",
        JS,
        include_bytes!("../assets/dashboard/heatmap.js"),
    ),
    (
        "alerts.js",
        JS,
        include_bytes!("../assets/dashboard/alerts.js"),
    ),
    (
        "timeline.js",
        JS,
        include_bytes!("../assets/dashboard/timeline.js"),
    ),
    (
        "uPlot.iife.min.js",
        JS,
        include_bytes!("../assets/uplot/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        CSS,
        include_bytes!("../assets/uplot/uPlot.min.css"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub fn routes() -> Router<ApiDeps> {
    Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/", get(page))
        .route("/dashboard/{file}", get(asset))
}

/// The dashboard page.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => problem(
            axum::http::StatusCode::NOT_FOUND,
            format!("the dashboard has no file {file:?}"),
            None,
        ),
    }
}
