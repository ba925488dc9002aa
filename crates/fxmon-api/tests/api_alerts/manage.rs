//! `GET /alerts`, `GET`/`PATCH`/`DELETE /alerts/{id}`: listing, pausing, resuming,
//! changing and deleting alerts.

use axum::http::StatusCode;
use fxmon_app::ports::AlertStore;
use serde_json::{json, Value};

use crate::harness::{api, ids, problem};

#[tokio::test]
async fn a_missing_alert_is_a_404_and_a_non_integer_id_a_422_on_get_patch_and_delete() {
    let api = api().await;
    let pause = json!({"active": false});
    for reply in [
        api.get("/alerts/999").await,
        api.patch("/alerts/999", pause.clone()).await,
        api.delete("/alerts/999").await,
    ] {
        let detail = problem(&reply, StatusCode::NOT_FOUND, None);
        assert!(detail.contains("alert 999"), "{detail}");
    }
    for reply in [
        api.get("/alerts/abc").await,
        api.patch("/alerts/1.5", pause).await,
        api.delete("/alerts/99999999999999999999").await,
    ] {
        let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some("id"));
        assert!(detail.contains("integer"), "{detail}");
    }
}

#[tokio::test]
async fn pausing_stops_an_alert_and_resuming_restores_it() {
    let api = api().await;
    let paused = api.create("USD/EUR", "below", 0.85).await;
    let running = api.create("EUR/GBP", "above", 0.9).await;

    let reply = api
        .patch(&format!("/alerts/{paused}"), json!({"active": false}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["active"], false);
    assert_eq!(reply.body["threshold"], 0.85);
    assert_eq!(ids(&api.get("/alerts?active_only=true").await), [running]);
    assert_eq!(ids(&api.get("/alerts").await), [paused, running]);
    assert_eq!(api.active_ids().await, [running]);

    let reply = api
        .patch(&format!("/alerts/{paused}"), json!({"active": true}))
        .await;
    assert_eq!(reply.body["active"], true, "{reply:?}");
    assert_eq!(
        ids(&api.get("/alerts?active_only=true").await),
        [paused, running]
    );
    assert_eq!(api.active_ids().await, [paused, running]);
}

#[tokio::test]
async fn a_threshold_change_is_kept_and_leaves_the_rest_alone() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    let before = api.get(&format!("/alerts/{id}")).await.body;
    let reply = api
        .patch(&format!("/alerts/{id}"), json!({"threshold": 0.8}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let mut expected = before;
    expected["threshold"] = json!(0.8);
    assert_eq!(reply.body, expected);
    assert_eq!(api.get(&format!("/alerts/{id}")).await.body, expected);
    assert_eq!(api.store.active_alerts().await.unwrap()[0].0.threshold, 0.8);
}

#[tokio::test]
async fn an_empty_or_invalid_patch_is_a_422_and_changes_nothing() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    let uri = format!("/alerts/{id}");
    let before = api.get(&uri).await.body;
    let cases = [
        (json!({}), "body", "nothing to change"),
        (
            json!({"active": false, "pair": "EUR/GBP"}),
            "pair",
            "not a known field",
        ),
        (
            json!({"threshold": -1}),
            "threshold",
            "finite number > 0, got -1",
        ),
        (
            json!({"threshold": 0}),
            "threshold",
            "finite number > 0, got 0",
        ),
        (json!({"threshold": "abc"}), "threshold", "got \"abc\""),
        (json!({"threshold": null}), "threshold", "got null"),
        (json!({"active": "yes"}), "active", "expected a boolean"),
        (json!({"active": null}), "active", "expected a boolean"),
        (
            json!({"hysteresis": 0.85}),
            "hysteresis",
            "below the threshold",
        ),
        (json!({"hysteresis": -0.01}), "hysteresis", "got -0.01"),
        (json!({"hysteresis": null}), "hysteresis", "invalid"),
        (
            json!({"cooldown_seconds": -1}),
            "cooldown_seconds",
            "invalid",
        ),
        (
            json!({"cooldown_seconds": "1h"}),
            "cooldown_seconds",
            "invalid",
        ),
        (
            json!({"window_seconds": 60}),
            "window_seconds",
            "not a known field",
        ),
    ];
    for (body, param, expected) in cases {
        let reply = api.patch(&uri, body.clone()).await;
        let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some(param));
        assert!(detail.contains(expected), "{body}: {detail}");
    }
    assert_eq!(api.get(&uri).await.body, before);
}

