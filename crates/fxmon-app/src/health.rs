//! The health report: each dependency checked for real.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ports::{BusPublisher, RateCache, RateStore};
use crate::source_health::{SourceHealth, SourceState};

/// Overall or per-component status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

/// One checked dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub name: &'static str,
    pub status: Status,
    /// Why it is not healthy, or what it is.
    pub detail: String,
}

/// The whole report; `status` is the worst component's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    pub status: Status,
    pub checked_at: DateTime<Utc>,
    pub components: Vec<Component>,
}

/// What the health check looks at.
#[derive(Clone)]
pub struct HealthDeps {
    pub store: std::sync::Arc<dyn RateStore>,
    pub cache: std::sync::Arc<dyn RateCache>,
    pub bus: std::sync::Arc<dyn BusPublisher>,
    /// `None` when this process runs no producer.
    pub source: Option<SourceHealth>,
    /// Provider data older than this is stale.
    pub stale_after: Duration,
}

/// Checks every dependency. The store is essential (unhealthy); the others degrade.
pub async fn check(deps: &HealthDeps, now: DateTime<Utc>) -> HealthReport {
    let mut components = vec![
        match deps.store.ping().await {
            Ok(()) => ok("store", "answers"),
            Err(e) => bad("store", Status::Unhealthy, e.to_string()),
        },
        match deps.cache.ping().await {
            Ok(()) => ok("cache", "answers"),
            Err(e) => bad("cache", Status::Degraded, e.to_string()),
        },
        match deps.bus.ping().await {
            Ok(()) => ok("bus", "answers"),
            Err(e) => bad("bus", Status::Degraded, e.to_string()),
        },
    ];
    if let Some(source) = &deps.source {
        components.push(source_component(source, now, deps.stale_after));
    }
    let status = components
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Healthy);
    HealthReport {
        status,
        checked_at: now,
        components,
    }
}

fn source_component(source: &SourceHealth, now: DateTime<Utc>, stale_after: Duration) -> Component {
    let status = source.status();
    let name = "rate_source";
    // What the producer held back since start, e.g. "; 3 rates quarantined".
    let notes: String = [
        (status.quarantined_rates, "rates quarantined"),
        (status.rejected_rates, "invalid rates rejected"),
        (status.malformed_responses, "malformed responses"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("; {n} {what}"))
    .collect();
    match status.state(now, stale_after) {
        SourceState::Ok => ok(name, &format!("{}: fresh{notes}", status.source)),
        SourceState::Starting => bad(
            name,
            Status::Degraded,
            format!("{}: no successful fetch yet{notes}", status.source),
        ),
        SourceState::Failing => bad(
            name,
            Status::Degraded,
            format!(
                "{}: failing ({} in a row): {}{}{notes}",
                status.source,
                status.consecutive_failures,
                status.last_error.clone().unwrap_or_default(),
                status
                    .stale_since
                    .map(|t| format!(
                        "; feed stale since {}",
                        fxmon_core::snapshot::format_time(t)
                    ))
                    .unwrap_or_default()
            ),
        ),
        SourceState::Stale => bad(
            name,
            Status::Degraded,
            format!(
                "{}: stale, provider data as of {} is older than {}s{notes}",
                status.source,
                status
                    .last_as_of
                    .map(fxmon_core::snapshot::format_time)
                    .unwrap_or_default(),
                stale_after.as_secs()
            ),
        ),
    }
}

fn ok(name: &'static str, detail: &str) -> Component {
    Component {
        name,
        status: Status::Healthy,
        detail: detail.to_owned(),
    }
}

fn bad(name: &'static str, status: Status, detail: String) -> Component {
    Component {
        name,
        status,
        // Errors may quote a connection URL; /health is often public.
        detail: crate::redact::text(&detail),
    }
}
