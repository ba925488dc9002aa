//! The verification examples of docs/WEBHOOKS.md, run as written: the Python receiver
//! against real deliveries from the sender, the shell check against the documented request
//! and a fresh signature. Each is skipped, saying so, where its tool is missing.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fxmon_adapters::webhook::{sign, HttpWebhookSender};
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::WebhookSender;

const DOCS: &str = include_str!("../../../../docs/WEBHOOKS.md");
/// Not ASCII, so that a receiver hashing anything but the raw bytes would fail.
const BODY: &str = r#"{"event_id":"9-1","alert_id":9,"message":"EUR/USD über 1.1 — now 1.1042"}"#;
const SECRET: &str = "whsec_docs_example_test";

/// The first fenced block of `lang` in the docs.
fn code_block(lang: &str) -> &'static str {
    let fence = format!("```{lang}\n");
    let start = DOCS
        .find(&fence)
        .unwrap_or_else(|| panic!("no {lang} block"))
        + fence.len();
    let len = DOCS[start..].find("\n```").unwrap();
    &DOCS[start..start + len]
}

/// The documented request's signature header value and its body.
fn documented_request() -> (&'static str, &'static str) {
    let signature = DOCS
        .lines()
        .find_map(|line| line.strip_prefix("X-Fxmon-Signature: "))
        .unwrap();
    let body = DOCS
        .lines()
        .find(|line| line.starts_with(r#"{"event_id":"#))
        .unwrap();
    (signature, body)
}

fn installed(program: &str, version_arg: &str) -> bool {
    let found = Command::new(program).arg(version_arg).output().is_ok();
    if !found {
        assert!(
            std::env::var_os("FXMON_TEST_REQUIRE_TOOLS").is_none(),
            "FXMON_TEST_REQUIRE_TOOLS is set but {program} is not installed"
        );
        eprintln!("{program} is not installed: skipping the docs' {program} example");
    }
    found
}

/// A child process killed when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the Python receiver never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn the_python_receiver_accepts_a_real_delivery_and_refuses_a_forged_one() {
    if !installed("python3", "--version") {
        return;
    }
    let port = free_port();
    let _receiver = Running(
        Command::new("python3")
            .arg("-c")
            .arg(code_block("python"))
            .env("FXMON_WEBHOOK_SECRET", SECRET)
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_listening(port);
    let url = format!("http://127.0.0.1:{port}/hooks/fx");
    let sender =
        HttpWebhookSender::new(Duration::from_secs(5), TargetPolicy::AllowPrivate).unwrap();
    sender.send(&url, SECRET, "9-1", BODY).await.unwrap();
    let forged = sender
        .send(&url, "not-the-secret", "9-1", BODY)
        .await
        .unwrap_err();
    assert!(!forged.is_transient(), "{forged:?}");
    assert!(forged.reason().contains("401"), "{forged}");
}

/// What the docs' shell check prints for `body`, saved as received, and `signature_header`.
fn shell_check(body: &str, signature_header: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body.json"), body).unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg(code_block("sh"))
        .current_dir(dir.path())
        .env("signature_header", signature_header)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_shell_check_accepts_the_documented_request_and_a_fresh_signature_only() {
    if !installed("openssl", "version") {
        return;
    }
    let (signature, body) = documented_request();
    assert_eq!(sign("whsec_example_secret", body.as_bytes()), signature);
    assert_eq!(shell_check(body, signature), "valid");
    // The docs' check uses the docs' secret.
    let fresh = sign("whsec_example_secret", BODY.as_bytes());
    assert_eq!(shell_check(BODY, &fresh), "valid");
    assert_eq!(shell_check(BODY, signature), "INVALID");
    assert_eq!(shell_check(&format!("{BODY}\n"), &fresh), "INVALID");
}
