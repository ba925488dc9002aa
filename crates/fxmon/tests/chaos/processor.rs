//! A `fxmon processor` SIGKILLed at random while it consumes, then restarted: every
//! published rate ends in PostgreSQL exactly once, with its exact bits.

use std::time::{Duration, Instant};

use crate::cluster::Cluster;
use crate::crash::Role;
use crate::pg;
use crate::plan::{Plan, Rng};
use crate::snapshots::Series;
use crate::tally::{tally, Item};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_killed_at_random_stores_every_rate_exactly_once() {
    let plan = Plan::from_env();
    let folder = tempfile::tempdir().unwrap();
    let Some(cluster) = Cluster::start(folder.path(), "p") else {
        return;
    };
    let started = Instant::now();
    let series = Series::new(&cluster.tag);
    let snapshots: Vec<_> = (0..plan.snapshots).map(|s| series.snapshot(s)).collect();
    cluster.publish(&snapshots).await;
    let published = started.elapsed();

    let url = cluster.database.url.clone();
    let count = format!(
        "SELECT count(*) FROM fx_rates WHERE source = '{}'",
        series.source
    );
    let env = cluster.env();
    let mut processor = Role {
        folder: folder.path(),
        name: "processor",
        args: &["processor"],
        env: &env,
        progress: || pg::count(&url, &count),
        target: (plan.snapshots * 8) as u64,
    };
    let mut rng = Rng::new(plan.seed);
    let kills = processor.kill_repeatedly(&plan, &mut rng).await;
    let last = processor.finish("final", Duration::from_secs(300)).await;
    // Anything still in flight would land now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(last.terminate(), Some(0));

    let stored = stored_rates(&url, &series.source);
    tally(&series.items(0..plan.snapshots), &stored).report(
        "processor",
        &format!(
            "snapshots={} kills={kills} seed={} published_in={published:.1?} took={:.1?}",
            plan.snapshots,
            plan.seed,
            started.elapsed()
        ),
    );
}

/// Every row of `source`: (pair, as-of µs, rate bits). PostgreSQL prints a double in the
/// shortest form that reads back to the same bits.
fn stored_rates(url: &str, source: &str) -> Vec<Item> {
    let sql = format!(
        "SELECT pair, (extract(epoch FROM timestamp) * 1000000)::bigint, rate \
         FROM fx_rates WHERE source = '{source}'"
    );
    pg::query(url, &sql)
        .into_iter()
        .map(|row| {
            let rate: f64 = row[2].parse().unwrap();
            (row[0].clone(), row[1].parse().unwrap(), rate.to_bits())
        })
        .collect()
}
