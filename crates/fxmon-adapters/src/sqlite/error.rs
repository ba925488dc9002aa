//! How sqlx's errors map to the port's: transient (retry) or rejected (the data or query).

use chrono::{DateTime, Utc};
use fxmon_app::ports::{BoxError, StoreError};

/// Input the store refuses before it reaches SQLite, or stored text it cannot read back.
#[derive(Debug, thiserror::Error)]
pub(super) enum Invalid {
    #[error("time {0} is outside the years 0000-9999 that the store can keep")]
    Year(DateTime<Utc>),
    #[error("stored time {0:?} is not RFC 3339")]
    StoredTime(String),
    #[error("{table} row {id} does not parse: {source}")]
    StoredRow {
        table: &'static str,
        id: i64,
        source: BoxError,
    },
}

impl From<Invalid> for StoreError {
    fn from(invalid: Invalid) -> Self {
        StoreError::Rejected(Box::new(invalid))
    }
}

/// Primary SQLite result codes that say the database, not the statement, is the problem.
/// https://www.sqlite.org/rescode.html
const TRANSIENT_CODES: [i32; 9] = [
    5,  // SQLITE_BUSY
    6,  // SQLITE_LOCKED
    7,  // SQLITE_NOMEM
    8,  // SQLITE_READONLY
    10, // SQLITE_IOERR
    11, // SQLITE_CORRUPT
    13, // SQLITE_FULL
    14, // SQLITE_CANTOPEN
    15, // SQLITE_PROTOCOL
];

/// Maps an sqlx error: I/O, pool and busy/locked errors are `Unavailable`; constraint
/// violations, SQL errors and decode errors are `Rejected`. The cause is kept either way.
pub(super) fn store_error(error: sqlx::Error) -> StoreError {
    if is_transient(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Rejected(Box::new(error))
    }
}

fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            // Extended codes carry the primary code in their low byte.
            .is_some_and(|code| TRANSIENT_CODES.contains(&(code & 0xff))),
        sqlx::Error::Migrate(migrate) => match migrate.as_ref() {
            sqlx::migrate::MigrateError::Execute(inner)
            | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => is_transient(inner),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_errors_are_worth_retrying() {
        assert!(matches!(
            store_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        let io = std::io::Error::other("disk went away");
        assert!(matches!(
            store_error(sqlx::Error::Io(io)),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn decode_errors_are_rejections() {
        let error = sqlx::Error::ColumnNotFound("rate".into());
        assert!(matches!(store_error(error), StoreError::Rejected(_)));
    }
}
