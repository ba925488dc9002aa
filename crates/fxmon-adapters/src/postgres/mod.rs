//! `PgStore`: rates and alerts in PostgreSQL, fxmon's backend when several processes share
//! one store.
//!
//! `fx_rates` is partitioned by month (see `partitions`), so old history is dropped a month
//! at a time. The pool is shared by every clone of the store.

mod alerts;
mod error;
mod history;
mod keys;
mod partitions;
mod rates;
mod snapshot;
mod time;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fxmon_app::ports::StoreError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use error::store_error;
use partitions::KnownMonths;

/// The schema, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Months `connect` creates partitions for beyond the current one, so live writes never
/// wait on DDL.
const MONTHS_AHEAD: u32 = 3;

/// How `PgStore::connect` sizes its pool and bounds its waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long `connect` waits for its first connection before `Unavailable`.
    pub connect_timeout: Duration,
    /// How long an operation waits for a connection (opening one included).
    pub acquire_timeout: Duration,
    /// How long a delivery handed out by `due_deliveries` stays claimed: no other worker
    /// gets it meanwhile, and if its worker dies it is due again afterwards. Should exceed
    /// the time a worker may hold a batch (the longest: batch size ÷ concurrency × the
    /// attempt timeout).
    pub delivery_lease: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            delivery_lease: Duration::from_secs(600),
        }
    }
}

/// The PostgreSQL adapter behind `RateStore`, `AlertStore` and `DeliveryOutbox`.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Months known to have a partition, so a batch asks the database only about new ones.
    months: Arc<KnownMonths>,
    /// Pairs known to be in `fx_pairs`.
    pairs: Arc<crate::known::KnownSet<fxmon_core::Pair>>,
    delivery_lease: chrono::TimeDelta,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`), migrates, and creates the
    /// partitions of this month and the next three.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let connect_options: PgConnectOptions = url.parse().map_err(store_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect_options);
        // The first connection is opened here, bounded by the connect timeout, so a wrong
        // host fails `connect` rather than the first query.
        let first = tokio::time::timeout(options.connect_timeout, pool.acquire()).await;
        match first {
            Ok(connection) => drop(connection.map_err(store_error)?),
            Err(_) => {
                let error = error::ConnectTimeout(options.connect_timeout);
                return Err(StoreError::Unavailable(Box::new(error)));
            }
        }
        let store = Self {
            pool,
            months: Arc::default(),
            pairs: Arc::default(),
            delivery_lease: chrono::TimeDelta::from_std(options.delivery_lease)
                .unwrap_or(chrono::TimeDelta::MAX),
        };
        store.migrate().await?;
        store
            .ensure_partitions(Utc::now().date_naive(), MONTHS_AHEAD)
            .await?;
        Ok(store)
    }

    /// Applies the migrations not yet applied. `connect` already does; this is for tools.
    ///
    /// Safe when several processes start at once: sqlx holds a PostgreSQL advisory lock
    /// (per database) while it migrates, so the others wait and then find nothing to do.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await.map_err(store_error)?;
        // `run_direct`, not `run`: `run`'s `Acquire` bound makes this future not `Send`.
        let result = MIGRATOR.run_direct(&mut *connection).await;
        if result.is_err() {
            // sqlx's lock is per session and a failed run returns before unlocking: closing
            // the connection releases it rather than handing it back to the pool.
            connection.close_on_drop();
        }
        result.map_err(|e| store_error(e.into()))
    }

    /// Closes every connection; later calls fail as `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
