//! Which backends a process uses: bus, store and cache, each with its connection settings.
//! Secrets belong in the environment variables (or their `_FILE` variants), never on the
//! command line; `Debug` masks them (docs/CONNECTIONS.md).

use std::fmt;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use fxmon_app::redact;

/// The message bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BusKind {
    /// In-process channels: every service in one `fxmon run`.
    Memory,
    /// Apache Kafka or any Kafka-protocol broker.
    Kafka,
}

/// The store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// SQLite files in `--data-dir`.
    Sqlite,
    /// PostgreSQL at `--database-url`.
    Postgres,
}

/// The cache of latest rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheKind {
    /// A map in this process.
    Memory,
    /// Redis at `--redis-url`.
    Redis,
}

/// The bus and how to reach it.
#[derive(Clone, Args)]
pub struct BusArgs {
    /// Message bus.
    #[arg(long, env = "FXMON_BUS", default_value = "memory")]
    pub bus: BusKind,
    /// Kafka bootstrap servers, comma-separated `host:port`.
    #[arg(long, env = "FXMON_KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    pub kafka_brokers: String,
    /// Prefix of fxmon's topic and consumer-group names on the cluster (to share one
    /// cluster between deployments).
    #[arg(long, env = "FXMON_KAFKA_PREFIX", default_value = "")]
    pub kafka_prefix: String,
    /// Partitions of the topics fxmon creates when they are missing: the most processors
    /// (or alerters) that can share the work.
    #[arg(long, env = "FXMON_KAFKA_PARTITIONS", default_value_t = 6, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub kafka_partitions: i32,
    /// librdkafka properties passed through, `KEY=VALUE`, comma-separated (e.g.
    /// `security.protocol=SASL_SSL,sasl.mechanism=PLAIN`). Secrets such as `sasl.password`
    /// are refused here: set them in the variable or a file named by
    /// FXMON_KAFKA_PROPERTIES_FILE.
    #[arg(long, env = "FXMON_KAFKA_PROPERTIES", value_delimiter = ',', value_parser = property, hide_env_values = true)]
    pub kafka_property: Vec<(String, String)>,
}

/// The store and how to reach it.
#[derive(Clone, Args)]
pub struct StoreArgs {
    /// Store.
    #[arg(long, env = "FXMON_STORE", default_value = "sqlite")]
    pub store: StoreKind,
    /// Directory of the embedded store: the SQLite files `fxmon.db` (rates) and
    /// `fxmon-alerts.db` (alerts, API keys) live here.
    #[arg(long, env = "FXMON_DATA_DIR", default_value = "./fxmon-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL, e.g. `postgres://fxmon@db:5432/fxmon?sslmode=require`. One with a
    /// password is refused here: set the variable or a file named by
    /// FXMON_DATABASE_URL_FILE.
    #[arg(long, env = "FXMON_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The SQLite rates file; the alerts file is beside it.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("fxmon.db")
    }
}

/// The cache and how to reach it.
#[derive(Clone, Args)]
pub struct CacheArgs {
    /// Cache of latest rates.
    #[arg(long, env = "FXMON_CACHE", default_value = "memory")]
    pub cache: CacheKind,
    /// Redis URL (`redis://`, or `rediss://` for TLS). One with a password is refused
    /// here: set the variable or a file named by FXMON_REDIS_URL_FILE.
    #[arg(
        long,
        env = "FXMON_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// Prefix of every Redis key, so several deployments can share one Redis (include
    /// your own separator, e.g. `prod:`).
    #[arg(long, env = "FXMON_REDIS_PREFIX", default_value = "")]
    pub redis_prefix: String,
}

/// All three backends.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    #[command(flatten)]
    pub bus: BusArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

impl fmt::Debug for BusArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusArgs")
            .field("bus", &self.bus)
            .field("kafka_brokers", &self.kafka_brokers)
            .field("kafka_prefix", &self.kafka_prefix)
            .field("kafka_partitions", &self.kafka_partitions)
            .field("kafka_property", &redact::properties(&self.kafka_property))
            .finish()
    }
}

impl fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreArgs")
            .field("store", &self.store)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact::url),
            )
            .finish()
    }
}

impl fmt::Debug for CacheArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheArgs")
            .field("cache", &self.cache)
            .field("redis_url", &redact::url(&self.redis_url))
            .field("redis_prefix", &self.redis_prefix)
            .finish()
    }
}

fn property(raw: &str) -> Result<(String, String), String> {
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("{raw:?} must be KEY=VALUE"))?;
    if key.trim().is_empty() {
        return Err(format!("{raw:?} has an empty key"));
    }
    Ok((key.trim().to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn debug_output_masks_every_connection_secret() {
        let cli = Cli::try_parse_from([
            "fxmon",
            "run",
            "--database-url",
            "postgres://u:marker-pg@db/fxmon",
            "--redis-url",
            "rediss://:marker-redis@cache:6380",
            "--kafka-property",
            "sasl.username=u,sasl.password=marker-kafka",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("marker"), "{shown}");
        assert!(shown.contains("postgres://u:***@db/fxmon"), "{shown}");
        assert!(shown.contains("sasl.username=u"), "{shown}");
    }
}
