//! Rates and the alert engine in two files, so that their writers never wait for each
//! other: SQLite lets one connection write a file at a time, and the processor holds the
//! rates file's lock for milliseconds per batch, which an alert's write used to wait out.
//!
//! A database of an earlier release holds the alert engine's tables in the rates file
//! ([`alerts_in_rates_file`]). Opening it migrates the rates file up to [`SPLIT`], copies
//! those tables' rows into the alerts file in one transaction of that file, then lets
//! migration [`SPLIT`] drop them. The copy is skipped when the alerts file already holds
//! rows, so a stop between the copy and the drop copies nothing twice. Any other opening
//! (a new database, or one already split) does none of this.

use std::path::Path;

use futures_util::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool};
use sqlx::Connection;

/// The rates file's migration that drops the alert engine's tables.
pub(super) const SPLIT: i64 = 11;

/// The tables the copy fills whose ids come from `AUTOINCREMENT`: their counters are
/// copied too, so that no id of a deleted row is handed out again.
const COUNTED: [&str; 4] = [
    "api_keys",
    "user_alerts",
    "alert_history",
    "alert_deliveries",
];

/// Each table's rows, in an order that keeps every foreign key satisfied.
const COPY: &str = "
INSERT INTO alerts.api_keys (id, name, prefix, digest, created_at, revoked_at)
     SELECT id, name, prefix, digest, created_at, revoked_at FROM main.api_keys;
INSERT INTO alerts.user_alerts (id, pair, condition, threshold, active, created_at,
                                deleted_at, window_seconds, direction, hysteresis,
                                cooldown_seconds, frequency, expires_at, webhook_url,
                                webhook_secret, armed, last_fired_at, owner_key_id)
     SELECT id, pair, condition, threshold, active, created_at,
            deleted_at, window_seconds, direction, hysteresis,
            cooldown_seconds, frequency, expires_at, webhook_url,
            webhook_secret, armed, last_fired_at, owner_key_id FROM main.user_alerts;
INSERT INTO alerts.alert_history (id, event_id, alert_id, pair, condition, threshold, rate,
                                  message, triggered_at, created_at)
     SELECT id, event_id, alert_id, pair, condition, threshold, rate,
            message, triggered_at, created_at FROM main.alert_history;
INSERT INTO alerts.alert_deliveries (id, event_id, alert_id, pair, target, url, payload,
                                     state, attempts, next_attempt_at, last_error,
                                     delivered_at, created_at)
     SELECT id, event_id, alert_id, pair, target, url, payload,
            state, attempts, next_attempt_at, last_error,
            delivered_at, created_at FROM main.alert_deliveries;
INSERT INTO alerts.alert_watermarks (source, as_of)
     SELECT source, as_of FROM main.alert_watermarks;
UPDATE alerts.alert_rules_version
   SET version = (SELECT version FROM main.alert_rules_version WHERE id = 1) + 1
 WHERE id = 1;
";

/// Whether the rates file still holds the alert engine's tables: it was written by a
/// release before the alerts file, and [`SPLIT`] has not run on it.
pub(super) async fn alerts_in_rates_file(rates: &SqlitePool) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'user_alerts'",
    )
    .fetch_optional(rates)
    .await?;
    Ok(found.is_some())
}

/// The rates file's migrations before [`SPLIT`], which bring an earlier release's alert
/// tables to the shape the copy reads. Migrations applied after them are ignored.
pub(super) async fn rates_before_split(all: &Migrator) -> Result<Migrator, sqlx::Error> {
    let before: Vec<Migration> = all.iter().filter(|m| m.version < SPLIT).cloned().collect();
    let mut migrator = Migrator::new(Migrations(before))
        .await
        .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
    migrator.set_ignore_missing(true);
    Ok(migrator)
}

/// A fixed list of migrations.
#[derive(Debug)]
struct Migrations(Vec<Migration>);

impl MigrationSource<'static> for Migrations {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

/// Copies the alert engine's rows from the rates file `rates`, which still has them, into
/// the file at `alerts` (already migrated), unless that file holds rows already. One
/// transaction, which writes the alerts file only, on a connection of its own: the
/// attachment does not outlive it.
pub(super) async fn copy_alerts(
    rates: &SqliteConnectOptions,
    alerts: &Path,
) -> Result<(), sqlx::Error> {
    let mut connection = SqliteConnection::connect_with(rates).await?;
    sqlx::query("ATTACH DATABASE ? AS alerts")
        .bind(alerts.to_string_lossy())
        .execute(&mut connection)
        .await?;
    copy_once(&mut connection).await?;
    connection.close().await
}

async fn copy_once(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM alerts.api_keys) + (SELECT count(*) FROM alerts.user_alerts)
              + (SELECT count(*) FROM alerts.alert_history)
              + (SELECT count(*) FROM alerts.alert_deliveries)
              + (SELECT count(*) FROM alerts.alert_watermarks)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if held > 0 {
        return tx.rollback().await;
    }
    sqlx::raw_sql(COPY).execute(&mut *tx).await?;
    for table in COUNTED {
        sqlx::query(
            "INSERT OR REPLACE INTO alerts.sqlite_sequence (rowid, name, seq)
             SELECT (SELECT rowid FROM alerts.sqlite_sequence WHERE name = ?1), name, seq
               FROM main.sqlite_sequence WHERE name = ?1",
        )
        .bind(table)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
