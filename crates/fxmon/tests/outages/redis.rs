//! A private `redis-server` without persistence, so a restart starts empty, as a Redis
//! that lost its memory does; and reads of fxmon's keys through `redis-cli`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::daemon::{output, Daemon};
use crate::support::free_address;

/// The Redis server; `running` is `None` while it is down.
pub struct PrivateRedis {
    pub address: SocketAddr,
    log: PathBuf,
    running: Option<Daemon>,
}

/// A quote as the processor cached it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedQuote {
    pub rate: f64,
    /// Unix seconds.
    pub as_of: i64,
}

impl PrivateRedis {
    pub fn start(folder: &Path) -> Self {
        let mut redis = Self {
            address: free_address(),
            log: folder.join("redis.log"),
            running: None,
        };
        redis.restart();
        redis
    }

    /// The URL for `--redis-url`.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.address)
    }

    /// Kills it; everything it held is gone.
    pub fn stop(&mut self) {
        self.running = None;
    }

    /// Starts an empty server on the same port.
    pub fn restart(&mut self) {
        let mut command = Command::new("redis-server");
        command.args(["--port", &self.address.port().to_string()]);
        command.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        self.running = Some(Daemon::spawn(command, &self.log, self.address));
    }

    fn cli(&self, args: &[&str]) -> String {
        let port = self.address.port().to_string();
        let mut all = vec!["-p", &port, "--no-raw"];
        all.extend_from_slice(args);
        output("redis-cli", &all[..])
    }

    /// `quote:{pair}` (rate and as-of time), if cached.
    pub fn quote(&self, pair: &str) -> Option<CachedQuote> {
        let key = format!("quote:{pair}");
        let out = self.cli(&["HMGET", &key, "rate", "as_of_us"]);
        let fields: Vec<&str> = out.lines().map(unquote).collect();
        let rate = fields.first()?.parse().ok()?;
        let as_of_us: i64 = fields.get(1)?.parse().ok()?;
        Some(CachedQuote {
            rate,
            as_of: as_of_us.div_euclid(1_000_000),
        })
    }

    /// `current_rate:{pair}`, the seed's string key.
    pub fn current_rate(&self, pair: &str) -> Option<f64> {
        let out = self.cli(&["GET", &format!("current_rate:{pair}")]);
        unquote(out.trim()).parse().ok()
    }
}

/// A `--no-raw` reply line's value: `1) "0.85"` or `"0.85"` gives `0.85`; `(nil)` stays.
fn unquote(line: &str) -> &str {
    let value = line.split_once(") ").map_or(line, |(_, v)| v);
    value.trim().trim_matches('"')
}
