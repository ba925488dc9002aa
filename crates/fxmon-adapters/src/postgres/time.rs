//! Times as stored: `timestamptz`, microsecond precision. The store keeps the years
//! 0000–9999, as the SQLite store does, so the two backends accept the same rows.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use super::error::Invalid;

/// The first and last instants the store keeps.
fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(0, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
        .and_utc()
}

fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .expect("a valid date")
        .and_utc()
}

/// `time` if the store can keep it. PostgreSQL drops sub-microsecond digits: two times that
/// differ only in nanoseconds are the same row key.
pub(super) fn check(time: DateTime<Utc>) -> Result<DateTime<Utc>, Invalid> {
    if (0..=9999).contains(&time.year()) {
        Ok(time)
    } else {
        Err(Invalid::Year(time))
    }
}

/// A query's inclusive lower bound; none is "from the start". A bound outside the kept
/// years is moved just outside them, where PostgreSQL can still compare it.
pub(super) fn lower_bound(time: Option<DateTime<Utc>>) -> DateTime<Utc> {
    time.map_or_else(earliest, clamp)
}

/// A query's inclusive upper bound; none is "to the end".
pub(super) fn upper_bound(time: Option<DateTime<Utc>>) -> DateTime<Utc> {
    time.map_or_else(latest, clamp)
}

fn clamp(time: DateTime<Utc>) -> DateTime<Utc> {
    let margin = TimeDelta::microseconds(1);
    time.clamp(earliest() - margin, latest() + margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(y: i32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn times_outside_the_kept_years_are_refused_but_clamp_as_bounds() {
        assert!(check(year(10_000)).is_err());
        assert!(check(year(-1)).is_err());
        assert!(check(year(1999)).is_ok());
        assert!(lower_bound(Some(year(20_000))) > latest());
        assert!(upper_bound(Some(year(-20_000))) < earliest());
        assert_eq!(lower_bound(None), earliest());
        assert_eq!(upper_bound(Some(year(2026))), year(2026));
    }
}
