//! Counts the snapshots a consumer has finished, by wrapping its bus subscription: the
//! consumer loop commits a message only after its effects are durable, so the count of
//! commits is the count of snapshots stored (processor) or evaluated (alerter).

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
        })
    }
}

struct Counted {
    inner: Box<dyn BusSubscriber>,
    done: Progress,
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
        self.inner.next()
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
            // Counted even when the commit failed: the snapshot's effects are durable.
            self.done.0.fetch_add(1, Ordering::Relaxed);
            committed
        })
    }
}
