//! `rediss://`: `RedisRateCache` over TLS (redis is built with rustls), against a
//! `redis-server --tls-port` with a certificate from a throwaway CA made by `openssl`.
//!
//! One test, in a binary of its own, because it sets `SSL_CERT_FILE` (which the system
//! root store honours) for the whole process. Without `redis-server` or `openssl` it says
//! so and passes.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fxmon_adapters::redis_cache::{RedisRateCache, DEFAULT_TTL};
use fxmon_app::ports::RateCache;
use fxmon_core::{Currency, Pair};

/// A `redis-server` listening with TLS only, killed on drop.
struct TlsRedis {
    child: Child,
    port: u16,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(program: &str, args: &[&str], folder: &Path) -> bool {
    Command::new(program)
        .args(args)
        .current_dir(folder)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A CA (`ca.pem`) and a server certificate it signed for 127.0.0.1 and localhost.
fn make_certificates(folder: &Path) -> bool {
    std::fs::write(
        folder.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    let ca = [&["req", "-x509"], &ec[..], &["-nodes", "-keyout", "ca.key"]].concat();
    let ca = [
        &ca[..],
        &["-out", "ca.pem", "-days", "2", "-subj", "/CN=fxmon-test-ca"],
    ]
    .concat();
    let csr = [&["req"], &ec[..], &["-nodes", "-keyout", "server.key"]].concat();
    let csr = [&csr[..], &["-out", "server.csr", "-subj", "/CN=localhost"]].concat();
    let sign = [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ];
    run("openssl", &ca, folder) && run("openssl", &csr, folder) && run("openssl", &sign, folder)
}

fn start_tls_redis(folder: &Path) -> Option<TlsRedis> {
    if !make_certificates(folder) {
        skip("openssl could not make the test certificates");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .current_dir(folder)
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args([
            "--tls-cert-file",
            "server.pem",
            "--tls-key-file",
            "server.key",
        ])
        .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        skip("redis-server cannot be run");
        return None;
    };
    let redis = TlsRedis { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "redis-server did not listen with TLS"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(redis)
}

#[tokio::test]
async fn rediss_urls_speak_tls_and_verify_the_server_certificate() {
    // A server answering in plain text fails the TLS handshake: proof that TLS is compiled
    // in (without it, redis refuses `rediss://` with "the feature is not enabled").
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_url = format!("rediss://{}/0", plain.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut socket in plain.incoming().flatten() {
            let _ = socket.write_all(b"-ERR plain text only\r\n");
        }
    });
    let error = RedisRateCache::connect(&plain_url, "fxmon-tls-test:", DEFAULT_TTL)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("corrupt message"), "{error}");

    let folder = tempfile::tempdir().unwrap();
    let Some(redis) = start_tls_redis(folder.path()) else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{}/0", redis.port);

    // Not yet trusted: the throwaway CA is in no root store.
    std::env::remove_var("SSL_CERT_FILE");
    let error = RedisRateCache::connect(&url, "fxmon-tls-test:", DEFAULT_TTL)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("certificate") || error.contains("UnknownIssuer"),
        "{error}"
    );

    // Trusted through SSL_CERT_FILE, as docs/CONNECTIONS.md says: a real round trip.
    std::env::set_var("SSL_CERT_FILE", folder.path().join("ca.pem"));
    let cache = RedisRateCache::connect(&url, "fxmon-tls-test:", DEFAULT_TTL)
        .await
        .expect("rediss:// connects once the CA is trusted");
    let pair = Pair::new(Currency::USD, Currency::EUR).unwrap();
    assert_eq!(cache.quote(pair).await.unwrap(), None);
    cache.ping().await.unwrap();
}

/// Says why the TLS round trip is skipped; fails instead under
/// `FXMON_TEST_REQUIRE_TOOLS` (set by CI, which installs the tools).
fn skip(why: &str) {
    assert!(
        std::env::var_os("FXMON_TEST_REQUIRE_TOOLS").is_none(),
        "FXMON_TEST_REQUIRE_TOOLS is set but {why}"
    );
    eprintln!("SKIPPED: {why}");
}
