//! `KafkaSetupError` and the mapping of librdkafka errors onto the bus port's errors.

use fxmon_app::ports::BusError;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Why a Kafka client or topic could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KafkaSetupError {
    /// The client configuration was refused (a typo in `extra`, an unsupported value); a
    /// secret property's value is masked (built by `config`).
    #[error("invalid Kafka client configuration")]
    Config(#[source] KafkaError),
    /// The cluster did not answer in time or refused the request.
    #[error("the Kafka cluster did not answer")]
    Unreachable(#[source] KafkaError),
    /// The cluster refused to create a topic.
    #[error("could not create Kafka topic {topic}: {code}")]
    CreateTopic {
        topic: String,
        code: RDKafkaErrorCode,
    },
}

impl KafkaSetupError {
    /// A refused configuration. librdkafka's message quotes the refused value: masked
    /// when the property holds a secret.
    pub(crate) fn config(error: KafkaError) -> Self {
        match error {
            KafkaError::ClientConfig(code, description, key, value)
                if fxmon_app::redact::is_secret_key(&key) =>
            {
                let mask = fxmon_app::redact::MASK;
                let description = description.replace(&value, mask);
                Self::Config(KafkaError::ClientConfig(
                    code,
                    description,
                    key,
                    mask.into(),
                ))
            }
            other => Self::Config(other),
        }
    }

    /// Whether trying again later may succeed (the cluster was down or busy), as opposed
    /// to a mistake in the settings that needs a person.
    pub fn is_transient(&self) -> bool {
        match self {
            KafkaSetupError::Config(_) => false,
            KafkaSetupError::Unreachable(_) => true,
            KafkaSetupError::CreateTopic { code, .. } => matches!(
                code,
                RDKafkaErrorCode::RequestTimedOut
                    | RDKafkaErrorCode::OperationTimedOut
                    | RDKafkaErrorCode::NotController
                    | RDKafkaErrorCode::BrokerTransportFailure
                    | RDKafkaErrorCode::AllBrokersDown
            ),
        }
    }
}

/// A bus error that keeps librdkafka's message and what fxmon was doing.
pub(crate) fn bus_error(doing: &str, error: &KafkaError) -> BusError {
    BusError::Other(format!("{doing}: {error}"))
}

/// Whether a failed commit means this consumer no longer owns the partition (a rebalance
/// moved it, or the session expired). The new owner starts from the last committed offset,
/// so the message is redelivered there: at-least-once still holds.
pub(crate) fn lost_ownership(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::RebalanceInProgress
                | RDKafkaErrorCode::IllegalGeneration
                | RDKafkaErrorCode::UnknownMemberId
                | RDKafkaErrorCode::FencedInstanceId
                | RDKafkaErrorCode::AssignmentLost
                | RDKafkaErrorCode::State
        )
    )
}
