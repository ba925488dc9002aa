//! `SqliteStore`: rates and alerts in two SQLite files, fxmon's all-in-one backend.
//!
//! Rates live in `fxmon.db`; the alert engine (rules, their history, the delivery outbox,
//! the alerter's watermarks) and the API keys in `fxmon-alerts.db` beside it, so that the
//! processor's writes and the alerter's never queue behind each other (`split`).
//!
//! SQLite allows one writer per file at a time. Every write of this process to a file goes
//! through that file's `writer`, a pool of one connection, so writers queue in-process
//! without delay instead of meeting SQLite's busy handler, which sleeps in steps of
//! milliseconds. Reads use `pool`, which WAL lets run beside the writer. The busy timeout
//! still makes a writer of another process (an import beside `fxmon run`) wait rather than
//! fail.

mod alerts;
mod checkpoint;
mod error;
mod history;
mod keys;
mod rates;
mod snapshot;
mod split;
mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fxmon_app::ports::StoreError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use error::store_error;

/// The rates file's schema, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The alerts file's schema.
static ALERTS_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite-alerts");

/// Connections for reads of the rates file (history, snapshots, windows).
const POOL_SIZE: u32 = 4;
/// Connections for reads of the alerts file: the alerter's rules version, the delivery
/// worker's outbox, the API's alerts and keys.
const ALERTS_POOL_SIZE: u32 = 2;
/// How long a writer waits for another to finish before giving up as `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite adapter behind `RateStore`, `AlertStore`, `DeliveryOutbox` and `KeyStore`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// `fxmon.db`: rates.
    rates: Database,
    /// `fxmon-alerts.db`: the alert engine and the API keys.
    alerts: Database,
    /// Pairs known to be in `fx_pairs`.
    pairs: Arc<crate::known::KnownSet<fxmon_core::Pair>>,
    /// How the rates file is opened, for the one-off copy of an earlier release's alerts.
    options: SqliteConnectOptions,
}

/// One file's connections.
#[derive(Debug, Clone)]
struct Database {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection.
    writer: SqlitePool,
    /// The WAL checkpointer, stopped when the last clone is dropped.
    checkpointer: Arc<checkpoint::Checkpointer>,
}

/// How one file is opened: its readers, and its writer's page cache (KiB).
struct Sizes {
    readers: u32,
    reader_cache_kib: u32,
    writer_cache_kib: u32,
}

impl Database {
    async fn open(options: &SqliteConnectOptions, sizes: Sizes) -> Result<Self, sqlx::Error> {
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", format!("-{}", sizes.writer_cache_kib))
                    .pragma("wal_autocheckpoint", checkpoint::WRITER_AUTOCHECKPOINT),
            )
            .await?;
        // Neither pool pings a connection before lending it: a connection to a local file
        // does not go stale, and the ping is one more round trip to the connection's
        // thread on every read, the alerter's among them.
        let pool = SqlitePoolOptions::new()
            .max_connections(sizes.readers)
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", format!("-{}", sizes.reader_cache_kib)),
            )
            .await?;
        let checkpointer = checkpoint::Checkpointer::start(
            options.clone().pragma("cache_size", "-1024"),
            writer.clone(),
        )
        .await?;
        Ok(Self {
            pool,
            writer,
            checkpointer: Arc::new(checkpointer),
        })
    }

    async fn close(&self) {
        self.checkpointer.stop();
        self.pool.close().await;
        self.writer.close().await;
    }
}

impl SqliteStore {
    /// Opens (creating them and their folders if needed) the rates file at `path` and the
    /// alerts file beside it ([`alerts_path`](Self::alerts_path)), and migrates both.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        }
        let options = |path: &Path| {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With WAL, NORMAL loses at most the last commits on power loss, never
                // integrity.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(BUSY_TIMEOUT)
                .foreign_keys(true)
                // A multi-row insert's statement journal stays in memory, not in a temp file.
                .pragma("temp_store", "memory")
        };
        // The rates writer's cache is 16 MiB instead of SQLite's 2 MiB: with the default
        // cache the ECB history imports ~40% slower. (32 MiB imports no faster and keeps
        // `run --backfill-ecb` over 100 MB of memory.) Readers keep 8 MiB each: the
        // operating system caches the file too, and five full large caches would hold the
        // same pages several times over. The alerts file is small: SQLite's default 2 MiB.
        let rates = Database::open(
            &options(path),
            Sizes {
                readers: POOL_SIZE,
                reader_cache_kib: 8192,
                writer_cache_kib: 16384,
            },
        )
        .await
        .map_err(store_error)?;
        let alerts = Database::open(
            &options(&Self::alerts_path(path)),
            Sizes {
                readers: ALERTS_POOL_SIZE,
                reader_cache_kib: 2048,
                writer_cache_kib: 2048,
            },
        )
        .await
        .map_err(store_error)?;
        let store = Self {
            rates,
            alerts,
            pairs: Arc::default(),
            options: options(path),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The alerts file of the rates file at `path`: `fxmon-alerts.db` beside `fxmon.db`
    /// (in general, the rates file's stem with `-alerts` appended).
    pub fn alerts_path(path: &Path) -> PathBuf {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let extension = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        path.with_file_name(format!("{stem}-alerts{extension}"))
    }

    /// Applies the migrations not yet applied to both files, moving an earlier release's
    /// alerts into the alerts file on the way (`split`). `open` already does; this is for
    /// tools.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrated().await.map_err(store_error)
    }

    async fn migrated(&self) -> Result<(), sqlx::Error> {
        ALERTS_MIGRATOR.run(&self.alerts.writer).await?;
        if split::alerts_in_rates_file(&self.rates.writer).await? {
            split::rates_before_split(&MIGRATOR)
                .await?
                .run(&self.rates.writer)
                .await?;
            let rates = self.options.get_filename();
            split::copy_alerts(&self.options, &Self::alerts_path(rates)).await?;
        }
        MIGRATOR.run(&self.rates.writer).await?;
        Ok(())
    }

    /// Closes every connection, checkpointing the WALs; later calls fail as `Unavailable`.
    pub async fn close(&self) {
        self.rates.close().await;
        self.alerts.close().await;
    }
}
