//! What the sender puts on the wire, and how each answer maps to a `WebhookError`.

use std::time::{Duration, Instant};

use fxmon_adapters::webhook::{self, HttpWebhookSender, WebhookClientError};
use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{WebhookError, WebhookSender};

use crate::receiver::{closed_port_url, header, Answer, Receiver, SECRET};

const BODY: &str = r#"{"event_id":"7-1764151200000","alert_id":7,"pair":"EUR/USD","condition":"above","threshold":1.1,"current_rate":1.1042,"message":"EUR/USD above 1.1 — now 1.1042","triggered_at":"2025-11-26T10:00:00Z"}"#;

fn sender() -> HttpWebhookSender {
    HttpWebhookSender::new(Duration::from_secs(5), TargetPolicy::AllowPrivate).unwrap()
}

async fn send_to(receiver: &Receiver) -> Result<(), WebhookError> {
    sender()
        .send(&receiver.url, SECRET, "7-1764151200000", BODY)
        .await
}

/// Neither form of the error may carry the secret.
fn assert_secret_kept_out(error: &WebhookError) {
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[tokio::test]
async fn a_delivery_is_a_signed_json_post_of_the_exact_body_with_the_event_id() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    send_to(&receiver).await.unwrap();
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert!(request.signature_ok, "the receiver's own HMAC disagrees");
    assert_eq!(&request.body[..], BODY.as_bytes());
    let headers = &request.headers;
    assert_eq!(header(headers, "content-type"), "application/json");
    assert_eq!(header(headers, "x-fxmon-event-id"), "7-1764151200000");
    assert!(header(headers, "user-agent").starts_with("fxmon/"));
    let signature = header(headers, "x-fxmon-signature");
    assert_eq!(signature, webhook::sign(SECRET, BODY.as_bytes()));
    let hex = signature.strip_prefix("sha256=").unwrap();
    assert_eq!(hex.len(), 64);
    assert!(hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[tokio::test]
async fn a_signature_under_another_secret_is_rejected_by_the_receiver() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    let error = sender()
        .send(&receiver.url, "not-the-secret", "e1", BODY)
        .await
        .unwrap_err();
    assert!(!receiver.received()[0].signature_ok);
    assert!(!error.is_transient(), "{error:?}");
    assert_eq!(
        error.reason(),
        "HTTP 401 Unauthorized: the target refused the event"
    );
}

#[tokio::test]
async fn a_503_is_transient_and_the_next_attempt_succeeds() {
    let receiver = Receiver::spawn(Answer::Ok).await;
    receiver.fail_first(1);
    let error = send_to(&receiver).await.unwrap_err();
    assert_eq!(
        error,
        WebhookError::transient("HTTP 503 Service Unavailable")
    );
    assert_secret_kept_out(&error);
    send_to(&receiver).await.unwrap();
    assert_eq!(receiver.accepted()["7-1764151200000"], 1);
}

#[tokio::test]
async fn a_400_is_a_permanent_refusal() {
    let receiver = Receiver::spawn(Answer::Status(400)).await;
    let error = send_to(&receiver).await.unwrap_err();
    assert_eq!(
        error,
        WebhookError::permanent("HTTP 400 Bad Request: the target refused the event")
    );
    assert_secret_kept_out(&error);
}

#[tokio::test]
async fn a_408_and_a_500_are_transient() {
    for code in [408, 500] {
        let receiver = Receiver::spawn(Answer::Status(code)).await;
        let error = send_to(&receiver).await.unwrap_err();
        assert!(error.is_transient(), "{code}: {error:?}");
    }
}

#[tokio::test]
async fn a_429_is_transient_with_its_retry_after() {
    let receiver = Receiver::spawn(Answer::Throttle(7)).await;
    let error = send_to(&receiver).await.unwrap_err();
    assert!(error.is_transient());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(error.reason(), "HTTP 429 Too Many Requests");
    assert_secret_kept_out(&error);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_refuses() {
    let receiver = Receiver::spawn(Answer::Redirect).await;
    let error = send_to(&receiver).await.unwrap_err();
    assert_eq!(receiver.received().len(), 1, "followed the redirect");
    assert!(!error.is_transient());
    assert!(
        error.reason().contains("redirects are not followed"),
        "{error}"
    );
}

#[tokio::test]
async fn a_target_that_does_not_answer_in_time_is_transient() {
    let receiver = Receiver::spawn(Answer::Stall(Duration::from_secs(5))).await;
    let sender =
        HttpWebhookSender::new(Duration::from_millis(200), TargetPolicy::AllowPrivate).unwrap();
    let started = Instant::now();
    let error = sender
        .send(&receiver.url, SECRET, "e1", BODY)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error, WebhookError::transient("no answer within 0.2s"));
}

#[tokio::test]
async fn a_closed_port_is_transient_and_the_error_names_neither_secret_nor_url() {
    let url = format!("{}/token-in-the-path", closed_port_url().await);
    let error = sender().send(&url, SECRET, "e1", BODY).await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(error.reason().starts_with("connection failed: "), "{error}");
    assert_secret_kept_out(&error);
    assert!(
        !format!("{error:?}").contains("token-in-the-path"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_url_that_is_not_http_is_refused_at_once() {
    for url in ["not a url", "ftp://example.com/hook"] {
        let error = sender().send(url, SECRET, "e1", BODY).await.unwrap_err();
        assert!(!error.is_transient(), "{url}: {error:?}");
    }
}

#[test]
fn a_zero_timeout_is_rejected() {
    assert!(matches!(
        HttpWebhookSender::new(Duration::ZERO, TargetPolicy::AllowPrivate),
        Err(WebhookClientError::ZeroTimeout)
    ));
}
