//! Topic administration at start-up: create fxmon's topics when missing, with explicit
//! partitions and retention; leave existing ones alone.

use std::time::Duration;

use fxmon_app::ports::Topic;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;

use super::context::TracingContext;
use super::error::KafkaSetupError;
use super::settings::KafkaSettings;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A topic fxmon needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The name without the settings' prefix, e.g. `fx-rates`.
    pub name: String,
    /// Partitions: the most consumers of one group that can share the topic's work.
    pub partitions: i32,
    /// `retention.ms`: how long the broker keeps messages.
    pub retention_ms: i64,
    /// Copies of each partition; `-1` takes the broker's `default.replication.factor`.
    pub replication_factor: i32,
}

/// What `ensure_topics` found or did for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicReport {
    /// The name on the cluster, prefix included.
    pub name: String,
    /// Partitions the topic has now (for an existing topic, possibly not the requested number).
    pub partitions: usize,
    /// Whether this call created it.
    pub created: bool,
}

/// fxmon's topics: `fx-rates` kept 7 days, `fx-alerts` and `fx-dead-letter` 30 days, each
/// with `partitions` partitions and the broker's default replication.
pub fn fxmon_topics(partitions: i32) -> Vec<TopicSpec> {
    [
        (Topic::Rates, 7),
        (Topic::Alerts, 30),
        (Topic::DeadLetter, 30),
    ]
    .into_iter()
    .map(|(topic, days)| TopicSpec {
        name: topic.name().to_owned(),
        partitions,
        retention_ms: days * DAY_MS,
        replication_factor: -1,
    })
    .collect()
}

/// Creates the topics of `specs` that do not exist yet. Existing topics keep their
/// partitions and settings (changing those is an operator's decision); a partition count
/// different from the requested one is logged.
pub async fn ensure_topics(
    settings: &KafkaSettings,
    specs: &[TopicSpec],
) -> Result<Vec<TopicReport>, KafkaSetupError> {
    let admin: AdminClient<TracingContext> = settings
        .client_config(&[], &[])
        .create_with_context(TracingContext::default())
        .map_err(KafkaSetupError::config)?;
    let names: Vec<String> = specs.iter().map(|s| settings.topic_name(&s.name)).collect();
    let created = create_missing(&admin, specs, &names).await?;
    // `fetch_metadata` blocks its thread; all topics, since asking for one by name may
    // auto-create it on some brokers.
    let metadata =
        tokio::task::spawn_blocking(move || admin.inner().fetch_metadata(None, ADMIN_TIMEOUT))
            .await
            .expect("fetching metadata does not panic")
            .map_err(KafkaSetupError::Unreachable)?;
    Ok(report(specs, &names, &created, &metadata))
}

/// Asks the cluster to create every topic (`names[i]` for `specs[i]`); returns the names
/// it created, ignoring those that already existed.
async fn create_missing(
    admin: &AdminClient<TracingContext>,
    specs: &[TopicSpec],
    names: &[String],
) -> Result<Vec<String>, KafkaSetupError> {
    let retentions: Vec<String> = specs.iter().map(|s| s.retention_ms.to_string()).collect();
    let new_topics: Vec<NewTopic<'_>> = specs
        .iter()
        .zip(names)
        .zip(&retentions)
        .map(|((spec, name), retention)| {
            let replication = TopicReplication::Fixed(spec.replication_factor);
            NewTopic::new(name, spec.partitions, replication).set("retention.ms", retention)
        })
        .collect();
    let options = AdminOptions::new()
        .operation_timeout(Some(ADMIN_TIMEOUT))
        .request_timeout(Some(ADMIN_TIMEOUT));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(KafkaSetupError::Unreachable)?;
    let mut created = Vec::new();
    for result in results {
        match result {
            Ok(name) => created.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => return Err(KafkaSetupError::CreateTopic { topic, code }),
        }
    }
    Ok(created)
}

/// One report per spec, logging topics whose partition count differs from the request.
fn report(
    specs: &[TopicSpec],
    names: &[String],
    created: &[String],
    metadata: &Metadata,
) -> Vec<TopicReport> {
    specs
        .iter()
        .zip(names)
        .map(|(spec, name)| {
            let partitions = metadata
                .topics()
                .iter()
                .find(|t| t.name() == name)
                .map_or(0, |t| t.partitions().len());
            let created = created.contains(name);
            if created {
                tracing::info!(
                    topic = name,
                    partitions,
                    retention_ms = spec.retention_ms,
                    "Kafka topic created."
                );
            } else if usize::try_from(spec.partitions).ok() != Some(partitions) {
                tracing::warn!(
                    topic = name,
                    partitions,
                    requested = spec.partitions,
                    "Kafka topic exists with a different partition count; leaving it as it is."
                );
            }
            TopicReport {
                name: name.clone(),
                partitions,
                created,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fxmon_topics_keep_rates_a_week_and_alerts_a_month() {
        let specs = fxmon_topics(6);
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fx-rates", "fx-alerts", "fx-dead-letter"]);
        assert_eq!(specs[0].retention_ms, 604_800_000);
        assert_eq!(specs[1].retention_ms, 2_592_000_000);
        assert!(specs
            .iter()
            .all(|s| s.partitions == 6 && s.replication_factor == -1));
    }
}
