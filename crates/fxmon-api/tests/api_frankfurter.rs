//! The Frankfurter v1 endpoints through the router: Frankfurter's shapes key by key, rates
//! checked against the ECB's own figures, and every error path.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use common::{assert_problem, TestApi};
use fxmon_adapters::ecb::{self, EcbDay};
use fxmon_app::ports::{RateStore, StoredRate};
use fxmon_core::Currency;
use serde_json::Value;

/// The ECB's daily file: 2026-10-30, 1 EUR = 1.1172 USD = 175.68 JPY = 0.83380 GBP, ...
const DAILY: &[u8] = include_bytes!("../../../data/ecb/eurofxref.csv");
const EUR_USD: f64 = 1.1172;
const EUR_JPY: f64 = 175.68;
const EUR_GBP: f64 = 0.83380;

async fn with_ecb(file: &[u8]) -> (TestApi, Vec<EcbDay>) {
    let api = TestApi::new("USD/EUR").await;
    let days = ecb::parse(file).unwrap();
    let rows: Vec<StoredRate> = ecb::to_stored_rates(&days).collect();
    api.store.insert_rates(&rows).await.unwrap();
    (api, days)
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn code(c: &str) -> Currency {
    Currency::parse(c).unwrap()
}

#[tokio::test]
async fn latest_has_frankfurters_shape_against_the_euro_by_default() {
    let (api, days) = with_ecb(DAILY).await;
    let answer = api.get("/v1/latest").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), "application/json");
    let text = String::from_utf8(answer.bytes.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"amount":1.0,"base":"EUR","date":"2026-10-30","rates":{"#),
        "{text}"
    );
    let body = answer.json();
    assert_eq!(keys(&body), ["amount", "base", "date", "rates"]);
    let rates = body["rates"].as_object().unwrap();
    assert_eq!(
        rates.len(),
        days[0].rates.len(),
        "every currency but the base"
    );
    assert!(rates.get("EUR").is_none());
    for (currency, rate) in &days[0].rates {
        assert_eq!(number(&rates[currency.code()]), rate.get(), "{currency}");
    }
    assert_eq!(number(&rates["USD"]), EUR_USD);
}

#[tokio::test]
async fn latest_rebases_filters_and_scales_with_either_name_of_each_parameter() {
    let (api, _) = with_ecb(DAILY).await;
    let body = api.get("/v1/latest?base=USD&symbols=EUR,JPY").await.json();
    assert_eq!(
        (&body["base"], body["amount"].as_f64()),
        (&"USD".into(), Some(1.0))
    );
    assert_eq!(keys(&body["rates"]), ["EUR", "JPY"]);
    assert_eq!(number(&body["rates"]["EUR"]), 1.0 / EUR_USD);
    assert_eq!(number(&body["rates"]["JPY"]), EUR_JPY / EUR_USD);

    let aliased = api.get("/v1/latest?from=usd&to=jpy,eur,usd").await.json();
    assert_eq!(
        aliased, body,
        "from/to are base/symbols; the base is never listed"
    );

    let scaled = api.get("/v1/latest?from=GBP&to=USD&amount=10").await.json();
    assert_eq!(number(&scaled["amount"]), 10.0);
    assert_eq!(keys(&scaled["rates"]), ["USD"]);
    assert_eq!(number(&scaled["rates"]["USD"]), 10.0 * (EUR_USD / EUR_GBP));
    // A known symbol without data is left out, as Frankfurter does.
    let partial = api.get("/v1/latest?symbols=USD,AFN").await.json();
    assert_eq!(keys(&partial["rates"]), ["USD"]);
}

#[tokio::test]
async fn a_date_gives_that_day_or_the_closest_earlier_day_with_data() {
    let api = TestApi::new("USD/EUR").await;
    let rows = [
        ("EUR/USD", 1.1161, "2026-10-29T00:00:00Z"),
        ("EUR/JPY", 175.42, "2026-10-29T00:00:00Z"),
        ("EUR/USD", EUR_USD, "2026-10-30T00:00:00Z"),
        ("EUR/JPY", EUR_JPY, "2026-10-30T00:00:00Z"),
    ];
    let rows: Vec<_> = rows.iter().map(|(p, r, t)| (*p, *r, at(t))).collect();
    api.store_rows(&rows).await;

    let day = api.get("/v1/2026-10-29?base=JPY").await.json();
    assert_eq!(keys(&day), ["amount", "base", "date", "rates"]);
    assert_eq!(day["date"], "2026-10-29");
    assert_eq!(number(&day["rates"]["USD"]), 1.1161 / 175.42);
    assert_eq!(number(&day["rates"]["EUR"]), 1.0 / 175.42);
    let sunday = api.get("/v1/2026-11-01").await.json();
    assert_eq!(sunday["date"], "2026-10-30");
    assert_eq!(sunday, api.get("/v1/latest").await.json());

    let before = api.get("/v1/2026-10-28").await;
    assert_problem(&before, StatusCode::NOT_FOUND, None);
    assert!(before.json()["detail"]
        .as_str()
        .unwrap()
        .contains("2026-10-28"));
}

