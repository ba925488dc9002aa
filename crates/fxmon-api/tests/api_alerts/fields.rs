//! `POST /alerts` with the alert engine's fields: each is stored and shown, and each way a
//! rule can be wrong is a 422 naming its field.

use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use fxmon_app::ports::AlertStore;
use serde_json::{json, Value};

use crate::harness::{api, problem};

#[tokio::test]
async fn every_field_of_a_rule_is_stored_and_shown() {
    let api = api().await;
    let expires_at = "2099-12-31T00:00:00Z";
    let body = json!({
        "pair": "eur-gbp", "condition": "change_pct", "threshold": 1.5,
        "window_seconds": 900, "direction": "down", "hysteresis": 0.25,
        "cooldown_seconds": 60, "frequency": "once", "expires_at": expires_at,
    });
    let alert = api.create_with(body).await;
    let shown = |field: &str| alert[field].clone();
    assert_eq!(shown("pair"), "EUR/GBP");
    assert_eq!(shown("condition"), "change_pct");
    assert_eq!(shown("threshold"), 1.5);
    assert_eq!(shown("window_seconds"), 900);
    assert_eq!(shown("direction"), "down");
    assert_eq!(shown("hysteresis"), 0.25);
    assert_eq!(shown("cooldown_seconds"), 60);
    assert_eq!(shown("frequency"), "once");
    assert_eq!(shown("expires_at"), expires_at);
    assert_eq!(shown("state"), "armed");
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(api.get(&format!("/alerts/{id}")).await.body, alert);

    let (rule, _) = &api.store.active_alerts().await.unwrap()[0];
    assert_eq!(rule.window_seconds, Some(900));
    assert_eq!(rule.cooldown_seconds, 60);
}

#[tokio::test]
async fn a_change_pct_alert_watches_either_direction_by_default() {
    let api = api().await;
    let body = json!({"pair": "USD/EUR", "condition": "change_pct", "threshold": 2,
                      "window_seconds": 3600});
    let alert = api.create_with(body).await;
    assert_eq!(alert["direction"], "either");
}

#[tokio::test]
async fn every_condition_can_be_created_on_a_cross_and_crossings_start_waiting() {
    let api = api().await;
    for (condition, state) in [
        ("above", "armed"),
        ("below", "armed"),
        ("crosses_above", "waiting"),
        ("crosses_below", "waiting"),
        ("volatility_above", "armed"),
    ] {
        let body = json!({"pair": "GBP/JPY", "condition": condition, "threshold": 0.5});
        let alert = api.create_with(body).await;
        assert_eq!(
            (&alert["condition"], &alert["state"]),
            (&json!(condition), &json!(state))
        );
    }
}

#[tokio::test]
async fn each_invalid_rule_field_is_a_422_naming_it_and_creates_nothing() {
    let api = api().await;
    let level = json!({"pair": "USD/EUR", "condition": "above", "threshold": 0.9});
    let change = json!({"pair": "USD/EUR", "condition": "change_pct", "threshold": 1.0,
                        "window_seconds": 600});
    let with = |base: &Value, field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let mut missing_window = change.clone();
    missing_window
        .as_object_mut()
        .unwrap()
        .remove("window_seconds");
    let past = (Utc::now() - TimeDelta::minutes(1)).to_rfc3339();
    let cases = [
        (missing_window, "window_seconds", "required for change_pct"),
        (
            with(&change, "window_seconds", json!(0)),
            "window_seconds",
            "got 0",
        ),
        (
            with(&change, "window_seconds", json!(2678401)),
            "window_seconds",
            "got 2678401",
        ),
        (
            with(&change, "window_seconds", json!(-5)),
            "window_seconds",
            "invalid",
        ),
        (
            with(&change, "window_seconds", json!(null)),
            "window_seconds",
            "invalid",
        ),
        (
            with(&level, "window_seconds", json!(60)),
            "window_seconds",
            "only to change_pct",
        ),
        (
            with(&change, "direction", json!("sideways")),
            "direction",
            "\"sideways\"",
        ),
        (
            with(&level, "direction", json!("up")),
            "direction",
            "only to change_pct",
        ),
        (with(&change, "direction", json!(1)), "direction", "invalid"),
        (
            with(&level, "hysteresis", json!(-0.1)),
            "hysteresis",
            "got -0.1",
        ),
        (
            with(&level, "hysteresis", json!(0.9)),
            "hysteresis",
            "below the threshold",
        ),
        (
            with(&level, "hysteresis", json!("x")),
            "hysteresis",
            "invalid",
        ),
        (
            with(&level, "cooldown_seconds", json!(-1)),
            "cooldown_seconds",
            "invalid",
        ),
        (
            with(&level, "cooldown_seconds", json!(1.5)),
            "cooldown_seconds",
            "invalid",
        ),
        (
            with(&level, "frequency", json!("twice")),
            "frequency",
            "once or recurring",
        ),
        (
            with(&level, "frequency", json!(null)),
            "frequency",
            "invalid",
        ),
        (
            with(&level, "expires_at", json!(past)),
            "expires_at",
            "in the future",
        ),
        (
            with(&level, "expires_at", json!("2099-01-01")),
            "expires_at",
            "RFC 3339",
        ),
        (
            with(&level, "expires_at", json!(null)),
            "expires_at",
            "invalid",
        ),
        (
            with(&level, "threshold", json!(-1)),
            "threshold",
            "finite number > 0",
        ),
    ];
    for (body, param, expected) in cases {
        let reply = api.post("/alerts", body.clone()).await;
        let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(param));
        assert!(detail.contains(expected), "{body}: {detail}");
        assert!(detail.starts_with(param), "{detail}");
    }
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}
