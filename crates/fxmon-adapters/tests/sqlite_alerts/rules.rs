//! Creating, reading, listing, changing and deleting alerts.

use chrono::TimeDelta;
use fxmon_app::ports::{AlertFilter, AlertStore, NewAlert, StoreError};
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::{AlertRule, Condition, RuleState};

use crate::support::*;

#[tokio::test]
async fn a_created_alert_is_active_and_reads_back_the_same_by_id() {
    let (_dir, store) = fresh_store().await;
    let before = chrono::Utc::now() - TimeDelta::seconds(1);
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    assert!(created.active);
    assert_eq!(created.deleted_at, None);
    assert!(created.created_at > before, "{:?}", created.created_at);
    let expected = AlertRule {
        id: created.rule.id,
        ..rule("USD/EUR", Condition::Below, 0.85)
    };
    assert_eq!(created.rule, expected);
    assert_eq!(created.rule.cooldown_seconds, 3600);
    assert_eq!(created.state, RuleState::initial(&created.rule));
    assert_eq!(created.webhook_url, None);
    assert_eq!(
        store.get_alert(created.rule.id).await.unwrap(),
        Some(created)
    );
}

#[tokio::test]
async fn every_field_of_a_rule_and_its_webhook_round_trip() {
    let (_dir, store) = fresh_store().await;
    let rule = AlertRule {
        window_seconds: Some(900),
        direction: Some(Direction::Down),
        hysteresis: 0.25,
        cooldown_seconds: 60,
        frequency: Frequency::Once,
        expires_at: Some(at("2030-01-02T03:04:05.123456Z")),
        ..rule("EUR/GBP", Condition::ChangePct, 1.5)
    };
    let new = NewAlert {
        rule: rule.clone(),
        webhook_url: Some("https://hooks.example.com/fx?x=1".to_owned()),
        webhook_secret: Some("s3cret".to_owned()),
        owner: Default::default(),
    };
    let created = store.create_alert(&new).await.unwrap();
    assert_eq!(
        created.rule,
        AlertRule {
            id: created.rule.id,
            ..rule
        }
    );
    assert_eq!(created.webhook_url, new.webhook_url);
    assert_eq!(created.state, RuleState::initial(&created.rule));
    let read = store.get_alert(created.rule.id).await.unwrap();
    assert_eq!(read, Some(created));
}

#[tokio::test]
async fn edge_conditions_start_disarmed_and_levels_armed() {
    let (_dir, store) = fresh_store().await;
    for (condition, armed) in [
        (Condition::Above, true),
        (Condition::Below, true),
        (Condition::CrossesAbove, false),
        (Condition::CrossesBelow, false),
        (Condition::VolatilityAbove, true),
    ] {
        let created = alert(&store, "USD/EUR", condition, 0.85).await;
        let expected = RuleState {
            armed,
            last_fired_at: None,
        };
        assert_eq!(created.state, expected, "{condition}");
    }
}

