//! Alerts: create, read, list, pause, resume, change (a new threshold starts the rule's
//! state over), softly delete; saved states; the rules version; the schema's checks.

use chrono::TimeDelta;
use fxmon_app::ports::{AlertFilter, AlertPatch, AlertStore, NewAlert, StoreError};
use fxmon_core::alert::{Direction, Frequency};
use fxmon_core::{AlertRule, Condition, RuleState};

use crate::support::*;

#[tokio::test]
async fn a_created_alert_is_active_and_every_field_reads_back_the_same() {
    let (_db, store) = fresh_store!();
    let before = chrono::Utc::now() - TimeDelta::seconds(1);
    let plain = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    assert!(plain.active);
    assert_eq!(plain.deleted_at, None);
    assert!(plain.created_at > before, "{:?}", plain.created_at);
    assert_eq!(plain.rule.cooldown_seconds, 3600);
    assert_eq!(plain.state, RuleState::initial(&plain.rule));
    assert_eq!(store.get_alert(plain.rule.id).await.unwrap(), Some(plain));

    let rule = AlertRule {
        window_seconds: Some(900),
        direction: Some(Direction::Down),
        hysteresis: 0.25,
        cooldown_seconds: u32::MAX,
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
    let full = store.create_alert(&new).await.unwrap();
    assert_eq!(
        full.rule,
        AlertRule {
            id: full.rule.id,
            ..rule
        }
    );
    assert_eq!(full.webhook_url, new.webhook_url);
    assert_eq!(store.get_alert(full.rule.id).await.unwrap(), Some(full));
}

#[tokio::test]
async fn edge_conditions_start_disarmed_and_levels_armed() {
    let (_db, store) = fresh_store!();
    for (condition, armed) in [
        (Condition::Above, true),
        (Condition::CrossesAbove, false),
        (Condition::CrossesBelow, false),
        (Condition::VolatilityAbove, true),
    ] {
        let created = alert(&store, "USD/EUR", condition, 0.85).await;
        assert_eq!(created.state.armed, armed, "{condition}");
    }
}

#[tokio::test]
async fn an_invalid_rule_or_an_unsigned_webhook_is_rejected_and_not_stored() {
    let (_db, store) = fresh_store!();
    let cases = [
        (rule("USD/EUR", Condition::Below, f64::NAN), "threshold"),
        (rule("USD/EUR", Condition::ChangePct, 1.0), "window_seconds"),
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
    let unsigned = NewAlert {
        rule: rule("USD/EUR", Condition::Below, 0.85),
        webhook_url: Some("https://hooks.example.com".to_owned()),
        webhook_secret: None,
        owner: Default::default(),
    };
    let error = store.create_alert(&unsigned).await.unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert!(store.active_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn pausing_hides_an_alert_from_active_alerts_and_resuming_restores_it() {
    let (_db, store) = fresh_store!();
    let created = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let id = created.rule.id;
    let paused = store.update_alert(id, &pause()).await.unwrap().unwrap();
    assert!(!paused.active);
    assert!(store.active_alerts().await.unwrap().is_empty());
    assert_eq!(store.get_alert(id).await.unwrap(), Some(paused));
    let resumed = store.update_alert(id, &resume()).await.unwrap().unwrap();
    assert_eq!(resumed, created);
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(created.rule, created.state)]
    );
}

#[tokio::test]
async fn a_threshold_change_starts_the_state_over_a_cooldown_change_keeps_it() {
    let (_db, store) = fresh_store!();
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    assert!(record(&store, trigger("e1", id, "2026-10-30T10:00:00Z")).await);
    let fired = store.get_alert(id).await.unwrap().unwrap();
    assert!(!fired.state.armed);

    let cooldown = AlertPatch {
        threshold: Some(0.85),
        cooldown_seconds: Some(60),
        ..AlertPatch::default()
    };
    let kept = store.update_alert(id, &cooldown).await.unwrap().unwrap();
    assert_eq!((kept.rule.cooldown_seconds, kept.state), (60, fired.state));

    let threshold = AlertPatch {
        threshold: Some(0.8),
        ..AlertPatch::default()
    };
    let renewed = store.update_alert(id, &threshold).await.unwrap().unwrap();
    assert_eq!(renewed.rule.threshold, 0.8);
    assert_eq!(renewed.state, RuleState::initial(&renewed.rule));

    let invalid = AlertPatch {
        active: Some(false),
        hysteresis: Some(0.9),
        ..AlertPatch::default()
    };
    let error = store.update_alert(id, &invalid).await.unwrap_err();
    assert_eq!(rejected_field(error), "hysteresis");
    assert_eq!(store.get_alert(id).await.unwrap(), Some(renewed));
}

#[tokio::test]
async fn deleting_hides_the_alert_everywhere_and_keeps_its_history() {
    let (db, store) = fresh_store!();
    let gone = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    let event = trigger("e1", gone.id, "2026-10-30T10:00:00Z");
    record(&store, event.clone()).await;

    assert!(store.delete_alert(gone.id).await.unwrap());
    assert!(
        !store.delete_alert(gone.id).await.unwrap(),
        "already deleted"
    );
    assert!(!store.delete_alert(4242).await.unwrap(), "never existed");
    assert_eq!(store.get_alert(gone.id).await.unwrap(), None);
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
    assert_eq!(history[0].trigger, event);
    let (active, deleted): (bool, bool) =
        sqlx::query_as("SELECT active, deleted_at IS NOT NULL FROM user_alerts WHERE id = $1")
            .bind(gone.id)
            .fetch_one(&mut db.raw().await)
            .await
            .unwrap();
    assert_eq!((active, deleted), (false, true));
}

#[tokio::test]
async fn listing_filters_by_activity_and_pair_in_id_order() {
    let (_db, store) = fresh_store!();
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

#[tokio::test]
async fn saved_states_survive_a_new_store_and_a_bad_batch_saves_nothing() {
    let (db, store) = fresh_store!();
    let cooling = alert(&store, "USD/EUR", Condition::Below, 0.85).await.rule;
    let rearmed = alert(&store, "EUR/GBP", Condition::CrossesAbove, 0.9)
        .await
        .rule;
    let fired = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T10:00:00.123456Z")),
    };
    let armed = RuleState {
        armed: true,
        last_fired_at: None,
    };
    store
        .save_states(&[(cooling.id, fired), (rearmed.id, armed)])
        .await
        .unwrap();
    store.save_states(&[]).await.unwrap();
    store.close().await;

    let store = db.store().await;
    let expected = [(cooling.clone(), fired), (rearmed.clone(), armed)];
    assert_eq!(store.active_alerts().await.unwrap(), expected);

    let year_10000 = at("9999-12-31T00:00:00Z") + TimeDelta::days(400);
    let bad = RuleState {
        armed: true,
        last_fired_at: Some(year_10000),
    };
    let error = store
        .save_states(&[(cooling.id, armed), (rearmed.id, bad)])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    assert_eq!(store.active_alerts().await.unwrap(), expected);
}

#[tokio::test]
async fn retired_alerts_are_no_longer_active_but_still_listed() {
    let (_db, store) = fresh_store!();
    let expired = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let kept = alert(&store, "EUR/GBP", Condition::Above, 0.9).await;
    store.retire_alerts(&[expired.rule.id]).await.unwrap();
    store.retire_alerts(&[]).await.unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(kept.rule.clone(), kept.state)]
    );
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(!listed[0].active && listed[1].active);
}

