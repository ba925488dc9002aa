//! API keys, alert ownership, rate limits and the body size limit, through the router
//! with its layers, over a real SQLite store.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::{assert_problem, Answer, TestApi};
use fxmon_api::auth::{AuthSettings, CACHE_TTL};
use fxmon_api::limits::RateLimits;
use fxmon_api::{router, ApiSettings};
use fxmon_app::keys;
use fxmon_app::ports::KeyStore;
use serde_json::json;
use tower::ServiceExt;

/// One router kept across requests, as a server keeps it (its caches and buckets live on).
struct Server {
    api: TestApi,
    router: Router,
}

impl Server {
    async fn new(settings: ApiSettings) -> Self {
        let api = TestApi::new("USD/EUR").await;
        let router = router(api.deps.clone(), &settings);
        Self { api, router }
    }

    /// Creates a key in the store, as `fxmon apikey create` does; returns (id, key).
    async fn key(&self, name: &str) -> (i64, String) {
        let new = keys::generate();
        let stored = self
            .api
            .store
            .create_key(name, &new.prefix, &new.digest)
            .await
            .unwrap();
        (stored.id, new.key)
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        Answer::read(response).await
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    async fn create(&self, key: Option<&str>) -> Answer {
        let body = json!({"pair": "USD/EUR", "condition": "above", "threshold": 0.9});
        self.call("POST", "/alerts", key, Some(body)).await
    }
}

#[tokio::test]
async fn with_no_key_on_loopback_writes_are_open() {
    let server = Server::new(ApiSettings::default()).await;
    assert_eq!(server.create(None).await.status, StatusCode::CREATED);
    assert_eq!(
        server
            .call("GET", "/alerts", None, None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn once_a_key_exists_writes_need_one_and_reads_stay_public() {
    let server = Server::new(ApiSettings::default()).await;
    let (_, key) = server.key("ops").await;

    let refused = server.create(None).await;
    assert_problem(&refused, StatusCode::UNAUTHORIZED, None);
    assert!(refused.header("www-authenticate").starts_with("Bearer"));
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("needs an API key"));

    assert_eq!(server.create(Some(&key)).await.status, StatusCode::CREATED);
    let by_header = Request::post("/alerts")
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.8}).to_string(),
        ))
        .unwrap();
    assert_eq!(server.send(by_header).await.status, StatusCode::CREATED);

    let wrong = server.create(Some("fxk_0000")).await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, None);
    assert!(wrong.json()["detail"]
        .as_str()
        .unwrap()
        .contains("not valid"));
    let basic = Request::post("/alerts")
        .header("authorization", "Basic dTpw")
        .body(Body::empty())
        .unwrap();
    assert_problem(&server.send(basic).await, StatusCode::UNAUTHORIZED, None);

    assert_eq!(
        server.call("GET", "/currencies", None, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server.call("GET", "/health", None, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn require_auth_refuses_writes_while_no_key_exists() {
    let settings = ApiSettings {
        auth: AuthSettings {
            require_auth: true,
            private_reads: false,
        },
        ..ApiSettings::default()
    };
    let server = Server::new(settings).await;
    assert_problem(&server.create(None).await, StatusCode::UNAUTHORIZED, None);
    assert_eq!(
        server.call("GET", "/alerts", None, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn private_reads_need_a_key_except_liveness_readiness_docs_and_dashboard() {
    let settings = ApiSettings {
        auth: AuthSettings {
            require_auth: false,
            private_reads: true,
        },
        ..ApiSettings::default()
    };
    let server = Server::new(settings).await;
    let (_, key) = server.key("reader").await;
    for path in [
        "/currencies",
        "/rates",
        "/alerts",
        "/alerts/history",
        "/cross-rates",
    ] {
        assert_problem(
            &server.call("GET", path, None, None).await,
            StatusCode::UNAUTHORIZED,
            None,
        );
        let answer = server.call("GET", path, Some(&key), None).await;
        assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{path} with a key");
    }
    for path in ["/health", "/openapi.json", "/docs", "/dashboard"] {
        let answer = server.call("GET", path, None, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path} is open");
    }
}

#[tokio::test]
async fn a_created_key_works_and_a_revoked_one_stops_working_without_a_restart() {
    let server = Server::new(ApiSettings::default()).await;
    let (first, key) = server.key("first").await;
    assert_eq!(server.create(Some(&key)).await.status, StatusCode::CREATED);
    // A key created while serving is honoured at once (unknown keys are not cached
    // as absent beyond the cache's second).
    let (_, later) = server.key("later").await;
    assert_eq!(
        server.create(Some(&later)).await.status,
        StatusCode::CREATED
    );

    assert!(server.api.store.revoke_key(first).await.unwrap());
    tokio::time::sleep(CACHE_TTL + Duration::from_millis(100)).await;
    let refused = server.create(Some(&key)).await;
    assert_problem(&refused, StatusCode::UNAUTHORIZED, None);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    assert_eq!(
        server.create(Some(&later)).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_key_sees_and_changes_only_its_own_alerts() {
    let server = Server::new(ApiSettings::default()).await;
    let (_, alice) = server.key("alice").await;
    let (_, bob) = server.key("bob").await;
    let created = server.create(Some(&alice)).await;
    let id = created.json()["id"].as_i64().unwrap();
    let uri = format!("/alerts/{id}");

    assert_eq!(
        server.call("GET", &uri, Some(&alice), None).await.status,
        StatusCode::OK
    );
    assert_problem(
        &server.call("GET", &uri, Some(&bob), None).await,
        StatusCode::FORBIDDEN,
        None,
    );
    assert_problem(
        &server.call("GET", &uri, None, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let pause = Some(json!({"active": false}));
    assert_problem(
        &server.call("PATCH", &uri, Some(&bob), pause.clone()).await,
        StatusCode::FORBIDDEN,
        None,
    );
    assert_problem(
        &server.call("DELETE", &uri, Some(&bob), None).await,
        StatusCode::FORBIDDEN,
        None,
    );

    let listed = |answer: Answer| -> Vec<i64> {
        answer
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        listed(server.call("GET", "/alerts", Some(&alice), None).await),
        vec![id]
    );
    assert!(listed(server.call("GET", "/alerts", Some(&bob), None).await).is_empty());
    assert!(listed(server.call("GET", "/alerts", None, None).await).is_empty());
    let history = format!("/alerts/history?alert_id={id}");
    assert_eq!(
        server.call("GET", &history, Some(&bob), None).await.json(),
        json!([])
    );

    assert_eq!(
        server.call("PATCH", &uri, Some(&alice), pause).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server.call("DELETE", &uri, Some(&alice), None).await.status,
        StatusCode::NO_CONTENT
    );
}

/// Collects every log line written while it is the default subscriber.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn keys_never_reach_the_logs() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = Server::new(ApiSettings::default()).await;
    let (id, key) = server.key("logged").await;
    let created = server.create(Some(&key)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    server.api.store.revoke_key(id).await.unwrap();
    tokio::time::sleep(CACHE_TTL + Duration::from_millis(100)).await;
    server.create(Some(&key)).await;
    server.create(Some("fxk_guess")).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("Alert created"),
        "the test captured the logs: {text}"
    );
    assert!(!text.contains(&key), "a key was logged: {text}");
    assert!(
        !text.contains(&keys::digest(&key)),
        "a key's digest was logged"
    );
    assert!(!text.contains("fxk_guess"));
}

fn from(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000))
}

#[tokio::test]
async fn each_ip_and_each_key_has_its_own_rate_with_429_and_retry_after() {
    let settings = ApiSettings {
        rate_limits: RateLimits {
            per_ip: 3.0,
            per_key: 5.0,
        },
        ..ApiSettings::default()
    };
    let server = Server::new(settings).await;
    let (_, key) = server.key("limited").await;
    let request = |ip: &str, key: Option<&str>| {
        let mut request = Request::get("/currencies");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let mut request = request.body(Body::empty()).unwrap();
        request.extensions_mut().insert(from(ip));
        request
    };
    for _ in 0..3 {
        assert_eq!(
            server.send(request("198.51.100.7", None)).await.status,
            StatusCode::OK
        );
    }
    let limited = server.send(request("198.51.100.7", None)).await;
    assert_problem(&limited, StatusCode::TOO_MANY_REQUESTS, None);
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!(
        (1..=1).contains(&retry),
        "one token is back within a second: {retry}"
    );
    assert!(limited.json()["detail"]
        .as_str()
        .unwrap()
        .contains("this address"));

    // A local client (the dashboard on the same machine) is not limited per IP.
    for _ in 0..10 {
        assert_eq!(
            server.send(request("127.0.0.1", None)).await.status,
            StatusCode::OK
        );
    }
    // Another address is not affected; a key from the limited address has its own rate.
    assert_eq!(
        server.send(request("198.51.100.8", None)).await.status,
        StatusCode::OK
    );
    for _ in 0..5 {
        assert_eq!(
            server
                .send(request("198.51.100.7", Some(&key)))
                .await
                .status,
            StatusCode::OK
        );
    }
    let key_limited = server.send(request("198.51.100.9", Some(&key))).await;
    assert_problem(&key_limited, StatusCode::TOO_MANY_REQUESTS, None);
    assert!(key_limited.json()["detail"]
        .as_str()
        .unwrap()
        .contains("this API key"));

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server.send(request("198.51.100.7", None)).await.status,
        StatusCode::OK,
        "refilled"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_nothing_is_created() {
    let settings = ApiSettings {
        max_body_bytes: 1024,
        ..ApiSettings::default()
    };
    let server = Server::new(settings).await;
    let big =
        json!({"pair": "USD/EUR", "condition": "above", "threshold": 0.9, "pad": "x".repeat(2048)});
    let answer = server.call("POST", "/alerts", None, Some(big)).await;
    assert_problem(&answer, StatusCode::PAYLOAD_TOO_LARGE, None);
    assert!(answer.json()["detail"]
        .as_str()
        .unwrap()
        .contains("larger than"));
    assert_eq!(
        server.call("GET", "/alerts", None, None).await.json(),
        json!([])
    );
    assert_eq!(
        server.create(None).await.status,
        StatusCode::CREATED,
        "a small body still works"
    );
}
