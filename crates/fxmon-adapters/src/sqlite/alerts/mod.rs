//! `AlertStore` and `DeliveryOutbox` over SQLite: user alerts with their arm state
//! (`user_alerts`), their trigger history (`alert_history`) and the outbox of deliveries
//! (`alert_deliveries`).
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

use super::SqliteStore;

#[async_trait]
impl AlertStore for SqliteStore {
    async fn create_alert(&self, alert: &NewAlert) -> Result<AlertRecord, StoreError> {
        rules::create(&self.alerts.writer, alert).await
    }

    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        rules::get(&self.alerts.pool, id).await
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        rules::list(&self.alerts.pool, filter).await
    }

    async fn update_alert(
        &self,
        id: i64,
        patch: &AlertPatch,
    ) -> Result<Option<AlertRecord>, StoreError> {
        rules::update(&self.alerts.writer, id, patch).await
    }

    async fn delete_alert(&self, id: i64) -> Result<bool, StoreError> {
        rules::delete(&self.alerts.writer, id).await
    }

    async fn active_alerts(&self) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
        states::active(&self.alerts.pool).await
    }

    async fn rules_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT version FROM alert_rules_version WHERE id = 1")
            .fetch_one(&self.alerts.pool)
            .await
            .map_err(crate::sqlite::error::store_error)
    }

    async fn watermark(&self, source: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT as_of FROM alert_watermarks WHERE source = ?")
                .bind(source)
                .fetch_optional(&self.alerts.pool)
                .await
                .map_err(crate::sqlite::error::store_error)?;
        Ok(text
            .as_deref()
            .map(crate::sqlite::time::decode)
            .transpose()?)
    }

    async fn set_watermark(&self, source: &str, as_of: DateTime<Utc>) -> Result<(), StoreError> {
        states::set_watermark(&self.alerts.writer, source, as_of).await
    }

    async fn save_states(&self, states: &[(i64, RuleState)]) -> Result<(), StoreError> {
        states::save(&self.alerts.writer, states).await
    }

    async fn retire_alerts(&self, ids: &[i64]) -> Result<(), StoreError> {
        states::retire(&self.alerts.writer, ids).await
    }

    async fn record_trigger(&self, write: &TriggerWrite) -> Result<bool, StoreError> {
        triggers::record(&self.alerts.writer, write).await
    }

    async fn record_evaluation(
        &self,
        evaluation: &EvaluationWrite,
    ) -> Result<Vec<bool>, StoreError> {
        states::record_evaluation(&self.alerts.writer, evaluation).await
    }

    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError> {
        triggers::list(&self.alerts.pool, filter).await
    }
}
