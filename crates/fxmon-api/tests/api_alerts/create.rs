//! `POST /alerts`: what a new alert looks like, and each way its body can be wrong.

use axum::http::{Method, StatusCode};
use chrono::DateTime;
use serde_json::{json, Value};

use crate::harness::{api, keys, problem};

#[tokio::test]
async fn creating_an_alert_answers_201_with_its_location_and_the_originals_shape() {
    let api = api().await;
    let body = json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85});
    let reply = api.post("/alerts", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.content_type, "application/json");
    let alert = &reply.body;
    assert_eq!(
        keys(alert),
        [
            "active",
            "condition",
            "cooldown_seconds",
            "cooldown_until",
            "created_at",
            "direction",
            "expires_at",
            "frequency",
            "hysteresis",
            "id",
            "last_fired_at",
            "pair",
            "state",
            "threshold",
            "webhook_url",
            "window_seconds"
        ]
    );
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(reply.location, Some(format!("/alerts/{id}")));
    assert_eq!(alert["pair"], "USD/EUR");
    assert_eq!(alert["condition"], "below");
    assert_eq!(alert["threshold"], 0.85);
    assert_eq!(alert["active"], true);
    // The original's alert, with the engine's defaults: an hour's cooldown, recurring.
    assert_eq!(alert["state"], "armed");
    assert_eq!(
        (
            &alert["cooldown_seconds"],
            &alert["frequency"],
            &alert["hysteresis"]
        ),
        (&json!(3600), &json!("recurring"), &json!(0.0))
    );
    for field in [
        "window_seconds",
        "direction",
        "expires_at",
        "webhook_url",
        "cooldown_until",
        "last_fired_at",
    ] {
        assert_eq!(alert[field], Value::Null, "{field}");
    }
    let created_at = alert["created_at"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");
    assert!(
        DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    let read = api.get(reply.location.as_deref().unwrap()).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(&read.body, alert);
    assert_eq!(api.active_ids().await, [id]);
}

#[tokio::test]
async fn any_accepted_spelling_of_a_pair_and_crosses_are_stored_canonically() {
    let api = api().await;
    for (spelling, canonical) in [
        ("usd-eur", "USD/EUR"),
        ("EURGBP", "EUR/GBP"),
        ("USD%2FJPY", "USD/JPY"),
        (" gbp/jpy ", "GBP/JPY"),
    ] {
        let id = api.create(spelling, "above", 1.5).await;
        let reply = api.get(&format!("/alerts/{id}")).await;
        assert_eq!(reply.body["pair"], canonical, "{spelling}");
    }
}

#[tokio::test]
async fn each_invalid_field_of_a_new_alert_is_a_422_naming_it() {
    let api = api().await;
    let valid = json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (
            with("note", json!("hi")),
            "note",
            "note is not a known field",
        ),
        (without("threshold"), "threshold", "threshold is required"),
        (without("pair"), "pair", "pair is required"),
        (with("pair", json!(5)), "pair", "expected a string"),
        (
            with("condition", json!("sideways")),
            "condition",
            r#"condition must be one of "above", "below", "crosses_above", "crosses_below", "change_pct", "volatility_above", got "sideways""#,
        ),
        (
            with("threshold", json!(-1)),
            "threshold",
            "threshold must be a finite number > 0, got -1",
        ),
        (
            with("threshold", json!(0)),
            "threshold",
            "threshold must be a finite number > 0, got 0",
        ),
        (
            with("threshold", json!("abc")),
            "threshold",
            r#"threshold must be a finite number > 0, got "abc""#,
        ),
        (
            with("threshold", json!(null)),
            "threshold",
            "threshold must be a finite number > 0, got null",
        ),
        (with("pair", json!("USDEURO")), "pair", "must look like"),
        (
            with("pair", json!("USD/USD")),
            "pair",
            "same currency twice",
        ),
    ];
    for (body, param, expected) in cases {
        let reply = api.post("/alerts", body.clone()).await;
        let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(param));
        assert!(detail.contains(expected), "{body}: {detail}");
    }
    let not_an_object = api.post("/alerts", json!(["USD/EUR"])).await;
    problem(
        &not_an_object,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("body"),
    );
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}

#[tokio::test]
async fn a_number_too_large_for_a_float_or_a_field_given_twice_is_a_422_naming_it() {
    let api = api().await;
    for (text, expected) in [
        (
            r#"{"pair":"USD/EUR","condition":"below","threshold":1e400}"#,
            "threshold is a number out of range",
        ),
        (
            r#"{"pair":"USD/EUR","condition":"below","threshold":0.8,"threshold":0.9}"#,
            "threshold is given twice",
        ),
    ] {
        let reply = api
            .send(Method::POST, "/alerts", Some(("application/json", text)))
            .await;
        let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some("threshold"));
        assert_eq!(detail, expected);
    }
}

#[tokio::test]
async fn an_unknown_currency_is_a_404_pointing_at_the_currency_list() {
    let api = api().await;
    let body = json!({"pair": "USD/XYZ", "condition": "above", "threshold": 1.0});
    let detail = problem(
        &api.post("/alerts", body).await,
        StatusCode::NOT_FOUND,
        Some("pair"),
    );
    assert!(
        detail.contains("\"XYZ\"") && detail.contains("GET /currencies"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_400() {
    let api = api().await;
    for (content_type, text) in [
        ("application/json", "{\"threshold\": 0.8,"),
        ("application/json", ""),
        (
            "text/plain",
            r#"{"pair":"USD/EUR","condition":"below","threshold":0.85}"#,
        ),
    ] {
        let reply = api
            .send(Method::POST, "/alerts", Some((content_type, text)))
            .await;
        problem(&reply, StatusCode::BAD_REQUEST, None);
        let reply = api
            .send(Method::PATCH, "/alerts/1", Some((content_type, text)))
            .await;
        problem(&reply, StatusCode::BAD_REQUEST, None);
    }
}
