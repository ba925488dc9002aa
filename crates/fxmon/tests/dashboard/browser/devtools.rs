//! The DevTools side of the driver: the Chromium process, the WebSocket connection with
//! its awaited answers, and the record of what the page reported.

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

use super::{Socket, FLAGS, TIMEOUT};

/// The Chromium process; it and its helpers are killed when this is dropped.
pub struct Chromium {
    pub child: Child,
    pub folder: tempfile::TempDir,
}

impl Chromium {
    pub fn start() -> Option<Self> {
        let program =
            std::env::var("FXMON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let folder = tempfile::tempdir().unwrap();
        let profile = folder.path().join("profile");
        let spawned = Command::new(&program)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // A file, not a pipe: Chromium logs a lot and must never block on it.
            .stderr(std::fs::File::create(folder.path().join("chromium.log")).unwrap())
            .process_group(0) // so that Drop also kills its renderers and helpers
            .spawn();
        match spawned {
            Ok(child) => Some(Self { child, folder }),
            Err(error) => {
                assert!(
                    std::env::var_os("FXMON_TEST_REQUIRE_BROWSER").is_none(),
                    "FXMON_TEST_REQUIRE_BROWSER is set but `{program}` cannot be run: {error} \
                     (install Debian's `chromium` or point FXMON_CHROMIUM at a Chromium)"
                );
                eprintln!("SKIPPED: chromium not installed (`{program}`: {error})");
                None
            }
        }
    }

    /// Waits for the `DevTools listening on ws://...` line.
    pub async fn devtools_url(&self) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let log = std::fs::read_to_string(self.folder.path().join("chromium.log"));
            let line = log.unwrap_or_default().lines().find_map(|line| {
                let url = line.strip_prefix("DevTools listening on ")?;
                Some(url.trim().to_owned())
            });
            if let Some(url) = line {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "Chromium did not listen within {TIMEOUT:?}{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last 30 lines of Chromium's log, minus its D-Bus complaints (containers
    /// have no D-Bus, and Chromium says so many times).
    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(self.folder.path().join("chromium.log"));
        let log = log.unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|l| !l.contains("dbus")).collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("\n--- Chromium's log (last lines) ---\n{tail}")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}

/// Finds the page Chromium opened on about:blank (it may appear just after Chromium
/// starts listening) and attaches to it.
pub async fn attach_to_page(connection: &Connection, chromium: &Chromium) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let targets = connection.send(None, "Target.getTargets", json!({})).await;
        let targets = targets.unwrap_or_else(|e| panic!("{e}{}", chromium.log()));
        let infos = targets["targetInfos"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(page) = infos.iter().find(|t| t["type"] == "page") {
            let params = json!({ "targetId": page["targetId"], "flatten": true });
            let attached = connection.send(None, "Target.attachToTarget", params).await;
            let attached = attached.unwrap_or_else(|e| panic!("{e}{}", chromium.log()));
            return attached["sessionId"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "Chromium opened no page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The writing half of the DevTools socket and the answers awaited on it.
pub struct Connection {
    pub sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    pub shared: Arc<Mutex<Shared>>,
    pub next_id: AtomicU64,
}

impl Connection {
    /// Sends a command (to `session`, or to the browser) and awaits its result.
    pub async fn send(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let (reply, answer) = oneshot::channel();
        self.shared.lock().unwrap().pending.insert(id, reply);
        let sent = self
            .sink
            .lock()
            .await
            .send(Message::text(command.to_string()))
            .await;
        sent.map_err(|e| format!("{method}: cannot send: {e}"))?;
        let answer = match tokio::time::timeout(TIMEOUT, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(format!("{method}: Chromium closed the connection")),
            Err(_) => return Err(format!("{method}: no answer within {TIMEOUT:?}")),
        };
        match answer.get("error") {
            Some(error) => Err(format!("{method} failed: {error}")),
            None => Ok(answer["result"].clone()),
        }
    }
}

/// What the reading task shares: awaited answers and what the page reported.
#[derive(Default)]
pub struct Shared {
    pub pending: HashMap<u64, oneshot::Sender<Value>>,
    pub console: Vec<String>,
    pub errors: Vec<String>,
    pub requests: Vec<String>,
    pub failed: Vec<String>,
    pub urls: HashMap<String, String>, // by request id, for `loadingFailed`
}

impl Shared {
    pub fn note(&mut self, method: &str, params: &Value) {
        match method {
            "Runtime.consoleAPICalled" => {
                let kind = text(&params["type"]);
                let args = params["args"].as_array().into_iter().flatten();
                let words: Vec<String> = args.map(describe).collect();
                let message = format!("console.{kind}: {}", words.join(" "));
                if kind == "error" || kind == "assert" {
                    self.errors.push(message.clone());
                }
                self.console.push(message);
            }
            "Runtime.exceptionThrown" => {
                let details = exception_text(&params["exceptionDetails"]);
                self.errors.push(format!("uncaught {details}"));
            }
            "Log.entryAdded" if params["entry"]["level"] == "error" => {
                let entry = &params["entry"];
                let (source, message) = (text(&entry["source"]), text(&entry["text"]));
                let url = text(&entry["url"]);
                self.errors.push(format!("{source} error: {message} {url}"));
            }
            "Network.requestWillBeSent" => {
                let mut url = text(&params["request"]["url"]).to_owned();
                if url.starts_with("data:") && url.len() > 60 {
                    url = format!("{}...", url.chars().take(60).collect::<String>());
                }
                let id = text(&params["requestId"]).to_owned();
                self.urls.insert(id, url.clone());
                self.requests.push(url);
            }
            // Cancelled loads are the page changing its mind, not failures.
            "Network.loadingFailed" if params["canceled"] != true => {
                let url = self.urls.get(text(&params["requestId"]));
                let url = url.map_or("?", String::as_str);
                let failure = format!("{url}: {}", text(&params["errorText"]));
                self.failed.push(failure);
            }
            "Inspector.targetCrashed" => self.errors.push("the page crashed".to_owned()),
            _ => {}
        }
    }
}

/// Dispatches everything Chromium sends: answers to their callers, load events to
/// `goto`, the rest to the record.
pub async fn read(
    mut stream: SplitStream<Socket>,
    shared: Arc<Mutex<Shared>>,
    loaded: watch::Sender<u64>,
) {
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(message) = message else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(&message) else {
            continue;
        };
        let method = text(&message["method"]);
        if let Some(id) = message["id"].as_u64() {
            if let Some(reply) = shared.lock().unwrap().pending.remove(&id) {
                let _ = reply.send(message);
            }
        } else if method == "Page.loadEventFired" {
            loaded.send_modify(|loads| *loads += 1);
        } else {
            shared.lock().unwrap().note(method, &message["params"]);
        }
    }
    // Chromium is gone: fail whoever still awaits an answer now, not at their timeout.
    shared.lock().unwrap().pending.clear();
}

/// A thrown value's description (message and stack) and where it was thrown.
pub fn exception_text(details: &Value) -> String {
    let description = details["exception"]["description"].as_str();
    let what = description.unwrap_or_else(|| text(&details["text"]));
    match details["url"].as_str() {
        Some(url) => format!(
            "{what} ({url}:{})",
            details["lineNumber"].as_u64().unwrap_or(0) + 1
        ),
        None => what.to_owned(),
    }
}

/// A console argument as the console would print it.
pub fn describe(argument: &Value) -> String {
    match argument.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(value) => value.to_string(),
        None => {
            let unserializable = argument["unserializableValue"].as_str();
            let text = unserializable.or(argument["description"].as_str());
            text.unwrap_or_else(|| self::text(&argument["type"]))
                .to_owned()
        }
    }
}

pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}
