//! `AlertStore` over SQLite: user alerts (`user_alerts`) and their trigger history
//! (`alert_history`).
//!
//! Deleting is soft: a deleted alert keeps its row so its history still points at it, but
//! no read of alerts returns it and no update reaches it.

mod rows;
mod rules;
mod triggers;

use async_trait::async_trait;
use fxmon_app::ports::{
    AlertFilter, AlertPatch, AlertRecord, AlertStore, AlertTrigger, StoreError, TriggerFilter,
    TriggerRecord,
};
use fxmon_core::{AlertRule, Condition, Pair};

use super::SqliteStore;

#[async_trait]
impl AlertStore for SqliteStore {
    async fn create_alert(
        &self,
        pair: Pair,
        condition: Condition,
        threshold: f64,
    ) -> Result<AlertRecord, StoreError> {
        rules::create(&self.pool, pair, condition, threshold).await
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

    async fn active_alerts(&self) -> Result<Vec<AlertRule>, StoreError> {
        rules::active(&self.pool).await
    }

    async fn record_trigger(&self, trigger: &AlertTrigger) -> Result<bool, StoreError> {
        triggers::record(&self.pool, trigger).await
    }

    async fn triggers(&self, filter: &TriggerFilter) -> Result<Vec<TriggerRecord>, StoreError> {
        triggers::list(&self.pool, filter).await
    }
}
