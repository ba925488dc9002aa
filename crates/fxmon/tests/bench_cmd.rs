//! `fxmon bench`: the pipeline benchmark on the embedded stack reports sane numbers, bad
//! durations are refused naming the flag, and the load generator publishes what it says
//! into a broker.

mod support;

use std::process::{Command, Output};

fn fxmon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fxmon"))
        .args(args)
        .env("FXMON_LOG", "warn")
        .output()
        .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn number(report: &serde_json::Value, key: &str) -> f64 {
    report[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing: {report}"))
}

#[test]
fn the_embedded_pipeline_reports_rates_and_alert_latencies() {
    let output = fxmon(&[
        "bench",
        "pipeline",
        "--duration",
        "2",
        "--rate",
        "200",
        "--json",
    ]);
    let report = json(&output);
    assert_eq!(report["bus"], "memory");
    assert_eq!(report["store"], "sqlite");
    assert!(number(&report, "rows_per_sec") > 0.0, "{report}");
    assert!(number(&report, "snapshots_per_sec") > 0.0, "{report}");
    assert!(number(&report, "snapshots") > 0.0, "{report}");
    assert!(
        number(&report, "rows") >= number(&report, "snapshots"),
        "{report}"
    );
    assert!(number(&report, "alerts") > 0.0, "{report}");
    let (p50, p99) = (number(&report, "p50_ms"), number(&report, "p99_ms"));
    assert!(0.0 < p50 && p50 <= p99, "{report}");
    assert!(number(&report, "duration_s") >= 2.0, "{report}");
}

#[test]
fn two_processors_share_snapshots_spread_over_sources_and_store_each_once() {
    let output = fxmon(&[
        "bench",
        "pipeline",
        "--duration",
        "2",
        "--rate",
        "200",
        "--processors",
        "2",
        "--sources",
        "4",
        "--json",
    ]);
    let report = json(&output);
    assert_eq!(number(&report, "processors"), 2.0, "{report}");
    assert_eq!(number(&report, "sources"), 4.0, "{report}");
    let rows_per_snapshot = number(&report, "rows_per_snapshot");
    // Every snapshot counted once, whichever processor stored it.
    assert_eq!(
        number(&report, "rows"),
        number(&report, "snapshots") * rows_per_snapshot,
        "{report}"
    );
    assert!(number(&report, "snapshots") >= 300.0, "{report}");
    assert!(number(&report, "alerts") > 0.0, "{report}");
}

#[test]
fn a_duration_that_is_not_positive_is_refused_naming_the_flag() {
    for bad in ["0", "-1"] {
        let output = fxmon(&["bench", "pipeline", "--duration", bad, "--json"]);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--duration"), "{stderr}");
    }
    let output = fxmon(&["bench", "load", "--rate", "0", "--duration", "1"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--rate"));
}

#[test]
fn the_load_generator_publishes_the_expected_count_into_a_broker() {
    let folder = tempfile::tempdir().unwrap();
    let Some((_broker, address)) = support::broker(folder.path()) else {
        return;
    };
    let brokers = address.to_string();
    let output = fxmon(&[
        "bench",
        "load",
        "--bus",
        "kafka",
        "--kafka-brokers",
        &brokers,
        "--kafka-prefix",
        "load-test-",
        "--rate",
        "20",
        "--duration",
        "2",
        "--json",
    ]);
    let report = json(&output);
    let published = number(&report, "snapshots");
    // 20/s for 2 s, with the interval's first tick at once: 40 or 41.
    assert!((39.0..=41.0).contains(&published), "{report}");
    assert_eq!(number(&report, "failed"), 0.0, "{report}");
    assert!(
        number(&report, "p50_ms") <= number(&report, "p99_ms"),
        "{report}"
    );
}

#[test]
fn the_load_generator_refuses_the_in_process_bus() {
    let output = fxmon(&["bench", "load", "--rate", "10", "--duration", "1"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bus kafka"));
}