#[tokio::test]
async fn an_alert_row_that_does_not_parse_is_skipped_in_lists_and_an_error_by_id() {
    let (db, store) = fresh_store!();
    let good = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    sqlx::query(
        "INSERT INTO user_alerts (pair, condition, threshold, window_seconds, frequency)
         VALUES ('USD/XYZ', 'below', 1.0, NULL, 'once'),
                ('USD/EUR', 'sideways', 1.0, NULL, 'once'),
                ('USD/EUR', 'above', 1.0, 60, 'once')",
    )
    .execute(&mut db.raw().await)
    .await
    .unwrap();
    assert_eq!(
        store.active_alerts().await.unwrap(),
        [(good.rule.clone(), good.state)]
    );
    let listed = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(listed, vec![good.clone()]);
    for id in good.rule.id + 1..=good.rule.id + 3 {
        let error = store.get_alert(id).await.unwrap_err();
        assert!(matches!(error, StoreError::Rejected(_)), "{error}");
    }
}

#[tokio::test]
async fn the_schema_refuses_what_the_store_would_never_write() {
    let Some(db) = Database::create().await else {
        return;
    };
    let _store = db.store().await;
    let mut raw = db.raw().await;
    for sql in [
        "INSERT INTO user_alerts (pair, condition, threshold, frequency) VALUES ('USD/EUR', 'above', 1, 'twice')",
        "INSERT INTO user_alerts (pair, condition, threshold, cooldown_seconds) VALUES ('USD/EUR', 'above', 1, -1)",
        "INSERT INTO user_alerts (pair, condition, threshold, webhook_url) VALUES ('USD/EUR', 'above', 1, 'https://x')",
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source) VALUES ('EUR/USD', 'EUR', 'USD', 'NaN', now(), 'x')",
        "INSERT INTO fx_rates (pair, base, quote, rate, timestamp, source) VALUES ('EUR/USD', 'EUR', 'GBP', 1, now(), 'x')",
    ] {
        let error = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
        let code = error.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "23514", "{sql}: {error}");
    }
}