#[tokio::test]
async fn an_invalid_rule_is_rejected_with_the_field_it_is_about_and_not_stored() {
    let (_dir, store) = fresh_store().await;
    let cases = [
        (rule("USD/EUR", Condition::Below, f64::NAN), "threshold"),
        (rule("USD/EUR", Condition::Below, -1.0), "threshold"),
        (rule("USD/EUR", Condition::ChangePct, 1.0), "window_seconds"),
        (
            AlertRule {
                window_seconds: Some(60),
                ..rule("USD/EUR", Condition::Above, 1.0)
            },
            "window_seconds",
        ),
        (
            AlertRule {
                direction: Some(Direction::Up),
                ..rule("USD/EUR", Condition::Above, 1.0)
            },
            "direction",
        ),
        (
            AlertRule {
                hysteresis: 1.0,
                ..rule("USD/EUR", Condition::Above, 1.0)
            },
            "hysteresis",
        ),
    ];
    for (rule, field) in cases {
        let new = NewAlert {
            rule,
            webhook_url: None,
            webhook_secret: None,
            owner: Default::default(),
        };
        let error = store.create_alert(&new).await.unwrap_err();
        assert_eq!(rejected_field(error), field);
    }
    assert!(store.active_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_webhook_without_a_secret_is_rejected() {
    let (_dir, store) = fresh_store().await;
    let new = NewAlert {
        rule: rule("USD/EUR", Condition::Below, 0.85),
        webhook_url: Some("https://hooks.example.com".to_owned()),
        webhook_secret: None,
        owner: Default::default(),
    };
    let error = store.create_alert(&new).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert!(store.active_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn pausing_hides_an_alert_from_active_alerts_and_resuming_restores_it() {
    let (_dir, store) = fresh_store().await;
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let id = created.rule.id;

    let paused = store.update_alert(id, &pause()).await.unwrap().unwrap();
    assert!(!paused.active);
    assert_eq!(paused.rule, created.rule);
    assert!(store.active_alerts().await.unwrap().is_empty());
    assert_eq!(store.get_alert(id).await.unwrap(), Some(paused.clone()));

    let resumed = store.update_alert(id, &resume()).await.unwrap().unwrap();
    assert_eq!(resumed, created);
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(created.rule, created.state)]
    );
}

#[tokio::test]
async fn an_alert_that_never_existed_is_not_found_by_any_operation() {
    let (_dir, store) = fresh_store().await;
    assert_eq!(store.get_alert(42).await.unwrap(), None);
    assert_eq!(store.update_alert(42, &pause()).await.unwrap(), None);
    assert!(!store.delete_alert(42).await.unwrap());
}

#[tokio::test]
async fn deleting_hides_the_alert_everywhere_and_keeps_its_history() {
    let (_dir, store) = fresh_store().await;
    let gone = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let event = trigger("e1", gone.id, "2026-10-30T10:00:00Z");
    record(&store, event.clone()).await;

    assert!(store.delete_alert(gone.id).await.unwrap());
    assert!(
        !store.delete_alert(gone.id).await.unwrap(),
        "already deleted"
    );
    assert_eq!(store.get_alert(gone.id).await.unwrap(), None);
    assert_eq!(store.update_alert(gone.id, &pause()).await.unwrap(), None);
    assert_eq!(store.update_alert(gone.id, &resume()).await.unwrap(), None);
    assert_eq!(
        store.list_alerts(&AlertFilter::default()).await.unwrap(),
        vec![kept.clone()]
    );
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(kept.rule, kept.state)]
    );
    let filter = fxmon_app::ports::TriggerFilter {
        alert_id: Some(gone.id),
        owner: Default::default(),
        ..newest(10, 0)
    };
    let history = store.triggers(&filter).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].trigger, event);
}

#[tokio::test]
async fn deleting_stamps_the_row_and_stops_it() {
    let (dir, store) = fresh_store().await;
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    store.delete_alert(id).await.unwrap();
    let (active, deleted_at): (bool, Option<String>) =
        sqlx::query_as("SELECT active, deleted_at FROM user_alerts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut raw(&dir).await)
            .await
            .unwrap();
    assert!(!active);
    assert!(deleted_at.is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn listing_filters_by_activity_and_pair_in_id_order() {
    let (_dir, store) = fresh_store().await;
    let usd_eur = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let eur_gbp = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let paused = alert(&store, "USD/EUR", Condition::Above, 0.95).await;
    let paused = store
        .update_alert(paused.rule.id, &pause())
        .await
        .unwrap()
        .unwrap();
    let list = |active_only, pair_text: Option<&str>| {
        let filter = AlertFilter {
            active_only,
            pair: pair_text.map(pair),
            owner: Default::default(),
        };
        let store = store.clone();
        async move { store.list_alerts(&filter).await.unwrap() }
    };
    assert_eq!(
        list(false, None).await,
        [usd_eur.clone(), eur_gbp.clone(), paused.clone()]
    );
    assert_eq!(list(true, None).await, [usd_eur.clone(), eur_gbp]);
    assert_eq!(
        list(false, Some("USD/EUR")).await,
        [usd_eur.clone(), paused]
    );
    assert_eq!(list(true, Some("USD/EUR")).await, [usd_eur]);
    assert_eq!(list(false, Some("EUR/USD")).await, []);
}
