//! `KeyStore` over SQLite: the `api_keys` table.

use async_trait::async_trait;
use chrono::Utc;
use fxmon_app::ports::{ApiKey, KeyStore, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::error::store_error;
use super::{time, SqliteStore};

const COLUMNS: &str = "id, name, prefix, created_at, revoked_at";

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(
        &self,
        name: &str,
        prefix: &str,
        digest: &str,
    ) -> Result<ApiKey, StoreError> {
        let sql = format!(
            "INSERT INTO api_keys (name, prefix, digest, created_at) VALUES (?, ?, ?, ?)
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(prefix)
            .bind(digest)
            .bind(time::encode(Utc::now())?)
            .fetch_one(&self.alerts.writer)
            .await
            .map_err(store_error)?;
        key(&row)
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id"))
            .fetch_all(&self.alerts.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(key).collect()
    }

    async fn revoke_key(&self, id: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(time::encode(Utc::now())?)
                .bind(id)
                .execute(&self.alerts.writer)
                .await
                .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn key_by_digest(&self, digest: &str) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_keys WHERE digest = ?"))
            .bind(digest)
            .fetch_optional(&self.alerts.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(key).transpose()
    }

    async fn active_keys(&self) -> Result<u64, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
                .fetch_one(&self.alerts.pool)
                .await
                .map_err(store_error)?;
        Ok(count.unsigned_abs())
    }
}

fn key(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    let created_at: String = row.try_get("created_at").map_err(store_error)?;
    let revoked_at: Option<String> = row.try_get("revoked_at").map_err(store_error)?;
    Ok(ApiKey {
        id: row.try_get("id").map_err(store_error)?,
        name: row.try_get("name").map_err(store_error)?,
        prefix: row.try_get("prefix").map_err(store_error)?,
        created_at: time::decode(&created_at)?,
        revoked_at: revoked_at.as_deref().map(time::decode).transpose()?,
    })
}
