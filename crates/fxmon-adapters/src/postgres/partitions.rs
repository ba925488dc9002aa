//! Monthly partitions of `fx_rates`: created ahead of time and on demand (a history import
//! reaches back to 1999), and dropped for retention.
//!
//! A partition is `fx_rates_pYYYYMM`, holding `[first of the month, first of the next)` in
//! UTC. `fx_rates_ensure_partition` (migration 0001) creates one under an advisory lock, so
//! processes racing to create the same month do not fail. Rows of a month without a
//! partition would land in `fx_rates_default`; every write creates its months first.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use fxmon_app::ports::StoreError;
use sqlx::postgres::PgPool;

use super::error::store_error;
use super::PgStore;

/// Serialises partition creators and droppers; the same key as the SQL function's.
const PARTITIONS_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('fxmon.fx_rates.partitions'))";

/// Months (as their first day) that have a partition, as far as this process knows.
pub(super) type KnownMonths = crate::known::KnownSet<NaiveDate>;

/// The first day of `date`'s month.
pub(super) fn month_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

/// The month a partition name stands for, if it is one of ours.
fn month_of_partition(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix("fx_rates_p")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits[..4].parse().ok()?;
    let month = digits[4..].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, 1)
}

impl PgStore {
    /// Creates, where missing, the partitions of `from`'s month and the `months_ahead`
    /// months after it. Idempotent, and safe beside other processes doing the same.
    pub async fn ensure_partitions(
        &self,
        from: NaiveDate,
        months_ahead: u32,
    ) -> Result<(), StoreError> {
        let first = month_of(from);
        let months: BTreeSet<NaiveDate> = (0..=months_ahead)
            .filter_map(|n| first.checked_add_months(Months::new(n)))
            .collect();
        self.ensure_months(&months).await
    }

    /// Creates the partitions of `months` (first days) this process does not know about.
    pub(super) async fn ensure_months(
        &self,
        months: &BTreeSet<NaiveDate>,
    ) -> Result<(), StoreError> {
        let missing = self.months.missing(months);
        if missing.is_empty() {
            return Ok(());
        }
        create_partitions(&self.pool, &missing).await?;
        self.months.add(&missing);
        Ok(())
    }

    /// Drops every monthly partition entirely before `before`'s month, and deletes the
    /// default partition's rows and `fx_snapshots`' entries before it: the retention of
    /// `fx_rates`. Returns the names
    /// of the dropped partitions, oldest first.
    ///
    /// Dropping a partition briefly locks `fx_rates` against every reader and writer.
    /// Another process that still believes a dropped month exists would write that month's
    /// rows into the default partition, where they wait to be moved if the month is created
    /// again.
    pub async fn drop_partitions_before(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<String>, StoreError> {
        let cutoff = month_of(before);
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(PARTITIONS_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits AS i
               JOIN pg_class AS c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'fx_rates'::regclass
              ORDER BY c.relname",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let doomed: Vec<String> = names
            .into_iter()
            .filter(|name| month_of_partition(name).is_some_and(|month| month < cutoff))
            .collect();
        for name in &doomed {
            // The name was read from the catalogue and matched `fx_rates_pYYYYMM`.
            sqlx::query(&format!("DROP TABLE {name}"))
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        let cutoff_time = cutoff.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        // The snapshots whose rows are gone go too.
        for table in ["fx_rates_default", "fx_snapshots"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE timestamp < $1"))
                .bind(cutoff_time)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        self.months.retain(|month| *month >= cutoff);
        Ok(doomed)
    }
}

/// One statement, one transaction for all of `months`: an import of 28 years of history
/// creates its ~330 partitions in one round trip.
async fn create_partitions(pool: &PgPool, months: &[NaiveDate]) -> Result<(), StoreError> {
    sqlx::query("SELECT fx_rates_ensure_partition(month) FROM UNNEST($1::date[]) AS m(month)")
        .bind(months)
        .execute(pool)
        .await
        .map_err(store_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn partition_names_name_their_month() {
        assert_eq!(month_of(day(1999, 1, 4)), day(1999, 1, 1));
        assert_eq!(
            month_of_partition("fx_rates_p199901"),
            Some(day(1999, 1, 1))
        );
        assert_eq!(month_of_partition("fx_rates_default"), None);
        assert_eq!(month_of_partition("fx_rates_p199913"), None);
        assert_eq!(month_of_partition("fx_rates_p1999011"), None);
    }

    #[test]
    fn known_months_report_only_the_missing_ones() {
        let known = KnownMonths::default();
        known.add(&[day(2026, 10, 1)]);
        let wanted = BTreeSet::from([day(2026, 10, 1), day(2026, 11, 1)]);
        assert_eq!(known.missing(&wanted), [day(2026, 11, 1)]);
        known.retain(|month| *month >= day(2026, 11, 1));
        assert_eq!(known.missing(&wanted).len(), 2);
    }
}
