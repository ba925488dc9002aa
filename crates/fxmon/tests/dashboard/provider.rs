//! A local stand-in for exchangerate-api.com's keyless v4 endpoint: it serves the real
//! response captured in the adapters' fixtures, with the rates and as-of time the test sets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{serve_v4, v4_fixture};

pub struct FakeProvider {
    pub address: SocketAddr,
    body: Arc<Mutex<Value>>,
}

impl FakeProvider {
    /// Serves the fixture with its as-of time moved to two minutes ago, so that the next
    /// updates, a second apart, are still in the past.
    pub async fn start() -> Self {
        let mut body = v4_fixture();
        body["time_last_updated"] = (now() - 120).into();
        let body = Arc::new(Mutex::new(body));
        let shared = body.clone();
        let address = serve_v4(move || shared.lock().unwrap().clone()).await;
        Self { address, body }
    }

    /// The origin to pass as `--source-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The provider publishes new data: `rates` (quote code, units per USD) change and the
    /// as-of time moves on by a second. Returns the new as-of time (Unix seconds).
    pub fn publish(&self, rates: &[(&str, f64)]) -> i64 {
        let mut body = self.body.lock().unwrap();
        let as_of = body["time_last_updated"].as_i64().unwrap() + 1;
        body["time_last_updated"] = as_of.into();
        for (code, rate) in rates {
            body["rates"][*code] = (*rate).into();
        }
        as_of
    }

    /// The rate currently served for `code`.
    pub fn rate(&self, code: &str) -> f64 {
        self.body.lock().unwrap()["rates"][code].as_f64().unwrap()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
