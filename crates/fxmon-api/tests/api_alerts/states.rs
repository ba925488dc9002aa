//! An alert's `state`: armed, waiting, cooling_down (with `cooldown_until`), paused,
//! expired and fired, as the alerter's saved state and the clock make it.

use chrono::{DateTime, SecondsFormat, SubsecRound, TimeDelta, Utc};
use fxmon_app::ports::{AlertStore, NewAlert};
use fxmon_core::{AlertRule, Condition, Pair};
use serde_json::{json, Value};

use crate::harness::{api, TestApi};

async fn shown(api: &TestApi, id: i64) -> Value {
    api.get(&format!("/alerts/{id}")).await.body
}

fn text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[tokio::test]
async fn an_alert_that_fired_cools_down_until_its_cooldown_ends_then_waits_to_re_arm() {
    let api = api().await;
    let body = json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85,
                      "cooldown_seconds": 600});
    let id = api.create_with(body).await["id"].as_i64().unwrap();
    assert_eq!(shown(&api, id).await["state"], "armed");

    // Whole seconds: the store keeps microseconds.
    let fired_at = Utc::now().trunc_subsecs(0) - TimeDelta::seconds(60);
    api.fire_at(id, "USD/EUR", fired_at, false).await;
    let alert = shown(&api, id).await;
    assert_eq!(alert["state"], "cooling_down");
    assert_eq!(alert["last_fired_at"], text(fired_at));
    assert_eq!(
        alert["cooldown_until"],
        text(fired_at + TimeDelta::seconds(600))
    );

    let long_ago = Utc::now().trunc_subsecs(0) - TimeDelta::hours(2);
    let other = api.create("USD/EUR", "below", 0.85).await;
    api.fire_at(other, "USD/EUR", long_ago, false).await;
    let alert = shown(&api, other).await;
    assert_eq!(
        (&alert["state"], &alert["cooldown_until"]),
        (&json!("waiting"), &Value::Null)
    );
    assert_eq!(alert["last_fired_at"], text(long_ago));
}

#[tokio::test]
async fn a_paused_alert_is_paused_and_a_resumed_one_armed_again() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    let uri = format!("/alerts/{id}");
    let paused = api.patch(&uri, json!({"active": false})).await.body;
    assert_eq!(
        (&paused["state"], &paused["active"]),
        (&json!("paused"), &json!(false))
    );
    let resumed = api.patch(&uri, json!({"active": true})).await.body;
    assert_eq!(resumed["state"], "armed");
}

#[tokio::test]
async fn a_once_alert_that_fired_is_fired_and_inactive() {
    let api = api().await;
    let body = json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85,
                      "frequency": "once"});
    let id = api.create_with(body).await["id"].as_i64().unwrap();
    api.fire_at(id, "USD/EUR", Utc::now(), true).await;
    let alert = shown(&api, id).await;
    assert_eq!(
        (&alert["state"], &alert["active"]),
        (&json!("fired"), &json!(false))
    );
    assert_eq!(api.active_ids().await, Vec::<i64>::new());
}

#[tokio::test]
async fn an_alert_past_its_expiry_is_expired() {
    let api = api().await;
    // The API refuses a past expiry; an alert reaches one by waiting.
    let rule = AlertRule {
        expires_at: Some(Utc::now() - TimeDelta::seconds(1)),
        ..AlertRule::new(0, Pair::parse("USD/EUR").unwrap(), Condition::Above, 1.0)
    };
    let new = NewAlert {
        rule,
        webhook_url: None,
        webhook_secret: None,
        owner: Default::default(),
    };
    let id = api.store.create_alert(&new).await.unwrap().rule.id;
    assert_eq!(shown(&api, id).await["state"], "expired");
}

#[tokio::test]
async fn a_new_threshold_re_arms_an_alert_cooling_down_but_a_new_cooldown_does_not() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    let uri = format!("/alerts/{id}");
    api.fire_at(id, "USD/EUR", Utc::now(), false).await;
    let longer = api
        .patch(&uri, json!({"cooldown_seconds": 7200}))
        .await
        .body;
    assert_eq!(
        (&longer["state"], &longer["cooldown_seconds"]),
        (&json!("cooling_down"), &json!(7200))
    );
    let renewed = api.patch(&uri, json!({"threshold": 0.84})).await.body;
    assert_eq!(renewed["state"], "armed");
    assert_eq!(renewed["last_fired_at"], Value::Null);
}
