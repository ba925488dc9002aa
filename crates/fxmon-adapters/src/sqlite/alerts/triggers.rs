//! `alert_history`: every trigger, recorded once per event id, read newest first.

use chrono::Utc;
use fxmon_app::ports::{AlertTrigger, StoreError, TriggerFilter, TriggerRecord};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, TRIGGER_COLUMNS};

/// Returns false if the event id was already recorded (a replayed observation).
pub(super) async fn record(pool: &SqlitePool, trigger: &AlertTrigger) -> Result<bool, StoreError> {
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
    .execute(pool)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

/// Conditions are added only when asked for, so SQLite can use the (alert_id, triggered_at)
/// and (pair, triggered_at) indexes rather than scan.
pub(super) async fn list(
    pool: &SqlitePool,
    filter: &TriggerFilter,
) -> Result<Vec<TriggerRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {TRIGGER_COLUMNS} FROM alert_history WHERE 1"
    ));
    if let Some(alert_id) = filter.alert_id {
        query.push(" AND alert_id = ").push_bind(alert_id);
    }
    if let Some(pair) = filter.pair {
        query.push(" AND pair = ").push_bind(pair.to_string());
    }
    query
        .push(" ORDER BY triggered_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(filter.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(filter.offset));
    let rows = query.build().fetch_all(pool).await.map_err(store_error)?;
    rows.iter().map(rows::trigger).collect()
}
