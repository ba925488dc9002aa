//! `GET /metrics`: the process's metrics in the Prometheus text format, the recorder
//! behind it, and the middleware that times every request by route. The metric names
//! live in `fxmon_app::metrics`.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fxmon_app::metrics::{HTTP_DURATION, QUOTE_CACHE_READS};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ApiDeps;

/// Histogram buckets, in seconds: every fxmon histogram measures a duration, from a
/// cached read (sub-millisecond) to a slow provider (its 10 s timeout).
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes, so
/// they do not pile up in memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The label of requests no route matched (a 404), so probes of random paths add no series.
const UNMATCHED: &str = "unmatched";

/// The Content-Type of the Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder as the process's metrics recorder, the first time, and
/// returns its handle. Call it before starting services: what they record before goes
/// nowhere. Should another recorder already be installed, `/metrics` stays empty.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        match metrics::set_global_recorder(recorder) {
            Ok(()) => {
                fxmon_app::metrics::describe();
                for result in ["hit", "miss", "error"] {
                    metrics::counter!(QUOTE_CACHE_READS, "result" => result).increment(0);
                }
            }
            Err(error) => tracing::warn!("Metrics will not be exported: {error}"),
        }
        handle
    })
}

/// Folds histogram samples into their buckets every few seconds until `shutdown`.
pub async fn upkeep(shutdown: CancellationToken) -> Result<(), Infallible> {
    let handle = install();
    loop {
        tokio::select! {
            () = tokio::time::sleep(UPKEEP_EVERY) => handle.run_upkeep(),
            () = shutdown.cancelled() => return Ok(()),
        }
    }
}

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(get_metrics))
}

/// The process's metrics in the Prometheus text exposition format (docs/OPERATIONS.md
/// lists them). A process that runs no API (a split `fxmon processor`, say) exports none.
#[utoipa::path(get, path = "/metrics", tag = "service", responses(
    (status = 200, description = "Prometheus text exposition format 0.0.4",
     content_type = "text/plain", body = String),
))]
pub async fn get_metrics() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], install().render())
}

/// Times each request into the latency histogram, labelled by its route template (e.g.
/// `/rates/{base}/{quote}`), never the raw path, so the series stay few. Measures until
/// the response's head is ready; a stream's body (`/stream`) is not included.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route, "status" => status)
        .record(started.elapsed());
    response
}

/// The method as a label; any non-standard method is `other`, so it adds one series at most.
fn method_label(method: &Method) -> &'static str {
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("other")
}
