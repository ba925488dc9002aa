//! A canned provider on 127.0.0.1:0 that records what it was asked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::Router;
use fxmon_adapters::source::{HttpRateSource, HttpSourceConfig, Provider};

pub const KEY: &str = "a1b2c3d4e5f6a7b8c9d0e1f2";

/// What the fake provider answers, to every path.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Canned {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

/// A running fake provider.
pub struct FakeProvider {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

/// Starts a fake provider that answers `canned` to every request.
pub async fn spawn_provider(canned: Canned) -> FakeProvider {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(move |request: Request<Body>| {
        let canned = canned.clone();
        let log = log.clone();
        async move {
            log.lock().unwrap().push(Seen {
                path: request.uri().path().to_owned(),
                headers: request.headers().clone(),
            });
            tokio::time::sleep(canned.delay).await;
            respond(canned)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeProvider { base_url, seen }
}

fn respond(canned: Canned) -> Response<Body> {
    let mut response = Response::builder().status(StatusCode::from_u16(canned.status).unwrap());
    for (name, value) in canned.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(canned.body)).unwrap()
}

/// A URL on which nothing listens: a port bound once, then released.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A source of `provider`'s flavour pointed at `base_url`, with [`KEY`] when it needs one.
pub fn source(provider: Provider, base_url: &str) -> HttpRateSource {
    source_with_timeout(provider, base_url, Duration::from_secs(5))
}

pub fn source_with_timeout(
    provider: Provider,
    base_url: &str,
    timeout: Duration,
) -> HttpRateSource {
    let config = HttpSourceConfig {
        base_url: Some(base_url.to_owned()),
        api_key: provider.needs_key().then(|| KEY.to_owned()),
        timeout,
        ..HttpSourceConfig::new(provider)
    };
    HttpRateSource::new(config).unwrap()
}

/// A success fixture, as the provider serves it.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const V4: &str = "exchangerate_api_v4_latest_usd.json";
pub const OPEN: &str = "open_er_api_latest_usd.json";
pub const V6: &str = "exchangerate_api_v6_latest_usd.json";
