//! A test harness: the router over a real SQLite file, the in-memory cache and bus.
#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, Utc};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_api::{router, ApiDeps, ApiSettings, LiveFeed};
use fxmon_app::health::HealthDeps;
use fxmon_app::ports::{RateStore, StoredRate};
use fxmon_app::{SourceHealth, Tracked};
use fxmon_core::{Pair, Rate};
use tower::ServiceExt;

pub struct TestApi {
    _dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
    pub cache: Arc<MemoryRateCache>,
    pub source: SourceHealth,
    pub deps: ApiDeps,
    pub settings: ApiSettings,
}

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    /// Reads a response whole.
    pub async fn read(response: axum::response::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Self {
            status,
            headers,
            bytes,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

impl TestApi {
    pub async fn new(tracked: &str) -> Self {
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
            alerts: store.clone(),
            keys: store.clone(),
            cache: cache.clone(),
            health: HealthDeps {
                store: store.clone(),
                cache: cache.clone(),
                bus: Arc::new(MemoryBus::new(1)),
                source: Some(source.clone()),
                stale_after: Duration::from_secs(26 * 3600),
            },
            tracked: Tracked::parse(tracked).unwrap(),
            feed: LiveFeed::new(16, 1),
        };
        Self {
            _dir: dir,
            store,
            cache,
            source,
            deps,
            settings: ApiSettings::default(),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = router(self.deps.clone(), &self.settings)
            .oneshot(request)
            .await
            .unwrap();
        Answer::read(response).await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// Stores `(pair, rate, time)` rows under source `test`.
    pub async fn store_rows(&self, rows: &[(&str, f64, DateTime<Utc>)]) {
        let rows: Vec<StoredRate> = rows
            .iter()
            .map(|(p, r, t)| StoredRate {
                pair: Pair::parse(p).unwrap(),
                rate: Rate::new(*r).unwrap(),
                timestamp: *t,
                source: "test".into(),
            })
            .collect();
        self.store.insert_rates(&rows).await.unwrap();
    }
}

/// Asserts a problem-details error with this status naming `param`.
pub fn assert_problem(answer: &Answer, status: StatusCode, param: Option<&str>) {
    assert_eq!(
        answer.status,
        status,
        "{}",
        String::from_utf8_lossy(&answer.bytes)
    );
    assert_eq!(answer.header("content-type"), "application/problem+json");
    let body = answer.json();
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    if let Some(param) = param {
        assert_eq!(body["param"], param, "{body}");
    }
}
