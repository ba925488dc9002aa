//! Error bodies, HTTP statuses and transport failures, each mapped to its `SourceError`.

use std::time::{Duration, Instant};

use fxmon_adapters::source::Provider;
use fxmon_app::ports::{RateSource, SourceError};

use crate::server::{
    closed_port_url, fixture, source, source_with_timeout, spawn_provider, Canned, OPEN, V6,
};

async fn fetch_error(provider: Provider, canned: Canned) -> SourceError {
    let server = spawn_provider(canned).await;
    source(provider, &server.base_url)
        .fetch()
        .await
        .unwrap_err()
}

fn error_body(kind: &str) -> String {
    format!(
        r#"{{"result":"error","documentation":"https://www.exchangerate-api.com/docs","terms-of-use":"https://www.exchangerate-api.com/terms","error-type":"{kind}"}}"#
    )
}

#[tokio::test]
async fn each_v6_error_body_is_a_permanent_refusal_with_advice_whatever_the_status() {
    let cases = [
        ("invalid-key", "FXMON_EXCHANGERATE_API_KEY"),
        ("inactive-account", "email address"),
        ("quota-reached", "monthly quota reset"),
        ("unsupported-code", "base currency"),
        ("malformed-request", "report"),
    ];
    for (kind, advice_needle) in cases {
        for status in [200, 400, 403, 404, 429] {
            let err = fetch_error(
                Provider::ExchangerateApiV6,
                Canned::json(status, error_body(kind)),
            )
            .await;
            let SourceError::Refused { kind: got, advice } = &err else {
                panic!("{kind} with {status}: {err:?}");
            };
            assert_eq!(got, kind);
            assert!(advice.contains(advice_needle), "{kind}: {advice}");
            assert!(!err.is_transient(), "{kind} with {status}");
        }
    }
}

#[tokio::test]
async fn an_open_er_api_error_body_is_a_refusal_too() {
    let body = r#"{"result":"error","error-type":"unsupported-code"}"#;
    for status in [200, 404] {
        let err = fetch_error(Provider::OpenErApi, Canned::json(status, body)).await;
        assert!(matches!(&err, SourceError::Refused { kind, .. } if kind == "unsupported-code"));
    }
}

#[tokio::test]
async fn an_unknown_error_type_is_refused_under_its_raw_name() {
    let err = fetch_error(
        Provider::ExchangerateApiV6,
        Canned::json(200, error_body("brand-new-error")),
    )
    .await;
    assert!(matches!(&err, SourceError::Refused { kind, .. } if kind == "brand-new-error"));
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_backs_off_for_that_long() {
    let canned = Canned::json(429, "").header("retry-after", "120");
    let err = fetch_error(Provider::OpenErApi, canned).await;
    assert!(matches!(err, SourceError::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_429_with_an_http_date_backs_off_until_that_date() {
    let later = chrono::Utc::now() + chrono::TimeDelta::seconds(600);
    let date = later.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let err = fetch_error(
        Provider::OpenErApi,
        Canned::json(429, "").header("retry-after", &date),
    )
    .await;
    let wait = err.retry_after().expect("parsed the HTTP-date");
    assert!(
        wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_is_a_rate_limit_with_no_wait_given() {
    let err = fetch_error(
        Provider::ExchangerateApiV4,
        Canned::json(429, "Too Many Requests"),
    )
    .await;
    assert!(
        matches!(err, SourceError::RateLimited { retry_after: None }),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_500_or_503_is_a_transient_server_error() {
    for status in [500, 503] {
        let err = fetch_error(Provider::ExchangerateApiV4, Canned::json(status, "oops")).await;
        assert!(
            matches!(err, SourceError::Server { status: s } if s == status),
            "{err:?}"
        );
        assert!(err.is_transient());
    }
}

#[tokio::test]
async fn a_provider_that_hangs_past_the_timeout_is_a_timeout_of_that_length() {
    let canned = Canned {
        delay: Duration::from_secs(10),
        ..Canned::json(200, fixture(OPEN))
    };
    let server = spawn_provider(canned).await;
    let timeout = Duration::from_millis(300);
    let source = source_with_timeout(Provider::OpenErApi, &server.base_url, timeout);

    let started = Instant::now();
    let err = source.fetch().await.unwrap_err();

    assert!(
        matches!(err, SourceError::Timeout(t) if t == timeout),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_closed_port_is_a_transient_connect_error_that_says_why() {
    let err = source(Provider::ExchangerateApiV4, &closed_port_url().await)
        .fetch()
        .await
        .unwrap_err();
    let SourceError::Connect(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.to_lowercase().contains("connect"), "{message}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed_and_permanent() {
    let err = fetch_error(
        Provider::ExchangerateApiV4,
        Canned::json(200, r#"{"base":"USD","rates":{"#),
    )
    .await;
    assert!(matches!(err, SourceError::Malformed(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_body_without_its_rate_table_is_malformed_and_names_the_field() {
    let strip = |name: &str, field: &str| {
        let mut body: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
        body.as_object_mut().unwrap().remove(field);
        body.to_string()
    };
    let cases = [
        (Provider::OpenErApi, strip(OPEN, "rates"), "`rates`"),
        (
            Provider::ExchangerateApiV6,
            strip(V6, "conversion_rates"),
            "`conversion_rates`",
        ),
        (
            Provider::OpenErApi,
            strip(OPEN, "time_last_update_unix"),
            "`time_last_update_unix`",
        ),
        (Provider::OpenErApi, strip(OPEN, "base_code"), "`base_code`"),
    ];
    for (provider, body, field) in cases {
        let err = fetch_error(provider, Canned::json(200, body)).await;
        assert!(matches!(err, SourceError::Malformed(_)), "{err:?}");
        assert!(err.to_string().contains(field), "{err} should name {field}");
    }
}

#[tokio::test]
async fn a_4xx_without_an_error_body_is_a_refusal_naming_the_status() {
    let canned = Canned {
        headers: vec![("content-type", "text/html".to_owned())],
        ..Canned::json(404, "<html><body>Not Found</body></html>")
    };
    let err = fetch_error(Provider::ExchangerateApiV4, canned).await;
    assert!(
        matches!(&err, SourceError::Refused { kind, .. } if kind == "HTTP 404"),
        "{err:?}"
    );
    assert!(!err.is_transient());
}
