//! A small headless-Chromium driver: a Chrome DevTools Protocol client over one
//! WebSocket, attached (flattened) to the browser's one page. It records what the page
//! reports—console messages, uncaught exceptions, error log entries, every request and
//! every failed load—so that tests can assert the dashboard is clean.
//!
//! Harness failures (Chromium gone, a command refused) panic with Chromium's log; what
//! a test may want to word itself (`try_eval`, `wait_for`) returns `Err(String)`.
#![allow(dead_code)] // each test uses a different part

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod devtools;

use devtools::{attach_to_page, exception_text, read, Chromium, Connection, Shared};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a launch, a navigation or any one DevTools command may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Quiet, offline, disposable: no first-run UI, no background fetches, no sandbox (the
/// tests run as root in containers), and shared memory in /tmp rather than /dev/shm
/// (often 64 MB in containers; Debian's wrapper means to add this flag when /dev/shm is
/// small, but its check breaks when /dev/shm is mounted twice).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
];

/// A headless Chromium and a DevTools session on its page; killed when dropped.
pub struct Browser {
    chromium: Chromium,
    connection: Connection,
    session: String,
    loads: watch::Receiver<u64>,
}

impl Browser {
    /// Starts `$FXMON_CHROMIUM` (default `/usr/bin/chromium`) on a fresh profile. `None`
    /// (after saying SKIPPED) when it is not installed, unless `FXMON_TEST_REQUIRE_BROWSER`
    /// is set (CI sets it).
    pub async fn launch() -> Option<Self> {
        let chromium = Chromium::start()?;
        let url = chromium.devtools_url().await;
        let config = WebSocketConfig::default()
            .max_message_size(Some(256 << 20))
            .max_frame_size(Some(256 << 20)); // a screenshot is one frame
        let (socket, _) = tokio_tungstenite::connect_async_with_config(&url, Some(config), true)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let (sink, stream) = socket.split();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (loaded, loads) = watch::channel(0);
        tokio::spawn(read(stream, shared.clone(), loaded));
        let connection = Connection {
            sink: tokio::sync::Mutex::new(sink),
            shared,
            next_id: AtomicU64::new(1),
        };
        let session = attach_to_page(&connection, &chromium).await;
        let browser = Self {
            chromium,
            connection,
            session,
            loads,
        };
        for domain in ["Runtime", "Log", "Network", "Page"] {
            browser.call(&format!("{domain}.enable"), json!({})).await;
        }
        Some(browser)
    }

    /// Opens `url` and waits for its load event.
    pub async fn goto(&self, url: &str) {
        let mut loads = self.loads.clone();
        loads.borrow_and_update();
        let navigated = self.call("Page.navigate", json!({ "url": url })).await;
        if let Some(error) = navigated["errorText"].as_str() {
            panic!("cannot open {url}: {error}");
        }
        match tokio::time::timeout(TIMEOUT, loads.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => panic!("Chromium went away while loading {url}{}", self.log()),
            Err(_) => panic!("{url} did not finish loading within {TIMEOUT:?}"),
        }
    }

    /// The value of `expression` (awaited if a promise); panics if it throws.
    pub async fn eval(&self, expression: &str) -> Value {
        self.try_eval(expression)
            .await
            .unwrap_or_else(|error| panic!("`{expression}` threw {error}"))
    }

    /// The value of `expression` (awaited if a promise), or what it threw.
    pub async fn try_eval(&self, expression: &str) -> Result<Value, String> {
        let params = json!({
            "expression": expression,
            "returnByValue": true,
            "awaitPromise": true,
            "userGesture": true,
        });
        let answer = self.call("Runtime.evaluate", params).await;
        match answer.get("exceptionDetails") {
            Some(details) => Err(exception_text(details)),
            None => Ok(answer["result"]["value"].clone()),
        }
    }

