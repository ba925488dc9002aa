//! Times as stored: RFC 3339 UTC text with exactly six fractional digits, fixed width for
//! years 0000–9999, so comparing the text compares the times and indexes order by time.

use chrono::{DateTime, Datelike, Utc};

use super::error::Invalid;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";
/// Bounds that sort before and after every stored time.
const EARLIEST: &str = "0000-01-01T00:00:00.000000Z";
const LATEST: &str = "9999-12-31T23:59:59.999999Z";

/// The stored text of a time. Sub-microsecond digits are dropped: two times that differ only
/// in nanoseconds are the same row key.
pub(super) fn encode(time: DateTime<Utc>) -> Result<String, Invalid> {
    if (0..=9999).contains(&time.year()) {
        Ok(time.format(FORMAT).to_string())
    } else {
        Err(Invalid::Year(time))
    }
}

/// A query's inclusive lower bound; a time before year 0 or no bound at all is "from the start".
pub(super) fn lower_bound(time: Option<DateTime<Utc>>) -> String {
    match time {
        Some(t) if t.year() > 9999 => "~".to_owned(),
        Some(t) => encode(t).unwrap_or_else(|_| EARLIEST.to_owned()),
        None => EARLIEST.to_owned(),
    }
}

/// A query's inclusive upper bound; a time after year 9999 or no bound at all is "to the end".
pub(super) fn upper_bound(time: Option<DateTime<Utc>>) -> String {
    match time {
        Some(t) if t.year() < 0 => String::new(),
        Some(t) => encode(t).unwrap_or_else(|_| LATEST.to_owned()),
        None => LATEST.to_owned(),
    }
}

/// Reads a stored time back.
pub(super) fn decode(text: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Invalid::StoredTime(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn stored_times_are_fixed_width_utc_and_round_trip_to_the_microsecond() {
        let time = at("2026-10-30T14:15:00.123456789+01:00");
        let text = encode(time).unwrap();
        assert_eq!(text, "2026-10-30T13:15:00.123456Z");
        assert_eq!(decode(&text).unwrap(), at("2026-10-30T13:15:00.123456Z"));
        assert_eq!(
            encode(at("0999-01-01T00:00:00Z")).unwrap().len(),
            text.len()
        );
    }

    #[test]
    fn text_order_is_time_order() {
        let times = [
            "2026-10-30T09:00:00Z",
            "2026-10-30T09:00:00.5Z",
            "2026-10-30T10:00:00Z",
        ];
        let texts: Vec<String> = times.iter().map(|t| encode(at(t)).unwrap()).collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "{texts:?}");
    }

    #[test]
    fn a_time_past_year_9999_is_refused_but_clamps_as_a_bound() {
        let far = chrono::NaiveDate::from_ymd_opt(10000, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        assert!(encode(far).is_err());
        assert_eq!(upper_bound(Some(far)), LATEST);
        assert!(lower_bound(Some(far)).as_str() > LATEST);
        assert_eq!(lower_bound(None), EARLIEST);
    }
}
