//! The SSRF guard at delivery: without `--webhook-allow-private`, nothing is sent to a
//! non-public address, whether the URL names it or a name resolves to it.

use std::time::Duration;

use fxmon_adapters::webhook::HttpWebhookSender;
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{WebhookError, WebhookSender};

use crate::receiver::{Answer, Receiver, SECRET};

const BODY: &str = r#"{"event_id":"e1","alert_id":1}"#;

async fn send(targets: TargetPolicy, url: &str) -> Result<(), WebhookError> {
    let sender = HttpWebhookSender::new(Duration::from_secs(5), targets).unwrap();
    sender.send(url, SECRET, "e1", BODY).await
}

/// The receiver's URL with its host (`127.0.0.1`) replaced.
fn via(receiver: &Receiver, host: &str) -> String {
    receiver.url.replacen("127.0.0.1", host, 1)
}

/// Asserts `error` is a permanent refusal naming the address class; returns its reason.
fn assert_refused(error: &WebhookError, class: &str) -> String {
    assert!(!error.is_transient(), "{error:?}");
    let reason = error.reason().to_owned();
    assert!(reason.starts_with("the webhook URL "), "{reason}");
    assert!(reason.contains(class), "{reason}");
    assert!(reason.contains("--webhook-allow-private"), "{reason}");
    reason
}

#[tokio::test]
async fn a_loopback_literal_is_refused_and_the_receiver_gets_nothing() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    let url = format!("{}/token-in-the-path", receiver.url);
    let error = send(TargetPolicy::PublicOnly, &url).await.unwrap_err();
    let reason = assert_refused(&error, "a loopback address");
    assert!(reason.contains("points at 127.0.0.1"), "{reason}");
    assert!(!format!("{error:?}").contains("token-in-the-path"));
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn other_spellings_of_a_loopback_literal_are_refused_too() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    // IPv4-mapped IPv6, and the decimal and short forms URL parsing turns into 127.0.0.1.
    for host in ["[::ffff:127.0.0.1]", "2130706433", "127.1", "0x7f.0.0.1"] {
        let error = send(TargetPolicy::PublicOnly, &via(&receiver, host))
            .await
            .unwrap_err();
        assert_refused(&error, "a loopback address");
    }
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_at_connection_time() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    let error = send(TargetPolicy::PublicOnly, &via(&receiver, "localhost"))
        .await
        .unwrap_err();
    let reason = assert_refused(&error, "a loopback address");
    assert!(reason.contains("resolves to "), "{reason}");
    assert!(!reason.contains("localhost"), "{reason}");
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn metadata_and_private_literals_are_refused_without_connecting() {
    // Nothing listens there from a test machine; a refusal comes before any connection.
    for (url, class) in [
        (
            "http://169.254.169.254/latest/meta-data",
            "a cloud metadata address",
        ),
        ("http://10.0.0.1/hook", "a private address"),
        ("http://[fe80::1]/hook", "a link-local address"),
        ("http://0.0.0.0:9/hook", "an unspecified address"),
    ] {
        let error = send(TargetPolicy::PublicOnly, url).await.unwrap_err();
        assert_refused(&error, class);
    }
}

#[tokio::test]
async fn with_private_targets_allowed_both_the_literal_and_the_name_are_delivered() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    send(TargetPolicy::AllowPrivate, &receiver.url)
        .await
        .unwrap();
    send(TargetPolicy::AllowPrivate, &via(&receiver, "localhost"))
        .await
        .unwrap();
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.signature_ok));
}
