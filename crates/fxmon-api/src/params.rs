//! Query values shared by several endpoints: time bounds and ranges.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::error::ApiError;

/// Parses an RFC 3339 time or a `YYYY-MM-DD` date; a date means its first microsecond, or
/// its last when `end_of_day` (so `to=2026-10-30` includes that whole day).
pub fn time_bound(param: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, ApiError> {
    // A `+` in a query string arrives as a space: `2026-01-01T00:00:00+01:00`.
    let raw = raw.trim().replace(' ', "+");
    if let Ok(time) = DateTime::parse_from_rfc3339(&raw) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(
            param,
            format!("must be an RFC 3339 time or a YYYY-MM-DD date, got {raw:?}"),
        )
    })?;
    let time = if end_of_day {
        NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("valid time")
    } else {
        NaiveTime::MIN
    };
    Ok(date.and_time(time).and_utc())
}

/// A time range from optional `from`/`to`; `to` defaults to `now`, `from` to `to - default_span`.
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    default_span: TimeDelta,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = to
        .map(|raw| time_bound("to", raw, true))
        .transpose()?
        .unwrap_or(now);
    let from = match from {
        Some(raw) => time_bound("from", raw, false)?,
        None => to
            .checked_sub_signed(default_span)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    };
    if from > to {
        return Err(ApiError::invalid("from", "must not be after `to`"));
    }
    Ok((from, to))
}

/// Checks `value` lies in `min..=max`.
pub fn within(param: &str, value: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            param,
            format!("must be between {min} and {max}, got {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days_and_times_keep_their_offset() {
        let start = time_bound("from", "2026-10-30", false).unwrap();
        let end = time_bound("to", "2026-10-30", true).unwrap();
        assert_eq!(start.to_rfc3339(), "2026-10-30T00:00:00+00:00");
        assert_eq!(end - start, TimeDelta::days(1) - TimeDelta::microseconds(1));
        let offset = time_bound("to", "2026-01-01T01:00:00 01:00", false).unwrap();
        assert_eq!(offset.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        let err = time_bound("from", "yesterday", false).unwrap_err();
        assert!(err.to_string().contains("from") && err.to_string().contains("yesterday"));
    }

    #[test]
    fn a_reversed_range_is_refused() {
        let now = Utc::now();
        assert!(range(
            Some("2026-02-01"),
            Some("2026-01-01"),
            TimeDelta::hours(1),
            now
        )
        .is_err());
        let (from, to) = range(None, None, TimeDelta::hours(24), now).unwrap();
        assert_eq!((to, to - from), (now, TimeDelta::hours(24)));
    }
}
