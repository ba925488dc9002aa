//! Counts the snapshots a consumer has finished, by wrapping its bus subscription: the
//! consumer loop commits a message only after its effects are durable, and a commit
//! covers every earlier message of its partition, so the messages a commit covers are the
//! snapshots stored (processor) or evaluated (alerter).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fxmon_app::ports::{BusError, BusSubscriber, Delivery};

/// Snapshots a consumer has finished. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// How many so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `inner`, counting its commits here.
    pub fn watch(&self, inner: Box<dyn BusSubscriber>) -> Box<dyn BusSubscriber> {
        Box::new(Counted {
            inner,
            done: self.clone(),
            received: Vec::new(),
        })
    }
}

struct Counted {
    inner: Box<dyn BusSubscriber>,
    done: Progress,
    /// Partition and offset of each message received and not yet covered by a commit.
    received: Vec<(i32, i64)>,
}

impl Counted {
    fn receive(&mut self, next: &Result<Option<Delivery>, BusError>) {
        if let Ok(Some(delivery)) = next {
            self.received.push((delivery.partition, delivery.offset));
        }
    }

    /// Counts the received messages `delivery`'s commit covers.
    fn covered(&mut self, delivery: &Delivery) {
        let before = self.received.len();
        self.received
            .retain(|&(p, o)| p != delivery.partition || o > delivery.offset);
        let covered = (before - self.received.len()) as u64;
        self.done.0.fetch_add(covered, Ordering::Relaxed);
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

// Written out as `#[async_trait]` would expand it: the binary does not depend on the macro.
impl BusSubscriber for Counted {
    fn next<'life0, 'async_trait>(
        &'life0 mut self,
    ) -> BoxFuture<'async_trait, Result<Option<Delivery>, BusError>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let next = self.inner.next().await;
            self.receive(&next);
            next
        })
    }

    fn try_next<'life0, 'async_trait>(
        &'life0 mut self,
    ) -> BoxFuture<'async_trait, Result<Option<Delivery>, BusError>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let next = self.inner.try_next().await;
            self.receive(&next);
            next
        })
    }

    fn commit<'life0, 'life1, 'async_trait>(
        &'life0 mut self,
        delivery: &'life1 Delivery,
    ) -> BoxFuture<'async_trait, Result<(), BusError>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let committed = self.inner.commit(delivery).await;
            // Counted even when the commit failed: the snapshots' effects are durable.
            self.covered(delivery);
            committed
        })
    }
}
