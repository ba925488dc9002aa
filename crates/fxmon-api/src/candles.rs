//! Open/high/low/close candles over UTC buckets.

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Utc};
use fxmon_app::ports::RatePoint;
use fxmon_core::snapshot::format_time;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// A candle's bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    Week,
}

impl Interval {
    /// `1h`, `1d` or `1w`.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw {
            "1h" => Ok(Self::Hour),
            "1d" => Ok(Self::Day),
            "1w" => Ok(Self::Week),
            other => Err(ApiError::invalid(
                "interval",
                format!("must be 1h, 1d or 1w, got {other:?}"),
            )),
        }
    }

    /// The bucket's length.
    pub fn span(self) -> TimeDelta {
        match self {
            Self::Hour => TimeDelta::hours(1),
            Self::Day => TimeDelta::days(1),
            Self::Week => TimeDelta::weeks(1),
        }
    }

    /// The start of the bucket holding `time`.
    pub fn bucket(self, time: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Hour | Self::Day => time.duration_trunc(self.span()).expect("in range"),
            Self::Week => {
                let day = time.duration_trunc(TimeDelta::days(1)).expect("in range");
                day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
            }
        }
    }
}

/// One bucket's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Candle {
    /// Bucket start, inclusive.
    pub start: String,
    /// Bucket end, exclusive.
    pub end: String,
    /// The first point's rate.
    pub open: f64,
    pub high: f64,
    pub low: f64,
    /// The last point's rate.
    pub close: f64,
    /// How many points the bucket holds.
    pub points: u32,
}

/// Candles of `points` (oldest first), one per non-empty bucket.
pub fn candles(points: &[RatePoint], interval: Interval) -> Vec<Candle> {
    let mut out: Vec<(DateTime<Utc>, Candle)> = Vec::new();
    for point in points {
        let start = interval.bucket(point.timestamp);
        match out.last_mut() {
            Some((bucket, candle)) if *bucket == start => {
                candle.high = candle.high.max(point.rate);
                candle.low = candle.low.min(point.rate);
                candle.close = point.rate;
                candle.points += 1;
            }
            _ => out.push((
                start,
                Candle {
                    start: format_time(start),
                    end: format_time(start + interval.span()),
                    open: point.rate,
                    high: point.rate,
                    low: point.rate,
                    close: point.rate,
                    points: 1,
                },
            )),
        }
    }
    out.into_iter().map(|(_, candle)| candle).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn point(day: u32, hour: u32, rate: f64) -> RatePoint {
        RatePoint {
            timestamp: Utc.with_ymd_and_hms(2026, 11, day, hour, 30, 0).unwrap(),
            rate,
            source: "t".into(),
        }
    }

    #[test]
    fn each_bucket_takes_first_highest_lowest_and_last() {
        let points = [
            point(23, 1, 1.0),
            point(23, 5, 3.0),
            point(23, 9, 0.5),
            point(23, 20, 2.0),
            point(24, 0, 7.0),
        ];
        let days = candles(&points, Interval::Day);
        assert_eq!(days.len(), 2);
        assert_eq!(
            (
                days[0].open,
                days[0].high,
                days[0].low,
                days[0].close,
                days[0].points
            ),
            (1.0, 3.0, 0.5, 2.0, 4)
        );
        assert_eq!(days[0].start, "2026-11-23T00:00:00Z");
        assert_eq!(days[1].end, "2026-11-25T00:00:00Z");
        assert_eq!(candles(&points, Interval::Hour).len(), 5);
    }

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-11-23 is a Monday; Sunday the 29th is in the same week, Monday the 30th is not.
        let points = [point(23, 0, 1.0), point(29, 23, 2.0), point(30, 0, 3.0)];
        let weeks = candles(&points, Interval::Week);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].start, "2026-11-23T00:00:00Z");
        assert_eq!(weeks[0].close, 2.0);
        assert_eq!(weeks[1].start, "2026-11-30T00:00:00Z");
    }

    #[test]
    fn an_unknown_interval_names_the_allowed_ones() {
        let err = Interval::parse("5m").unwrap_err().to_string();
        assert!(err.contains("1h, 1d or 1w") && err.contains("5m"), "{err}");
    }
}
