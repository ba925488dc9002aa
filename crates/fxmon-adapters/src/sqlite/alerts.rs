//! `AlertStore` over SQLite: user alerts and their trigger history.

use async_trait::async_trait;
use chrono::Utc;
use fxmon_app::ports::{AlertStore, AlertTrigger, BoxError, StoreError};
use fxmon_core::{AlertRule, Condition, Pair};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::error::{store_error, Invalid};
use super::{time, SqliteStore};

#[async_trait]
impl AlertStore for SqliteStore {
    async fn create_alert(
        &self,
        pair: Pair,
        condition: Condition,
        threshold: f64,
    ) -> Result<AlertRule, StoreError> {
        if !threshold.is_finite() {
            return Err(Invalid::Threshold(threshold).into());
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO user_alerts (pair, condition, threshold, active, created_at)
             VALUES (?, ?, ?, 1, ?) RETURNING id",
        )
        .bind(pair.to_string())
        .bind(condition.as_str())
        .bind(threshold)
        .bind(time::encode(Utc::now())?)
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(AlertRule {
            id,
            pair,
            condition,
            threshold,
        })
    }

    async fn active_alerts(&self) -> Result<Vec<AlertRule>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, pair, condition, threshold FROM user_alerts
              WHERE active = 1 AND deleted_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let mut rules = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id").map_err(store_error)?;
            // One bad row (edited by hand, or from a newer fxmon) must not stop every alert.
            match alert_rule(id, row) {
                Ok(rule) => rules.push(rule),
                Err(error) => {
                    tracing::warn!(alert_id = id, %error, "Skipped an alert that does not parse.")
                }
            }
        }
        Ok(rules)
    }

    async fn record_trigger(&self, trigger: &AlertTrigger) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO alert_history (event_id, alert_id, pair, condition, threshold, rate,
                                        message, triggered_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&trigger.event_id)
        .bind(trigger.alert_id)
        .bind(trigger.pair.to_string())
        .bind(trigger.condition.as_str())
        .bind(trigger.threshold)
        .bind(trigger.rate)
        .bind(&trigger.message)
        .bind(time::encode(trigger.triggered_at)?)
        .bind(time::encode(Utc::now())?)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn recent_triggers(&self, limit: u32) -> Result<Vec<AlertTrigger>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_id, alert_id, pair, condition, threshold, rate, message, triggered_at
               FROM alert_history ORDER BY triggered_at DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(trigger).collect()
    }
}

/// The rule in a `user_alerts` row, or why it does not parse.
fn alert_rule(id: i64, row: &SqliteRow) -> Result<AlertRule, Invalid> {
    let (pair, condition) = pair_and_condition("user_alerts", id, row)?;
    let threshold = row.try_get("threshold").map_err(|e| Invalid::StoredRow {
        table: "user_alerts",
        id,
        source: e.into(),
    })?;
    Ok(AlertRule {
        id,
        pair,
        condition,
        threshold,
    })
}

/// An `alert_history` row. Unlike a bad alert, a bad trigger is an error: skipping it would
/// silently shorten the history a caller asked for.
fn trigger(row: &SqliteRow) -> Result<AlertTrigger, StoreError> {
    let id: i64 = row.try_get("id").map_err(store_error)?;
    let (pair, condition) = pair_and_condition("alert_history", id, row)?;
    let triggered_at: String = row.try_get("triggered_at").map_err(store_error)?;
    Ok(AlertTrigger {
        event_id: row.try_get("event_id").map_err(store_error)?,
        alert_id: row.try_get("alert_id").map_err(store_error)?,
        pair,
        condition,
        threshold: row.try_get("threshold").map_err(store_error)?,
        rate: row.try_get("rate").map_err(store_error)?,
        message: row.try_get("message").map_err(store_error)?,
        triggered_at: time::decode(&triggered_at)?,
    })
}

/// The `pair` and `condition` columns both tables hold, parsed with the core's parsers.
fn pair_and_condition(
    table: &'static str,
    id: i64,
    row: &SqliteRow,
) -> Result<(Pair, Condition), Invalid> {
    let wrap = |source: BoxError| Invalid::StoredRow { table, id, source };
    let pair: String = row.try_get("pair").map_err(|e| wrap(e.into()))?;
    let condition: String = row.try_get("condition").map_err(|e| wrap(e.into()))?;
    let pair = Pair::parse(&pair).map_err(|e| wrap(e.into()))?;
    let condition = condition.parse::<Condition>().map_err(|e| wrap(e.into()))?;
    Ok((pair, condition))
}
