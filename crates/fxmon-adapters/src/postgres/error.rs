//! How sqlx's errors map to the port's: transient (retry) or rejected (the data or query).

use chrono::{DateTime, Utc};
use fxmon_app::ports::{BoxError, StoreError};

/// Input the store refuses before it reaches PostgreSQL, or a stored row it cannot read.
#[derive(Debug, thiserror::Error)]
pub(super) enum Invalid {
    #[error("time {0} is outside the years 0000-9999 that the store can keep")]
    Year(DateTime<Utc>),
    #[error("{table} row {id} does not parse: {source}")]
    StoredRow {
        table: &'static str,
        id: i64,
        source: BoxError,
    },
}

/// No connection could be opened in time: the server is down, unreachable or full.
#[derive(Debug, thiserror::Error)]
#[error("no connection to PostgreSQL within {0:?}")]
pub(super) struct ConnectTimeout(pub std::time::Duration);

impl From<Invalid> for StoreError {
    fn from(invalid: Invalid) -> Self {
        StoreError::Rejected(Box::new(invalid))
    }
}

/// SQLSTATE classes that say the server or the connection, not the statement, is the
/// problem: connection exception, insufficient resources, operator intervention (admin
/// shutdown `57P01`, crash shutdown, cannot connect now, statement timeout), system error.
/// https://www.postgresql.org/docs/current/errcodes-appendix.html
const TRANSIENT_CLASSES: [&str; 4] = ["08", "53", "57", "58"];

/// Single SQLSTATEs worth retrying: serialization failure, deadlock, statement completion
/// unknown, lock not available, and a read-only transaction (a standby after failover).
const TRANSIENT_CODES: [&str; 5] = ["40001", "40P01", "40003", "55P03", "25006"];

/// Maps an sqlx error: I/O, pool, timeout and the transient SQLSTATEs are `Unavailable`;
/// constraint violations, data errors, SQL errors and decode errors are `Rejected`. The
/// cause is kept either way.
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
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_transient_code(&code)),
        sqlx::Error::Migrate(migrate) => match migrate.as_ref() {
            sqlx::migrate::MigrateError::Execute(inner)
            | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => is_transient(inner),
            _ => false,
        },
        _ => false,
    }
}

fn is_transient_code(code: &str) -> bool {
    TRANSIENT_CODES.contains(&code) || TRANSIENT_CLASSES.iter().any(|c| code.starts_with(c))
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
        let io = std::io::Error::other("connection reset");
        assert!(matches!(
            store_error(sqlx::Error::Io(io)),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn shutdowns_timeouts_and_serialization_failures_are_transient_constraints_are_not() {
        for code in ["57P01", "57014", "08006", "53300", "40001", "40P01"] {
            assert!(is_transient_code(code), "{code}");
        }
        for code in ["23505", "23514", "22003", "42P01", "42601"] {
            assert!(!is_transient_code(code), "{code}");
        }
    }

    #[test]
    fn decode_and_configuration_errors_are_rejections() {
        let error = sqlx::Error::ColumnNotFound("rate".into());
        assert!(matches!(store_error(error), StoreError::Rejected(_)));
        let error = "not a url".parse::<sqlx::postgres::PgConnectOptions>();
        assert!(matches!(
            store_error(error.unwrap_err()),
            StoreError::Rejected(_)
        ));
    }
}
