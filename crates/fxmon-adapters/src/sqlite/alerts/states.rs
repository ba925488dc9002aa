//! What the alerter reads and saves: the active rules with their arm state, saved states,
//! rules retired because they can never fire again, watermarks, and a whole batch's
//! writes in one transaction.

use chrono::{DateTime, Utc};
use fxmon_app::ports::{EvaluationWrite, RuleWrite, StoreError};
use fxmon_core::{AlertRule, RuleState};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{QueryBuilder, Sqlite, SqliteExecutor};

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, RULE_COLUMNS};
use super::triggers;

/// Ids per `IN (...)`: far below SQLite's 32766-variable limit.
const CHUNK_IDS: usize = 1000;

pub(super) async fn active(pool: &SqlitePool) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM user_alerts
          WHERE active = 1 AND deleted_at IS NULL ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows::parse_skipping_bad_rows(&rows, rows::rule_and_state)
}

/// All or nothing: after a crash the alerter sees either every state of a snapshot or none.
pub(super) async fn save(pool: &SqlitePool, states: &[(i64, RuleState)]) -> Result<(), StoreError> {
    if states.is_empty() {
        return Ok(());
    }
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    save_on(&mut tx, states).await?;
    tx.commit().await.map_err(store_error)
}

/// `save`'s writes, on a connection inside a transaction.
pub(super) async fn save_on(
    conn: &mut SqliteConnection,
    states: &[(i64, RuleState)],
) -> Result<(), StoreError> {
    for (id, state) in states {
        sqlx::query("UPDATE user_alerts SET armed = ?, last_fired_at = ? WHERE id = ?")
            .bind(state.armed)
            .bind(state.last_fired_at.map(time::encode).transpose()?)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

pub(super) async fn retire(pool: &SqlitePool, ids: &[i64]) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    retire_on(&mut tx, ids).await?;
    tx.commit().await.map_err(store_error)
}

/// `retire`'s writes, on a connection inside a transaction.
pub(super) async fn retire_on(conn: &mut SqliteConnection, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK_IDS) {
        let mut query =
            QueryBuilder::<Sqlite>::new("UPDATE user_alerts SET active = 0 WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        query.push(")");
        query
            .build()
            .execute(&mut *conn)
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

/// Moves `source`'s watermark forward to `as_of` (never back). Fixed-width text: the
/// larger string is the later time.
pub(super) async fn set_watermark(
    executor: impl SqliteExecutor<'_>,
    source: &str,
    as_of: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO alert_watermarks (source, as_of) VALUES (?, ?)
         ON CONFLICT (source) DO UPDATE SET as_of = max(as_of, excluded.as_of)",
    )
    .bind(source)
    .bind(time::encode(as_of)?)
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// A batch's rule writes in order, then its watermarks: one transaction
/// (`AlertStore::record_evaluation`).
pub(super) async fn record_evaluation(
    pool: &SqlitePool,
    evaluation: &EvaluationWrite,
) -> Result<Vec<bool>, StoreError> {
    let now = time::encode(Utc::now())?;
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    let mut recorded = Vec::new();
    for write in &evaluation.writes {
        match write {
            RuleWrite::States(states) => save_on(&mut tx, states).await?,
            RuleWrite::Retire(ids) => retire_on(&mut tx, ids).await?,
            // Changes nothing when it is not recorded, so needs no savepoint.
            RuleWrite::Trigger(write) => {
                recorded.push(triggers::record_on(&mut tx, write, &now).await?)
            }
        }
    }
    for (source, as_of) in &evaluation.watermarks {
        set_watermark(&mut *tx, source, *as_of).await?;
    }
    tx.commit().await.map_err(store_error)?;
    Ok(recorded)
}
