//! `PgStore` over a real PostgreSQL server, each test in a database of its own: rates
//! (idempotent batches, partitions, retention, history, snapshots, the ECB history),
//! alerts, triggers and the outbox, and concurrent start-ups. See `support` for the setup.

mod alerts;
#[path = "../shared/batched_writes.rs"]
mod batched_writes;
mod ecb;
mod evaluation;
mod history;
mod migrate;
mod outbox;
mod partitions;
mod rates;
mod snapshot;
mod support;
mod tls;
mod triggers;
