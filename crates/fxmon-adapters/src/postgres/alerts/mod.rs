//! `AlertStore` and `DeliveryOutbox` over PostgreSQL: user alerts with their arm state
//! (`user_alerts`), their trigger history (`alert_history`) and the outbox of deliveries
//! (`alert_deliveries`), with the SQLite store's semantics.
//!
//! Deleting is soft: a deleted alert keeps its row so its history still points at it, but
//! no read of alerts returns it and no update reaches it.

mod outbox;
mod rows;
mod rules;
mod states;
mod triggers;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{
    AlertFilter, AlertPatch, AlertRecord, AlertStore, EvaluationWrite, NewAlert, StoreError,
    TriggerFilter, TriggerRecord, TriggerWrite,
};
use fxmon_core::{AlertRule, RuleState};

use super::error::store_error;
use super::PgStore;

#[async_trait]
impl AlertStore for PgStore {
    async fn create_alert(&self, alert: &NewAlert) -> Result<AlertRecord, StoreError> {
        rules::create(&self.pool, alert).await
    }

    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        rules::get(&self.pool, id).await
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        rules::list(&self.pool, filter).await
    }

    async fn update_alert(
        &self,
        id: i64,
        patch: &AlertPatch,
    ) -> Result<Option<AlertRecord>, StoreError> {
        rules::update(&self.pool, id, patch).await
    }

    async fn delete_alert(&self, id: i64) -> Result<bool, StoreError> {
        rules::delete(&self.pool, id).await
    }

    async fn active_alerts(&self) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
        states::active(&self.pool).await
    }

    /// Bumped by triggers on `user_alerts` (migration 0002) whenever a rule column or its
    /// activity really changes.
    async fn rules_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT version FROM alert_rules_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)
    }

    async fn watermark(&self, source: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT as_of FROM alert_watermarks WHERE source = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)
    }

    async fn set_watermark(&self, source: &str, as_of: DateTime<Utc>) -> Result<(), StoreError> {
        states::set_watermark(&self.pool, source, as_of).await
    }

    async fn save_states(&self, states: &[(i64, RuleState)]) -> Result<(), StoreError> {
        states::save(&self.pool, states).await
    }

    async fn retire_alerts(&self, ids: &[i64]) -> Result<(), StoreError> {
        states::retire(&self.pool, ids).await
    }

    async fn record_trigger(&self, write: &TriggerWrite) -> Result<bool, StoreError> {
        triggers::record(&self.pool, write).await
    }

    async fn record_evaluation(
        &self,
        evaluation: &EvaluationWrite,
    ) -> Result<Vec<bool>, StoreError> {
        states::record_evaluation(&self.pool, evaluation).await
    }

    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError> {
        triggers::list(&self.pool, filter).await
    }
}