#[tokio::test]
async fn a_series_keeps_each_days_last_rate_and_only_days_with_data() {
    let api = TestApi::new("USD/EUR").await;
    let rows = [
        ("EUR/USD", 1.1150, "2026-10-28T00:00:00Z"),
        ("EUR/USD", 1.1161, "2026-10-29T09:00:00Z"),
        ("EUR/USD", 1.1165, "2026-10-29T17:00:00Z"),
        ("EUR/GBP", 0.8331, "2026-10-29T17:00:00Z"),
        ("EUR/USD", EUR_USD, "2026-10-31T23:59:59.999999Z"),
        ("EUR/USD", 1.1190, "2026-11-01T00:00:00Z"),
    ];
    let rows: Vec<_> = rows.iter().map(|(p, r, t)| (*p, *r, at(t))).collect();
    api.store_rows(&rows).await;

    let body = api.get("/v1/2026-10-29..2026-10-31").await.json();
    assert_eq!(
        keys(&body),
        ["amount", "base", "end_date", "rates", "start_date"]
    );
    assert_eq!(
        (&body["start_date"], &body["end_date"]),
        (&"2026-10-29".into(), &"2026-10-31".into())
    );
    assert_eq!(keys(&body["rates"]), ["2026-10-29", "2026-10-31"]);
    assert_eq!(
        number(&body["rates"]["2026-10-29"]["USD"]),
        1.1165,
        "the day's last"
    );
    assert_eq!(number(&body["rates"]["2026-10-29"]["GBP"]), 0.8331);
    assert_eq!(keys(&body["rates"]["2026-10-31"]), ["USD"]);

    let open = api
        .get("/v1/2026-10-30..?base=USD&symbols=EUR&amount=2")
        .await
        .json();
    assert_eq!(keys(&open["rates"]), ["2026-10-31", "2026-11-01"]);
    assert_eq!(
        number(&open["rates"]["2026-11-01"]["EUR"]),
        2.0 * (1.0 / 1.1190)
    );
    assert_eq!(number(&open["amount"]), 2.0);

    let empty = api.get("/v1/2026-11-02..2026-11-05").await;
    assert_problem(&empty, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn over_the_full_ecb_history_series_match_the_files_figures() {
    let started = Instant::now();
    let (api, days) = with_ecb(ecb::shipped_history()).await;
    println!("Imported {} days in {:?}.", days.len(), started.elapsed());
    let (usd, jpy) = (code("USD"), code("JPY"));

    let week = api
        .get("/v1/2026-10-26..2026-10-30?symbols=USD,JPY")
        .await
        .json();
    assert_eq!(keys(&week["rates"]).len(), 5);
    for day in days.iter().rev().take(5) {
        let entry = &week["rates"][day.date.to_string()];
        assert_eq!(number(&entry["USD"]), day.rates[&usd].get(), "{}", day.date);
        assert_eq!(number(&entry["JPY"]), day.rates[&jpy].get(), "{}", day.date);
    }

    let started = Instant::now();
    let answer = api.get("/v1/1999-01-01..?base=USD&symbols=JPY").await;
    println!("USD/JPY since 1999: {:?}.", started.elapsed());
    let series = answer.json();
    assert_eq!(series["start_date"], "1999-01-04");
    assert_eq!(series["end_date"], "2026-10-30");
    let rates = series["rates"].as_object().unwrap();
    let both: Vec<&EcbDay> = days
        .iter()
        .filter(|d| d.rates.contains_key(&usd) && d.rates.contains_key(&jpy))
        .collect();
    assert_eq!(rates.len(), both.len());
    for day in both {
        let expected = day.rates[&jpy].get() / day.rates[&usd].get();
        assert_eq!(
            number(&rates[&day.date.to_string()]["JPY"]),
            expected,
            "{}",
            day.date
        );
    }

    let started = Instant::now();
    let everything = api.get("/v1/1999-01-04..2026-10-30?base=USD").await;
    let elapsed = started.elapsed();
    println!(
        "Every currency against USD since 1999: {elapsed:?}, {} bytes.",
        everything.bytes.len()
    );
    assert_eq!(everything.status, StatusCode::OK);
    let body = everything.json();
    let all_rates = body["rates"].as_object().unwrap();
    assert_eq!(all_rates.len(), days.len(), "the ECB quotes USD every day");
    let listed: BTreeSet<&str> = all_rates.values().flat_map(|day| keys(day)).collect();
    let quoted: BTreeSet<&str> = days
        .iter()
        .flat_map(|d| d.rates.keys().map(|c| c.code()))
        .chain(["EUR"])
        .filter(|c| *c != "USD")
        .collect();
    assert_eq!(
        listed, quoted,
        "currencies quoted only mid-range (HRK, RUB) are found too"
    );
    let entries: usize = all_rates
        .values()
        .map(|d| d.as_object().unwrap().len())
        .sum();
    let expected_entries: usize = days.iter().map(|d| d.rates.len()).sum();
    assert_eq!(
        entries, expected_entries,
        "per day: EUR plus every quote but USD"
    );
    assert!(elapsed.as_secs() < 20, "{elapsed:?}");
}

#[tokio::test]
async fn currencies_are_those_of_the_newest_data_with_their_names() {
    let empty = TestApi::new("USD/EUR").await;
    let answer = empty.get("/v1/currencies").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), serde_json::json!({}));

    let (api, days) = with_ecb(DAILY).await;
    let body = api.get("/v1/currencies").await.json();
    let names = body.as_object().unwrap();
    assert_eq!(names.len(), days[0].rates.len() + 1, "the quotes and EUR");
    assert_eq!(names["EUR"], "Euro");
    assert_eq!(names["USD"], "US Dollar");
    assert_eq!(names["ZAR"], code("ZAR").name());
}

