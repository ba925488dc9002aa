//! The broker crashes and stays down for `FXMON_OUTAGE_SECS` while the producer keeps
//! polling: every snapshot the producer fetched is stored exactly once after the broker
//! returns (nothing timed out and was dropped), and the processor's consumer resumes.

use std::time::Instant;

use crate::broker::PrivateBroker;
use crate::provider::FakeProvider;
use crate::redis::PrivateRedis;
use crate::support::{Database, Process};
use crate::{outage, patience, settle, store, wait_until, Backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_loses_no_snapshot_and_the_consumers_resume() {
    let folder = tempfile::tempdir().unwrap();
    let Some(mut broker) = PrivateBroker::start(folder.path()) else {
        return;
    };
    let database = Database::fresh(&format!("fxmon_outage_broker_{}", std::process::id()));
    let redis = PrivateRedis::start(folder.path());
    let provider = FakeProvider::start().await;
    let env = Backends {
        broker: broker.address,
        database_url: database.url.clone(),
        redis_url: redis.url(),
        source_url: provider.url(),
    }
    .env();
    let processor = Process::fxmon(folder.path(), "processor", &["processor"], &env);
    let producer = Process::fxmon(folder.path(), "producer", &["producer"], &env);
    let logs = || {
        format!(
            "--- producer ---\n{}\n--- processor ---\n{}",
            producer.log(),
            processor.log()
        )
    };
    let url = database.url.as_str();
    wait_until(
        "three snapshots stored",
        patience(),
        || (store::rows_per_as_of(url).len() >= 3).then_some(()),
        logs,
    )
    .await;

    let before = provider.version();
    broker.stop();
    tokio::time::sleep(outage()).await;
    let fetched_while_down = provider.version() - before;
    broker.restart();
    let restarted = Instant::now();
    let at_restart = provider.version();
    // The consumer resumes: a version fetched after the restart reaches the store.
    wait_until(
        "a snapshot fetched after the restart stored",
        patience(),
        || {
            let newest = store::newest_as_of(url)?;
            (provider.version_of(newest) > at_restart).then_some(())
        },
        logs,
    )
    .await;
    let resumed = restarted.elapsed();
    settle(url, &provider, logs).await;
    let caught_up = restarted.elapsed();
    eprintln!(
        "broker down {:?}: {fetched_while_down} fetch(es) meanwhile, {} producer warnings; first \
         new snapshot stored {resumed:?} after the restart, all {} served snapshots stored once \
         {caught_up:?} after",
        outage(),
        producer.log().matches(" WARN ").count(),
        provider.served().len(),
    );
    // Still running: neither gave up while the broker was away.
    assert_eq!(producer.terminate(), Some(0), "the producer's exit");
    assert_eq!(processor.terminate(), Some(0), "the processor's exit");
}
