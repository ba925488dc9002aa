//! TLS to PostgreSQL: `sslmode` is honoured (sqlx is built with rustls), never ignored.

use std::time::Duration;

use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::RateStore;
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::Database;

/// `url` with `param` added to its query.
fn with_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// Whether a connection made with `url` is encrypted, as the server sees it.
async fn encrypted(url: &str) -> bool {
    let mut connection = PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

fn quick() -> PgOptions {
    PgOptions {
        connect_timeout: Duration::from_secs(3),
        acquire_timeout: Duration::from_secs(3),
        ..PgOptions::default()
    }
}

#[tokio::test]
async fn sslmode_require_encrypts_when_the_server_offers_tls_and_fails_when_not() {
    let Some(db) = Database::create().await else {
        return;
    };
    let server_tls: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut db.raw().await)
        .await
        .unwrap();
    let url = with_param(&db.url, "sslmode=require");
    let result = PgStore::connect(&url, quick()).await;
    if server_tls == "on" {
        let store = result.expect("sslmode=require connects to a server with TLS");
        store.ping().await.unwrap();
        assert!(encrypted(&url).await, "sslmode=require must encrypt");
    } else {
        let error = result.unwrap_err().to_string();
        assert!(error.contains("TLS"), "{error}");
    }
}

#[tokio::test]
async fn sslmode_verify_full_refuses_a_certificate_no_trusted_root_signed() {
    let Some(db) = Database::create().await else {
        return;
    };
    // The local server's certificate is self-signed (Debian's snakeoil), or it has no TLS.
    let url = with_param(&db.url, "sslmode=verify-full");
    let error = PgStore::connect(&url, quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("certificate") || error.contains("TLS"),
        "{error}"
    );
}

#[tokio::test]
async fn sslmode_disable_connects_in_plain_text() {
    let Some(db) = Database::create().await else {
        return;
    };
    let url = with_param(&db.url, "sslmode=disable");
    let store = PgStore::connect(&url, quick()).await.unwrap();
    store.ping().await.unwrap();
    assert!(!encrypted(&url).await);
}

#[tokio::test]
async fn sslmode_require_against_a_server_without_tls_fails_naming_tls() {
    // A stand-in for a server without TLS: it answers `N` to the client's SSLRequest.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 8];
            if socket.read_exact(&mut request).await.is_ok() {
                let _ = socket.write_all(b"N").await;
                let _ = socket.read(&mut [0u8; 64]).await;
            }
        }
    });
    let url = format!("postgres://fxmon@{address}/fxmon?sslmode=require");
    let error = PgStore::connect(&url, quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("TLS"), "{error}");
}
