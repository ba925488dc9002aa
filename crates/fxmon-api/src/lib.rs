//! fxmon's HTTP API: the original's endpoints done right, the features FX API users
//! expect, an OpenAPI 3.1 document generated from this code, and a live event stream.

mod alerts;
pub mod auth;
mod candles;
mod dashboard;
mod docs;
pub mod error;
mod extract;
pub mod feed;
mod frankfurter;
mod gate;
mod health;
mod history;
mod http;
mod info;
pub mod limits;
mod market;
pub mod metrics;
mod params;
mod rates;
mod state;
mod stream;

use axum::http::HeaderValue;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use error::ApiError;
pub use feed::LiveFeed;
pub use state::ApiDeps;

/// Bodies larger than this are refused with 413, unless `max_body_bytes` says otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    /// Origins allowed to call the API from a browser (CORS). Empty: same origin only.
    pub cors_allow_origins: Vec<HeaderValue>,
    /// When requests need an API key.
    pub auth: auth::AuthSettings,
    /// Requests per second per key and per IP (0: unlimited).
    pub rate_limits: limits::RateLimits,
    /// The largest request body accepted; 0 means [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// Which webhook URLs an alert may be created with (`--webhook-allow-private`).
    pub webhook_targets: fxmon_app::net_guard::TargetPolicy,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fxmon",
        description = "Real-time foreign-exchange rates, history, cross rates, volatility and alerts. \
                       A pair A/B with rate r means 1 A = r B. Times are RFC 3339 UTC; a rate's \
                       `timestamp` is the provider's as-of time. Errors are RFC 9457 problem details."
    ),
    tags(
        (name = "rates", description = "Latest rates, history, candles and conversions"),
        (name = "alerts", description = "Alert rules and their trigger history"),
        (name = "frankfurter", description = "Frankfurter v1-compatible endpoints"),
        (name = "service", description = "Service info, health and the live stream"),
    )
)]
struct ApiDoc;

/// The routes and the OpenAPI document describing them.
pub fn routes() -> (Router<ApiDeps>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(info::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(rates::routes())
        .merge(history::routes())
        .merge(market::routes())
        .merge(alerts::routes())
        .merge(frankfurter::routes())
        .merge(stream::routes())
        .split_for_parts();
    document_access(&mut openapi);
    document_problem_details(&mut openapi);
    (router, openapi)
}

/// The answers the auth and limit layers can give on any route, and the API-key schemes,
/// added to every operation rather than written into each handler's annotation.
fn document_access(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
    };
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let response = |text: &str| {
        ResponseBuilder::new()
            .description(text)
            .content("application/json", problem())
            .build()
    };
    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "api_key",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
    );
    for (path, item) in openapi.paths.paths.iter_mut() {
        let open = matches!(path.as_str(), "/health" | "/ready");
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (operation, write) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let responses = &mut operation.responses.responses;
            if !open {
                responses.entry("401".into()).or_insert_with(|| {
                    response(if write {
                        "An API key is needed (docs/SECURITY.md), or the one sent is not valid"
                    } else {
                        "An API key is needed (--private-reads), or the one sent is not valid"
                    })
                    .into()
                });
            }
            if path.starts_with("/alerts/{") {
                responses
                    .entry("403".into())
                    .or_insert_with(|| response("The alert belongs to another API key").into());
            }
            if write && operation.request_body.is_some() {
                responses
                    .entry("413".into())
                    .or_insert_with(|| response("The body is over --max-body-bytes").into());
            }
            responses.entry("429".into()).or_insert_with(|| {
                response("Over the rate limit of the key or IP; see Retry-After").into()
            });
        }
    }
}

/// Every 4xx and 5xx body is `application/problem+json`: say so in the document once,
/// rather than in every handler's annotation.
fn document_problem_details(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in operation.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                if let Some(content) = response.content.shift_remove("application/json") {
                    response
                        .content
                        .insert("application/problem+json".to_owned(), content);
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document of every route, as `/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The API's router with its HTTP layers (compression, CORS).
pub fn router(deps: ApiDeps, settings: &ApiSettings) -> Router {
    // `/metrics` serves the process's recorder: make sure there is one.
    metrics::install();
    let (routes, openapi) = routes();
    let gate = gate::Gate {
        auth: auth::Auth::new(deps.keys.clone(), settings.auth),
        limiter: limits::RateLimiter::new(settings.rate_limits),
    };
    let max_body = match settings.max_body_bytes {
        0 => DEFAULT_MAX_BODY_BYTES,
        bytes => bytes,
    };
    let mut router = routes
        .merge(docs::routes(openapi))
        .merge(dashboard::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(metrics::track_http))
        .with_state(deps)
        .layer(axum::Extension(settings.webhook_targets))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(gate, gate::gate));
    if !settings.cors_allow_origins.is_empty() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(settings.cors_allow_origins.clone()))
                .allow_methods(tower_http::cors::Any)
                .allow_headers(tower_http::cors::Any),
        );
    }
    router.layer(CompressionLayer::new())
}

/// No route matches: a problem-details 404 pointing at the index.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    error::problem(
        axum::http::StatusCode::NOT_FOUND,
        format!("no endpoint at {}; GET / lists them", uri.path()),
        None,
    )
}

/// The path exists but not with this method.
async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    error::problem(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not accept {method}; GET /openapi.json lists what it accepts",
            uri.path()
        ),
        None,
    )
}

/// Serves the API on `listener` until `shutdown`, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    deps: ApiDeps,
    settings: ApiSettings,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let feed = deps.feed.clone();
    let app = router(deps, &settings).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.cancelled().await;
            feed.close();
        })
        .await
}
