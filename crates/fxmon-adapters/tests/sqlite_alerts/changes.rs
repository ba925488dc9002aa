//! Changing an alert: a new threshold or hysteresis starts the rule's state over, a new
//! cooldown keeps it, and a change that makes the rule invalid changes nothing.

use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{AlertPatch, AlertStore};
use fxmon_core::{Condition, RuleState};

use crate::support::*;

/// An alert that fired at 10:00 and has not re-armed.
async fn fired_alert(store: &SqliteStore) -> i64 {
    let id = alert(store, "USD/EUR", Condition::Below, 0.85)
        .await
        .rule
        .id;
    assert!(
        record(
            store,
            trigger(&format!("e{id}"), id, "2026-10-30T10:00:00Z")
        )
        .await
    );
    id
}

#[tokio::test]
async fn a_threshold_or_hysteresis_change_starts_the_rules_state_over() {
    let (_dir, store) = fresh_store().await;
    let id = fired_alert(&store).await;
    store.update_alert(id, &pause()).await.unwrap();
    let patch = AlertPatch {
        threshold: Some(0.8),
        ..AlertPatch::default()
    };
    let changed = store.update_alert(id, &patch).await.unwrap().unwrap();
    assert_eq!(changed.rule.threshold, 0.8);
    assert!(!changed.active, "a threshold change does not resume");
    assert_eq!(changed.state, RuleState::initial(&changed.rule));

    let id = fired_alert(&store).await;
    let patch = AlertPatch {
        hysteresis: Some(0.01),
        ..AlertPatch::default()
    };
    let changed = store.update_alert(id, &patch).await.unwrap().unwrap();
    assert_eq!(changed.rule.hysteresis, 0.01);
    assert_eq!(changed.state, RuleState::initial(&changed.rule));
    assert_eq!(store.get_alert(id).await.unwrap(), Some(changed));
}

#[tokio::test]
async fn a_cooldown_change_or_the_same_threshold_keeps_the_rules_state() {
    let (_dir, store) = fresh_store().await;
    let id = fired_alert(&store).await;
    let before = store.get_alert(id).await.unwrap().unwrap();
    let patch = AlertPatch {
        threshold: Some(0.85),
        cooldown_seconds: Some(60),
        ..AlertPatch::default()
    };
    let changed = store.update_alert(id, &patch).await.unwrap().unwrap();
    assert_eq!(changed.rule.cooldown_seconds, 60);
    assert_eq!(changed.state, before.state);
    assert_eq!(
        changed.state.last_fired_at,
        Some(at("2026-10-30T10:00:00Z"))
    );
    assert_eq!(
        (changed.rule.threshold, changed.created_at),
        (0.85, before.created_at)
    );
}

#[tokio::test]
async fn a_patch_that_makes_the_rule_invalid_is_rejected_and_changes_nothing() {
    let (_dir, store) = fresh_store().await;
    let kept = alert(&store, "USD/EUR", Condition::Below, 0.85).await;
    let id = kept.rule.id;
    let cases = [
        (Some(f64::NAN), None, "threshold"),
        (Some(f64::INFINITY), None, "threshold"),
        (None, Some(0.85), "hysteresis"),
        (Some(0.5), Some(0.6), "hysteresis"),
        (None, Some(-0.1), "hysteresis"),
    ];
    for (threshold, hysteresis, field) in cases {
        let patch = AlertPatch {
            active: Some(false),
            threshold,
            hysteresis,
            cooldown_seconds: Some(1),
        };
        let error = store.update_alert(id, &patch).await.unwrap_err();
        assert_eq!(rejected_field(error), field);
    }
    assert_eq!(store.get_alert(id).await.unwrap(), Some(kept));
}
