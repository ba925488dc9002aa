//! Success bodies of the three flavours.

use chrono::{DateTime, Utc};
use fxmon_adapters::source::Provider;
use fxmon_app::ports::RateSource;
use fxmon_core::Currency;

use crate::server::{fixture, source, spawn_provider, Canned, KEY, OPEN, V4, V6};

/// The fixtures quote 163 codes, all known to fxmon; USD itself is the base.
const QUOTED: usize = 162;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

#[tokio::test]
async fn the_v4_body_gives_every_quoted_currency_and_its_as_of_time_but_no_next_update() {
    let provider = spawn_provider(Canned::json(200, fixture(V4))).await;
    let source = source(Provider::ExchangerateApiV4, &provider.base_url);

    let fetched = source.fetch().await.unwrap();

    assert_eq!(source.name(), "exchangerate-api.com");
    assert_eq!(fetched.base, Currency::USD);
    assert_eq!(fetched.as_of, at(1764115201));
    assert_eq!(fetched.next_update, None);
    assert_eq!(fetched.rates.len(), QUOTED);
    assert!(!fetched.rates.contains_key(&Currency::USD));
    assert_eq!(fetched.rates[&Currency::EUR].get(), 0.8637);
    assert_eq!(fetched.rates[&currency("JPY")].get(), 156.1942);
    assert!(fetched.skipped.is_empty(), "{:?}", fetched.skipped);
    assert_eq!(provider.seen.lock().unwrap()[0].path, "/v4/latest/USD");
}

#[tokio::test]
async fn the_open_er_api_body_gives_both_the_as_of_and_the_next_update_time() {
    let provider = spawn_provider(Canned::json(200, fixture(OPEN))).await;
    let source = source(Provider::OpenErApi, &provider.base_url);

    let fetched = source.fetch().await.unwrap();

    assert_eq!(source.name(), "open.er-api.com");
    assert_eq!(fetched.as_of, at(1764115351));
    assert_eq!(fetched.next_update, Some(at(1764202661)));
    assert_eq!(fetched.rates.len(), QUOTED);
    assert_eq!(fetched.rates[&currency("AED")].get(), 3.6725);
    assert_eq!(provider.seen.lock().unwrap()[0].path, "/v6/latest/USD");
}

#[tokio::test]
async fn the_v6_body_is_read_from_conversion_rates_and_the_key_goes_in_the_path() {
    let provider = spawn_provider(Canned::json(200, fixture(V6))).await;
    let source = source(Provider::ExchangerateApiV6, &provider.base_url);

    let fetched = source.fetch().await.unwrap();

    assert_eq!(source.name(), "exchangerate-api.com");
    assert_eq!(fetched.as_of, at(1764115201));
    assert_eq!(fetched.next_update, Some(at(1764201601)));
    assert_eq!(fetched.rates.len(), QUOTED);
    assert_eq!(fetched.rates[&currency("GBP")].get(), 0.7604);
    let path = provider.seen.lock().unwrap()[0].path.clone();
    assert_eq!(path, format!("/v6/{KEY}/latest/USD"));
}

#[tokio::test]
async fn requests_name_fxmon_and_its_version_as_the_user_agent() {
    let provider = spawn_provider(Canned::json(200, fixture(V4))).await;
    source(Provider::ExchangerateApiV4, &provider.base_url)
        .fetch()
        .await
        .unwrap();
    let seen = provider.seen.lock().unwrap()[0].clone();
    let agent = seen.headers["user-agent"].to_str().unwrap().to_owned();
    assert_eq!(agent, format!("fxmon/{}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn an_unknown_code_and_bad_values_are_skipped_and_the_rest_is_kept() {
    let mut body: serde_json::Value = serde_json::from_str(&fixture(OPEN)).unwrap();
    let rates = body["rates"].as_object_mut().unwrap();
    rates.insert("ABC".into(), 1.5.into());
    rates.insert("GBP".into(), serde_json::Value::Null);
    rates.insert("JPY".into(), "156.19".into());
    rates.insert("CHF".into(), 0.into());
    let provider = spawn_provider(Canned::json(200, body.to_string())).await;

    let fetched = source(Provider::OpenErApi, &provider.base_url)
        .fetch()
        .await
        .unwrap();

    assert_eq!(fetched.rates.len(), QUOTED - 3);
    assert_eq!(fetched.rates[&Currency::EUR].get(), 0.8637);
    let mut skipped: Vec<&str> = fetched.skipped.iter().map(|s| &s[..4]).collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["ABC:", "CHF:", "GBP:", "JPY:"]);
}
