//! One HTTP answer — status, `Retry-After`, body — mapped to rates or a [`SourceError`].
//! Pure, so every mapping is tested without a server.

use chrono::{DateTime, Utc};
use fxmon_app::ports::{FetchedRates, SourceError};
use serde_json::Value;

use super::provider::Provider;
use super::refusal;
use super::retry_after::parse_retry_after;

/// What came back from the provider.
pub(crate) struct Answer<'a> {
    pub status: u16,
    pub retry_after: Option<&'a str>,
    pub body: &'a [u8],
}

/// Rates on a success body; otherwise the error its status and body stand for.
pub(crate) fn interpret(
    provider: Provider,
    answer: &Answer<'_>,
    now: DateTime<Utc>,
) -> Result<FetchedRates, SourceError> {
    match answer.status {
        429 => Err(too_many_requests(answer, now)),
        500..=599 => Err(SourceError::Server {
            status: answer.status,
        }),
        200..=299 => success(provider, answer.body),
        status => {
            Err(refusal::from_body(answer.body).unwrap_or_else(|| refusal::from_status(status)))
        }
    }
}

/// A 429 is a rate limit, unless its body names a documented refusal such as
/// `quota-reached`: that one lasts until the monthly reset, so backing off would not help.
fn too_many_requests(answer: &Answer<'_>, now: DateTime<Utc>) -> SourceError {
    match refusal::from_body(answer.body) {
        Some(SourceError::Refused { kind, advice }) if refusal::is_known(&kind) => {
            SourceError::Refused { kind, advice }
        }
        _ => SourceError::RateLimited {
            retry_after: answer
                .retry_after
                .and_then(|raw| parse_retry_after(raw, now)),
        },
    }
}

fn success(provider: Provider, body: &[u8]) -> Result<FetchedRates, SourceError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| SourceError::Malformed(format!("the body is not JSON ({e})")))?;
    if let Some(refused) = refusal::from_value(&value) {
        return Err(refused);
    }
    super::body::parse_rates(provider, &value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(
        status: u16,
        retry_after: Option<&'static str>,
        body: &'static str,
    ) -> Result<FetchedRates, SourceError> {
        let answer = Answer {
            status,
            retry_after,
            body: body.as_bytes(),
        };
        interpret(Provider::ExchangerateApiV6, &answer, Utc::now())
    }

    #[test]
    fn an_error_body_is_a_refusal_even_with_status_200() {
        let err = answer(
            200,
            None,
            r#"{"result":"error","error-type":"invalid-key"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, SourceError::Refused { ref kind, .. } if kind == "invalid-key"));
    }

    #[test]
    fn a_429_with_quota_reached_is_a_refusal_not_a_rate_limit() {
        let err = answer(
            429,
            Some("60"),
            r#"{"result":"error","error-type":"quota-reached"}"#,
        )
        .unwrap_err();
        assert!(!err.is_transient(), "{err:?}");
    }

    #[test]
    fn a_429_with_any_other_body_is_a_rate_limit_with_its_retry_after() {
        let err = answer(429, Some("60"), "Too Many Requests").unwrap_err();
        assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
        let err = answer(
            429,
            Some("60"),
            r#"{"result":"error","error-type":"slow-down"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, SourceError::RateLimited { .. }));
    }

    #[test]
    fn a_4xx_without_an_error_body_is_a_refusal_naming_the_status() {
        let err = answer(404, None, "<html>Not Found</html>").unwrap_err();
        assert!(err.to_string().contains("HTTP 404"), "{err}");
        assert!(!err.is_transient());
    }

    #[test]
    fn a_5xx_is_a_transient_server_error_whatever_the_body() {
        let err = answer(
            502,
            None,
            r#"{"result":"error","error-type":"invalid-key"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, SourceError::Server { status: 502 }));
    }

    #[test]
    fn a_truncated_nan_or_overflowing_body_is_malformed_as_a_whole() {
        let bodies = [
            r#"{"result":"success","base_code":"USD","time_last_update_unix":1,"conversion_rates":{"EUR":0.8"#,
            r#"{"result":"success","base_code":"USD","time_last_update_unix":1,"conversion_rates":{"EUR":NaN}}"#,
            r#"{"result":"success","base_code":"USD","time_last_update_unix":1,"conversion_rates":{"EUR":1e999}}"#,
            "",
        ];
        for body in bodies {
            let err = answer(200, None, body).unwrap_err();
            assert!(
                matches!(err, SourceError::Malformed(ref m) if m.contains("not JSON")),
                "{body}: {err}"
            );
            assert!(
                !err.is_transient(),
                "a malformed answer is not retried at once"
            );
        }
    }

    #[test]
    fn a_200_that_is_not_json_is_malformed() {
        let err = answer(200, None, "<html>").unwrap_err();
        assert!(matches!(err, SourceError::Malformed(ref m) if m.contains("not JSON")));
    }
}
