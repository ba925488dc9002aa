//! Query values shared by the market and Frankfurter endpoints: amounts and calendar days.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::error::ApiError;

/// Parses an amount to convert: a finite number > 0.
pub fn amount(param: &str, raw: &str) -> Result<f64, ApiError> {
    let invalid = || {
        ApiError::invalid(
            param,
            format!("must be a finite number > 0, got {}", raw.trim()),
        )
    };
    let value: f64 = raw.trim().parse().map_err(|_| invalid())?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid())
    }
}

/// `amount × rate`, refused (422 on `param`) when it overflows.
pub fn scaled(param: &str, amount: f64, rate: f64) -> Result<f64, ApiError> {
    let value = amount * rate;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            param,
            format!("{amount} is too large: converted at {rate} it overflows"),
        ))
    }
}

/// Parses a calendar day written exactly `YYYY-MM-DD`.
pub fn date(param: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    let raw = raw.trim();
    // chrono alone would also take `2024-1-5` or a five-digit year.
    let shaped = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) if shaped => Ok(date),
        _ => Err(ApiError::invalid(
            param,
            format!("must be a date written YYYY-MM-DD, got {raw:?}"),
        )),
    }
}

/// The first microsecond of `date` in UTC.
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The last microsecond of `date` in UTC (stored times have microsecond precision).
pub fn end_of(date: NaiveDate) -> DateTime<Utc> {
    let last = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("a valid time");
    date.and_time(last).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finite_positive_amounts_are_accepted_and_the_error_quotes_the_input() {
        assert_eq!(amount("amount", "12.5").unwrap(), 12.5);
        for bad in ["0", "-5", "NaN", "inf", "abc", ""] {
            assert!(amount("amount", bad).is_err(), "{bad:?} accepted");
        }
        let err = amount("amount", "-5").unwrap_err().to_string();
        assert_eq!(err, "amount must be a finite number > 0, got -5");
    }

    #[test]
    fn a_product_that_overflows_is_refused() {
        assert_eq!(scaled("amount", 2.0, 1.5).unwrap(), 3.0);
        assert!(scaled("amount", f64::MAX, 2.0).is_err());
    }

    #[test]
    fn only_zero_padded_iso_dates_parse_and_days_span_their_whole_utc_day() {
        let day = date("date", "2026-10-30").unwrap();
        for bad in [
            "2026-1-5",
            "20261030",
            "2026-10-30T00:00:00Z",
            "12026-10-30",
            "2026-02-30",
        ] {
            assert!(date("date", bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            end_of(day) - start_of(day),
            chrono::TimeDelta::days(1) - chrono::TimeDelta::microseconds(1)
        );
    }
}
