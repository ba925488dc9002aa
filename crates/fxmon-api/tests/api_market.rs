//! `/rates/{base}/{quote}`, `/cross-rates`, `/convert` and `/currencies` through the router,
//! checked against figures computed independently from the ECB's file.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use common::{assert_problem, TestApi};
use fxmon_adapters::ecb;
use fxmon_app::ports::{RateStore, StoredRate};
use fxmon_core::Currency;
use serde_json::Value;

/// The ECB's daily file: 2026-10-30, 1 EUR = 1.1172 USD = 175.68 JPY = 0.83380 GBP, ...
const DAILY: &[u8] = include_bytes!("../../../data/ecb/eurofxref.csv");
const EUR_USD: f64 = 1.1172;
const EUR_JPY: f64 = 175.68;
const EUR_GBP: f64 = 0.83380;

async fn with_ecb_daily(tracked: &str) -> TestApi {
    let api = TestApi::new(tracked).await;
    let days = ecb::parse(DAILY).unwrap();
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    api.store.insert_rates(&rows).await.unwrap();
    api
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[tokio::test]
async fn one_pair_is_answered_directly_inverted_or_crossed_with_its_as_of_and_source() {
    let api = with_ecb_daily("USD/EUR").await;
    let cases = [
        ("/rates/EUR/USD", "EUR/USD", EUR_USD),
        ("/rates/usd/eur", "USD/EUR", 1.0 / EUR_USD),
        ("/rates/USD/JPY", "USD/JPY", EUR_JPY / EUR_USD),
        ("/rates/GBP/JPY", "GBP/JPY", EUR_JPY / EUR_GBP),
    ];
    for (uri, pair, expected) in cases {
        let answer = api.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        let body = answer.json();
        assert_eq!(body["pair"], pair);
        // The same two f64s divided: equal to the last bit.
        assert_eq!(number(&body["rate"]), expected, "{uri}");
        assert_eq!(body["timestamp"], "2026-10-30T00:00:00Z");
        assert_eq!(body["source"], "ecb");
        assert_eq!(
            body["volatility"],
            Value::Null,
            "one point has no volatility"
        );
        assert_eq!(body["volatility_log_return"], Value::Null);
    }
}

#[tokio::test]
async fn one_pair_refuses_unknown_malformed_or_repeated_currencies_and_missing_data() {
    let api = with_ecb_daily("USD/EUR").await;
    let unknown = api.get("/rates/USD/XYZ").await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, Some("quote"));
    assert!(unknown.json()["detail"]
        .as_str()
        .unwrap()
        .contains("GET /currencies"));
    let malformed = api.get("/rates/U5D/EUR").await;
    assert_problem(&malformed, StatusCode::UNPROCESSABLE_ENTITY, Some("base"));
    let same = api.get("/rates/usd/USD").await;
    assert_problem(&same, StatusCode::UNPROCESSABLE_ENTITY, Some("pair"));
    // AFN is a known code the ECB does not quote.
    let no_data = api.get("/rates/USD/AFN").await;
    assert_problem(&no_data, StatusCode::NOT_FOUND, None);
    assert!(no_data.json()["detail"]
        .as_str()
        .unwrap()
        .contains("USD/AFN"));
}

