//! `/openapi.json` (the OpenAPI 3.1 document generated from the handlers) and `/docs`
//! (Swagger UI, served from assets vendored into the binary: no internet needed).

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};

use crate::state::ApiDeps;

const BUNDLE: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

/// The page: Swagger UI on `/openapi.json`, with the online validator turned off so the
/// page makes no request off this server.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>fxmon API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      validatorUrl: null,
      deepLinking: true,
    });
  </script>
</body>
</html>
"##;

pub fn routes(openapi: utoipa::openapi::OpenApi) -> Router<ApiDeps> {
    let document = serde_json::to_value(&openapi).expect("the OpenAPI document serializes");
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json(document.clone()) }),
        )
        .route("/docs", get(|| async { Html(PAGE) }))
        .route("/docs/", get(|| async { Html(PAGE) }))
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript; charset=utf-8", BUNDLE) }),
        )
        .route(
            "/docs/swagger-ui.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
}
