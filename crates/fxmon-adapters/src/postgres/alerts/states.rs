//! What the alerter reads and saves: the active rules with their arm state, saved states,
//! rules retired because they can never fire again, watermarks, and a whole batch's
//! writes in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fxmon_app::ports::{EvaluationWrite, RuleWrite, StoreError};
use fxmon_core::{AlertRule, RuleState};
use sqlx::postgres::{PgExecutor, PgPool};
use sqlx::Connection;

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, RULE_COLUMNS};
use super::triggers;

pub(super) async fn active(pool: &PgPool) -> Result<Vec<(AlertRule, RuleState)>, StoreError> {
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM user_alerts
          WHERE active AND deleted_at IS NULL ORDER BY id"
    );
    let rows = sqlx::query(&sql)
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows::parse_skipping_bad_rows(&rows, rows::rule_and_state)
}

/// One statement over arrays, so after a crash the alerter sees either every state of a
/// snapshot or none. Rows are updated in id order, so two savers cannot deadlock; of two
/// states for one id, the last wins.
pub(super) async fn save(
    executor: impl PgExecutor<'_>,
    states: &[(i64, RuleState)],
) -> Result<(), StoreError> {
    if states.is_empty() {
        return Ok(());
    }
    let sorted: BTreeMap<i64, RuleState> = states.iter().copied().collect();
    let mut ids = Vec::with_capacity(sorted.len());
    let mut armed = Vec::with_capacity(sorted.len());
    let mut fired: Vec<Option<DateTime<Utc>>> = Vec::with_capacity(sorted.len());
    for (id, state) in sorted {
        ids.push(id);
        armed.push(state.armed);
        fired.push(state.last_fired_at.map(time::check).transpose()?);
    }
    sqlx::query(
        "UPDATE user_alerts AS a SET armed = s.armed, last_fired_at = s.last_fired_at
           FROM UNNEST($1::bigint[], $2::boolean[], $3::timestamptz[])
                AS s(id, armed, last_fired_at)
          WHERE a.id = s.id",
    )
    .bind(ids)
    .bind(armed)
    .bind(fired)
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(super) async fn retire(executor: impl PgExecutor<'_>, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE user_alerts SET active = false WHERE id = ANY($1) AND active")
        .bind(ids)
        .execute(executor)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Moves `source`'s watermark forward to `as_of` (never back).
pub(super) async fn set_watermark(
    executor: impl PgExecutor<'_>,
    source: &str,
    as_of: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO alert_watermarks (source, as_of) VALUES ($1, $2)
         ON CONFLICT (source) DO UPDATE SET as_of = greatest(alert_watermarks.as_of, excluded.as_of)",
    )
    .bind(source)
    .bind(as_of)
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// A batch's rule writes in order, each trigger in a savepoint of its own, then its
/// watermarks: one transaction (`AlertStore::record_evaluation`).
pub(super) async fn record_evaluation(
    pool: &PgPool,
    evaluation: &EvaluationWrite,
) -> Result<Vec<bool>, StoreError> {
    // The app's clock, not the server's: the deliverer compares due times with its own.
    let now = Utc::now();
    let mut tx = pool.begin().await.map_err(store_error)?;
    let mut recorded = Vec::new();
    for write in &evaluation.writes {
        match write {
            RuleWrite::States(states) => save(&mut *tx, states).await?,
            RuleWrite::Retire(ids) => retire(&mut *tx, ids).await?,
            RuleWrite::Trigger(write) => {
                let mut savepoint = Connection::begin(&mut *tx).await.map_err(store_error)?;
                let done = triggers::record_on(&mut savepoint, write, now).await?;
                // Not recorded: dropping the savepoint rolls its writes back.
                if done {
                    savepoint.commit().await.map_err(store_error)?;
                }
                recorded.push(done);
            }
        }
    }
    for (source, as_of) in &evaluation.watermarks {
        set_watermark(&mut *tx, source, *as_of).await?;
    }
    tx.commit().await.map_err(store_error)?;
    Ok(recorded)
}
