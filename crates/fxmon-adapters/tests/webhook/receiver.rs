//! A webhook receiver on 127.0.0.1:0 that checks each request as a user's would: with its
//! own HMAC-SHA256 (not `webhook::sign`), in constant time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The secret the receiver shares with the alert.
pub const SECRET: &str = "whsec_9f8e7d6c5b4a39281706";

/// What the receiver answers once it is up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Ok,
    Status(u16),
    /// 429 with `Retry-After: <seconds>`.
    Throttle(u64),
    /// Answers 200 only after this long.
    Stall(Duration),
    /// 302 to another path.
    Redirect,
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub signature_ok: bool,
}

struct State {
    answer: Answer,
    /// Answer 503 to this many requests first.
    failures_left: usize,
    /// Answer 503 until then.
    down_until: Option<Instant>,
    received: Vec<Received>,
    /// Event id → how many times it was answered 2xx.
    accepted: HashMap<String, u32>,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    pub async fn spawn(answer: Answer) -> Self {
        let state = Arc::new(Mutex::new(State {
            answer,
            failures_left: 0,
            down_until: None,
            received: Vec::new(),
            accepted: HashMap::new(),
        }));
        let shared = state.clone();
        let app = Router::new().fallback(move |method: Method, headers: HeaderMap, body: Bytes| {
            let state = shared.clone();
            async move { receive(&state, method, headers, body).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/fx", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    /// Answers 503 to the next `n` requests.
    pub fn fail_first(&self, n: usize) {
        self.state.lock().unwrap().failures_left = n;
    }

    /// Answers 503 for the next `period`.
    pub fn down_for(&self, period: Duration) {
        self.state.lock().unwrap().down_until = Some(Instant::now() + period);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn accepted(&self) -> HashMap<String, u32> {
        self.state.lock().unwrap().accepted.clone()
    }
}

async fn receive(
    state: &Mutex<State>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature_ok = verify(&headers, &body);
    let event_id = header(&headers, "x-fxmon-event-id").to_owned();
    let answer = {
        let mut state = state.lock().unwrap();
        state.received.push(Received {
            method,
            headers,
            body,
            signature_ok,
        });
        let down = state.down_until.is_some_and(|until| Instant::now() < until);
        if down || state.failures_left > 0 {
            state.failures_left = state.failures_left.saturating_sub(1);
            Answer::Status(503)
        } else if !signature_ok {
            Answer::Status(401)
        } else {
            state.answer
        }
    };
    if let Answer::Stall(delay) = answer {
        tokio::time::sleep(delay).await;
    }
    if matches!(answer, Answer::Ok | Answer::Stall(_)) {
        *state.lock().unwrap().accepted.entry(event_id).or_default() += 1;
    }
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    // A careless receiver that echoes the secret: the sender must not pass it on.
    let careless = format!("no thanks (secret {SECRET})");
    match answer {
        Answer::Ok | Answer::Stall(_) => StatusCode::NO_CONTENT.into_response(),
        Answer::Status(code) => (StatusCode::from_u16(code).unwrap(), careless).into_response(),
        Answer::Throttle(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", seconds.to_string())],
            careless,
        )
            .into_response(),
        Answer::Redirect => {
            (StatusCode::FOUND, [("location", "/elsewhere")], careless).into_response()
        }
    }
}

/// The check a receiver does: `sha256=<hex>` equal to HMAC-SHA256(secret, raw body).
fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(hex_mac) = header(headers, "x-fxmon-signature").strip_prefix("sha256=") else {
        return false;
    };
    let Ok(claimed) = hex::decode(hex_mac) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&claimed).is_ok()
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A URL on which nothing listens: a port bound once, then released.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/fx")
}
