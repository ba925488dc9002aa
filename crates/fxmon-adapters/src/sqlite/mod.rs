//! `SqliteStore`: rates and alerts in one SQLite file, fxmon's all-in-one backend.
//!
//! SQLite allows one writer at a time. Every write of this process goes through `writer`,
//! a pool of one connection, so writers queue in-process without delay instead of
//! meeting SQLite's busy handler, which sleeps in steps of milliseconds. Reads use `pool`,
//! which WAL lets run beside the writer. The busy timeout still makes a writer of another
//! process (an import beside `fxmon run`) wait rather than fail.

mod alerts;
mod checkpoint;
mod error;
mod history;
mod keys;
mod rates;
mod snapshot;
mod time;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fxmon_app::ports::StoreError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use error::store_error;

/// The schema, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections for reads.
const POOL_SIZE: u32 = 4;
/// How long a writer waits for another to finish before giving up as `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite adapter behind `RateStore` and `AlertStore`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection.
    writer: SqlitePool,
    /// Pairs known to be in `fx_pairs`.
    pairs: Arc<crate::known::KnownSet<fxmon_core::Pair>>,
    /// The WAL checkpointer, stopped when the last clone is dropped.
    checkpointer: Arc<checkpoint::Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating it and its folders if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL loses at most the last commits on power loss, never integrity.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // A multi-row insert's statement journal stays in memory, not in a temp file.
            .pragma("temp_store", "memory");
        // The writer's cache is 16 MiB instead of SQLite's 2 MiB: a bulk import touches every
        // index, and with the default cache the ECB history imports ~40% slower. (32 MiB
        // imports no faster and keeps `run --backfill-ecb` over 100 MB of memory.) Its WAL is
        // checkpointed by `checkpoint`, beside it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(
                options
                    .clone()
                    .pragma("cache_size", "-16384")
                    .pragma("wal_autocheckpoint", checkpoint::WRITER_AUTOCHECKPOINT),
            )
            .await
            .map_err(store_error)?;
        // Readers keep 8 MiB each: the operating system caches the file too, and five full
        // large caches would hold the same pages several times over.
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone().pragma("cache_size", "-8192"))
            .await
            .map_err(store_error)?;
        let checkpointer =
            checkpoint::Checkpointer::start(options.pragma("cache_size", "-1024"), writer.clone())
                .await
                .map_err(store_error)?;
        let store = Self {
            pool,
            writer,
            pairs: Arc::default(),
            checkpointer: Arc::new(checkpointer),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations not yet applied. `open` already does; this is for tools.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| store_error(e.into()))
    }

    /// Closes every connection, checkpointing the WAL; later calls fail as `Unavailable`.
    pub async fn close(&self) {
        self.checkpointer.stop();
        self.pool.close().await;
        self.writer.close().await;
    }
}
