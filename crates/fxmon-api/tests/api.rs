//! The minimal API through the router, over a real SQLite file and the in-memory cache.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_api::{router, ApiDeps};
use fxmon_app::health::HealthDeps;
use fxmon_app::ports::{Quote, RateCache, RateStore, StoredRate};
use fxmon_app::{SourceHealth, Tracked};
use fxmon_core::{Pair, Rate, Volatility};
use serde_json::Value;
use tower::ServiceExt;

struct TestApi {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    cache: Arc<MemoryRateCache>,
    source: SourceHealth,
    deps: ApiDeps,
}

async fn api() -> TestApi {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap(),
    );
    let cache = Arc::new(MemoryRateCache::new());
    let source = SourceHealth::new("exchangerate-api.com");
    let deps = ApiDeps {
        store: store.clone(),
        cache: cache.clone(),
        health: HealthDeps {
            store: store.clone(),
            cache: cache.clone(),
            bus: Arc::new(MemoryBus::new(1)),
            source: Some(source.clone()),
            stale_after: Duration::from_secs(26 * 3600),
        },
        tracked: Tracked::parse("USD/EUR,EUR/GBP").unwrap(),
    };
    TestApi {
        _dir: dir,
        store,
        cache,
        source,
        deps,
    }
}

async fn get(deps: &ApiDeps, uri: &str) -> (StatusCode, Value, String) {
    let response = router(deps.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap(),
        content_type,
    )
}

fn pair(s: &str) -> Pair {
    Pair::parse(s).unwrap()
}

/// Stores `(pair, rate, minutes before now)` rows; rows with the same minutes share a timestamp.
async fn store_rows(store: &SqliteStore, rows: &[(&str, f64, i64)]) {
    let now = Utc::now();
    let rows: Vec<StoredRate> = rows
        .iter()
        .map(|(p, r, minutes_ago)| StoredRate {
            pair: pair(p),
            rate: Rate::new(*r).unwrap(),
            timestamp: now - chrono::TimeDelta::minutes(*minutes_ago),
            source: "test".into(),
        })
        .collect();
    store.insert_rates(&rows).await.unwrap();
}

#[tokio::test]
async fn rates_come_from_the_cache_in_the_seeds_shape_with_the_as_of_time() {
    let api = api().await;
    let as_of = Utc.with_ymd_and_hms(2026, 11, 26, 0, 2, 31).unwrap();
    api.cache
        .put_quotes(&[Quote {
            pair: pair("USD/EUR"),
            rate: Rate::new(0.847).unwrap(),
            as_of,
            source: "exchangerate-api.com".into(),
            volatility: Volatility {
                level: Some(0.0012),
                log_return: Some(0.0009),
            },
        }])
        .await
        .unwrap();
    let (status, body, _) = get(&api.deps, "/rates").await;
    assert_eq!(status, StatusCode::OK);
    let rates = body.as_array().unwrap();
    assert_eq!(rates.len(), 1, "EUR/GBP has no data anywhere: {body}");
    assert_eq!(rates[0]["pair"], "USD/EUR");
    assert_eq!(rates[0]["rate"], 0.847);
    assert_eq!(rates[0]["volatility"], 0.0012);
    assert_eq!(rates[0]["volatility_log_return"], 0.0009);
    assert_eq!(rates[0]["timestamp"], "2026-11-26T00:02:31Z");
    assert_eq!(rates[0]["source"], "exchangerate-api.com");
}

#[tokio::test]
async fn on_a_cache_miss_rates_are_read_from_the_store_including_crosses() {
    let api = api().await;
    store_rows(
        &api.store,
        &[
            ("USD/EUR", 0.85, 2),
            ("USD/GBP", 0.79, 2),
            ("USD/EUR", 0.86, 1),
            ("USD/GBP", 0.78, 1),
        ],
    )
    .await;
    let (status, body, _) = get(&api.deps, "/rates").await;
    assert_eq!(status, StatusCode::OK);
    let rates = body.as_array().unwrap();
    assert_eq!(rates.len(), 2, "{body}");
    assert_eq!(rates[0]["rate"], 0.86);
    let eur_gbp = rates[1]["rate"].as_f64().unwrap();
    assert!((eur_gbp - 0.78 / 0.86).abs() < 1e-12);
    let expected = (0.79f64 / 0.85 - 0.78 / 0.86).abs() / 2f64.sqrt();
    assert!((rates[1]["volatility"].as_f64().unwrap() - expected).abs() < 1e-12);
    // ...and the answer is now cached.
    assert!(api.cache.quote(pair("EUR/GBP")).await.unwrap().is_some());
}

#[tokio::test]
async fn history_answers_both_path_forms_and_rejects_bad_parameters_by_name() {
    let api = api().await;
    store_rows(
        &api.store,
        &[
            ("USD/EUR", 0.85, 30),
            ("USD/EUR", 0.86, 20),
            ("USD/EUR", 0.87, 10),
        ],
    )
    .await;
    for uri in [
        "/rates/USD/EUR/history",
        "/rates/USD%2FEUR/history",
        "/rates/usd-eur/history",
    ] {
        let (status, body, _) = get(&api.deps, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let rates: Vec<f64> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["rate"].as_f64().unwrap())
            .collect();
        assert_eq!(rates, [0.85, 0.86, 0.87], "{uri}");
    }
    let (_, body, _) = get(&api.deps, "/rates/EUR/USD/history?order=desc&limit=2").await;
    let rates: Vec<f64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, [1.0 / 0.87, 1.0 / 0.86]);

    for (uri, param) in [
        ("/rates/USD/XYZ/history", "pair"),
        ("/rates/USD/EUR/history?hours=0", "hours"),
        ("/rates/USD/EUR/history?limit=10001", "limit"),
        ("/rates/USD/EUR/history?order=up", "order"),
    ] {
        let (status, body, content_type) = get(&api.deps, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["param"], param, "{uri}: {body}");
        assert_eq!(body["status"], 400);
    }
}

#[tokio::test]
async fn health_checks_each_dependency_for_real() {
    let api = api().await;
    let (status, body, _) = get(&api.deps, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "degraded", "no fetch yet: {body}");

    api.source.succeeded(Utc::now(), Utc::now(), None);
    let (status, body, _) = get(&api.deps, "/health").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("healthy")),
        "{body}"
    );

    api.source.failed(
        Utc::now(),
        "cannot reach the provider: connection refused".into(),
    );
    let (status, body, _) = get(&api.deps, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "degraded");
    let source = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rate_source")
        .unwrap();
    assert!(
        source["detail"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{source}"
    );

    api.store.close().await;
    let (status, body, _) = get(&api.deps, "/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unhealthy");
    let store = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store")
        .unwrap();
    assert_eq!(store["status"], "unhealthy", "{body}");
}

#[tokio::test]
async fn the_root_links_every_endpoint() {
    let api = api().await;
    let (status, body, _) = get(&api.deps, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["service"], "fxmon");
    for endpoint in ["/health", "/rates", "/rates/{base}/{quote}/history"] {
        assert!(
            body["endpoints"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == endpoint),
            "{endpoint}"
        );
    }
}
