//! Without a broker: `ping` fails within its short timeout, and `ensure_topics` with an
//! error worth retrying. These need no broker and always run.

use std::time::{Duration, Instant};

use fxmon_adapters::kafka::{ensure_topics, fxmon_topics, KafkaPublisher, KafkaSettings};
use fxmon_app::ports::BusPublisher;

use crate::support::free_address;

#[tokio::test]
async fn ping_fails_quickly_when_no_broker_listens() {
    let settings = KafkaSettings::new(free_address().to_string());
    let publisher = KafkaPublisher::new(&settings).unwrap();
    let started = Instant::now();
    let result = publisher.ping().await;
    assert!(result.is_err(), "ping succeeded without a broker");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "ping took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn ensure_topics_without_a_broker_fails_with_a_transient_error() {
    let settings = KafkaSettings::new(free_address().to_string());
    let error = ensure_topics(&settings, &fxmon_topics(1))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?} should be worth retrying");
}
