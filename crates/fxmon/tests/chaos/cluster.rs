//! The distributed backends of a scenario: a nisshi broker, a fresh PostgreSQL database
//! and a Redis key prefix, with the environment that points the roles at them.

use std::net::SocketAddr;
use std::path::Path;

use fxmon_adapters::kafka::{ensure_topics, fxmon_topics, KafkaPublisher, KafkaSettings};
use fxmon_app::ports::{BusPublisher, Topic};
use fxmon_core::RateSnapshot;

use crate::support::{broker, Database, Process};

/// Partitions of the scenario's topics.
const PARTITIONS: i32 = 2;
/// Snapshots published concurrently (in order: the producer is idempotent).
const PUBLISH_BATCH: usize = 256;

pub struct Cluster {
    _broker: Process,
    pub broker: SocketAddr,
    pub database: Database,
    pub tag: String,
}

impl Cluster {
    /// `None` when nisshi is missing (the broker helper has said SKIPPED).
    pub fn start(folder: &Path, scenario: &str) -> Option<Self> {
        let (process, broker) = broker(folder)?;
        let tag = format!("chaos{scenario}{}", std::process::id());
        let cluster = Self {
            _broker: process,
            broker,
            database: Database::fresh(&tag),
            tag,
        };
        cluster.migrate();
        Some(cluster)
    }

    /// Creates the schema first, so that the store can be counted from the start.
    fn migrate(&self) {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_fxmon"))
            .arg("migrate")
            .envs(self.env())
            .status()
            .unwrap();
        assert!(status.success(), "fxmon migrate failed");
    }

    /// The roles' environment. A SIGKILLed consumer stays in its group until its session
    /// times out, so the restarted one gets its partitions after at most that long: 6 s,
    /// the brokers' usual minimum, rather than librdkafka's 45 s.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FXMON_BUS", "kafka".to_owned()),
            ("FXMON_KAFKA_BROKERS", self.broker.to_string()),
            ("FXMON_KAFKA_PREFIX", format!("{}.", self.tag)),
            ("FXMON_KAFKA_PARTITIONS", PARTITIONS.to_string()),
            (
                "FXMON_KAFKA_PROPERTIES",
                "session.timeout.ms=6000,heartbeat.interval.ms=500".to_owned(),
            ),
            ("FXMON_STORE", "postgres".to_owned()),
            ("FXMON_DATABASE_URL", self.database.url.clone()),
            ("FXMON_CACHE", "redis".to_owned()),
            ("FXMON_REDIS_PREFIX", format!("{}:", self.tag)),
            ("FXMON_LOG", "info".to_owned()),
        ]
    }

    fn settings(&self) -> KafkaSettings {
        let mut settings = KafkaSettings::new(self.broker.to_string());
        settings.prefix = format!("{}.", self.tag);
        settings
    }

    /// Creates the topics as the roles do, and publishes `snapshots` to `fx-rates`, keyed
    /// by source as the producer does (so in order, on one partition).
    pub async fn publish(&self, snapshots: &[RateSnapshot]) {
        let settings = self.settings();
        ensure_topics(&settings, &fxmon_topics(PARTITIONS))
            .await
            .unwrap();
        let publisher = KafkaPublisher::new(&settings).unwrap();
        for batch in snapshots.chunks(PUBLISH_BATCH) {
            let sends = batch
                .iter()
                .map(|s| publisher.publish(Topic::Rates, &s.source, s.to_json()));
            for sent in futures_util::future::join_all(sends).await {
                sent.unwrap();
            }
        }
    }
}
