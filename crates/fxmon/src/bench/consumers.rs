//! The processor and the alerter (with its delivery worker), built as `roles.rs` builds
//! them, but on subscriptions that count the snapshots each has finished.

use std::sync::Arc;
use std::time::Duration;

use fxmon_app::net_guard::TargetPolicy;
use fxmon_app::ports::{RateCache, Topic, ALERTER_GROUP, PROCESSOR_GROUP};
use fxmon_app::processor::{self, Processor, ProcessorDeps};
use fxmon_app::Tracked;

use super::progress::Progress;
use crate::backends::{Bus, Stores};
use crate::roles;
use crate::services::Services;

/// How long a consumer waits before retrying a snapshot whose store write failed.
const STORE_RETRY: Duration = Duration::from_millis(200);

/// How far each consumer has got.
pub struct Consumers {
    /// Snapshots the processor has stored.
    pub stored: Progress,
    /// Snapshots the alerter has evaluated.
    pub evaluated: Progress,
}

impl Consumers {
    /// Snapshots both have finished.
    pub fn finished(&self) -> u64 {
        self.stored.get().min(self.evaluated.get())
    }
}

/// Spawns `processors` processors (one consumer group), the alerter and the delivery
/// worker.
pub fn spawn(
    services: &mut Services,
    tracked: &Tracked,
    bus: &Bus,
    stores: &Stores,
    cache: Arc<dyn RateCache>,
    processors: u16,
) -> anyhow::Result<Consumers> {
    let consumers = Consumers {
        stored: Progress::default(),
        evaluated: Progress::default(),
    };
    for _ in 0..processors {
        let processor = Processor::new(
            ProcessorDeps {
                store: stores.rates.clone(),
                cache: cache.clone(),
                dead_letters: bus.publisher()?,
            },
            tracked.clone(),
        );
        let inbox = consumers
            .stored
            .watch(bus.subscribe(Topic::Rates, PROCESSOR_GROUP)?);
        services.spawn(
            "processor",
            processor::serve(processor, inbox, STORE_RETRY, services.token()),
        );
    }
    let inbox = consumers
        .evaluated
        .watch(bus.subscribe(Topic::Rates, ALERTER_GROUP)?);
    // The bench's rules have no webhooks; the default guard is what production runs with.
    roles::spawn_alerter_on(services, inbox, bus, stores, TargetPolicy::PublicOnly)?;
    Ok(consumers)
}
