//! A trigger the store could not record is fired again when its snapshot is retried: the
//! alerter does not keep an index that ran ahead of the store.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use fxmon_adapters::memory::MemoryBus;
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::alerter::{Alerter, AlerterDeps};
use fxmon_app::ports::{
    AlertFilter, AlertPatch, AlertRecord, AlertStore, EvaluationWrite, NewAlert, StoreError,
    TriggerFilter, TriggerRecord, TriggerWrite,
};
use fxmon_core::alert::Frequency;
use fxmon_core::{AlertRule, Condition, Currency, Pair, Rate, RateSnapshot, RuleState};

/// The SQLite store, except that the next `failures` writes of an evaluated batch fail as
/// if the database were locked.
struct Flaky {
    store: Arc<SqliteStore>,
    failures: AtomicU32,
}

#[async_trait]
impl AlertStore for Flaky {
    async fn create_alert(&self, alert: &NewAlert) -> Result<AlertRecord, StoreError> {
        self.store.create_alert(alert).await
    }
    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        self.store.get_alert(id).await
    }
    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        self.store.list_alerts(filter).await
    }
    async fn update_alert(
        &self,
        id: i64,
        patch: &AlertPatch,
    ) -> Result<Option<AlertRecord>, StoreError> {
        self.store.update_alert(id, patch).await
    }
    async fn delete_alert(&self, id: i64) -> Result<bool, StoreError> {
        self.store.delete_alert(id).await
    }
    async fn active_alerts(&self) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
        self.store.active_alerts().await
    }
    async fn rules_version(&self) -> Result<i64, StoreError> {
        self.store.rules_version().await
    }
    async fn watermark(&self, source: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.store.watermark(source).await
    }
    async fn set_watermark(&self, source: &str, as_of: DateTime<Utc>) -> Result<(), StoreError> {
        self.store.set_watermark(source, as_of).await
    }
    async fn save_states(&self, states: &[(i64, RuleState)]) -> Result<(), StoreError> {
        self.store.save_states(states).await
    }
    async fn retire_alerts(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.store.retire_alerts(ids).await
    }
    async fn record_trigger(&self, write: &TriggerWrite) -> Result<bool, StoreError> {
        self.store.record_trigger(write).await
    }
    async fn record_evaluation(
        &self,
        evaluation: &EvaluationWrite,
    ) -> Result<Vec<bool>, StoreError> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(StoreError::Unavailable("database is locked".into()));
        }
        self.store.record_evaluation(evaluation).await
    }
    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError> {
        self.store.triggers(filter).await
    }
}

fn snapshot(minute: i64, eur_usd: f64) -> RateSnapshot {
    let eur = Currency::parse("EUR").unwrap();
    let usd = Currency::parse("USD").unwrap();
    let at = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + TimeDelta::minutes(minute);
    let rates = BTreeMap::from([(Pair::new(eur, usd).unwrap(), Rate::new(eur_usd).unwrap())]);
    RateSnapshot::new(at, eur, rates, "test-source").unwrap()
}

#[tokio::test]
async fn a_trigger_that_failed_to_record_fires_when_its_snapshot_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("fxmon.db"))
            .await
            .unwrap(),
    );
    let mut rule = AlertRule::new(0, Pair::parse("EUR/USD").unwrap(), Condition::Above, 1.10);
    rule.cooldown_seconds = 0;
    rule.frequency = Frequency::Recurring;
    let alert = store
        .create_alert(&NewAlert {
            rule,
            webhook_url: None,
            webhook_secret: None,
            owner: Default::default(),
        })
        .await
        .unwrap();
    let flaky = Arc::new(Flaky {
        store: store.clone(),
        failures: AtomicU32::new(0),
    });
    let mut alerter = Alerter::new(AlerterDeps {
        alerts: flaky.clone(),
        rates: store.clone(),
        dead_letters: Arc::new(MemoryBus::new(8)),
        on_recorded: Arc::new(|| {}),
    });

    assert!(alerter
        .evaluate(&snapshot(0, 1.05))
        .await
        .unwrap()
        .is_empty());
    let crossing = snapshot(1, 1.12);
    flaky.failures.store(1, Ordering::SeqCst);
    let error = alerter.evaluate(&crossing).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error}");

    // What the consumer does next: the same snapshot again, the store back.
    let fired = alerter.evaluate(&crossing).await.unwrap();
    assert_eq!(fired.len(), 1, "the trigger is not lost: {fired:?}");
    assert_eq!(fired[0].alert_id, alert.rule.id);
    assert_eq!(fired[0].triggered_at, crossing.timestamp);
    let recorded = store
        .triggers(&TriggerFilter {
            limit: 10,
            offset: 0,
            alert_id: Some(alert.rule.id),
            pair: None,
            owner: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1, "recorded once");

    // And once is once: the same snapshot a third time records nothing.
    assert!(alerter.evaluate(&crossing).await.unwrap().is_empty());
}
