//! The services of one process in one `JoinSet`, tied to one cancellation token, and the
//! signals that cancel it.

use std::future::Future;

use anyhow::Context;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The running services, all tied to one cancellation token.
pub struct Services {
    set: JoinSet<(&'static str, anyhow::Result<()>)>,
    shutdown: CancellationToken,
}

impl Services {
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            set: JoinSet::new(),
            shutdown,
        }
    }

    pub fn spawn<E>(
        &mut self,
        name: &'static str,
        service: impl Future<Output = Result<(), E>> + Send + 'static,
    ) where
        E: Into<anyhow::Error>,
    {
        self.set
            .spawn(async move { (name, service.await.map_err(Into::into)) });
    }

    /// The token every service stops on.
    pub fn token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits for every service; the first to stop (failed or not) stops the rest.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.set.join_next().await {
            let (name, result) = joined.context("A service task panicked.")?;
            match result {
                Ok(()) => tracing::info!(service = name, "Service stopped."),
                Err(error) => {
                    tracing::error!(service = name, "Service failed: {error:#}");
                    first_error.get_or_insert(error.context(format!("The {name} failed")));
                }
            }
            self.shutdown.cancel();
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Installs SIGINT and SIGTERM handlers now, so a signal that arrives while the store is
/// still opening or backfilling also ends in a clean shutdown; returns the task that
/// cancels `shutdown` when one arrives.
pub fn cancel_on_signal(shutdown: CancellationToken) -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("Failed to listen for SIGINT.")?;
    let mut terminate = signal(SignalKind::terminate()).context("Failed to listen for SIGTERM.")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received; shutting down."),
            _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down."),
            () = shutdown.cancelled() => {}
        }
        shutdown.cancel();
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_first_failure_stops_every_other_service_and_is_returned_with_its_cause() {
        let shutdown = CancellationToken::new();
        let mut services = Services::new(shutdown.clone());
        let waiter = shutdown.clone();
        services.spawn("patient", async move {
            waiter.cancelled().await;
            Ok::<(), anyhow::Error>(())
        });
        services.spawn("broken", async {
            Err::<(), _>(anyhow::anyhow!("disk full"))
        });
        let error = tokio::time::timeout(Duration::from_secs(5), services.wait())
            .await
            .expect("every service stopped")
            .unwrap_err();
        assert_eq!(format!("{error:#}"), "The broken failed: disk full");
        assert!(shutdown.is_cancelled());
    }

    #[tokio::test]
    async fn a_clean_shutdown_returns_ok() {
        let shutdown = CancellationToken::new();
        let mut services = Services::new(shutdown.clone());
        for name in ["a", "b"] {
            let token = shutdown.clone();
            services.spawn(name, async move {
                token.cancelled().await;
                Ok::<(), anyhow::Error>(())
            });
        }
        shutdown.cancel();
        services.wait().await.unwrap();
    }
}
