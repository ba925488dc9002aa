//! `fxmon import ecb` and `fxmon run --backfill-ecb` on the bundled ECB history.

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{NaiveDate, TimeZone, Utc};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::ports::{HistoryQuery, Order, RateStore};
use fxmon_core::Pair;

/// Rates in the bundled `eurofxref-hist.zip` (7,126 days, `N/A` cells skipped).
const ECB_RATES: u64 = 221_702;

fn ecb_zip() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/ecb/eurofxref-hist.zip"
    ))
}

fn import(data_dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fxmon"))
        .args(["import", "ecb"])
        .arg(ecb_zip())
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn usd_jpy_on(store: &SqliteStore, day: NaiveDate) -> f64 {
    let at = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap());
    let query = HistoryQuery {
        pair: Pair::parse("USD/JPY").unwrap(),
        from: Some(at),
        to: Some(at),
        limit: 10,
        offset: 0,
        order: Order::Asc,
    };
    let points = store.history(&query).await.unwrap();
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0].source, "ecb");
    points[0].rate
}

#[tokio::test]
async fn importing_the_ecb_history_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = import(dir.path());
    assert_eq!(
        first.lines().count(),
        1,
        "one summary line off a terminal: {first}"
    );
    assert!(
        first.contains(&format!(
            "{ECB_RATES} rates read, {ECB_RATES} new, 0 already stored"
        )),
        "{first}"
    );
    assert!(first.contains("1999-01-04 to 2026-10-30"), "{first}");
    let second = import(dir.path());
    assert!(
        second.contains(&format!(
            "{ECB_RATES} rates read, 0 new, {ECB_RATES} already stored"
        )),
        "{second}"
    );

    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    assert_eq!(store.count_rates().await.unwrap(), ECB_RATES);
    // USD/JPY is not an ECB series: it is derived from EUR/USD and EUR/JPY of the same day.
    let usd_jpy = usd_jpy_on(&store, NaiveDate::from_ymd_opt(2026, 10, 30).unwrap()).await;
    assert_eq!(usd_jpy, 175.68 / 1.1172);
}

#[tokio::test]
async fn a_missing_or_malformed_file_fails_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rates.csv");
    std::fs::write(&bad, "Date, USD, JPY,\n30 October 2026, 1.1172, lots,\n").unwrap();
    for (path, needle) in [
        (dir.path().join("missing.zip"), "missing.zip"),
        (bad, "JPY"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_fxmon"))
            .args(["import", "ecb"])
            .arg(&path)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
}

#[tokio::test]
async fn run_backfills_the_bundled_history_into_an_empty_store_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = |dir: &Path| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Command::new(env!("CARGO_BIN_EXE_fxmon"))
            .args(["run", "--backfill-ecb", "--source", "simulate", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let stop = |mut child: std::process::Child| {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0));
        let mut log = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
        log
    };
    let first_log = stop(run(dir.path()));
    assert!(
        first_log.contains("Backfilled the bundled ECB history"),
        "{first_log}"
    );
    let second_log = stop(run(dir.path()));
    assert!(
        !second_log.contains("Backfilled"),
        "backfilled a store that had data: {second_log}"
    );

    let store = SqliteStore::open(&dir.path().join("fxmon.db"))
        .await
        .unwrap();
    let query = HistoryQuery {
        pair: Pair::parse("EUR/USD").unwrap(),
        from: None,
        to: None,
        limit: 100_000,
        offset: 0,
        order: Order::Asc,
    };
    let ecb_points = store
        .history(&query)
        .await
        .unwrap()
        .iter()
        .filter(|p| p.source == "ecb")
        .count();
    assert!(ecb_points > 7_000, "{ecb_points} ECB days of EUR/USD");
    let usd_jpy = usd_jpy_on(&store, NaiveDate::from_ymd_opt(1999, 1, 4).unwrap()).await;
    assert!((usd_jpy - 133.73 / 1.1789).abs() < 1e-12, "{usd_jpy}");
}
