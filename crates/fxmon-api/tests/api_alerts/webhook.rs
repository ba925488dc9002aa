//! Webhooks: the URL is checked, and the signing secret is returned by the create answer
//! and never again.

use axum::http::StatusCode;
use chrono::Utc;
use fxmon_app::ports::{DeliveryOutbox, DeliveryTarget};
use serde_json::{json, Value};

use crate::harness::{api, keys, problem};

fn with_webhook(url: Value) -> Value {
    json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85, "webhook_url": url})
}

#[tokio::test]
async fn the_secret_is_returned_once_and_signs_the_alerts_deliveries() {
    let api = api().await;
    let created = api
        .create_with(with_webhook(json!("https://hooks.example.com/fx")))
        .await;
    let secret = created["webhook_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()), "{secret}");
    assert_eq!(created["webhook_url"], "https://hooks.example.com/fx");
    let id = created["id"].as_i64().unwrap();

    let read = api.get(&format!("/alerts/{id}")).await.body;
    let mut without_secret = created.clone();
    without_secret
        .as_object_mut()
        .unwrap()
        .remove("webhook_secret");
    assert_eq!(read, without_secret);
    let listed = api.get("/alerts").await.body;
    assert_eq!(listed, json!([without_secret]));
    let paused = api
        .patch(&format!("/alerts/{id}"), json!({"active": false}))
        .await;
    assert!(!keys(&paused.body).contains(&"webhook_secret"));
    for reply in [&read, &listed, &paused.body] {
        assert!(!reply.to_string().contains(&secret), "{reply}");
    }

    // The deliverer gets the very secret the user was shown.
    api.fire(id, "USD/EUR", 10).await;
    let due = api.store.due_deliveries(Utc::now(), 10).await.unwrap();
    let webhook = DeliveryTarget::Webhook {
        url: "https://hooks.example.com/fx".to_owned(),
        secret,
    };
    assert_eq!(due[1].target, webhook);
}

#[tokio::test]
async fn each_alert_gets_its_own_secret_and_one_without_a_webhook_none() {
    let api = api().await;
    let url = json!("http://127.0.0.1:9000/hook");
    let first = api.create_with(with_webhook(url.clone())).await;
    let second = api.create_with(with_webhook(url)).await;
    assert_ne!(first["webhook_secret"], second["webhook_secret"]);
    let plain = api
        .create_with(json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85}))
        .await;
    assert!(!keys(&plain).contains(&"webhook_secret"), "{plain}");
    assert_eq!(plain["webhook_url"], Value::Null);
}

#[tokio::test]
async fn a_webhook_url_that_is_not_http_with_a_host_is_a_422_naming_it() {
    let api = api().await;
    for url in [
        json!("ftp://example.com/hook"),
        json!("/relative/hook"),
        json!("example.com/hook"),
        json!("https://"),
        json!("not a url"),
        json!(""),
        json!(42),
        json!(null),
    ] {
        let reply = api.post("/alerts", with_webhook(url.clone())).await;
        let detail = problem(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("webhook_url"),
        );
        assert!(detail.starts_with("webhook_url"), "{url}: {detail}");
    }
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}

/// The API as `fxmon` starts by default: webhooks to public addresses only.
async fn guarded_api() -> crate::harness::TestApi {
    crate::harness::api_with(fxmon_api::ApiSettings::default()).await
}

const LOCAL_TARGETS: [(&str, &str); 4] = [
    ("http://127.0.0.1:9/", "127.0.0.1, a loopback address"),
    (
        "http://169.254.169.254/latest/meta-data",
        "169.254.169.254, a cloud metadata address",
    ),
    (
        "http://[::ffff:10.0.0.1]/",
        "::ffff:10.0.0.1, a private address",
    ),
    // A name: refused for what it resolves to.
    ("http://localhost:8080/", "a loopback address"),
];

#[tokio::test]
async fn a_webhook_on_a_non_public_address_is_a_422_naming_the_address_and_the_flag() {
    let api = guarded_api().await;
    for (url, reason) in LOCAL_TARGETS {
        let reply = api.post("/alerts", with_webhook(json!(url))).await;
        let detail = problem(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("webhook_url"),
        );
        assert!(detail.starts_with("webhook_url "), "{url}: {detail}");
        assert!(detail.contains(reason), "{url}: {detail}");
        assert!(
            detail.ends_with("start fxmon with --webhook-allow-private to allow it"),
            "{url}: {detail}"
        );
    }
    let localhost = api
        .post("/alerts", with_webhook(json!("http://localhost:8080/")))
        .await;
    let detail = localhost.body["detail"].as_str().unwrap();
    assert!(detail.starts_with("webhook_url resolves to "), "{detail}");
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}

#[tokio::test]
async fn a_webhook_host_that_does_not_resolve_is_a_422() {
    let api = guarded_api().await;
    let reply = api
        .post(
            "/alerts",
            with_webhook(json!("https://no-such-host.invalid/hook")),
        )
        .await;
    let detail = problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("webhook_url"),
    );
    assert!(detail.contains("resolve"), "{detail}");
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}

#[tokio::test]
async fn a_public_webhook_address_is_accepted_by_default() {
    let api = guarded_api().await;
    let created = api
        .create_with(with_webhook(json!("https://93.184.216.34/hook")))
        .await;
    assert_eq!(created["webhook_url"], "https://93.184.216.34/hook");
}

#[tokio::test]
async fn with_private_targets_allowed_every_local_webhook_is_accepted() {
    let api = api().await;
    for (url, _) in LOCAL_TARGETS {
        let created = api.create_with(with_webhook(json!(url))).await;
        assert_eq!(created["webhook_url"], url);
    }
    assert_eq!(api.active_ids().await.len(), LOCAL_TARGETS.len());
}
