//! What the alerter reads and saves between triggers: the active rules with their arm
//! state, saved states, and rules retired because they can never fire again.

use fxmon_app::ports::StoreError;
use fxmon_core::{AlertRule, RuleState};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};

use super::super::error::store_error;
use super::super::time;
use super::rows::{self, RULE_COLUMNS};

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
    for (id, state) in states {
        sqlx::query("UPDATE user_alerts SET armed = ?, last_fired_at = ? WHERE id = ?")
            .bind(state.armed)
            .bind(state.last_fired_at.map(time::encode).transpose()?)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)
}

pub(super) async fn retire(pool: &SqlitePool, ids: &[i64]) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    for chunk in ids.chunks(CHUNK_IDS) {
        let mut query =
            QueryBuilder::<Sqlite>::new("UPDATE user_alerts SET active = 0 WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        query.push(")");
        query.build().execute(&mut *tx).await.map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)
}
