//! Every metric fxmon records, by name, with its description: the one list to read.
//! Services record through the `metrics` facade; a process that serves HTTP installs the
//! Prometheus recorder (`fxmon_api::metrics`), and in a process without one each record
//! is a no-op. docs/OPERATIONS.md explains each metric.

use std::time::Duration;

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};

use crate::delivery::Step;
use crate::ports::DeliveryTarget;

/// Counter: rate rows newly stored by the processor (a redelivered snapshot adds none).
pub const RATES_STORED: &str = "fxmon_rates_stored_total";
/// Histogram: seconds the processor took for one batch of snapshots (store, windows, cache).
pub const BATCH_DURATION: &str = "fxmon_processor_batch_duration_seconds";
/// Histogram: seconds one `insert_rates` call took, failed ones included.
pub const STORE_WRITE_DURATION: &str = "fxmon_store_write_duration_seconds";
/// Histogram: seconds one fetch from the rate provider took, failed ones included.
pub const FETCH_DURATION: &str = "fxmon_source_fetch_duration_seconds";
/// Counter: fetches from the rate provider that failed.
pub const FETCH_ERRORS: &str = "fxmon_source_fetch_errors_total";
/// Gauge: fetches failed in a row right now (0 after a success).
pub const CONSECUTIVE_FAILURES: &str = "fxmon_source_consecutive_failures";
/// Gauge: Unix time of the last successful fetch.
pub const LAST_SUCCESS: &str = "fxmon_source_last_success_timestamp_seconds";
/// Counter: provider answers rejected as a whole (not JSON, fields missing, no valid rate).
pub const MALFORMED_RESPONSES: &str = "fxmon_source_malformed_responses_total";
/// Counter: rates held back for moving more than the jump bound.
pub const QUARANTINED_RATES: &str = "fxmon_source_quarantined_rates_total";
/// Counter: tracked rates the provider sent with an invalid value.
pub const INVALID_RATES: &str = "fxmon_source_invalid_rates_total";
/// Counter: stale-feed episodes begun.
pub const STALE_EPISODES: &str = "fxmon_source_stale_episodes_total";
/// Gauge, by `topic` and `group`: messages published but not yet consumed by the group.
pub const CONSUMER_LAG: &str = "fxmon_consumer_lag_messages";
/// Counter, by `result` (`hit`, `miss`, `error`): the API's reads of cached quotes.
pub const QUOTE_CACHE_READS: &str = "fxmon_quote_cache_reads_total";
/// Counter: alert triggers recorded by the alerter.
pub const ALERTS_FIRED: &str = "fxmon_alerts_fired_total";
/// Counter, by `target` (`bus`, `webhook`) and `outcome` (`delivered`, `retry`, `failed`):
/// delivery attempts of alert events.
pub const ALERT_DELIVERIES: &str = "fxmon_alert_deliveries_total";
/// Histogram, by `method`, `route` and `status`: seconds the API took to answer.
pub const HTTP_DURATION: &str = "fxmon_http_request_duration_seconds";

/// Registers each metric's unit and description with the installed recorder (Prometheus
/// `# HELP` lines). Call once, after installing it.
pub fn describe() {
    use Unit::{Count, Seconds};
    describe_counter!(
        RATES_STORED,
        Count,
        "Rate rows newly stored by the processor."
    );
    describe_histogram!(
        BATCH_DURATION,
        Seconds,
        "Time the processor took for one batch of snapshots: store, volatility, cache."
    );
    describe_histogram!(
        STORE_WRITE_DURATION,
        Seconds,
        "Time one write of rate rows to the store took, failed writes included."
    );
    describe_histogram!(
        FETCH_DURATION,
        Seconds,
        "Time one fetch from the rate provider took, failed fetches included."
    );
    describe_counter!(
        FETCH_ERRORS,
        Count,
        "Failed fetches from the rate provider."
    );
    describe_gauge!(
        CONSECUTIVE_FAILURES,
        Count,
        "Fetches from the rate provider failed in a row right now."
    );
    describe_gauge!(
        LAST_SUCCESS,
        Seconds,
        "Unix time of the last successful fetch from the rate provider."
    );
    describe_counter!(
        MALFORMED_RESPONSES,
        Count,
        "Provider answers rejected as a whole: not JSON, fields missing, no valid rate."
    );
    describe_counter!(
        QUARANTINED_RATES,
        Count,
        "Rates held back for moving more than the jump bound."
    );
    describe_counter!(
        INVALID_RATES,
        Count,
        "Tracked rates the provider sent with an invalid value (zero, negative, not a number)."
    );
    describe_counter!(STALE_EPISODES, Count, "Stale-feed episodes begun.");
    describe_gauge!(
        CONSUMER_LAG,
        Count,
        "Messages published to a topic but not yet consumed by the group (in-process bus: \
         queue depth; Kafka: high watermark minus committed offset, this member's partitions)."
    );
    describe_counter!(
        QUOTE_CACHE_READS,
        Count,
        "The API's reads of cached quotes, by result: hit, miss, error."
    );
    describe_counter!(
        ALERTS_FIRED,
        Count,
        "Alert triggers recorded by the alerter."
    );
    describe_counter!(
        ALERT_DELIVERIES,
        Count,
        "Delivery attempts of alert events by target and outcome: delivered, retry, failed."
    );
    describe_histogram!(
        HTTP_DURATION,
        Seconds,
        "Time the API took to answer, by method, route template and status."
    );
}

/// Exports the processor's counter at 0 until it counts, so a rate of it is defined.
pub fn start_processor() {
    add(RATES_STORED, 0);
}

/// Exports the producer's counters at 0 until they count.
pub fn start_producer() {
    let counters = [
        FETCH_ERRORS,
        MALFORMED_RESPONSES,
        QUARANTINED_RATES,
        INVALID_RATES,
        STALE_EPISODES,
    ];
    for name in counters {
        add(name, 0);
    }
}

/// Exports the alerter's and its delivery worker's counters at 0 until they count.
pub fn start_alerter() {
    add(ALERTS_FIRED, 0);
    for target in ["bus", "webhook"] {
        for outcome in ["delivered", "retry", "failed"] {
            metrics::counter!(ALERT_DELIVERIES, "target" => target, "outcome" => outcome)
                .increment(0);
        }
    }
}

/// Sets the lag gauge of `group` on `topic`.
pub fn set_consumer_lag(topic: &str, group: &str, messages: u64) {
    metrics::gauge!(CONSUMER_LAG, "topic" => topic.to_owned(), "group" => group.to_owned())
        .set(messages as f64);
}

/// Counts one delivery attempt of an alert event by its target and what came of it.
pub(crate) fn count_delivery(target: &DeliveryTarget, step: &Step) {
    let target = match target {
        DeliveryTarget::Bus => "bus",
        DeliveryTarget::Webhook { .. } => "webhook",
    };
    let outcome = match step {
        Step::Delivered { .. } => "delivered",
        Step::Retry { .. } => "retry",
        Step::GiveUp { .. } => "failed",
    };
    metrics::counter!(ALERT_DELIVERIES, "target" => target, "outcome" => outcome).increment(1);
}

/// Adds `n` to the counter `name`.
pub(crate) fn add(name: &'static str, n: u64) {
    metrics::counter!(name).increment(n);
}

/// Sets the gauge `name`.
pub(crate) fn set(name: &'static str, value: f64) {
    metrics::gauge!(name).set(value);
}

/// Records `elapsed` in the histogram `name`.
pub(crate) fn record_duration(name: &'static str, elapsed: Duration) {
    metrics::histogram!(name).record(elapsed);
}
