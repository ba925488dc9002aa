//! Listens to `fx-alerts` and turns each event into a snapshot-to-alert latency: the
//! event's `triggered_at` is the as-of time of the snapshot that fired it, which the
//! publish log maps to the instant that snapshot was published.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fxmon_app::ports::{BusError, BusSubscriber};
use fxmon_core::snapshot::parse_time;
use tokio_util::sync::CancellationToken;

use super::latency::PublishLog;

/// What the listener has heard so far.
#[derive(Debug, Default)]
pub struct Heard {
    /// Distinct events (delivery is at least once).
    pub events: u64,
    /// Latency of each event of this run's snapshots, with the snapshot's as-of time (µs).
    pub latencies: Vec<(i64, Duration)>,
    /// When the last event arrived.
    pub last_at: Option<Instant>,
}

/// Shared view of what the listener heard.
pub type Listened = Arc<Mutex<Heard>>;

/// Reads `fx-alerts` until `stop`.
pub async fn listen(
    mut alerts: Box<dyn BusSubscriber>,
    log: Arc<PublishLog>,
    heard: Listened,
    stop: CancellationToken,
) -> Result<(), BusError> {
    let mut seen = HashSet::new();
    loop {
        let delivery = tokio::select! {
            next = alerts.next() => match next? {
                Some(delivery) => delivery,
                None => return Ok(()),
            },
            () = stop.cancelled() => return Ok(()),
        };
        let now = Instant::now();
        let payload = String::from_utf8_lossy(&delivery.payload);
        let Some(event_id) = field(&payload, "event_id") else {
            continue;
        };
        if !seen.insert(event_id.to_owned()) {
            continue;
        }
        let as_of = field(&payload, "triggered_at").and_then(|raw| parse_time(raw).ok());
        let mut heard = heard.lock().expect("listener lock");
        heard.events += 1;
        heard.last_at = Some(now);
        if let Some(micros) = as_of.map(|t| t.timestamp_micros()) {
            if let Some(published) = log.published_at(micros) {
                heard.latencies.push((micros, now - published));
            }
        }
    }
}

/// The value of a string field of a flat JSON object written by serde, e.g. the
/// `fx-alerts` event (its ids and times hold no escaped characters).
fn field<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let start = json.find(&format!("\"{name}\":\""))? + name.len() + 4;
    let length = json[start..].find('"')?;
    Some(&json[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_field_is_read_from_an_alert_event() {
        let event = r#"{"event_id":"7-1770201000123456","alert_id":7,"triggered_at":"2026-02-04T10:30:00.123456Z"}"#;
        assert_eq!(field(event, "event_id"), Some("7-1770201000123456"));
        assert_eq!(
            field(event, "triggered_at"),
            Some("2026-02-04T10:30:00.123456Z")
        );
        assert_eq!(field(event, "pair"), None);
    }
}
