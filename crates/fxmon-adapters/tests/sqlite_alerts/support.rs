//! A fresh SQLite file per test, a raw connection beside the store, and builders of alerts
//! and trigger writes.

use chrono::{DateTime, Utc};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{
    AlertPatch, AlertRecord, AlertStore, AlertTrigger, NewAlert, StoreError, TriggerFilter,
    TriggerRecord, TriggerWrite,
};
use fxmon_core::{AlertRule, Condition, Pair, RuleState};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;
use tempfile::TempDir;

pub async fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    (dir, store)
}

/// A second connection to the alerts file, to change rows the way another tool would.
pub async fn raw(dir: &TempDir) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(SqliteStore::alerts_path(&dir.path().join("fxmon.db")))
        .connect()
        .await
        .unwrap()
}

/// Rows of `table`, counted through a raw connection.
pub async fn count(dir: &TempDir, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut raw(dir).await)
        .await
        .unwrap()
}

pub fn pair(text: &str) -> Pair {
    Pair::parse(text).unwrap()
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// A rule with the defaults; the store assigns its id.
pub fn rule(pair_text: &str, condition: Condition, threshold: f64) -> AlertRule {
    AlertRule::new(0, pair(pair_text), condition, threshold)
}

/// Creates an alert without a webhook.
pub async fn alert(
    store: &SqliteStore,
    pair_text: &str,
    condition: Condition,
    threshold: f64,
) -> AlertRecord {
    create(store, rule(pair_text, condition, threshold)).await
}

pub async fn create(store: &SqliteStore, rule: AlertRule) -> AlertRecord {
    let new = NewAlert {
        rule,
        webhook_url: None,
        webhook_secret: None,
        owner: Default::default(),
    };
    store.create_alert(&new).await.unwrap()
}

/// Creates an alert that POSTs to `url`, signed with `secret`.
pub async fn alert_with_webhook(store: &SqliteStore, url: &str, secret: &str) -> AlertRecord {
    let new = NewAlert {
        rule: rule("USD/EUR", Condition::Below, 0.85),
        webhook_url: Some(url.to_owned()),
        webhook_secret: Some(secret.to_owned()),
        owner: Default::default(),
    };
    store.create_alert(&new).await.unwrap()
}

pub fn trigger(event_id: &str, alert_id: i64, triggered_at: &str) -> AlertTrigger {
    trigger_on("USD/EUR", event_id, alert_id, triggered_at)
}

pub fn trigger_on(
    pair_text: &str,
    event_id: &str,
    alert_id: i64,
    triggered_at: &str,
) -> AlertTrigger {
    AlertTrigger {
        event_id: event_id.to_owned(),
        alert_id,
        pair: pair(pair_text),
        condition: Condition::Below,
        threshold: 0.85,
        rate: 0.8412,
        message: format!("{pair_text} is 0.8412, below 0.85"),
        triggered_at: at(triggered_at),
    }
}

/// What the alerter writes when `trigger` fires: disarmed, fired at its time.
pub fn fired(trigger: AlertTrigger) -> TriggerWrite {
    let state = RuleState {
        armed: false,
        last_fired_at: Some(trigger.triggered_at),
    };
    TriggerWrite {
        event: format!(r#"{{"event_id":"{}"}}"#, trigger.event_id),
        trigger,
        previous: None,
        state,
        retire: false,
    }
}

/// Records `trigger` as fired; returns whether it was new.
pub async fn record(store: &SqliteStore, trigger: AlertTrigger) -> bool {
    store.record_trigger(&fired(trigger)).await.unwrap()
}

pub fn newest(limit: u32, offset: u32) -> TriggerFilter {
    TriggerFilter {
        limit,
        offset,
        alert_id: None,
        pair: None,
        owner: Default::default(),
    }
}

pub fn event_ids(records: &[TriggerRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.trigger.event_id.as_str())
        .collect()
}

pub fn pause() -> AlertPatch {
    AlertPatch {
        active: Some(false),
        ..AlertPatch::default()
    }
}

pub fn resume() -> AlertPatch {
    AlertPatch {
        active: Some(true),
        ..AlertPatch::default()
    }
}

/// The store's rejection of an invalid rule carries the core's error, naming the field.
pub fn rejected_field(error: StoreError) -> &'static str {
    match error {
        StoreError::Rejected(source) => source
            .downcast_ref::<fxmon_core::alert::RuleError>()
            .unwrap_or_else(|| panic!("not a rule error: {source}"))
            .field(),
        other => panic!("not a rejection: {other}"),
    }
}