#[tokio::test]
async fn the_cross_matrix_of_the_tracked_currencies_holds_both_directions() {
    let api = with_ecb_daily("USD/EUR,EUR/GBP,USD/JPY").await;
    let answer = api.get("/cross-rates").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["base", "currencies", "rates", "source", "timestamp"]);
    assert_eq!(body["timestamp"], "2026-10-30T00:00:00Z");
    assert_eq!(
        (&body["source"], &body["base"]),
        (&"ecb".into(), &"EUR".into())
    );
    assert_eq!(
        body["currencies"],
        serde_json::json!(["EUR", "GBP", "JPY", "USD"])
    );
    let rates = &body["rates"];
    assert_eq!(number(&rates["EUR"]["USD"]), EUR_USD);
    assert_eq!(number(&rates["USD"]["EUR"]), 1.0 / EUR_USD);
    assert_eq!(number(&rates["USD"]["JPY"]), EUR_JPY / EUR_USD);
    assert_eq!(number(&rates["GBP"]["USD"]), EUR_USD / EUR_GBP);
    assert_eq!(number(&rates["JPY"]["GBP"]), EUR_GBP / EUR_JPY);
    let codes = ["EUR", "GBP", "JPY", "USD"];
    for a in codes {
        let row = rates[a].as_object().unwrap();
        assert_eq!(row.len(), 3, "no diagonal: {row:?}");
        for b in codes.iter().filter(|b| **b != a) {
            let round_trip = number(&rates[a][b]) * number(&rates[b][a]);
            assert!((round_trip - 1.0).abs() < 1e-12, "{a}/{b}: {round_trip}");
        }
    }
}

#[tokio::test]
async fn the_cross_matrix_takes_a_list_in_its_order_or_every_currency_when_all_are_tracked() {
    let api = with_ecb_daily("USD/EUR").await;
    let body = api
        .get("/cross-rates?currencies=jpy,GBP,%20usd,JPY")
        .await
        .json();
    assert_eq!(body["currencies"], serde_json::json!(["JPY", "GBP", "USD"]));
    assert_eq!(number(&body["rates"]["JPY"]["USD"]), EUR_USD / EUR_JPY);
    assert!(body["rates"].get("EUR").is_none());

    let all = with_ecb_daily("all").await;
    let body = all.get("/cross-rates").await.json();
    let currencies = body["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 30, "EUR and the file's 29 currencies");
    assert_eq!(body["rates"]["ZAR"].as_object().unwrap().len(), 29);
}

#[tokio::test]
async fn the_cross_matrix_refuses_bad_lists_and_reports_missing_data() {
    let api = with_ecb_daily("USD/EUR").await;
    let unknown = api.get("/cross-rates?currencies=EUR,XYZ").await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, Some("currencies"));
    assert!(unknown.json()["detail"].as_str().unwrap().contains("XYZ"));
    for one in ["EUR", "EUR,eur", ""] {
        let uri = format!("/cross-rates?currencies={one}");
        let answer = api.get(&uri).await;
        assert_problem(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("currencies"),
        );
        assert!(answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("at least 2"));
    }
    let no_data = api.get("/cross-rates?currencies=EUR,AFN").await;
    assert_problem(
        &no_data,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("currencies"),
    );
    assert!(no_data.json()["detail"].as_str().unwrap().contains("AFN"));
    let unknown_param = api.get("/cross-rates?currency=EUR,USD").await;
    assert_problem(
        &unknown_param,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("currency"),
    );

    let empty = TestApi::new("USD/EUR").await;
    assert_problem(
        &empty.get("/cross-rates").await,
        StatusCode::NOT_FOUND,
        None,
    );
    // Tracked currencies without data are left out of the default; too few is a 404.
    let untracked = with_ecb_daily("USD/AFN").await;
    assert_problem(
        &untracked.get("/cross-rates").await,
        StatusCode::NOT_FOUND,
        None,
    );
}

/// Two snapshots a day apart: 2026-10-29 (older figures) and 2026-10-30 (the ECB file's).
async fn with_two_snapshots() -> TestApi {
    let api = TestApi::new("USD/EUR,EUR/GBP,USD/JPY").await;
    let rows = [
        ("EUR/USD", 1.1161, "2026-10-29T00:00:00Z"),
        ("EUR/JPY", 175.42, "2026-10-29T00:00:00Z"),
        ("EUR/GBP", 0.8321, "2026-10-29T00:00:00Z"),
        ("EUR/USD", EUR_USD, "2026-10-30T00:00:00Z"),
        ("EUR/JPY", EUR_JPY, "2026-10-30T00:00:00Z"),
        ("EUR/GBP", EUR_GBP, "2026-10-30T00:00:00Z"),
    ];
    let rows: Vec<_> = rows.iter().map(|(p, r, t)| (*p, *r, at(t))).collect();
    api.store_rows(&rows).await;
    api
}

