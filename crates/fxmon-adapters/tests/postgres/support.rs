//! A fresh PostgreSQL database per test, dropped when the test ends (even by a panic), a raw
//! connection beside the store, and builders of rows, alerts and trigger writes.
//!
//! The admin URL is `FXMON_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates `fxmon_test_<random>`
//! through it. Without a reachable server the tests say so and pass, unless
//! `FXMON_TEST_REQUIRE_POSTGRES` is set (as `.ci/run` does), when they fail.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_adapters::postgres::{PgOptions, PgStore};
use fxmon_app::ports::{
    AlertPatch, AlertRecord, AlertStore, AlertTrigger, NewAlert, StoreError, StoredRate,
    TriggerFilter, TriggerRecord, TriggerWrite,
};
use fxmon_core::{AlertRule, Condition, Pair, Rate, RuleState};
use sqlx::{Connection, PgConnection};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// An empty database of its own, dropped on drop.
pub struct Database {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl Database {
    /// Creates the database; `None` if there is no server to create it on (and that is
    /// allowed).
    pub async fn create() -> Option<Self> {
        let admin_url =
            std::env::var("FXMON_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
        let mut admin = match admin(&admin_url).await {
            Ok(admin) => admin,
            Err(error) if std::env::var_os("FXMON_TEST_REQUIRE_POSTGRES").is_none() => {
                eprintln!(
                    "Skipped: no PostgreSQL at {admin_url} ({error}). Set \
                     FXMON_TEST_DATABASE_URL to an admin URL to run the PostgreSQL tests."
                );
                return None;
            }
            Err(error) => panic!("no PostgreSQL at {admin_url}: {error}"),
        };
        let name = format!("fxmon_test_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        Some(Self {
            name,
            url,
            admin_url,
        })
    }

    /// A store over this database, with default options.
    pub async fn store(&self) -> PgStore {
        PgStore::connect(&self.url, PgOptions::default())
            .await
            .unwrap()
    }

    /// A connection of its own, to look at or change rows the way another tool would.
    pub async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    /// Rows of `table`, counted through a raw connection.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut self.raw().await)
            .await
            .unwrap()
    }
}

impl Drop for Database {
    /// Drops the database from a thread of its own: `Drop` cannot await, and the test's
    /// runtime may be shutting down. `WITH (FORCE)` ends the store's open connections.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(BoxError::from)?;
            runtime.block_on(async {
                let mut admin = admin(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                Ok::<_, BoxError>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("Could not drop test database {}: {error}", self.name);
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn admin(url: &str) -> Result<PgConnection, BoxError> {
    let connect = PgConnection::connect(url);
    Ok(tokio::time::timeout(Duration::from_secs(5), connect).await??)
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..path_start])
}

/// A fresh database and a store over it; returns from the test if there is no server.
macro_rules! fresh_store {
    () => {{
        let Some(db) = $crate::support::Database::create().await else {
            return;
        };
        let store = db.store().await;
        (db, store)
    }};
}
pub(crate) use fresh_store;

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

pub fn pair(text: &str) -> Pair {
    Pair::parse(text).unwrap()
}

pub fn row(pair_text: &str, rate: f64, timestamp: &str, source: &str) -> StoredRate {
    StoredRate {
        pair: pair(pair_text),
        rate: Rate::new(rate).unwrap(),
        timestamp: at(timestamp),
        source: source.to_owned(),
    }
}

/// A rule with the defaults; the store assigns its id.
pub fn rule(pair_text: &str, condition: Condition, threshold: f64) -> AlertRule {
    AlertRule::new(0, pair(pair_text), condition, threshold)
}

/// Creates an alert without a webhook.
pub async fn alert(
    store: &PgStore,
    pair_text: &str,
    condition: Condition,
    threshold: f64,
) -> AlertRecord {
    create(store, rule(pair_text, condition, threshold)).await
}

pub async fn create(store: &PgStore, rule: AlertRule) -> AlertRecord {
    let new = NewAlert {
        rule,
        webhook_url: None,
        webhook_secret: None,
        owner: Default::default(),
    };
    store.create_alert(&new).await.unwrap()
}

/// Creates an alert that POSTs to `url`, signed with `secret`.
pub async fn alert_with_webhook(store: &PgStore, url: &str, secret: &str) -> AlertRecord {
    let new = NewAlert {
        rule: rule("USD/EUR", Condition::Below, 0.85),
        webhook_url: Some(url.to_owned()),
        webhook_secret: Some(secret.to_owned()),
        owner: Default::default(),
    };
    store.create_alert(&new).await.unwrap()
}

pub fn trigger(event_id: &str, alert_id: i64, triggered_at: &str) -> AlertTrigger {
    trigger_on("USD/EUR", event_id, alert_id, triggered_at)
}

pub fn trigger_on(
    pair_text: &str,
    event_id: &str,
    alert_id: i64,
    triggered_at: &str,
) -> AlertTrigger {
    AlertTrigger {
        event_id: event_id.to_owned(),
        alert_id,
        pair: pair(pair_text),
        condition: Condition::Below,
        threshold: 0.85,
        rate: 0.8412,
        message: format!("{pair_text} is 0.8412, below 0.85"),
        triggered_at: at(triggered_at),
    }
}

/// What the alerter writes when `trigger` fires: disarmed, fired at its time.
pub fn fired(trigger: AlertTrigger) -> TriggerWrite {
    let state = RuleState {
        armed: false,
        last_fired_at: Some(trigger.triggered_at),
    };
    TriggerWrite {
        event: format!(r#"{{"event_id":"{}"}}"#, trigger.event_id),
        trigger,
        previous: None,
        state,
        retire: false,
    }
}

/// Records `trigger` as fired; returns whether it was new.
pub async fn record(store: &PgStore, trigger: AlertTrigger) -> bool {
    store.record_trigger(&fired(trigger)).await.unwrap()
}

pub fn newest(limit: u32, offset: u32) -> TriggerFilter {
    TriggerFilter {
        limit,
        offset,
        alert_id: None,
        pair: None,
        owner: Default::default(),
    }
}

pub fn event_ids(records: &[TriggerRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.trigger.event_id.as_str())
        .collect()
}

pub fn pause() -> AlertPatch {
    AlertPatch {
        active: Some(false),
        ..AlertPatch::default()
    }
}

pub fn resume() -> AlertPatch {
    AlertPatch {
        active: Some(true),
        ..AlertPatch::default()
    }
}

/// The store's rejection of an invalid rule carries the core's error, naming the field.
pub fn rejected_field(error: StoreError) -> &'static str {
    match error {
        StoreError::Rejected(source) => source
            .downcast_ref::<fxmon_core::alert::RuleError>()
            .unwrap_or_else(|| panic!("not a rule error: {source}"))
            .field(),
        other => panic!("not a rejection: {other}"),
    }
}

#[test]
fn the_database_of_a_url_is_replaced_and_its_options_kept() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
}
