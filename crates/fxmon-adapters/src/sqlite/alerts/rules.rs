//! `user_alerts`: creating, reading, pausing, changing and (softly) deleting alerts.

use chrono::Utc;
use fxmon_app::ports::{AlertFilter, AlertPatch, AlertRecord, StoreError};
use fxmon_core::{AlertRule, Condition, Pair};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Sqlite};

use super::super::error::{store_error, Invalid};
use super::super::time;
use super::rows::{self, ALERT_COLUMNS};

pub(super) async fn create(
    pool: &SqlitePool,
    pair: Pair,
    condition: Condition,
    threshold: f64,
) -> Result<AlertRecord, StoreError> {
    check_threshold(threshold)?;
    let sql = format!(
        "INSERT INTO user_alerts (pair, condition, threshold, active, created_at)
         VALUES (?, ?, ?, 1, ?) RETURNING {ALERT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(pair.to_string())
        .bind(condition.as_str())
        .bind(threshold)
        .bind(time::encode(Utc::now())?)
        .fetch_one(pool)
        .await
        .map_err(store_error)?;
    // Read back like any other row, so the record equals what `get` returns later.
    alert(&row)
}

pub(super) async fn get(pool: &SqlitePool, id: i64) -> Result<Option<AlertRecord>, StoreError> {
    let sql =
        format!("SELECT {ALERT_COLUMNS} FROM user_alerts WHERE id = ? AND deleted_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref().map(alert).transpose()
}

pub(super) async fn list(
    pool: &SqlitePool,
    filter: &AlertFilter,
) -> Result<Vec<AlertRecord>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {ALERT_COLUMNS} FROM user_alerts WHERE deleted_at IS NULL"
    ));
    if filter.active_only {
        query.push(" AND active = 1");
    }
    if let Some(pair) = filter.pair {
        query.push(" AND pair = ").push_bind(pair.to_string());
    }
    query.push(" ORDER BY id");
    let rows = query.build().fetch_all(pool).await.map_err(store_error)?;
    parse_skipping_bad_rows(&rows, rows::alert)
}

/// One statement, so a concurrent delete cannot slip between a read and the write.
pub(super) async fn update(
    pool: &SqlitePool,
    id: i64,
    patch: &AlertPatch,
) -> Result<Option<AlertRecord>, StoreError> {
    if let Some(threshold) = patch.threshold {
        check_threshold(threshold)?;
    }
    let sql = format!(
        "UPDATE user_alerts
            SET active = COALESCE(?, active), threshold = COALESCE(?, threshold)
          WHERE id = ? AND deleted_at IS NULL
         RETURNING {ALERT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(patch.active)
        .bind(patch.threshold)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(store_error)?;
    row.as_ref().map(alert).transpose()
}

/// Keeps the row: `alert_history` rows still reference it.
pub(super) async fn delete(pool: &SqlitePool, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE user_alerts SET deleted_at = ?, active = 0
          WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(time::encode(Utc::now())?)
    .bind(id)
    .execute(pool)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn active(pool: &SqlitePool) -> Result<Vec<AlertRule>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, pair, condition, threshold FROM user_alerts
          WHERE active = 1 AND deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .map_err(store_error)?;
    parse_skipping_bad_rows(&rows, rows::alert_rule)
}

/// An alert asked for by id: a row that does not parse is an error, not "not found".
fn alert(row: &SqliteRow) -> Result<AlertRecord, StoreError> {
    Ok(rows::alert(rows::id(row)?, row)?)
}

/// Parses each row, logging and skipping the ones that do not parse: one bad row (edited by
/// hand, or from a newer fxmon) must not stop every alert nor hide the others.
fn parse_skipping_bad_rows<T>(
    rows: &[SqliteRow],
    parse: fn(i64, &SqliteRow) -> Result<T, Invalid>,
) -> Result<Vec<T>, StoreError> {
    let mut parsed = Vec::with_capacity(rows.len());
    for row in rows {
        let id = rows::id(row)?;
        match parse(id, row) {
            Ok(value) => parsed.push(value),
            Err(error) => {
                tracing::warn!(alert_id = id, %error, "Skipped an alert that does not parse.")
            }
        }
    }
    Ok(parsed)
}

/// SQLite would store NaN as NULL and break the NOT NULL column; infinities compare oddly.
fn check_threshold(threshold: f64) -> Result<(), StoreError> {
    if threshold.is_finite() {
        Ok(())
    } else {
        Err(Invalid::Threshold(threshold).into())
    }
}
