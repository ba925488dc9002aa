//! Values as stored: numbers as the shortest decimal that reads back as the same `f64` (a
//! plain number string, as the seed wrote them), times as RFC 3339 UTC.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use fxmon_app::ports::CacheError;
use fxmon_core::Rate;

/// A stored value fxmon cannot read back.
#[derive(Debug, thiserror::Error)]
pub(super) enum Invalid {
    #[error("{key} has no field {field:?}")]
    Missing { key: String, field: &'static str },
    #[error("{key} field {field:?} holds {value:?}, which does not parse")]
    Unparsable {
        key: String,
        field: &'static str,
        value: String,
    },
}

impl From<Invalid> for CacheError {
    fn from(invalid: Invalid) -> Self {
        CacheError(invalid.to_string())
    }
}

/// Rust's `Display` of an `f64` is the shortest decimal that parses back to the same bits.
pub(super) fn number(value: f64) -> String {
    value.to_string()
}

/// RFC 3339 in UTC, with as many fractional digits as the time has (nanoseconds kept).
pub(super) fn time(as_of: DateTime<Utc>) -> String {
    as_of.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A time as two numbers the Lua script compares: Unix microseconds (floored) and the
/// nanoseconds left over (0–999). Lua numbers are doubles, exact for microseconds within
/// ±285 years of 1970; nanoseconds since 1970 would not be.
pub(super) fn sort_key(as_of: DateTime<Utc>) -> (i64, u32) {
    (
        as_of.timestamp_micros(),
        as_of.timestamp_subsec_nanos() % 1000,
    )
}

/// The fields of one stored hash, read by name.
pub(super) struct Fields {
    key: String,
    values: HashMap<String, String>,
}

impl Fields {
    pub(super) fn new(key: String, values: HashMap<String, String>) -> Self {
        Self { key, values }
    }

    pub(super) fn text(&self, field: &'static str) -> Result<&str, Invalid> {
        self.values
            .get(field)
            .map(String::as_str)
            .ok_or_else(|| Invalid::Missing {
                key: self.key.clone(),
                field,
            })
    }

    pub(super) fn rate(&self, field: &'static str) -> Result<Rate, Invalid> {
        let text = self.text(field)?;
        let number = text.parse().map_err(|_| self.unparsable(field, text))?;
        Rate::new(number).map_err(|_| self.unparsable(field, text))
    }

    pub(super) fn time(&self, field: &'static str) -> Result<DateTime<Utc>, Invalid> {
        let text = self.text(field)?;
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| self.unparsable(field, text))
    }

    /// A number that is absent while unknown.
    pub(super) fn optional_number(&self, field: &'static str) -> Result<Option<f64>, Invalid> {
        let Some(text) = self.values.get(field) else {
            return Ok(None);
        };
        text.parse()
            .map(Some)
            .map_err(|_| self.unparsable(field, text))
    }

    fn unparsable(&self, field: &'static str, text: &str) -> Invalid {
        Invalid::Unparsable {
            key: self.key.clone(),
            field,
            value: text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_number_reads_back_as_the_same_bits() {
        for value in [
            0.847,
            1.0 / 3.0,
            0.1 + 0.2,
            149.123_456_789_012_3,
            1e-9,
            12345.0,
        ] {
            let text = number(value);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                value.to_bits(),
                "{text}"
            );
            assert!(!text.contains('e'), "{text} is a plain number string");
        }
    }

    #[test]
    fn the_sort_key_orders_times_to_the_nanosecond_even_before_1970() {
        let times = [
            "1969-12-31T23:59:59.999999999Z",
            "1970-01-01T00:00:00Z",
            "2024-05-01T12:00:00.000001Z",
            "2024-05-01T12:00:00.000001001Z",
            "2024-05-01T12:00:00.000002Z",
        ]
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        });
        for pair in times.windows(2) {
            assert!(sort_key(pair[0]) < sort_key(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn a_stored_time_reads_back_exactly() {
        let as_of = DateTime::parse_from_rfc3339("2024-05-01T12:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let fields = Fields::new("k".into(), HashMap::from([("t".into(), time(as_of))]));
        assert_eq!(fields.time("t").unwrap(), as_of);
    }
}
