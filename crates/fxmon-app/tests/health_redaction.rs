//! `/health` is often public: a component's error that quotes a connection URL shows it
//! with the password masked.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fxmon_adapters::memory::{MemoryBus, MemoryRateCache};
use fxmon_adapters::sqlite::SqliteStore;
use fxmon_app::health::{self, HealthDeps, Status};
use fxmon_app::SourceHealth;

#[tokio::test]
async fn a_url_password_in_a_component_error_is_masked() {
    let folder = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&folder.path().join("fxmon.db"))
        .await
        .unwrap();
    let source = SourceHealth::new("exchangerate-api");
    let now = Utc::now();
    source.failed(
        now,
        "error sending request for url (https://fxmon:marker-7f3a@mirror.example/v4)".into(),
    );
    let deps = HealthDeps {
        store: Arc::new(store),
        cache: Arc::new(MemoryRateCache::new()),
        bus: Arc::new(MemoryBus::new(8)),
        source: Some(source),
        stale_after: Duration::from_secs(3600),
    };
    let report = health::check(&deps, now).await;
    let shown = serde_json::to_string(&report).unwrap();
    assert_eq!(report.status, Status::Degraded, "{shown}");
    assert!(!shown.contains("marker-7f3a"), "{shown}");
    assert!(
        shown.contains("https://fxmon:***@mirror.example/v4"),
        "{shown}"
    );
}
