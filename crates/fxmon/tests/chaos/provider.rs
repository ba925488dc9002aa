//! A local stand-in for exchangerate-api.com's keyless v4 endpoint whose data moves on to
//! a new version every tick, but only while the test keeps its clock running: stopped from
//! a kill until the restarted fxmon has fetched again, so that no version appears and
//! disappears while nobody could fetch it. It remembers every version it served.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::plan::fnv;
use crate::snapshots::QUOTES;
use crate::support::{serve_v4, v4_fixture};
use crate::tally::Item;

/// How often the data changes while the clock runs.
const TICK: Duration = Duration::from_millis(150);

struct State {
    fixture: Value,
    /// As-of time of version 0 (Unix seconds); version `v` is `start + v`.
    start: i64,
    version: i64,
    running: bool,
    requests: u64,
    served: BTreeSet<i64>,
}

impl State {
    fn rate(&self, code: &str, version: i64) -> f64 {
        let reference = self.fixture["rates"][code].as_f64().unwrap();
        let noise = fnv(&[code.as_bytes(), &version.to_le_bytes()]) % 2001;
        reference * (1.0 + (noise as f64 - 1000.0) * 1e-6)
    }

    fn body(&self) -> Value {
        let mut body = self.fixture.clone();
        body["time_last_updated"] = (self.start + self.version).into();
        for (code, _) in QUOTES {
            body["rates"][code] = self.rate(code, self.version).into();
        }
        body
    }
}

pub struct Provider {
    pub address: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Provider {
    /// Serves version 0, as of an hour ago, with the clock stopped.
    pub async fn start() -> Self {
        let start = chrono::Utc::now().timestamp() - 3_600;
        let state = Arc::new(Mutex::new(State {
            fixture: v4_fixture(),
            start,
            version: 0,
            running: false,
            requests: 0,
            served: BTreeSet::new(),
        }));
        let shared = state.clone();
        let address = serve_v4(move || {
            let mut state = shared.lock().unwrap();
            state.requests += 1;
            let version = state.version;
            state.served.insert(version);
            state.body()
        })
        .await;
        let clock = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(TICK).await;
                let mut state = clock.lock().unwrap();
                if state.running {
                    state.version += 1;
                }
            }
        });
        Self { address, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn run_clock(&self, running: bool) {
        self.state.lock().unwrap().running = running;
    }

    pub fn requests(&self) -> u64 {
        self.state.lock().unwrap().requests
    }

    /// Versions served at least once.
    pub fn versions(&self) -> usize {
        self.state.lock().unwrap().served.len()
    }

    /// Every rate of every version served: (pair, as-of µs, rate bits).
    pub fn items(&self) -> Vec<Item> {
        let state = self.state.lock().unwrap();
        let mut items = Vec::new();
        for version in &state.served {
            let micros = (state.start + version) * 1_000_000;
            for (code, _) in QUOTES {
                let bits = state.rate(code, *version).to_bits();
                items.push((format!("USD/{code}"), micros, bits));
            }
        }
        items
    }
}
