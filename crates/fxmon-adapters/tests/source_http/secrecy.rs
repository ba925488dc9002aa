//! The v6 API key never shows in an error, a `Debug` dump or a log line.

use std::time::Duration;

use fxmon_adapters::source::{HttpRateSource, HttpSourceConfig, HttpSourceError, Provider};
use fxmon_app::ports::{RateSource, SourceError};

use crate::server::{
    closed_port_url, fixture, source, source_with_timeout, spawn_provider, Canned, KEY, V6,
};

fn assert_hides_key(err: &SourceError) {
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(KEY), "the key leaked: {shown}");
    }
}

#[tokio::test]
async fn the_keyed_flavour_without_a_key_is_refused_naming_the_variable() {
    for api_key in [None, Some("  ".to_owned())] {
        let config = HttpSourceConfig {
            api_key,
            ..HttpSourceConfig::new(Provider::ExchangerateApiV6)
        };
        let err = HttpRateSource::new(config).unwrap_err();
        assert!(matches!(err, HttpSourceError::MissingApiKey { .. }));
        assert!(
            err.to_string().contains("FXMON_EXCHANGERATE_API_KEY"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn debug_output_of_a_keyed_source_hides_the_key() {
    let source = source(Provider::ExchangerateApiV6, "http://127.0.0.1:9");
    let shown = format!("{source:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!source.endpoint().contains(KEY));
}

#[tokio::test]
async fn a_connect_error_does_not_contain_the_key() {
    let err = source(Provider::ExchangerateApiV6, &closed_port_url().await)
        .fetch()
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Connect(_)), "{err:?}");
    assert_hides_key(&err);
}

#[tokio::test]
async fn a_timeout_does_not_contain_the_key() {
    let canned = Canned {
        delay: Duration::from_secs(10),
        ..Canned::json(200, fixture(V6))
    };
    let server = spawn_provider(canned).await;
    let source = source_with_timeout(
        Provider::ExchangerateApiV6,
        &server.base_url,
        Duration::from_millis(200),
    );
    let err = source.fetch().await.unwrap_err();
    assert!(matches!(err, SourceError::Timeout(_)), "{err:?}");
    assert_hides_key(&err);
}

#[tokio::test]
async fn no_error_repeats_a_key_that_the_provider_echoes_back() {
    // Some gateways echo the request URL; whatever the answer, the key must not come back out.
    let echo = format!(r#"{{"result":"error","error-type":"invalid-key /v6/{KEY}/latest/USD"}}"#);
    let cases = [
        Canned::json(200, r#"{"result":"error","error-type":"invalid-key"}"#),
        Canned::json(403, echo.clone()),
        Canned::json(404, format!("<html>no route /v6/{KEY}/latest/USD</html>")),
        Canned::json(200, format!("not json /v6/{KEY}/latest/USD")),
        Canned::json(429, echo).header("retry-after", KEY),
        Canned::json(500, format!("upstream failed for /v6/{KEY}")),
    ];
    for canned in cases {
        let server = spawn_provider(canned).await;
        let err = source(Provider::ExchangerateApiV6, &server.base_url)
            .fetch()
            .await
            .unwrap_err();
        assert_hides_key(&err);
    }
}
