//! `fxmon apikey create|list|revoke` beside a running `fxmon run` on the same data dir:
//! the server honours a new key and a revocation without a restart, says at start-up
//! that writes are open while no key exists, and never logs a key.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{free_address, Process};

fn apikey(data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_fxmon"))
        .arg("apikey")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn create_alert(base: &str, key: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/alerts"))
        .json(&json!({"pair": "USD/EUR", "condition": "above", "threshold": 5.0}));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Retries `create_alert` until it answers `status` (a change takes up to a second).
async fn until_status(base: &str, key: Option<&str>, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = create_alert(base, key).await;
        if got == status {
            return;
        }
        assert!(Instant::now() < deadline, "still {got}, expected {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `fxmon run` listening on `listen` with its store in `data`, once `base` answers.
async fn start(folder: &Path, listen: &str, data: &str, base: &str) -> Process {
    let args = [
        "run",
        "--source",
        "simulate",
        "--listen",
        listen,
        "--data-dir",
        data,
    ];
    let server = Process::fxmon(folder, "run", &args, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(Instant::now() < deadline, "no API:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

#[tokio::test]
async fn keys_created_and_revoked_by_the_cli_apply_to_a_running_server() {
    let folder = tempfile::tempdir().unwrap();
    let data_dir = folder.path().join("data");
    let address = free_address();
    let base = format!("http://{address}");
    let data = data_dir.to_str().unwrap().to_owned();
    let listen = address.to_string();
    let server = start(folder.path(), &listen, &data, &base).await;
    assert!(
        server
            .log()
            .contains("alert writes are open to local clients without a key"),
        "{}",
        server.log()
    );
    assert_eq!(
        create_alert(&base, None).await,
        201,
        "open while no key exists"
    );

    let (ok, stdout, stderr) = apikey(&data_dir, &["create", "--name", "ci bot"]);
    assert!(ok, "{stderr}");
    let key = stdout.trim().to_owned();
    assert!(key.starts_with("fxk_") && key.len() == 68, "{stdout:?}");
    assert!(stderr.contains("shown once"), "{stderr}");
    until_status(&base, None, 401).await;
    assert_eq!(create_alert(&base, Some(&key)).await, 201);

    let (ok, list, _) = apikey(&data_dir, &["list"]);
    assert!(ok);
    assert!(
        list.contains("ci bot") && list.contains(&key[..10]),
        "{list}"
    );
    assert!(!list.contains(&key), "list shows only the prefix: {list}");

    let (ok, _, stderr) = apikey(&data_dir, &["revoke", "1"]);
    assert!(ok, "{stderr}");
    until_status(&base, Some(&key), 401).await;
    let (ok, _, stderr) = apikey(&data_dir, &["revoke", "1"]);
    assert!(
        !ok && stderr.contains("No active API key has id 1"),
        "{stderr}"
    );

    assert!(!server.log().contains(&key), "the key was logged");
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test]
async fn on_a_non_loopback_address_writes_need_a_key_even_before_one_exists() {
    let folder = tempfile::tempdir().unwrap();
    let data_dir = folder.path().join("data");
    let port = free_address().port();
    let data = data_dir.to_str().unwrap().to_owned();
    let listen = format!("0.0.0.0:{port}");
    let base = format!("http://127.0.0.1:{port}");
    let server = start(folder.path(), &listen, &data, &base).await;
    assert_eq!(create_alert(&base, None).await, 401);
    assert!(
        server.log().contains("every write is refused"),
        "{}",
        server.log()
    );
}
