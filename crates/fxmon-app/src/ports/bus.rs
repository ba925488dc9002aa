//! The message bus: topics of keyed byte messages, consumed by groups with manual commits.

use async_trait::async_trait;

/// The topics fxmon uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `fx-rates`: provider snapshots, keyed by source.
    Rates,
    /// `fx-alerts`: alert events, keyed by pair.
    Alerts,
    /// `fx-dead-letter`: messages a consumer could not parse, with the reason.
    DeadLetter,
}

impl Topic {
    /// The topic's name on the bus.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Rates => "fx-rates",
            Topic::Alerts => "fx-alerts",
            Topic::DeadLetter => "fx-dead-letter",
        }
    }
}

/// The consumer group of the processor (the seed's name).
pub const PROCESSOR_GROUP: &str = "rate-processor-group";
/// The consumer group of the alerter (the seed's name).
pub const ALERTER_GROUP: &str = "alert-engine-group";

/// One message received from a topic.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub key: String,
    pub payload: Vec<u8>,
    /// Position of the message in its partition; opaque outside the adapter.
    pub partition: i32,
    pub offset: i64,
}

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("the bus is closed")]
    Closed,
    #[error("bus error: {0}")]
    Other(String),
}

/// Sends messages to topics.
#[async_trait]
pub trait BusPublisher: Send + Sync {
    /// Publishes one message; returns once the bus has accepted it.
    async fn publish(&self, topic: Topic, key: &str, payload: Vec<u8>) -> Result<(), BusError>;
    /// Checks the bus is reachable (for `/health`).
    async fn ping(&self) -> Result<(), BusError>;
}

/// Receives one topic's messages as a member of a consumer group.
#[async_trait]
pub trait BusSubscriber: Send {
    /// The next message; `None` once the bus is closed for good.
    async fn next(&mut self) -> Result<Option<Delivery>, BusError>;
    /// A message that is already waiting, without waiting for one: lets a consumer take
    /// what has queued up as one batch. `None` when nothing is waiting right now.
    async fn try_next(&mut self) -> Result<Option<Delivery>, BusError> {
        Ok(None)
    }
    /// Marks `delivery` (and everything before it in its partition) as done. Called only
    /// after its effects are durable, so a crash redelivers rather than loses.
    async fn commit(&mut self, delivery: &Delivery) -> Result<(), BusError>;
}
