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
    Minute,
    FiveMinutes,
    FifteenMinutes,
    Hour,
    Day,
    Week,
}

impl Interval {
    /// `1m`, `5m`, `15m`, `1h`, `1d` or `1w`.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw {
            "1m" => Ok(Self::Minute),
            "5m" => Ok(Self::FiveMinutes),
            "15m" => Ok(Self::FifteenMinutes),
            "1h" => Ok(Self::Hour),
            "1d" => Ok(Self::Day),
            "1w" => Ok(Self::Week),
            other => Err(ApiError::invalid(
                "interval",
                format!("must be 1m, 5m, 15m, 1h, 1d or 1w, got {other:?}"),
            )),
        }
    }

    /// The bucket's length.
    pub fn span(self) -> TimeDelta {
        match self {
            Self::Minute => TimeDelta::minutes(1),
            Self::FiveMinutes => TimeDelta::minutes(5),
            Self::FifteenMinutes => TimeDelta::minutes(15),
            Self::Hour => TimeDelta::hours(1),
            Self::Day => TimeDelta::days(1),
            Self::Week => TimeDelta::weeks(1),
        }
    }

    /// The start of the bucket holding `time`.
    pub fn bucket(self, time: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            // Truncating from the Unix epoch aligns these to the UTC clock: :00, :05, :10, ...
            Self::Minute | Self::FiveMinutes | Self::FifteenMinutes | Self::Hour | Self::Day => {
                time.duration_trunc(self.span()).expect("in range")
            }
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
    fn minute_intervals_cut_utc_buckets_on_the_clock() {
        let at = |minute, second, rate| RatePoint {
            timestamp: Utc
                .with_ymd_and_hms(2026, 11, 23, 10, minute, second)
                .unwrap(),
            rate,
            source: "t".into(),
        };
        let points = [
            at(0, 0, 1.0),
            at(4, 59, 2.0),
            at(5, 0, 3.0),
            at(14, 59, 0.5),
            at(15, 0, 4.0),
        ];
        let starts = |interval| -> Vec<String> {
            candles(&points, interval)
                .into_iter()
                .map(|c| c.start)
                .collect()
        };
        assert_eq!(
            starts(Interval::Minute),
            [
                "2026-11-23T10:00:00Z",
                "2026-11-23T10:04:00Z",
                "2026-11-23T10:05:00Z",
                "2026-11-23T10:14:00Z",
                "2026-11-23T10:15:00Z"
            ]
        );
        assert_eq!(
            starts(Interval::FiveMinutes),
            [
                "2026-11-23T10:00:00Z",
                "2026-11-23T10:05:00Z",
                "2026-11-23T10:10:00Z",
                "2026-11-23T10:15:00Z"
            ]
        );
        let quarters = candles(&points, Interval::FifteenMinutes);
        assert_eq!(quarters.len(), 2);
        assert_eq!(
            (
                quarters[0].open,
                quarters[0].high,
                quarters[0].low,
                quarters[0].close,
                quarters[0].points
            ),
            (1.0, 3.0, 0.5, 0.5, 4)
        );
        assert_eq!(
            (quarters[0].start.as_str(), quarters[0].end.as_str()),
            ("2026-11-23T10:00:00Z", "2026-11-23T10:15:00Z")
        );
        assert_eq!(
            (quarters[1].start.as_str(), quarters[1].points),
            ("2026-11-23T10:15:00Z", 1)
        );
    }

    #[test]
    fn every_interval_parses_from_its_name_and_spans_its_length() {
        let cases = [
            ("1m", Interval::Minute, TimeDelta::minutes(1)),
            ("5m", Interval::FiveMinutes, TimeDelta::minutes(5)),
            ("15m", Interval::FifteenMinutes, TimeDelta::minutes(15)),
            ("1h", Interval::Hour, TimeDelta::hours(1)),
            ("1d", Interval::Day, TimeDelta::days(1)),
            ("1w", Interval::Week, TimeDelta::weeks(1)),
        ];
        for (name, interval, span) in cases {
            assert_eq!(Interval::parse(name).unwrap(), interval, "{name}");
            assert_eq!(interval.span(), span, "{name}");
        }
    }

    #[test]
    fn an_unknown_interval_names_the_allowed_ones() {
        for bad in ["30m", "5M", "m", "2h", ""] {
            let err = Interval::parse(bad).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("interval must be 1m, 5m, 15m, 1h, 1d or 1w, got {bad:?}")
            );
        }
    }
}
