//! A router over a fresh SQLite file per test, and helpers to call it and read replies.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_api::{router, ApiDeps, ApiSettings, LiveFeed};
use fxmon_app::health::HealthDeps;
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{AlertStore, AlertTrigger, TriggerWrite};
use fxmon_app::Tracked;
use fxmon_core::{Condition, Pair, RuleState};
use serde_json::{json, Value};
use tower::ServiceExt;

pub struct TestApi {
    _dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
    router: Router,
}

/// The API over a fresh store, allowing webhooks on any address: the tests' URLs
/// (`hooks.example.com`, loopback receivers) must not depend on DNS.
pub async fn api() -> TestApi {
    let settings = ApiSettings {
        webhook_targets: TargetPolicy::AllowPrivate,
        ..ApiSettings::default()
    };
    api_with(settings).await
}

/// The API over a fresh store, with `settings`.
pub async fn api_with(settings: ApiSettings) -> TestApi {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap(),
    );
    let cache = Arc::new(MemoryRateCache::new());
    let deps = ApiDeps {
        store: store.clone(),
        alerts: store.clone(),
        keys: store.clone(),
        cache: cache.clone(),
        health: HealthDeps {
            store: store.clone(),
            cache,
            bus: Arc::new(MemoryBus::new(1)),
            source: None,
            stale_after: Duration::from_secs(3600),
        },
        tracked: Tracked::parse("USD/EUR").unwrap(),
        feed: LiveFeed::new(16, 1),
    };
    TestApi {
        _dir: dir,
        store,
        router: router(deps, &settings),
    }
}

/// A response, its body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub location: Option<String>,
    pub body: Value,
}

impl TestApi {
    pub async fn send(&self, method: Method, uri: &str, body: Option<(&str, &str)>) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        let body = match body {
            Some((content_type, text)) => {
                request = request.header(header::CONTENT_TYPE, content_type);
                Body::from(text.to_owned())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
        let location = header_text(header::LOCATION);
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            content_type,
            location,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None).await
    }

    pub async fn delete(&self, uri: &str) -> Reply {
        self.send(Method::DELETE, uri, None).await
    }

    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        let text = body.to_string();
        self.send(Method::POST, uri, Some(("application/json", &text)))
            .await
    }

    pub async fn patch(&self, uri: &str, body: Value) -> Reply {
        let text = body.to_string();
        self.send(Method::PATCH, uri, Some(("application/json", &text)))
            .await
    }

    /// Creates an alert through the API; returns its id.
    pub async fn create(&self, pair: &str, condition: &str, threshold: f64) -> i64 {
        let body = json!({"pair": pair, "condition": condition, "threshold": threshold});
        self.create_with(body).await["id"].as_i64().unwrap()
    }

    /// Creates an alert from `body` through the API; returns the 201's body.
    pub async fn create_with(&self, body: Value) -> Value {
        let reply = self.post("/alerts", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
        reply.body
    }

    /// The ids of the alerts the alerter would evaluate.
    pub async fn active_ids(&self) -> Vec<i64> {
        let rules = self.store.active_alerts().await.unwrap();
        rules.iter().map(|(rule, _)| rule.id).collect()
    }

    /// Records a trigger of `alert_id` on `pair` at `hour` o'clock, as the alerter would.
    pub async fn fire(&self, alert_id: i64, pair: &str, hour: u32) {
        let triggered_at = format!("2026-10-30T{hour:02}:00:00Z");
        let at = DateTime::parse_from_rfc3339(&triggered_at)
            .unwrap()
            .to_utc();
        self.fire_at(alert_id, pair, at, false).await;
    }

    /// Records a trigger of `alert_id` on `pair` as of `at`, as the alerter would: the rule
    /// disarmed, fired at `at`, and deactivated if `retire`.
    pub async fn fire_at(&self, alert_id: i64, pair: &str, at: DateTime<Utc>, retire: bool) {
        let trigger = AlertTrigger {
            event_id: format!("alert-{alert_id}@{}", at.to_rfc3339()),
            alert_id,
            pair: Pair::parse(pair).unwrap(),
            condition: Condition::Below,
            threshold: 0.85,
            rate: 0.84,
            message: format!("{pair} is 0.84, below 0.85"),
            triggered_at: at,
        };
        let write = TriggerWrite {
            event: json!({"event_id": trigger.event_id}).to_string(),
            trigger,
            state: RuleState {
                armed: false,
                last_fired_at: Some(at),
            },
            previous: None,
            retire,
        };
        assert!(self.store.record_trigger(&write).await.unwrap());
    }
}

/// Asserts `reply` is a problem-details error of `status` about `param`; returns its detail.
pub fn problem(reply: &Reply, status: StatusCode, param: Option<&str>) -> String {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.content_type, "application/problem+json", "{reply:?}");
    assert_eq!(reply.body["status"], status.as_u16(), "{reply:?}");
    assert_eq!(reply.body["param"].as_str(), param, "{reply:?}");
    reply.body["detail"].as_str().unwrap().to_owned()
}

pub fn ids(reply: &Reply) -> Vec<i64> {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(|k| &**k).collect();
    keys.sort_unstable();
    keys
}