#[tokio::test]
async fn the_cross_matrix_at_a_past_time_comes_from_the_newest_snapshot_at_or_before_it() {
    let api = with_two_snapshots().await;
    // Between the two, as a time (with an offset: 01:00+02:00 is 23:00 UTC on the 29th) or
    // as a date (that day's end).
    for when in [
        "2026-10-29T12:00:00Z",
        "2026-10-30T01:00:00%2B02:00",
        "2026-10-29T23:59:59.999999Z",
        "2026-10-29",
    ] {
        let answer = api
            .get(&format!("/cross-rates?currencies=EUR,USD,JPY&at={when}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{when}");
        let body = answer.json();
        assert_eq!(body["timestamp"], "2026-10-29T00:00:00Z", "{when}");
        assert_eq!(
            (&body["source"], &body["base"]),
            (&"test".into(), &"EUR".into())
        );
        assert_eq!(body["currencies"], serde_json::json!(["EUR", "USD", "JPY"]));
        let rates = &body["rates"];
        let expected = [
            ("EUR", "USD", 1.1161),
            ("EUR", "JPY", 175.42),
            ("USD", "EUR", 1.0 / 1.1161),
            ("USD", "JPY", 175.42 / 1.1161),
            ("JPY", "EUR", 1.0 / 175.42),
            ("JPY", "USD", 1.1161 / 175.42),
        ];
        for (a, b, rate) in expected {
            assert_eq!(number(&rates[a][b]), rate, "{when}: {a}/{b}");
        }
        assert_eq!(rates.as_object().unwrap().len(), 3, "{when}");
    }
    // At or after the newer one's time, and without `at`: the newer one.
    for uri in [
        "/cross-rates?currencies=EUR,USD&at=2026-10-30T00:00:00Z",
        "/cross-rates?currencies=EUR,USD&at=2026-10-30",
        "/cross-rates?currencies=EUR,USD",
    ] {
        let body = api.get(uri).await.json();
        assert_eq!(body["timestamp"], "2026-10-30T00:00:00Z", "{uri}");
        assert_eq!(number(&body["rates"]["EUR"]["USD"]), EUR_USD, "{uri}");
    }
    // The default currencies (the tracked ones) come from the older snapshot too.
    let tracked = api.get("/cross-rates?at=2026-10-29").await.json();
    assert_eq!(
        tracked["currencies"],
        serde_json::json!(["EUR", "GBP", "JPY", "USD"])
    );
    assert_eq!(number(&tracked["rates"]["GBP"]["USD"]), 1.1161 / 0.8321);
}

#[tokio::test]
async fn the_cross_matrix_refuses_a_malformed_at_and_a_time_before_any_snapshot() {
    let api = with_two_snapshots().await;
    for when in [
        "2026-10-28",
        "2026-10-28T23:59:59.999999Z",
        "1999-01-01T00:00:00Z",
    ] {
        let answer = api.get(&format!("/cross-rates?at={when}")).await;
        assert_problem(&answer, StatusCode::NOT_FOUND, None);
        let detail = answer.json()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("`at`"), "{when}: {detail}");
    }
    let before = api.get("/cross-rates?at=2026-10-28").await.json();
    assert_eq!(
        before["detail"],
        "no rates are stored at or before `at` (2026-10-28T23:59:59.999999Z)"
    );
    for when in [
        "yesterday",
        "2026-13-01",
        "2026-10-30T25:00:00Z",
        "30.10.2026",
        "",
    ] {
        let answer = api
            .get(&format!("/cross-rates?currencies=EUR,USD&at={when}"))
            .await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, Some("at"));
        let detail = answer.json()["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.starts_with("at must be an RFC 3339 time or a YYYY-MM-DD date"),
            "{when}: {detail}"
        );
    }
}

