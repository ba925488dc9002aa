//! Opens the adapters the flags name. Services receive ports and never learn which
//! adapter they got; this is the one place that knows.

use std::sync::Arc;

use anyhow::{bail, Context};
use fxmon_adapters::kafka::{
    ensure_topics, fxmon_topics, KafkaPublisher, KafkaSettings, KafkaSetupError, KafkaSubscriber,
};
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_adapters::redis_cache::{RedisRateCache, DEFAULT_TTL};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{
    AlertStore, BusPublisher, BusSubscriber, DeliveryOutbox, KeyStore, RateCache, RateStore, Topic,
};

use crate::cli::{BusArgs, BusKind, CacheArgs, CacheKind, StoreArgs, StoreKind};

/// Messages each in-process queue holds before the producer waits.
const BUS_CAPACITY: usize = 1024;

/// The store, seen through each of its ports.
#[derive(Clone)]
pub struct Stores {
    pub rates: Arc<dyn RateStore>,
    pub alerts: Arc<dyn AlertStore>,
    pub outbox: Arc<dyn DeliveryOutbox>,
    pub keys: Arc<dyn KeyStore>,
    /// The embedded store, which [`close`](Self::close) closes.
    sqlite: Option<Arc<SqliteStore>>,
}

impl Stores {
    /// Closes the embedded store's connections, which copies its WAL files into the
    /// database files and removes them, so a stopped fxmon leaves two plain files that
    /// can be copied as they are. PostgreSQL's connections end with the process.
    pub async fn close(&self) {
        if let Some(sqlite) = &self.sqlite {
            sqlite.close().await;
        }
    }
}

/// Opens (and migrates) the store.
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<Stores> {
    match args.store {
        StoreKind::Sqlite => {
            let path = args.sqlite_path();
            let store = Arc::new(SqliteStore::open(&path).await.with_context(|| {
                format!("Failed to open the SQLite store at {}.", path.display())
            })?);
            Ok(Stores {
                rates: store.clone(),
                alerts: store.clone(),
                outbox: store.clone(),
                keys: store.clone(),
                sqlite: Some(store),
            })
        }
        StoreKind::Postgres => {
            let Some(url) = &args.database_url else {
                bail!("--store postgres needs --database-url (or FXMON_DATABASE_URL).");
            };
            let store = Arc::new(
                PgStore::connect(url, PgOptions::default())
                    .await
                    .context("Failed to connect to PostgreSQL.")?,
            );
            Ok(Stores {
                rates: store.clone(),
                alerts: store.clone(),
                outbox: store.clone(),
                keys: store,
                sqlite: None,
            })
        }
    }
}

/// Opens the cache. `role` is set for a process running one service alone, which must
/// share its cache with the other processes: only an external cache can.
pub async fn open_cache(
    args: &CacheArgs,
    role: Option<&str>,
) -> anyhow::Result<Arc<dyn RateCache>> {
    match (args.cache, role) {
        (CacheKind::Memory, None) => Ok(Arc::new(MemoryRateCache::new())),
        (CacheKind::Memory, Some(role)) => bail!(
            "`fxmon {role}` runs alone only with --cache redis: an in-process cache is not \
             shared with the other processes (or run everything with `fxmon run`)."
        ),
        // Lazily: a Redis that is down at start-up must not stop the API, which reads
        // around it; the calls fail fast and recover when it returns.
        (CacheKind::Redis, _) => Ok(Arc::new(
            RedisRateCache::connect_lazy(&args.redis_url, &args.redis_prefix, DEFAULT_TTL)
                .map_err(|e| anyhow::anyhow!("--redis-url is invalid: {e}"))?,
        )),
    }
}

/// The message bus of this process.
pub enum Bus {
    Memory(Arc<MemoryBus>),
    Kafka(KafkaSettings),
}

impl Bus {
    /// Opens the bus; for Kafka, creates fxmon's topics when they are missing. `role` is
    /// set for a process running one service alone, which an in-process bus cannot serve.
    pub async fn open(args: &BusArgs, role: Option<&str>) -> anyhow::Result<Self> {
        match (args.bus, role) {
            (BusKind::Memory, None) => Ok(Self::Memory(Arc::new(MemoryBus::new(BUS_CAPACITY)))),
            (BusKind::Memory, Some(role)) => bail!(
                "`fxmon {role}` runs alone only with --bus kafka: the in-process bus connects \
                 services inside one process (use `fxmon run` for that)."
            ),
            (BusKind::Kafka, _) => {
                let mut settings = KafkaSettings::new(args.kafka_brokers.clone());
                settings.prefix = args.kafka_prefix.clone();
                settings.extra = args.kafka_property.clone();
                let topics = fxmon_topics(args.kafka_partitions);
                let reports = ensure_topics(&settings, &topics).await.with_context(|| {
                    format!("Failed to set up Kafka topics on {}.", args.kafka_brokers)
                })?;
                for report in reports {
                    tracing::info!(
                        topic = report.name,
                        partitions = report.partitions,
                        created = report.created,
                        "Kafka topic ready."
                    );
                }
                Ok(Self::Kafka(settings))
            }
        }
    }

    /// A publisher to every topic.
    pub fn publisher(&self) -> anyhow::Result<Arc<dyn BusPublisher>> {
        self.publisher_made_by(KafkaPublisher::new)
    }

    /// A publisher for the alert engine (`fx-alerts`, `fx-dead-letter`): on Kafka, each
    /// message goes out at once instead of lingering for others to batch with.
    pub fn alert_publisher(&self) -> anyhow::Result<Arc<dyn BusPublisher>> {
        self.publisher_made_by(KafkaPublisher::prompt)
    }

    /// The in-process bus itself, or a Kafka producer made by `make`.
    fn publisher_made_by(
        &self,
        make: fn(&KafkaSettings) -> Result<KafkaPublisher, KafkaSetupError>,
    ) -> anyhow::Result<Arc<dyn BusPublisher>> {
        match self {
            Self::Memory(bus) => Ok(bus.clone()),
            Self::Kafka(settings) => Ok(Arc::new(
                make(settings).context("Failed to create the Kafka producer.")?,
            )),
        }
    }

    /// A live view of `topic` for `group` (one per API process): new messages only, not
    /// the topic's retained history.
    pub fn subscribe_live(
        &self,
        topic: Topic,
        group: &str,
    ) -> anyhow::Result<Box<dyn BusSubscriber>> {
        match self {
            Self::Memory(bus) => Ok(Box::new(bus.subscribe(topic, group))),
            Self::Kafka(settings) => Ok(Box::new(
                KafkaSubscriber::from_latest(settings, topic, group)
                    .with_context(|| format!("Failed to follow {} live.", topic.name()))?,
            )),
        }
    }

    /// A member of `group` on `topic`.
    pub fn subscribe(&self, topic: Topic, group: &str) -> anyhow::Result<Box<dyn BusSubscriber>> {
        match self {
            Self::Memory(bus) => Ok(Box::new(bus.subscribe(topic, group))),
            Self::Kafka(settings) => Ok(Box::new(
                KafkaSubscriber::new(settings, topic, group).with_context(|| {
                    format!("Failed to join consumer group {group} on {}.", topic.name())
                })?,
            )),
        }
    }
}
