//! `/metrics` of the real binary: `fxmon run` against a stand-in provider, scraped after
//! snapshots went through the embedded pipeline, an alert fired and the provider failed.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use support::{free_address, v4_fixture, Process};

/// The provider: EUR at `eur` (in millionths), JPY always 0 (invalid), and HTTP 500 while
/// `failing`. Each change of `eur` is a new provider update (a new as-of time).
#[derive(Clone, Default)]
struct Provider {
    eur: Arc<AtomicI64>,
    failing: Arc<AtomicBool>,
    /// Unix seconds an hour ago: as-of times are this plus EUR in thousandths.
    origin: i64,
}

impl Provider {
    async fn start(eur: f64) -> (Self, SocketAddr) {
        let provider = Self {
            origin: chrono::Utc::now().timestamp() - 3600,
            ..Self::default()
        };
        provider.set_eur(eur);
        let served = provider.clone();
        let app = axum::Router::new().route(
            "/v4/latest/USD",
            axum::routing::get(move || {
                let served = served.clone();
                async move { served.answer() }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (provider, address)
    }

    fn set_eur(&self, eur: f64) {
        self.eur.store((eur * 1e6).round() as i64, Ordering::SeqCst);
    }

    fn answer(&self) -> axum::response::Response {
        if self.failing.load(Ordering::SeqCst) {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let millionths = self.eur.load(Ordering::SeqCst);
        let mut body = v4_fixture();
        // One as-of time per EUR level, all within the last hour, so nothing is stale.
        body["time_last_updated"] = json!(self.origin + millionths / 1000);
        body["rates"]["EUR"] = json!(millionths as f64 / 1e6);
        body["rates"]["JPY"] = json!(0);
        axum::Json(body).into_response()
    }
}

/// The sum of `name`'s samples whose labels include every `labels` pair (`key="value"`).
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            let series_name = series.split('{').next().unwrap();
            series_name == name && labels.iter().all(|l| series.contains(l))
        })
        .map(|(_, value)| value.parse::<f64>().unwrap())
        .sum()
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn json(&self, path: &str) -> Value {
        let answer = self.client.get(format!("{}{path}", self.base)).send();
        answer.await.unwrap().json().await.unwrap()
    }

    /// The exposition; `None` while the process does not listen yet.
    async fn scrape(&self) -> Option<String> {
        let url = format!("{}/metrics", self.base);
        let answer = self.client.get(url).send().await.ok()?;
        assert_eq!(answer.status(), 200);
        Some(answer.text().await.unwrap())
    }

    async fn metrics(&self) -> String {
        self.scrape().await.expect("fxmon listens")
    }

    /// Scrapes until `ready` holds for the exposition; returns it.
    async fn metrics_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.scrape().await.unwrap_or_default();
            if ready(&text) {
                return text;
            }
            assert!(Instant::now() < deadline, "never {what}:\n{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The rows stored for `pair`, counted through the history endpoint.
    async fn stored(&self, pair: &str) -> f64 {
        let history = self
            .json(&format!("/rates/{pair}/history?limit=10000"))
            .await;
        history.as_array().map_or(0, Vec::len) as f64
    }
}

#[tokio::test]
async fn metrics_report_the_pipeline_the_alerts_the_provider_and_the_api() {
    let folder = tempfile::tempdir().unwrap();
    let (provider, address) = Provider::start(0.90).await;
    let listen = free_address();
    let args = [
        "run",
        "--source-url",
        &format!("http://{address}"),
        "--poll-interval",
        "0.2",
        "--pairs",
        "USD/EUR,USD/GBP,USD/JPY",
        "--listen",
        &listen.to_string(),
        "--data-dir",
        folder.path().to_str().unwrap(),
    ];
    let fxmon = Process::fxmon(folder.path(), "fxmon", &args, &[]);
    let api = Api {
        base: format!("http://{listen}"),
        client: reqwest::Client::new(),
    };
    let stored_rows = "fxmon_rates_stored_total";

    // The first snapshot (EUR and GBP; JPY is invalid) goes through the pipeline.
    let text = api
        .metrics_until("stored a snapshot", |t| metric(t, stored_rows, &[]) >= 2.0)
        .await;
    assert_eq!(metric(&text, stored_rows, &[]), 2.0, "{text}");
    assert_eq!(
        api.stored("USD/EUR").await + api.stored("USD/GBP").await,
        2.0
    );
    assert_eq!(metric(&text, "fxmon_source_invalid_rates_total", &[]), 1.0);
    assert_eq!(metric(&text, "fxmon_alerts_fired_total", &[]), 0.0);

    let created = api
        .client
        .post(format!("{}/alerts", api.base))
        .json(&json!({"pair": "USD/EUR", "condition": "above", "threshold": 0.95}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", fxmon.log());
    provider.set_eur(0.96);
    let text = api
        .metrics_until("stored the second snapshot and delivered the alert", |t| {
            metric(t, stored_rows, &[]) >= 4.0
                && metric(t, "fxmon_processor_batch_duration_seconds_count", &[]) >= 2.0
                && metric(
                    t,
                    "fxmon_alert_deliveries_total",
                    &[r#"outcome="delivered""#],
                ) >= 1.0
        })
        .await;
    assert_eq!(
        metric(&text, "fxmon_alerts_fired_total", &[]),
        1.0,
        "{text}"
    );
    let stored = api.stored("USD/EUR").await + api.stored("USD/GBP").await;
    assert_eq!(stored, 4.0, "two snapshots of two rates");
    assert_eq!(metric(&text, stored_rows, &[]), stored, "{text}");
    let batches = metric(&text, "fxmon_processor_batch_duration_seconds_count", &[]);
    assert_eq!(batches, 2.0, "one batch per snapshot:\n{text}");
    assert_eq!(
        metric(&text, "fxmon_store_write_duration_seconds_count", &[]),
        2.0
    );
    assert!(metric(&text, "fxmon_source_fetch_duration_seconds_count", &[]) >= 2.0);
    assert_eq!(metric(&text, "fxmon_source_fetch_errors_total", &[]), 0.0);
    // Everything published has been consumed by now.
    let lag = [r#"topic="fx-rates""#, r#"group="rate-processor-group""#];
    assert!(text.contains("fxmon_consumer_lag_messages{"), "{text}");
    assert_eq!(metric(&text, "fxmon_consumer_lag_messages", &lag), 0.0);

    // The API: a quote read from the cache the processor filled, timed under its route.
    let rate = api.json("/rates/USD/EUR").await;
    assert_eq!(rate["rate"], 0.96, "{rate}");
    let text = api.metrics().await;
    let route = [r#"route="/rates/{base}/{quote}""#, r#"status="200""#];
    assert_eq!(
        metric(&text, "fxmon_http_request_duration_seconds_count", &route),
        1.0,
        "{text}"
    );
    assert!(metric(&text, "fxmon_quote_cache_reads_total", &[r#"result="hit""#]) >= 1.0);

    // The provider answers 500: fetch errors count up, nothing more is stored.
    provider.failing.store(true, Ordering::SeqCst);
    let text = api
        .metrics_until("counted a fetch error", |t| {
            metric(t, "fxmon_source_fetch_errors_total", &[]) >= 1.0
        })
        .await;
    assert!(metric(&text, "fxmon_source_consecutive_failures", &[]) >= 1.0);
    assert_eq!(metric(&text, stored_rows, &[]), stored);

    assert_eq!(fxmon.terminate(), Some(0));
}
