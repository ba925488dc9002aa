//! Connection secrets, end to end through the built binary: read from `_FILE` variables,
//! refused on the command line, and never shown by `--help`, logs, `/health` or error
//! bodies. Each secret is a unique marker that must never appear in any output.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{free_address, Process};

const MARKER: &str = "marker-5e1c7d";

/// `fxmon args` with `env`, none of the connection variables inherited.
fn fxmon(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fxmon"));
    command.args(args);
    for name in [
        "DATABASE_URL",
        "REDIS_URL",
        "KAFKA_PROPERTIES",
        "EXCHANGERATE_API_KEY",
    ] {
        command.env_remove(format!("FXMON_{name}"));
        command.env_remove(format!("FXMON_{name}_FILE"));
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A file holding `content` plus the newline an editor adds.
fn secret_file(folder: &std::path::Path, name: &str, content: &str) -> String {
    let path = folder.join(name);
    std::fs::write(&path, format!("{content}\n")).unwrap();
    path.display().to_string()
}

#[test]
fn help_never_shows_the_values_of_secret_variables() {
    let env = [
        (
            "FXMON_DATABASE_URL",
            format!("postgres://u:{MARKER}@db/fxmon"),
        ),
        ("FXMON_REDIS_URL", format!("redis://:{MARKER}@cache")),
        ("FXMON_KAFKA_PROPERTIES", format!("sasl.password={MARKER}")),
    ];
    for command in [
        &["run", "--help"][..],
        &["api", "--help"],
        &["migrate", "--help"],
    ] {
        let output = fxmon(command, &env);
        let shown = all_output(&output);
        assert!(output.status.success(), "{shown}");
        assert!(shown.contains("FXMON_DATABASE_URL"), "{shown}");
        assert!(!shown.contains(MARKER), "{shown}");
    }
}

#[test]
fn a_password_on_the_command_line_is_refused_pointing_at_the_variables() {
    let url = format!("postgres://fxmon:{MARKER}@127.0.0.1:1/fxmon");
    let output = fxmon(
        &["migrate", "--store", "postgres", "--database-url", &url],
        &[],
    );
    let shown = all_output(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("FXMON_DATABASE_URL_FILE"), "{shown}");
    assert!(!shown.contains(MARKER), "{shown}");

    let property = format!("sasl.password={MARKER}");
    let output = fxmon(
        &["producer", "--bus", "kafka", "--kafka-property", &property],
        &[],
    );
    let shown = all_output(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("FXMON_KAFKA_PROPERTIES_FILE"), "{shown}");
    assert!(!shown.contains(MARKER), "{shown}");
}

#[test]
fn a_database_url_from_a_file_is_used_and_its_password_never_shown() {
    let folder = tempfile::tempdir().unwrap();
    // A closed port: the connection fails and the error is printed.
    let url = format!("postgres://fxmon:{MARKER}@{}/fxmon", free_address());
    let file = secret_file(folder.path(), "database-url", &url);
    let output = fxmon(
        &["migrate", "--store", "postgres"],
        &[("FXMON_DATABASE_URL_FILE", file)],
    );
    let shown = all_output(&output);
    assert!(!output.status.success(), "{shown}");
    assert!(
        shown.contains("Failed to connect to PostgreSQL."),
        "{shown}"
    );
    assert!(!shown.contains(MARKER), "{shown}");
}

#[test]
fn a_variable_and_its_file_together_are_refused_naming_both() {
    let folder = tempfile::tempdir().unwrap();
    let file = secret_file(folder.path(), "redis-url", "redis://127.0.0.1:6379");
    let output = fxmon(
        &["migrate"],
        &[
            ("FXMON_REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
            ("FXMON_REDIS_URL_FILE", file),
        ],
    );
    let shown = all_output(&output);
    assert!(!output.status.success(), "{shown}");
    assert!(
        shown.contains("FXMON_REDIS_URL and FXMON_REDIS_URL_FILE"),
        "{shown}"
    );
}

#[test]
fn kafka_properties_from_a_file_reach_librdkafka_and_their_secrets_are_never_shown() {
    let folder = tempfile::tempdir().unwrap();
    // librdkafka refuses the protocol at once, naming it: the file's settings reached it.
    let properties = format!("security.protocol=SASL_TLS,sasl.password={MARKER}");
    let file = secret_file(folder.path(), "kafka", &properties);
    let output = fxmon(
        &["producer", "--bus", "kafka", "--source", "simulate"],
        &[("FXMON_KAFKA_PROPERTIES_FILE", file)],
    );
    let shown = all_output(&output);
    assert!(!output.status.success(), "{shown}");
    assert!(shown.contains("security.protocol"), "{shown}");
    assert!(!shown.contains(MARKER), "{shown}");
}

#[tokio::test]
async fn with_a_redis_password_neither_health_nor_error_bodies_nor_logs_show_it() {
    let folder = tempfile::tempdir().unwrap();
    let redis_url = format!("redis://fxmon:{MARKER}@{}/0", free_address());
    let file = secret_file(folder.path(), "redis-url", &redis_url);
    let listen = free_address().to_string();
    let data_dir = folder.path().join("data").display().to_string();
    let args = [
        "run",
        "--source",
        "simulate",
        "--cache",
        "redis",
        "--listen",
        &listen,
        "--data-dir",
        &data_dir,
    ];
    let fxmon = Process::fxmon(
        folder.path(),
        "run",
        &args,
        &[
            ("FXMON_REDIS_URL_FILE", file),
            ("FXMON_LOG", "debug".into()),
        ],
    );
    let base = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Ok(response) = reqwest::get(format!("{base}/health")).await {
            let body = response.text().await.unwrap();
            if body.contains("\"cache\"") && body.contains("degraded") {
                break body;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no degraded cache in /health:\n{}",
            fxmon.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!health.contains(MARKER), "{health}");
    for path in ["/rates", "/rates/USD/EUR", "/rates/USD/XXX", "/health"] {
        let body = reqwest::get(format!("{base}{path}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains(MARKER), "{path}: {body}");
    }
    let log = fxmon.log();
    assert!(log.contains("Redis"), "the cache errors are logged:\n{log}");
    assert!(!log.contains(MARKER), "{log}");
    fxmon.terminate();
}