#[tokio::test]
async fn converting_multiplies_the_amount_by_the_latest_rate() {
    let api = with_ecb_daily("USD/EUR").await;
    let body = api.get("/convert?from=EUR&to=JPY&amount=100").await.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "amount",
            "from",
            "rate",
            "result",
            "source",
            "timestamp",
            "to"
        ]
    );
    assert_eq!(
        (number(&body["amount"]), number(&body["rate"])),
        (100.0, EUR_JPY)
    );
    assert_eq!(number(&body["result"]), 100.0 * EUR_JPY);
    assert_eq!(body["timestamp"], "2026-10-30T00:00:00Z");
    assert_eq!(body["source"], "ecb");

    let body = api
        .get("/convert?from=usd&to=jpy&amount=250.5")
        .await
        .json();
    assert_eq!((&body["from"], &body["to"]), (&"USD".into(), &"JPY".into()));
    let rate = EUR_JPY / EUR_USD;
    assert_eq!(number(&body["rate"]), rate);
    assert_eq!(number(&body["result"]), 250.5 * rate);

    let same = api.get("/convert?from=EUR&to=eur&amount=42").await.json();
    assert_eq!(
        (number(&same["rate"]), number(&same["result"])),
        (1.0, 42.0)
    );
    assert_eq!(
        (&same["timestamp"], &same["source"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn converting_on_a_date_uses_the_newest_rates_at_or_before_that_day() {
    let api = TestApi::new("USD/EUR").await;
    let rows = [
        ("EUR/USD", 1.1161, "2026-10-29T00:00:00Z"),
        ("EUR/JPY", 175.42, "2026-10-29T00:00:00Z"),
        ("EUR/USD", EUR_USD, "2026-10-30T00:00:00Z"),
        ("EUR/JPY", EUR_JPY, "2026-10-30T00:00:00Z"),
        ("EUR/GBP", EUR_GBP, "2026-10-30T00:00:00Z"),
    ];
    let rows: Vec<_> = rows.iter().map(|(p, r, t)| (*p, *r, at(t))).collect();
    api.store_rows(&rows).await;

    let body = api
        .get("/convert?from=USD&to=JPY&amount=3&date=2026-10-29")
        .await
        .json();
    assert_eq!(number(&body["rate"]), 175.42 / 1.1161);
    assert_eq!(number(&body["result"]), 3.0 * (175.42 / 1.1161));
    assert_eq!(body["timestamp"], "2026-10-29T00:00:00Z");
    assert_eq!(body["date"], "2026-10-29");
    assert_eq!(body["source"], "test");
    // A Sunday answers with the Friday before it.
    let sunday = api
        .get("/convert?from=EUR&to=USD&amount=1&date=2026-11-01")
        .await
        .json();
    assert_eq!(number(&sunday["rate"]), EUR_USD);
    assert_eq!(sunday["timestamp"], "2026-10-30T00:00:00Z");

    let before = api
        .get("/convert?from=EUR&to=USD&amount=1&date=2026-10-28")
        .await;
    assert_problem(&before, StatusCode::NOT_FOUND, None);
    assert!(before.json()["detail"]
        .as_str()
        .unwrap()
        .contains("2026-10-28"));
    let missing_leg = api
        .get("/convert?from=EUR&to=GBP&amount=1&date=2026-10-29")
        .await;
    assert_problem(&missing_leg, StatusCode::NOT_FOUND, None);
    assert!(missing_leg.json()["detail"]
        .as_str()
        .unwrap()
        .contains("GBP"));
}

#[tokio::test]
async fn converting_refuses_each_bad_parameter_by_name() {
    let api = with_ecb_daily("USD/EUR").await;
    let negative = api.get("/convert?from=EUR&to=USD&amount=-5").await;
    assert_problem(&negative, StatusCode::UNPROCESSABLE_ENTITY, Some("amount"));
    assert_eq!(
        negative.json()["detail"],
        "amount must be a finite number > 0, got -5"
    );
    for amount in ["0", "abc", "NaN", "inf", "-inf", "", "1e400"] {
        let answer = api
            .get(&format!("/convert?from=EUR&to=USD&amount={amount}"))
            .await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, Some("amount"));
    }
    let overflow = api.get("/convert?from=EUR&to=JPY&amount=1e308").await;
    assert_problem(&overflow, StatusCode::UNPROCESSABLE_ENTITY, Some("amount"));
    let unknown = api.get("/convert?from=XYZ&to=USD&amount=1").await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, Some("from"));
    assert!(unknown.json()["detail"]
        .as_str()
        .unwrap()
        .contains("/currencies"));
    let unknown = api.get("/convert?from=EUR&to=ABC&amount=1").await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, Some("to"));
    for date in [
        "2026-13-01",
        "30.10.2026",
        "2026-10-30T00:00:00Z",
        "2026-1-5",
    ] {
        let answer = api
            .get(&format!("/convert?from=EUR&to=USD&amount=1&date={date}"))
            .await;
        assert_problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, Some("date"));
    }
    let missing = api.get("/convert?from=EUR&to=USD").await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, Some("amount"));
    assert!(missing.json()["detail"]
        .as_str()
        .unwrap()
        .contains("amount"));
    let extra = api
        .get("/convert?from=EUR&to=USD&amount=1&precision=2")
        .await;
    assert_problem(&extra, StatusCode::UNPROCESSABLE_ENTITY, Some("precision"));
    let no_data = api.get("/convert?from=EUR&to=AFN&amount=1").await;
    assert_problem(&no_data, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn every_known_currency_is_listed_with_its_name() {
    let api = TestApi::new("USD/EUR").await;
    let answer = api.get("/currencies").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let names = body.as_object().unwrap();
    assert_eq!(names.len(), Currency::all().count());
    assert_eq!(names["USD"], "US Dollar");
    assert_eq!(names["EUR"], "Euro");
    assert_eq!(names["JPY"], "Japanese Yen");
    assert!(names.keys().zip(names.keys().skip(1)).all(|(a, b)| a < b));
}

#[tokio::test]
async fn market_reads_carry_an_etag_and_a_matching_if_none_match_gets_304() {
    let api = with_ecb_daily("USD/EUR").await;
    for uri in [
        "/rates/USD/JPY",
        "/cross-rates?currencies=EUR,USD",
        "/cross-rates?currencies=EUR,USD&at=2026-10-30",
        "/convert?from=EUR&to=USD&amount=2",
        "/currencies",
    ] {
        let first = api.get(uri).await;
        assert_eq!(first.header("cache-control"), "public, max-age=5", "{uri}");
        let etag = first.header("etag");
        assert!(etag.starts_with('"'), "{uri}: {etag:?}");
        let request = Request::get(uri)
            .header("if-none-match", etag)
            .body(Body::empty())
            .unwrap();
        let again = api.send(request).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(again.bytes.is_empty());
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_market_endpoint() {
    let api = TestApi::new("USD/EUR").await;
    let doc = api.get("/openapi.json").await.json();
    for (path, params) in [
        ("/rates/{base}/{quote}", vec!["base", "quote"]),
        ("/cross-rates", vec!["currencies", "at"]),
        ("/convert", vec!["from", "to", "amount", "date"]),
        ("/currencies", vec![]),
    ] {
        let get = &doc["paths"][path]["get"];
        assert_eq!(get["tags"][0], "rates", "{path}");
        let names: Vec<&str> = get["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(names, params, "{path}");
        assert!(get["responses"].get("200").is_some(), "{path}");
    }
}
