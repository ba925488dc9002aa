//! The `Retry-After` header of a 429: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The wait the header asks for, relative to `now`; a date in the past means "now".
/// `None` when the header is not in either form, so the caller falls back to its own backoff.
pub(crate) fn parse_retry_after(raw: &str, now: DateTime<Utc>) -> Option<Duration> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().ok().map(Duration::from_secs);
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is what servers send; RFC 2822 parses it.
    let at = DateTime::parse_from_rfc2822(raw).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn delay_seconds_are_taken_as_they_are() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
    }

    #[test]
    fn an_http_date_becomes_the_time_left_until_it() {
        let raw = "Wed, 26 Nov 2025 10:01:30 GMT";
        assert_eq!(parse_retry_after(raw, now()), Some(Duration::from_secs(90)));
    }

    #[test]
    fn an_http_date_in_the_past_means_retry_now() {
        let raw = "Wed, 26 Nov 2025 09:00:00 GMT";
        assert_eq!(parse_retry_after(raw, now()), Some(Duration::ZERO));
    }

    #[test]
    fn anything_else_is_ignored() {
        for raw in ["", "-5", "1.5", "soon", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(raw, now()), None, "{raw:?}");
        }
    }
}