    /// Polls `condition` (which must evaluate to exactly `true`) every 50 ms; how long it
    /// took, or why it never held.
    pub async fn wait_for(&self, condition: &str, timeout: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            let last = match self.try_eval(condition).await {
                Ok(Value::Bool(true)) => return Ok(start.elapsed()),
                Ok(value) => format!("last value {value}"),
                Err(error) => format!("last threw {error}"),
            };
            if start.elapsed() > timeout {
                return Err(format!("`{condition}` not true after {timeout:?} ({last})"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves the viewport as a PNG, creating the folder.
    pub async fn screenshot(&self, path: &Path) {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("Chromium sends base64");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Emulates a window of `width`×`height` CSS pixels; `mobile` also means a touch
    /// screen and the mobile viewport rules (`<meta name=viewport>`).
    pub async fn set_viewport(&self, width: u32, height: u32, mobile: bool) {
        let metrics = json!({
            "width": width,
            "height": height,
            "deviceScaleFactor": 1,
            "mobile": mobile,
        });
        self.call("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        let touch = json!({ "enabled": mobile });
        self.call("Emulation.setTouchEmulationEnabled", touch).await;
    }

    /// Presses and releases a key on the focused element, as a user would: `Tab`,
    /// `Shift+Tab`, `Enter`, `Space`, `Escape`, `Backspace`, `ArrowUp`/`Down`/`Left`/
    /// `Right`, `Home`, `End`, `PageUp`, `PageDown`, with `Shift+`, `Control+`, `Alt+`,
    /// `Meta+` prefixes.
    pub async fn press(&self, chord: &str) {
        let (modifiers, name) = chord.rsplit_once('+').unwrap_or(("", chord));
        let modifiers = modifiers
            .split('+')
            .filter(|m| !m.is_empty())
            .fold(0, |all, m| {
                all | match m {
                    "Alt" => 1,
                    "Control" => 2,
                    "Meta" => 4,
                    "Shift" => 8,
                    _ => panic!("press: unknown modifier {m} in {chord}"),
                }
            });
        let (key, code, key_code, text) = key_definition(name);
        // With text, `keyDown` also produces the keypress that makes Enter click a
        // button or submit a form; without, it is a `rawKeyDown` (as Puppeteer does).
        let down = if text.is_empty() {
            "rawKeyDown"
        } else {
            "keyDown"
        };
        let mut event = json!({
            "type": down,
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": key_code,
            "nativeVirtualKeyCode": key_code,
            "modifiers": modifiers,
            "text": text,
            "unmodifiedText": text,
        });
        self.call("Input.dispatchKeyEvent", event.clone()).await;
        event["type"] = json!("keyUp");
        event["text"] = json!("");
        event["unmodifiedText"] = json!("");
        self.call("Input.dispatchKeyEvent", event).await;
    }

    /// Types `text` into the focused element (as an input method would: no key events).
    pub async fn type_text(&self, text: &str) {
        self.call("Input.insertText", json!({ "text": text })).await;
    }

    /// Console errors and assertions, uncaught exceptions, error log entries (failed
    /// loads, CSP violations...) and crashes, in order.
    pub fn console_errors(&self) -> Vec<String> {
        self.connection.shared.lock().unwrap().errors.clone()
    }

    /// Every console message, as `console.TYPE: TEXT`.
    pub fn console_messages(&self) -> Vec<String> {
        self.connection.shared.lock().unwrap().console.clone()
    }

    /// The URL of every request the page made (`data:` URLs shortened).
    pub fn requests(&self) -> Vec<String> {
        self.connection.shared.lock().unwrap().requests.clone()
    }

    /// Loads that failed (not those cancelled), as `URL: REASON`.
    pub fn failed_requests(&self) -> Vec<String> {
        self.connection.shared.lock().unwrap().failed.clone()
    }

    /// Panics unless every request stayed on this machine: the dashboard must work
    /// offline and leak nothing.
    pub fn assert_no_external_requests(&self) {
        let external: Vec<String> = self
            .requests()
            .into_iter()
            .filter(|url| !is_local(url))
            .collect();
        assert!(
            external.is_empty(),
            "requests off this machine: {external:#?}"
        );
    }

    /// The end of Chromium's log, for failure messages.
    pub fn log(&self) -> String {
        self.chromium.log()
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let session = Some(self.session.as_str());
        match self.connection.send(session, method, params).await {
            Ok(result) => result,
            Err(error) => panic!("{error}{}", self.log()),
        }
    }
}

/// `key`, `code`, key code and text of the keys `press` knows.
fn key_definition(name: &str) -> (&'static str, &'static str, u32, &'static str) {
    match name {
        "Tab" => ("Tab", "Tab", 9, ""),
        "Enter" => ("Enter", "Enter", 13, "\r"),
        "Space" | " " => (" ", "Space", 32, " "),
        "Escape" => ("Escape", "Escape", 27, ""),
        "Backspace" => ("Backspace", "Backspace", 8, ""),
        "PageUp" => ("PageUp", "PageUp", 33, ""),
        "PageDown" => ("PageDown", "PageDown", 34, ""),
        "End" => ("End", "End", 35, ""),
        "Home" => ("Home", "Home", 36, ""),
        "ArrowLeft" => ("ArrowLeft", "ArrowLeft", 37, ""),
        "ArrowUp" => ("ArrowUp", "ArrowUp", 38, ""),
        "ArrowRight" => ("ArrowRight", "ArrowRight", 39, ""),
        "ArrowDown" => ("ArrowDown", "ArrowDown", 40, ""),
        _ => panic!("press: unknown key {name}"),
    }
}

/// Whether a request stays on this machine.
fn is_local(url: &str) -> bool {
    if ["data:", "blob:", "about:"]
        .iter()
        .any(|s| url.starts_with(s))
    {
        return true;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    ["http", "https", "ws", "wss"].contains(&scheme)
        && ["127.0.0.1", "localhost", "[::1]"].contains(&host)
}
