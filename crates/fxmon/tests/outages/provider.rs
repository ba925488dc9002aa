//! A stand-in for exchangerate-api.com's keyless v4 endpoint that publishes a new version
//! on every fetch, so the test knows exactly which snapshots the producer received: every
//! version it served must end up stored, once.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{serve_v4, v4_fixture};

/// The versions served so far and whether the data is frozen.
#[derive(Default)]
struct Served {
    version: i64,
    frozen: bool,
    as_ofs: BTreeSet<i64>,
}

/// The fake provider; its server runs until the test's runtime ends.
pub struct FakeProvider {
    address: SocketAddr,
    /// Version 0's as-of time (Unix seconds); version `v` is `origin + v`.
    origin: i64,
    served: Arc<Mutex<Served>>,
}

impl FakeProvider {
    /// Starts serving. The as-of times start a day ago, so thousands of versions a second
    /// apart are still in the past and none is stale.
    pub async fn start() -> Self {
        let fixture = Arc::new(v4_fixture());
        let origin = chrono::Utc::now().timestamp() - 86_400;
        let served = Arc::new(Mutex::new(Served::default()));
        let shared = served.clone();
        let address = serve_v4(move || serve(&shared, &fixture, origin)).await;
        Self {
            address,
            origin,
            served,
        }
    }

    /// The origin to pass as `--source-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The newest version served (0: none yet).
    pub fn version(&self) -> i64 {
        self.served.lock().unwrap().version
    }

    /// The as-of times (Unix seconds) of every version served.
    pub fn served(&self) -> BTreeSet<i64> {
        self.served.lock().unwrap().as_ofs.clone()
    }

    /// Stops (`true`) or resumes publishing new versions; while frozen every fetch gets the
    /// last version again, which the producer does not republish.
    pub fn freeze(&self, frozen: bool) {
        self.served.lock().unwrap().frozen = frozen;
    }

    /// The version whose as-of time is `as_of`.
    pub fn version_of(&self, as_of: i64) -> i64 {
        as_of - self.origin
    }

    /// The as-of time of `version`.
    pub fn as_of(&self, version: i64) -> i64 {
        self.origin + version
    }
}

/// USD/EUR and USD/GBP of `version`; the other currencies keep the fixture's rates.
pub fn moving_rates(version: i64) -> [(&'static str, f64); 2] {
    let step = version as f64 * 1e-5;
    [("EUR", 0.85 + step), ("GBP", 0.75 - step)]
}

/// Answers one fetch: a new version unless frozen.
fn serve(served: &Mutex<Served>, fixture: &Value, origin: i64) -> Value {
    let mut served = served.lock().unwrap();
    if !served.frozen || served.version == 0 {
        served.version += 1;
    }
    let version = served.version;
    served.as_ofs.insert(origin + version);
    let mut body = fixture.clone();
    body["time_last_updated"] = (origin + version).into();
    for (code, rate) in moving_rates(version) {
        body["rates"][code] = rate.into();
    }
    body
}
