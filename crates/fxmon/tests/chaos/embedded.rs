//! `fxmon run` on the embedded stack (in-process bus, SQLite in its data dir), SIGKILLed at
//! random moments and restarted on the same data dir: every version the provider served
//! is stored exactly once, and the SQLite file passes `PRAGMA integrity_check`.
//!
//! The in-process bus is not durable: a snapshot fetched but not yet stored dies with the
//! process, as designed. So the provider's clock stops before each kill, and fxmon gets
//! `SETTLE` to store what it fetched; it keeps polling and (with `--publish-unchanged`)
//! re-storing the current version meanwhile, so the kill still lands amid writes. After a
//! restart the clock runs again only once the new process has fetched.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::plan::{Plan, Rng};
use crate::provider::Provider;
use crate::support::{free_address, Process};
use crate::tally::{tally, Item};

/// Three polls: time to store what was fetched before the clock stopped.
const SETTLE: Duration = Duration::from_millis(300);
const POLL_INTERVAL: &str = "0.1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fxmon_run_killed_at_random_stores_every_served_version_exactly_once() {
    let plan = Plan::from_env();
    let started = Instant::now();
    let folder = tempfile::tempdir().unwrap();
    let data = folder.path().join("data");
    let provider = Provider::start().await;
    let mut rng = Rng::new(plan.seed ^ 0xe3b);
    for incarnation in 0..=plan.kills {
        let last = incarnation == plan.kills;
        let process = start(folder.path(), &data, &provider, incarnation).await;
        provider.run_clock(true);
        let uptime = if last {
            Duration::from_secs(1)
        } else {
            Duration::from_millis(200) + rng.upto(plan.max_uptime * 2)
        };
        tokio::time::sleep(uptime).await;
        provider.run_clock(false);
        tokio::time::sleep(SETTLE + rng.upto(Duration::from_millis(100))).await;
        if last {
            assert_eq!(process.terminate(), Some(0));
        } else {
            process.crash();
        }
    }

    let database = data.join("fxmon.db");
    let integrity = sqlite(&database, "PRAGMA integrity_check");
    assert_eq!(integrity.trim(), "ok", "integrity_check");
    tally(&provider.items(), &stored_rates(&database)).report(
        "embedded",
        &format!(
            "versions={} kills={} seed={} integrity_check=ok took={:.1?}",
            provider.versions(),
            plan.kills,
            plan.seed,
            started.elapsed()
        ),
    );
}

/// Starts `fxmon run` and waits until it answers `/health` and has fetched from the
/// provider.
async fn start(folder: &Path, data: &Path, provider: &Provider, incarnation: usize) -> Process {
    let listen = free_address().to_string();
    let requests = provider.requests();
    let args = [
        "run",
        "--listen",
        &listen,
        "--source-url",
        &provider.url(),
        "--poll-interval",
        POLL_INTERVAL,
        "--publish-unchanged",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let env = [("FXMON_LOG", "info".to_owned())];
    let mut process = Process::fxmon(folder, &format!("run-{incarnation}"), &args, &env);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = client.get(format!("http://{listen}/health")).send().await;
        if health.is_ok() && provider.requests() > requests {
            return process;
        }
        if let Some(status) = process.exited() {
            panic!("fxmon run exited ({status}):\n{}", process.log());
        }
        assert!(
            Instant::now() < deadline,
            "fxmon run not up:\n{}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sqlite(database: &Path, sql: &str) -> String {
    let output = Command::new("sqlite3")
        .args(["-separator", "|"])
        .arg(database)
        .arg(sql)
        .output()
        .expect("the sqlite3 command-line tool is installed");
    assert!(
        output.status.success(),
        "sqlite3 failed on {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every stored rate: (pair, as-of µs, rate bits); 17 significant digits read back to the
/// same bits.
fn stored_rates(database: &Path) -> Vec<Item> {
    let rows = sqlite(
        database,
        "SELECT pair, timestamp, printf('%!.17g', rate) FROM fx_rates",
    );
    rows.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let time = chrono::DateTime::parse_from_rfc3339(fields[1]).unwrap();
            let rate: f64 = fields[2].parse().unwrap();
            (
                fields[0].to_owned(),
                time.timestamp_micros(),
                rate.to_bits(),
            )
        })
        .collect()
}
