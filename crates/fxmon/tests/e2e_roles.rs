//! The single-service commands refuse the embedded backends they cannot share, saying
//! which flag to set.

use std::process::Command;

fn fxmon(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_fxmon"))
        .args(args)
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("FXMON_BUS")
        .env_remove("FXMON_CACHE")
        .env_remove("FXMON_STORE")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_service_run_alone_needs_a_shared_bus_and_cache() {
    for role in ["processor", "alerter", "api"] {
        let (ok, stderr) = fxmon(&[role]);
        assert!(!ok, "{role} started on the in-process bus");
        assert!(stderr.contains("--bus kafka"), "{role}: {stderr}");
    }
    let (ok, stderr) = fxmon(&[
        "processor",
        "--bus",
        "kafka",
        "--kafka-brokers",
        "127.0.0.1:1",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("Kafka") || stderr.contains("--cache redis"),
        "{stderr}"
    );
}

#[test]
fn postgres_without_a_url_is_refused_naming_the_flag() {
    let (ok, stderr) = fxmon(&["migrate", "--store", "postgres"]);
    assert!(!ok);
    assert!(stderr.contains("--database-url"), "{stderr}");
}
