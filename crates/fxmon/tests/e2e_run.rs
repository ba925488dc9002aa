//! The built binary, end to end: `fxmon run --source simulate` as a child process.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `fxmon run` on a free loopback port.
struct Fxmon {
    child: Child,
    base: String,
}

impl Fxmon {
    fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &["--source", "simulate"])
    }

    fn start_with(data_dir: &Path, extra: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_fxmon"))
            .arg("run")
            .args(extra)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("FXMON_PAIRS")
            .env_remove("FXMON_WEBHOOK_ALLOW_PRIVATE")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fxmon binary starts");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn get(&self, path: &str) -> Option<(u16, Value)> {
        let response = reqwest::get(format!("{}{path}", self.base)).await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.ok()?))
    }

    /// Polls `path` until `ready` holds for its body.
    async fn wait_for(&self, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((200, body)) = self.get(path).await {
                if ready(&body) {
                    return body;
                }
            }
            assert!(Instant::now() < deadline, "{path} never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "fxmon did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Fxmon {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn all_volatilities_known(body: &Value) -> bool {
    let rates = body.as_array().unwrap();
    rates.len() == 8 && rates.iter().all(|r| r["volatility"].is_number())
}

fn rate_of(body: &Value, pair: &str) -> f64 {
    body.as_array()
        .unwrap()
        .iter()
        .find(|r| r["pair"] == pair)
        .unwrap_or_else(|| panic!("{pair} missing from {body}"))["rate"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn run_serves_changing_rates_stops_cleanly_on_sigterm_and_keeps_history_across_restarts() {
    let data_dir = tempfile::tempdir().unwrap();
    let fxmon = Fxmon::start(data_dir.path());

    let (status, health) = loop {
        if let Some(answer) = fxmon.get("/health").await {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 200, "{health}");

    let first = fxmon.wait_for("/rates", all_volatilities_known).await;
    let first_time = first[0]["timestamp"].as_str().unwrap().to_owned();
    let second = fxmon
        .wait_for("/rates", |b| {
            all_volatilities_known(b) && b[0]["timestamp"] != first_time.as_str()
        })
        .await;
    let pairs: Vec<&str> = second
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pair"].as_str().unwrap())
        .collect();
    assert_eq!(
        pairs,
        ["USD/EUR", "USD/GBP", "USD/JPY", "USD/CAD", "USD/AUD", "USD/CHF", "USD/CNY", "USD/INR"]
    );
    assert!(
        pairs
            .iter()
            .any(|p| rate_of(&first, p) != rate_of(&second, p)),
        "no rate moved"
    );
    for rate in second.as_array().unwrap() {
        assert_eq!(rate["source"], "simulator");
        assert!(rate["volatility_log_return"].is_number(), "{rate}");
    }
    let (_, history) = fxmon
        .get("/rates/USD/EUR/history?limit=10000")
        .await
        .unwrap();
    let kept = history.as_array().unwrap().len();
    assert!(kept >= 3, "history holds {kept} points");

    assert_eq!(fxmon.terminate().code(), Some(0), "SIGTERM must exit 0");

    let fxmon = Fxmon::start(data_dir.path());
    // Right after the restart, before or after new ticks, the old history is all there.
    let history = fxmon
        .wait_for("/rates/USD%2FEUR/history?limit=10000", |b| {
            b.as_array().unwrap().len() >= kept
        })
        .await;
    let earliest = history[0]["timestamp"].as_str().unwrap();
    assert!(
        earliest < first_time.as_str(),
        "{earliest} should predate {first_time}"
    );
    assert_eq!(fxmon.terminate().code(), Some(0));
}

#[tokio::test]
async fn with_the_provider_unreachable_run_keeps_serving_and_health_names_the_failing_source() {
    let data_dir = tempfile::tempdir().unwrap();
    // A port nothing listens on stands in for "no network": the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let fxmon = Fxmon::start_with(data_dir.path(), &["--source-url", &unreachable]);
    let health = fxmon
        .wait_for("/health", |b| {
            b["components"].as_array().unwrap().iter().any(|c| {
                c["name"] == "rate_source" && c["detail"].as_str().unwrap().contains("failing")
            })
        })
        .await;
    assert_eq!(health["status"], "degraded", "{health}");
    let source = health["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rate_source")
        .unwrap();
    let detail = source["detail"].as_str().unwrap();
    assert!(detail.starts_with("exchangerate-api.com"), "{detail}");
    assert!(detail.contains("cannot reach the provider"), "{detail}");
    let (status, rates) = fxmon.get("/rates").await.unwrap();
    assert_eq!((status, rates), (200, serde_json::json!([])));
    assert_eq!(fxmon.terminate().code(), Some(0));
}

#[tokio::test]
async fn an_alert_created_through_the_api_fires_streams_live_and_reaches_its_webhook() {
    let data_dir = tempfile::tempdir().unwrap();
    // The test's webhook receiver listens on 127.0.0.1, refused by default.
    let fxmon = Fxmon::start_with(
        data_dir.path(),
        &["--source", "simulate", "--webhook-allow-private"],
    );
    fxmon
        .wait_for("/rates", |b| !b.as_array().unwrap().is_empty())
        .await;

    // Subscribe first, so the alert event arrives live.
    let mut stream = reqwest::get(format!("{}/stream", fxmon.base))
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    let (hook_url, received) = webhook_receiver().await;
    // A simulated EUR/GBP (a cross) is always above 0.01: the next tick fires it, once.
    let created = reqwest::Client::new()
        .post(format!("{}/alerts", fxmon.base))
        .json(&serde_json::json!({"pair": "EUR/GBP", "condition": "above", "threshold": 0.01, "webhook_url": hook_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let alert: Value = created.json().await.unwrap();
    let id = alert["id"].as_i64().unwrap();
    let secret = alert["webhook_secret"].as_str().unwrap().to_owned();

    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(seen.contains("event: rates") && seen.contains("event: alert")) {
        assert!(
            Instant::now() < deadline,
            "no rates and alert events in: {seen}"
        );
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!("\"alert_id\":{id}")), "{seen}");

    let history = fxmon
        .wait_for(&format!("/alerts/history?alert_id={id}"), |b| {
            !b.as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(history[0]["pair"], "EUR/GBP");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, history) = fxmon
        .get(&format!("/alerts/history?alert_id={id}"))
        .await
        .unwrap();
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "one episode, one trigger: {history}"
    );
    // The webhook got the event once, signed with the secret shown at creation.
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the webhook never received the event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = received.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "one event, one delivery");
    let (signature, body) = &posts[0];
    assert_eq!(
        *signature,
        fxmon_adapters::webhook::sign(&secret, body.as_bytes())
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["alert_id"], id);
    let (_, history) = fxmon
        .get(&format!("/alerts/history?alert_id={id}"))
        .await
        .unwrap();
    let deliveries = history[0]["deliveries"].as_array().unwrap();
    assert!(
        deliveries.iter().all(|d| d["state"] == "delivered"),
        "{history}"
    );

    // An open stream must not hold the shutdown up.
    assert_eq!(fxmon.terminate().code(), Some(0));
    drop(stream);
}

#[tokio::test]
async fn by_default_run_refuses_a_webhook_on_loopback_naming_the_flag() {
    let data_dir = tempfile::tempdir().unwrap();
    let fxmon = Fxmon::start(data_dir.path());
    fxmon.wait_for("/", |_| true).await;
    let (hook_url, received) = webhook_receiver().await;
    let refused = reqwest::Client::new()
        .post(format!("{}/alerts", fxmon.base))
        .json(&serde_json::json!({"pair": "EUR/GBP", "condition": "above", "threshold": 0.01, "webhook_url": hook_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["param"], "webhook_url", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("127.0.0.1, a loopback address"), "{detail}");
    assert!(detail.contains("--webhook-allow-private"), "{detail}");
    let (_, alerts) = fxmon.get("/alerts").await.unwrap();
    assert_eq!(alerts, serde_json::json!([]));
    assert!(received.lock().unwrap().is_empty());
    assert_eq!(fxmon.terminate().code(), Some(0));
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A local webhook target recording each POST's signature header and body.
async fn webhook_receiver() -> (String, Received) {
    use axum::http::HeaderMap;
    let received: Received = Default::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let signature = headers["x-fxmon-signature"].to_str().unwrap().to_owned();
                sink.lock().unwrap().push((signature, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}
