//! The built binary on the distributed backends: a Kafka-protocol broker (nisshi, started
//! here on a free loopback port), PostgreSQL (a fresh database) and Redis (a fresh key
//! prefix). First every service in one `fxmon run`, then each service its own process.
//!
//! Without `nisshi` on the PATH the test says SKIPPED and passes, unless
//! `FXMON_TEST_REQUIRE_KAFKA` is set (CI sets it, and installs nisshi).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn start_broker(folder: &Path) -> Option<(Killed, SocketAddr)> {
    let program = std::env::var("FXMON_NISSHI").unwrap_or_else(|_| "nisshi".to_owned());
    if Command::new(&program).arg("--version").output().is_err() {
        assert!(
            std::env::var_os("FXMON_TEST_REQUIRE_KAFKA").is_none(),
            "FXMON_TEST_REQUIRE_KAFKA is set but `{program}` cannot be run"
        );
        eprintln!("SKIPPED: no Kafka broker (`{program}` not found; see docs/KAFKA.md)");
        return None;
    }
    let address = free_address();
    let url = format!("tcp://{address}");
    let child = Command::new(&program)
        .current_dir(folder)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args([
            "--storage-engine",
            "memory://nisshi/",
            "--group-initial-rebalance-delay",
            "0s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let broker = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "nisshi did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((broker, address))
}

/// A fresh database; returns its URL and the admin URL to drop it with.
fn fresh_database(name: &str) -> (String, String) {
    let admin = std::env::var("FXMON_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let status = Command::new("psql")
        .args([&admin, "-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .unwrap();
    assert!(status.success(), "cannot create database {name}");
    let base = admin.rsplit_once('/').unwrap().0;
    (format!("{base}/{name}"), admin)
}

fn drop_database(admin: &str, name: &str) {
    let _ = Command::new("psql")
        .args([
            admin,
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .status();
}

fn spawn(args: &[String], env: &[(&str, String)]) -> Killed {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fxmon"));
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (key, value) in env {
        command.env(key, value);
    }
    Killed(command.spawn().unwrap())
}

async fn get(base: &str, path: &str) -> Option<(u16, Value)> {
    let response = reqwest::get(format!("{base}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

async fn wait_for(base: &str, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((200, body)) = get(base, path).await {
            if ready(&body) {
                return body;
            }
        }
        assert!(Instant::now() < deadline, "{path} never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn terminate(mut process: Killed) -> Option<i32> {
    Command::new("kill")
        .args(["-TERM", &process.0.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rates_with_volatility(body: &Value) -> bool {
    body.as_array()
        .is_some_and(|r| r.len() == 8 && r.iter().all(|q| q["volatility"].is_number()))
}

#[tokio::test]
async fn the_system_runs_on_kafka_postgres_and_redis_in_one_process_and_as_separate_processes() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_broker, broker)) = start_broker(folder.path()) else {
        return;
    };
    let tag = format!("e2e{}", std::process::id());
    let (database_url, admin) = fresh_database(&tag);
    let backends = |kafka_prefix: &str| -> Vec<(&'static str, String)> {
        vec![
            ("FXMON_BUS", "kafka".to_owned()),
            ("FXMON_KAFKA_BROKERS", broker.to_string()),
            ("FXMON_KAFKA_PREFIX", kafka_prefix.to_owned()),
            ("FXMON_KAFKA_PARTITIONS", "2".to_owned()),
            ("FXMON_STORE", "postgres".to_owned()),
            ("FXMON_DATABASE_URL", database_url.clone()),
            ("FXMON_CACHE", "redis".to_owned()),
            ("FXMON_REDIS_PREFIX", format!("{tag}:")),
            ("FXMON_SOURCE", "simulate".to_owned()),
            ("FXMON_SIMULATE_TICK", "0.2".to_owned()),
        ]
    };

    // 1. Everything in one process.
    let listen = free_address();
    let run = spawn(
        &["run".into(), "--listen".into(), listen.to_string()],
        &backends(&format!("{tag}-a.")),
    );
    let base = format!("http://{listen}");
    let first = wait_for(&base, "/rates", rates_with_volatility).await;
    assert_eq!(first[0]["source"], "simulator");
    let health = wait_for(&base, "/health", |b| b["status"] == "healthy").await;
    let names: Vec<&str> = health["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["store", "cache", "bus", "rate_source"]);
    let (_, history) = get(&base, "/rates/USD/EUR/history?limit=10000")
        .await
        .unwrap();
    let stored = history.as_array().unwrap().len();
    assert!(stored >= 2, "{stored} points in PostgreSQL");
    assert_eq!(terminate(run), Some(0));

    // 2. Each service alone, sharing the same database and Redis, on fresh topics.
    let env = backends(&format!("{tag}-b."));
    let processor = spawn(&["processor".into()], &env);
    let alerter = spawn(&["alerter".into()], &env);
    let listen = free_address();
    let api = spawn(&["api".into(), "--listen".into(), listen.to_string()], &env);
    let producer = spawn(&["producer".into()], &env);
    let base = format!("http://{listen}");
    // The API reads what the separate processor wrote to Redis and PostgreSQL.
    let later = wait_for(&base, "/rates", |b| {
        rates_with_volatility(b) && b[0]["timestamp"].as_str() > first[0]["timestamp"].as_str()
    })
    .await;
    assert_eq!(later.as_array().unwrap().len(), 8);
    let history = wait_for(&base, "/rates/USD/EUR/history?limit=10000", |b| {
        b.as_array().unwrap().len() > stored
    })
    .await;
    assert!(
        history.as_array().unwrap().len() > stored,
        "the history of the first run is kept"
    );
    for process in [producer, api, alerter, processor] {
        assert_eq!(terminate(process), Some(0));
    }
    drop_database(&admin, &tag);
}
