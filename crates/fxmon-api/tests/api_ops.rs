//! Operations endpoints: `/health` (liveness), `/ready` (readiness) and `/metrics`.
//! The metrics recorder is global to this test binary, so metric assertions compare a
//! scrape before and after the traffic, on series only one test here touches.

mod common;

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use common::{Answer, TestApi};

/// One sample line of the text exposition: name, labels, value.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// The samples of a `/metrics` answer. Enough of the format for fxmon's own output:
/// label values hold no quotes.
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.strip_suffix('}').unwrap()),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once("=\"").unwrap();
                    (key.to_owned(), value.trim_end_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().unwrap(),
            }
        })
        .collect()
}

/// The sum of `name`'s samples whose labels include `labels` (0 when there is none).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(text)
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.iter().any(|(key, val)| key == k && val == v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(api: &TestApi) -> String {
    let answer = api.get("/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.header("content-type").starts_with("text/plain"),
        "{}",
        answer.header("content-type")
    );
    String::from_utf8(answer.bytes).unwrap()
}

fn components(answer: &Answer) -> Vec<(String, String)> {
    answer.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].to_string(), c["status"].to_string()))
        .collect()
}

#[tokio::test]
async fn ready_is_200_while_healthy_or_degraded_and_reports_what_health_reports() {
    let api = TestApi::new("USD/EUR").await;
    // No fetch yet: degraded, which is still ready.
    let (live, ready) = (api.get("/health").await, api.get("/ready").await);
    assert_eq!(
        (live.status, ready.status),
        (StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(ready.json()["status"], "degraded", "{}", ready.json());
    assert_eq!(components(&live), components(&ready));

    api.source.succeeded(Utc::now(), Utc::now(), None);
    let ready = api.get("/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "healthy", "{}", ready.json());
}

#[tokio::test]
async fn a_closed_store_fails_readiness_but_not_liveness() {
    let api = TestApi::new("USD/EUR").await;
    api.store.close().await;
    let live = api.get("/health").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["status"], "unhealthy");
    let ready = api.get("/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(components(&live), components(&ready));
}

#[tokio::test]
async fn metrics_time_requests_by_route_template_and_count_quote_cache_hits_and_misses() {
    let api = TestApi::new("USD/EUR").await;
    let day = Utc::now() - TimeDelta::hours(1);
    api.store_rows(&[("USD/EUR", 0.91, day)]).await;
    let route = [
        ("method", "GET"),
        ("route", "/rates/{base}/{quote}"),
        ("status", "200"),
    ];
    let unmatched = [("route", "unmatched"), ("status", "404")];
    let count = "fxmon_http_request_duration_seconds_count";
    let reads = "fxmon_quote_cache_reads_total";
    let before = scrape(&api).await;

    // The first read misses the cache and fills it from the store; the second hits.
    for _ in 0..2 {
        assert_eq!(api.get("/rates/USD/EUR").await.status, StatusCode::OK);
    }
    assert_eq!(api.get("/no/such/path").await.status, StatusCode::NOT_FOUND);
    let after = scrape(&api).await;

    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(delta(count, &route), 2.0, "{after}");
    assert_eq!(delta(count, &unmatched), 1.0, "{after}");
    assert_eq!(delta(reads, &[("result", "miss")]), 1.0, "{after}");
    assert_eq!(delta(reads, &[("result", "hit")]), 1.0, "{after}");
    // A histogram: buckets up to +Inf, whose count is the request count.
    let inf = [route.as_slice(), &[("le", "+Inf")]].concat();
    assert_eq!(
        value(&after, "fxmon_http_request_duration_seconds_bucket", &inf),
        value(&after, count, &route)
    );
    assert!(after.contains("# TYPE fxmon_http_request_duration_seconds histogram"));
    assert!(after.contains("# HELP fxmon_quote_cache_reads_total"));
    // Raw paths never become labels.
    assert!(!after.contains("/no/such/path"), "{after}");
    assert!(!after.contains("/rates/USD/EUR"), "{after}");
}

#[tokio::test]
async fn source_health_counts_show_up_as_metrics() {
    let api = TestApi::new("USD/EUR").await;
    let before = scrape(&api).await;
    api.source
        .failed(Utc::now(), "provider answered HTTP 500".into());
    api.source.failed(Utc::now(), "still 500".into());
    api.source.malformed_response();
    api.source.quarantined(3);
    api.source.rejected(2);
    let after = scrape(&api).await;
    let delta = |name: &str| value(&after, name, &[]) - value(&before, name, &[]);
    assert_eq!(delta("fxmon_source_fetch_errors_total"), 2.0, "{after}");
    assert_eq!(delta("fxmon_source_malformed_responses_total"), 1.0);
    assert_eq!(delta("fxmon_source_quarantined_rates_total"), 3.0);
    assert_eq!(delta("fxmon_source_invalid_rates_total"), 2.0);
    assert!(after.contains("# TYPE fxmon_source_fetch_errors_total counter"));
}
