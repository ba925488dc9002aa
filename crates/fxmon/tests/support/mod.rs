//! What the distributed end-to-end tests share: child processes that are killed when
//! dropped, a Kafka-protocol broker (nisshi) on a free loopback port, and a fresh
//! PostgreSQL database that is dropped afterwards.
#![allow(dead_code)] // each test file uses a different part

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed when dropped; its stderr goes to `log`.
pub struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Runs `fxmon` with `args` and `env`, logging to `folder/name.log`.
    pub fn fxmon(folder: &Path, name: &str, args: &[&str], env: &[(&str, String)]) -> Self {
        let log = folder.join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_fxmon"));
        command
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        Self {
            child: command.spawn().unwrap(),
            log,
        }
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "no exit after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address nothing listens on (as long as nobody takes it meanwhile).
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// An in-memory nisshi broker on a free port, listening. `None` (after saying SKIPPED)
/// when nisshi is not installed, unless `FXMON_TEST_REQUIRE_KAFKA` is set (CI sets it).
pub fn broker(folder: &Path) -> Option<(Process, SocketAddr)> {
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
    let log = folder.join("broker.log");
    // nisshi reads a `.env` in its working folder: run it in the test's own.
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
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let broker = Process { child, log };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "nisshi did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((broker, address))
}

/// A fresh PostgreSQL database, dropped when this is dropped. The admin URL is
/// `FXMON_TEST_DATABASE_URL` (default: the local server's `postgres` database).
pub struct Database {
    pub url: String,
    admin: String,
    name: String,
}

impl Database {
    pub fn fresh(name: &str) -> Self {
        let admin = std::env::var("FXMON_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let created = Command::new("psql")
            .args([&admin, "-q", "-c", &format!("CREATE DATABASE {name}")])
            .status()
            .unwrap();
        assert!(created.success(), "cannot create database {name}");
        let base = admin.rsplit_once('/').unwrap().0;
        Self {
            url: format!("{base}/{name}"),
            admin,
            name: name.to_owned(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}

impl Process {
    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Kills it with SIGKILL, as a crash or the OOM killer would (no clean-up runs), and
    /// reaps it.
    pub fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// exchangerate-api.com's keyless v4 answer, as captured in the adapters' fixtures: what
/// the tests' local stand-ins for the provider serve, with their own rates and times.
pub fn v4_fixture() -> serde_json::Value {
    let fixture =
        include_str!("../../../fxmon-adapters/tests/fixtures/exchangerate_api_v4_latest_usd.json");
    serde_json::from_str(fixture).unwrap()
}

/// Serves `body()` at the provider's `/v4/latest/USD` on a free loopback port; returns the
/// address (pass `http://ADDRESS` as `--source-url`).
pub async fn serve_v4<F>(body: F) -> SocketAddr
where
    F: Fn() -> serde_json::Value + Clone + Send + Sync + 'static,
{
    let app = axum::Router::new().route(
        "/v4/latest/USD",
        axum::routing::get(move || {
            let body = body();
            async move { axum::Json(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}