#[tokio::test]
async fn the_rules_version_moves_with_rule_changes_but_not_with_arm_state() {
    let (_db, store) = fresh_store!();
    let v0 = store.rules_version().await.unwrap();
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    let v1 = store.rules_version().await.unwrap();
    assert!(v1 > v0, "a new alert is a change");
    let fired = RuleState {
        armed: false,
        last_fired_at: Some(at("2026-10-30T00:00:00Z")),
    };
    store.save_states(&[(id, fired)]).await.unwrap();
    assert_eq!(store.rules_version().await.unwrap(), v1, "arm state is not");
    assert!(record(&store, trigger("e1", id, "2026-10-30T10:00:00Z")).await);
    assert_eq!(store.rules_version().await.unwrap(), v1, "nor is a trigger");
    store.update_alert(id, &resume()).await.unwrap();
    assert_eq!(
        store.rules_version().await.unwrap(),
        v1,
        "nor an edit to the same"
    );
    store.update_alert(id, &pause()).await.unwrap();
    let v2 = store.rules_version().await.unwrap();
    assert!(v2 > v1, "pausing is");
    store.retire_alerts(&[id]).await.unwrap();
    assert_eq!(
        store.rules_version().await.unwrap(),
        v2,
        "retiring a paused alert is not"
    );
    store.delete_alert(id).await.unwrap();
    assert!(store.rules_version().await.unwrap() > v2, "deleting is");
}

#[tokio::test]
async fn a_sources_watermark_only_moves_forward() {
    let (_db, store) = fresh_store!();
    assert_eq!(store.watermark("sim").await.unwrap(), None);
    store
        .set_watermark("sim", at("2026-10-30T00:00:02Z"))
        .await
        .unwrap();
    store
        .set_watermark("sim", at("2026-10-30T00:00:01Z"))
        .await
        .unwrap();
    assert_eq!(
        store.watermark("sim").await.unwrap(),
        Some(at("2026-10-30T00:00:02Z"))
    );
    assert_eq!(store.watermark("other").await.unwrap(), None);
}

#[tokio::test]
async fn a_fire_computed_from_a_stale_state_is_not_recorded() {
    let (_db, store) = fresh_store!();
    let id = alert(&store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    let mut first = fired(trigger("e1", id, "2026-10-30T00:00:00Z"));
    first.previous = Some(fxmon_core::RuleState {
        armed: true,
        last_fired_at: None,
    });
    assert!(store.record_trigger(&first).await.unwrap());
    // A second alerter still believed the rule armed and never fired.
    let mut stale = fired(trigger("e2", id, "2026-10-30T00:00:01Z"));
    stale.previous = Some(fxmon_core::RuleState {
        armed: true,
        last_fired_at: None,
    });
    assert!(!store.record_trigger(&stale).await.unwrap());
    assert_eq!(store.triggers(&newest(10, 0)).await.unwrap().len(), 1);
}