#[tokio::test]
async fn every_bad_request_is_a_problem_naming_the_parameter() {
    let (api, _) = with_ecb(DAILY).await;
    let not_found = [
        ("/v1/latest?base=XYZ", "base"),
        ("/v1/latest?from=XYZ", "from"),
        ("/v1/latest?symbols=USD,XYZ", "symbols"),
        ("/v1/2026-10-30?to=ABC", "to"),
        ("/v1/2026-10-01..2026-10-30?base=XYZ", "base"),
    ];
    for (uri, param) in not_found {
        let answer = api.get(uri).await;
        assert_problem(&answer, StatusCode::NOT_FOUND, Some(param));
        assert!(
            answer.json()["detail"]
                .as_str()
                .unwrap()
                .contains("GET /currencies"),
            "{uri}"
        );
    }
    let invalid = [
        ("/v1/latest?base=USD&from=GBP", "from"),
        ("/v1/latest?symbols=USD&to=GBP", "to"),
        ("/v1/latest?symbols=eur", "symbols"),
        ("/v1/latest?base=U5D", "base"),
        ("/v1/latest?amount=-1", "amount"),
        ("/v1/latest?amount=0", "amount"),
        ("/v1/latest?amount=ten", "amount"),
        ("/v1/latest?amount=1e308", "amount"),
        ("/v1/2026-13-01", "date"),
        ("/v1/yesterday", "date"),
        ("/v1/2026-10-30..2026-10-01", "date"),
        ("/v1/2026-10-01..later", "date"),
        ("/v1/..2026-10-01", "date"),
        ("/v1/latest?callback=x", "callback"),
        ("/v1/2026-10-30?places=2", "places"),
    ];
    for (uri, param) in invalid {
        assert_problem(
            &api.get(uri).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(param),
        );
    }
    for uri in [
        "/v1/latest?base=AFN",
        "/v1/latest?symbols=AFN",
        "/v1/1999-01-04",
    ] {
        assert_problem(&api.get(uri).await, StatusCode::NOT_FOUND, None);
    }
    let empty = TestApi::new("USD/EUR").await;
    for uri in ["/v1/latest", "/v1/2026-10-30", "/v1/2026-10-01..2026-10-30"] {
        assert_problem(&empty.get(uri).await, StatusCode::NOT_FOUND, None);
    }
}

#[tokio::test]
async fn frankfurter_reads_carry_an_etag_and_a_matching_if_none_match_gets_304() {
    let (api, _) = with_ecb(DAILY).await;
    for uri in [
        "/v1/latest",
        "/v1/2026-10-30?base=USD",
        "/v1/2026-10-01..",
        "/v1/currencies",
    ] {
        let first = api.get(uri).await;
        assert_eq!(first.status, StatusCode::OK, "{uri}");
        let etag = first.header("etag");
        assert!(etag.starts_with('"'), "{uri}: {etag:?}");
        let request = Request::get(uri)
            .header("if-none-match", etag)
            .body(Body::empty())
            .unwrap();
        let again = api.send(request).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_frankfurter_endpoints() {
    let api = TestApi::new("USD/EUR").await;
    let doc = api.get("/openapi.json").await.json();
    for path in ["/v1/latest", "/v1/{date}", "/v1/currencies"] {
        assert_eq!(
            doc["paths"][path]["get"]["tags"][0], "frankfurter",
            "{path}"
        );
    }
    let params: Vec<(&str, &str)> = doc["paths"]["/v1/{date}"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["in"].as_str().unwrap()))
        .collect();
    assert_eq!(
        params,
        [
            ("date", "path"),
            ("base", "query"),
            ("from", "query"),
            ("symbols", "query"),
            ("to", "query"),
            ("amount", "query")
        ]
    );
    let dated = &doc["components"]["schemas"]["FrankfurterDated"]["oneOf"];
    assert_eq!(dated.as_array().unwrap().len(), 2);
}