#[tokio::test]
async fn a_deleted_alert_is_gone_but_its_history_stays() {
    let api = api().await;
    let gone = api.create("USD/EUR", "below", 0.85).await;
    let kept = api.create("EUR/GBP", "above", 0.9).await;
    api.fire(gone, "USD/EUR", 10).await;
    api.fire(gone, "USD/EUR", 11).await;
    let uri = format!("/alerts/{gone}");

    let reply = api.delete(&uri).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert_eq!(reply.body, Value::Null);

    problem(&api.get(&uri).await, StatusCode::NOT_FOUND, None);
    problem(&api.delete(&uri).await, StatusCode::NOT_FOUND, None);
    let resume = api.patch(&uri, json!({"active": true})).await;
    problem(&resume, StatusCode::NOT_FOUND, None);
    assert_eq!(ids(&api.get("/alerts").await), [kept]);
    assert_eq!(api.active_ids().await, [kept]);

    let history = api.get(&format!("/alerts/history?alert_id={gone}")).await;
    assert_eq!(history.body.as_array().unwrap().len(), 2, "{history:?}");
    assert!(history
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["alert_id"] == gone));
}

#[tokio::test]
async fn listing_filters_by_pair_in_any_spelling_and_by_activity() {
    let api = api().await;
    let usd_eur = api.create("USD/EUR", "below", 0.85).await;
    let eur_gbp = api.create("EUR/GBP", "above", 0.9).await;
    let paused = api.create("usd-eur", "above", 0.95).await;
    api.patch(&format!("/alerts/{paused}"), json!({"active": false}))
        .await;
    for uri in [
        "/alerts?pair=USD/EUR",
        "/alerts?pair=USD%2FEUR",
        "/alerts?pair=usdeur",
        "/alerts?pair=USD%252FEUR",
    ] {
        assert_eq!(ids(&api.get(uri).await), [usd_eur, paused], "{uri}");
    }
    let both = api.get("/alerts?active_only=true&pair=USD-EUR").await;
    assert_eq!(ids(&both), [usd_eur]);
    assert_eq!(
        ids(&api.get("/alerts?active_only=false").await),
        [usd_eur, eur_gbp, paused]
    );
    assert_eq!(
        ids(&api.get("/alerts?pair=EUR/USD").await),
        Vec::<i64>::new()
    );

    problem(
        &api.get("/alerts?pair=USD/XYZ").await,
        StatusCode::NOT_FOUND,
        Some("pair"),
    );
    for (uri, param) in [
        ("/alerts?pair=nonsense", "pair"),
        ("/alerts?active_only=yes", "active_only"),
        ("/alerts?status=active", "status"),
    ] {
        problem(
            &api.get(uri).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(param),
        );
    }
}

#[tokio::test]
async fn hysteresis_and_cooldown_can_be_changed_and_the_rule_stays_valid() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    let uri = format!("/alerts/{id}");
    let before = api.get(&uri).await.body;
    let reply = api
        .patch(&uri, json!({"hysteresis": 0.01, "cooldown_seconds": 0}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let mut expected = before;
    expected["hysteresis"] = json!(0.01);
    expected["cooldown_seconds"] = json!(0);
    assert_eq!(reply.body, expected);
    let (rule, _) = &api.store.active_alerts().await.unwrap()[0];
    assert_eq!((rule.hysteresis, rule.cooldown_seconds), (0.01, 0));

    // A threshold at or below the hysteresis would never re-arm: checked against the
    // stored rule, and nothing changes.
    let reply = api
        .patch(&uri, json!({"threshold": 0.01, "active": false}))
        .await;
    let detail = problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some("hysteresis"));
    assert!(detail.contains("below the threshold"), "{detail}");
    assert_eq!(api.get(&uri).await.body, expected);
}
