//! Rates, history, candles, fluctuation, health, HTTP behaviour, docs and the live stream,
//! through the router over a real SQLite file.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::{assert_problem, TestApi};
use fxmon_app::ports::{Quote, RateCache};
use fxmon_core::{Pair, Rate, Volatility};

fn pair(s: &str) -> Pair {
    Pair::parse(s).unwrap()
}

fn day(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0).unwrap()
}

fn rates_of(body: &serde_json::Value) -> Vec<f64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|p| p["rate"].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn rates_come_from_the_cache_in_the_seeds_shape_with_the_as_of_time() {
    let api = TestApi::new("USD/EUR,EUR/GBP").await;
    let as_of = Utc.with_ymd_and_hms(2026, 11, 26, 0, 2, 31).unwrap();
    let quote = Quote {
        pair: pair("USD/EUR"),
        rate: Rate::new(0.847).unwrap(),
        as_of,
        source: "exchangerate-api.com".into(),
        volatility: Volatility {
            level: Some(0.0012),
            log_return: Some(0.0009),
        },
    };
    api.cache.put_quotes(&[quote]).await.unwrap();
    let answer = api.get("/rates").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let rates = body.as_array().unwrap();
    assert_eq!(rates.len(), 1, "EUR/GBP has no data anywhere: {body}");
    assert_eq!(rates[0]["pair"], "USD/EUR");
    assert_eq!(rates[0]["rate"], 0.847);
    assert_eq!(rates[0]["volatility"], 0.0012);
    assert_eq!(rates[0]["volatility_log_return"], 0.0009);
    assert_eq!(rates[0]["timestamp"], "2026-11-26T00:02:31Z");
    assert_eq!(rates[0]["source"], "exchangerate-api.com");
}

#[tokio::test]
async fn on_a_cache_miss_rates_are_read_from_the_store_and_only_tracked_pairs_are_cached() {
    let api = TestApi::new("USD/EUR,EUR/GBP").await;
    let (t1, t2) = (day(29, 0), day(30, 0));
    api.store_rows(&[
        ("USD/EUR", 0.85, t1),
        ("USD/GBP", 0.79, t1),
        ("USD/EUR", 0.86, t2),
        ("USD/GBP", 0.78, t2),
    ])
    .await;
    let body = api.get("/rates").await.json();
    assert_eq!(rates_of(&body)[0], 0.86);
    assert_eq!(rates_of(&body)[1], 0.78 / 0.86);
    let expected = (0.79f64 / 0.85 - 0.78 / 0.86).abs() / 2f64.sqrt();
    assert!((body[1]["volatility"].as_f64().unwrap() - expected).abs() < 1e-15);
    assert!(api.cache.quote(pair("EUR/GBP")).await.unwrap().is_some());

    let body = api.get("/rates?pairs=GBP/EUR,usd-eur").await.json();
    assert_eq!(rates_of(&body), [0.86 / 0.78, 0.86]);
    assert_eq!(body[0]["pair"], "GBP/EUR");
    assert!(
        api.cache.quote(pair("GBP/EUR")).await.unwrap().is_none(),
        "an untracked pair would go stale in the cache"
    );
}

#[tokio::test]
async fn rates_refuse_unknown_currencies_and_bad_pairs_by_name() {
    let api = TestApi::new("USD/EUR").await;
    let unknown = api.get("/rates?pairs=USD/EUR,USD/XYZ").await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, Some("pairs"));
    assert!(unknown.json()["detail"]
        .as_str()
        .unwrap()
        .contains("/currencies"));
    assert_problem(
        &api.get("/rates?pairs=USD").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("pairs"),
    );
    assert_problem(
        &api.get("/rates?pairs=USD/USD").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("pairs"),
    );
    assert_problem(
        &api.get("/rates?pair=USD/EUR").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("pair"),
    );
}

#[tokio::test]
async fn rate_reads_carry_an_etag_and_a_matching_if_none_match_gets_304() {
    let api = TestApi::new("USD/EUR").await;
    api.store_rows(&[("USD/EUR", 0.85, day(30, 0))]).await;
    let first = api.get("/rates").await;
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    assert_eq!(first.header("cache-control"), "public, max-age=5");
    let request = Request::get("/rates")
        .header("if-none-match", &etag)
        .body(Body::empty())
        .unwrap();
    let again = api.send(request).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.bytes.is_empty());
    let uri = "/rates/USD/EUR/history?from=2026-10-01";
    let history = api.get(uri).await;
    let revalidate = |etag: &str| {
        Request::get(uri)
            .header("if-none-match", etag)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        api.send(revalidate(history.header("etag"))).await.status,
        StatusCode::NOT_MODIFIED
    );
    api.store_rows(&[("USD/EUR", 0.86, day(30, 1))]).await;
    let changed = api.send(revalidate(history.header("etag"))).await;
    assert_eq!(changed.status, StatusCode::OK, "new data, new ETag");
    assert_ne!(changed.header("etag"), history.header("etag"));
}

#[tokio::test]
async fn history_answers_both_path_forms_crosses_ranges_paging_and_order() {
    let api = TestApi::new("USD/EUR").await;
    let now = Utc::now();
    let ago = |m: i64| now - TimeDelta::minutes(m);
    api.store_rows(&[
        ("USD/EUR", 0.85, ago(30)),
        ("USD/EUR", 0.86, ago(20)),
        ("USD/EUR", 0.87, ago(10)),
        ("USD/GBP", 0.78, ago(10)),
    ])
    .await;
    for uri in [
        "/rates/USD/EUR/history",
        "/rates/USD%2FEUR/history",
        "/rates/usd-eur/history",
        "/rates/USDEUR/history",
    ] {
        let answer = api.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(rates_of(&answer.json()), [0.85, 0.86, 0.87], "{uri}");
    }
    let body = api
        .get("/rates/EUR/USD/history?order=desc&limit=2")
        .await
        .json();
    assert_eq!(rates_of(&body), [1.0 / 0.87, 1.0 / 0.86]);
    assert_eq!(
        rates_of(
            &api.get("/rates/USD/EUR/history?offset=1&limit=1")
                .await
                .json()
        ),
        [0.86]
    );
    assert_eq!(
        rates_of(&api.get("/rates/EUR/GBP/history").await.json()),
        [0.78 / 0.87]
    );
    assert!(
        api.get("/rates/USD/EUR/history?hours=720")
            .await
            .json()
            .as_array()
            .unwrap()
            .len()
            == 3
    );

    api.store_rows(&[
        ("USD/EUR", 0.80, day(1, 12)),
        ("USD/EUR", 0.81, day(2, 12)),
        ("USD/EUR", 0.82, day(3, 12)),
    ])
    .await;
    let body = api
        .get("/rates/USD/EUR/history?from=2026-10-02&to=2026-10-03")
        .await
        .json();
    assert_eq!(
        rates_of(&body),
        [0.81, 0.82],
        "a date `to` includes that whole day"
    );
    let body = api
        .get("/rates/USD/EUR/history?from=2026-10-01T12:00:00Z&to=2026-10-02T12:00:00Z")
        .await
        .json();
    assert_eq!(rates_of(&body), [0.80, 0.81]);
    let body = api
        .get("/rates/USD/EUR/history?to=2026-10-02T14:00:00%2B02:00")
        .await
        .json();
    assert_eq!(rates_of(&body), [0.80, 0.81], "offsets are honoured");
    assert_eq!(body[0]["timestamp"], "2026-10-01T12:00:00Z");
    assert_eq!(body[0]["source"], "test");
}

#[tokio::test]
async fn history_is_csv_on_request() {
    let api = TestApi::new("USD/EUR").await;
    api.store_rows(&[("USD/EUR", 0.85, day(1, 0)), ("USD/EUR", 0.86, day(2, 0))])
        .await;
    let request = Request::get("/rates/USD/EUR/history?from=2026-10-01")
        .header("accept", "text/csv")
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        String::from_utf8(answer.bytes).unwrap(),
        "pair,timestamp,rate,source\nUSD/EUR,2026-10-01T00:00:00Z,0.85,test\nUSD/EUR,2026-10-02T00:00:00Z,0.86,test\n"
    );
}

#[tokio::test]
async fn history_rejects_each_bad_parameter_by_name() {
    let api = TestApi::new("USD/EUR").await;
    for (uri, status, param) in [
        ("/rates/USD/XYZ/history", StatusCode::NOT_FOUND, "quote"),
        ("/rates/XYZ/EUR/history", StatusCode::NOT_FOUND, "base"),
        ("/rates/USD%2FXYZ/history", StatusCode::NOT_FOUND, "pair"),
        (
            "/rates/US/EUR/history",
            StatusCode::UNPROCESSABLE_ENTITY,
            "base",
        ),
        (
            "/rates/USD/USD/history",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pair",
        ),
        (
            "/rates/USD/EUR/history?hours=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "hours",
        ),
        (
            "/rates/USD/EUR/history?hours=721",
            StatusCode::UNPROCESSABLE_ENTITY,
            "hours",
        ),
        (
            "/rates/USD/EUR/history?limit=10001",
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            "/rates/USD/EUR/history?limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            "/rates/USD/EUR/history?offset=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "offset",
        ),
        (
            "/rates/USD/EUR/history?order=up",
            StatusCode::UNPROCESSABLE_ENTITY,
            "order",
        ),
        (
            "/rates/USD/EUR/history?hours=2&from=2026-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "hours",
        ),
        (
            "/rates/USD/EUR/history?from=2026-02-01&to=2026-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            "/rates/USD/EUR/history?from=yesterday",
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            "/rates/USD/EUR/history?to=2026-13-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "/rates/USD/EUR/history?limit=abc",
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
        ),
        (
            "/rates/USD/EUR/history?color=red",
            StatusCode::UNPROCESSABLE_ENTITY,
            "color",
        ),
    ] {
        let answer = api.get(uri).await;
        assert_problem(&answer, status, Some(param));
        if status == StatusCode::NOT_FOUND {
            assert!(
                answer.json()["detail"]
                    .as_str()
                    .unwrap()
                    .contains("/currencies"),
                "{uri}"
            );
        }
    }
}

#[tokio::test]
async fn ohlc_gives_open_high_low_close_per_bucket_for_direct_and_cross_pairs() {
    let api = TestApi::new("USD/EUR").await;
    api.store_rows(&[
        ("USD/EUR", 0.85, day(1, 1)),
        ("USD/EUR", 0.87, day(1, 5)),
        ("USD/EUR", 0.84, day(1, 9)),
        ("USD/EUR", 0.86, day(1, 20)),
        ("USD/EUR", 0.90, day(2, 3)),
    ])
    .await;
    let body = api
        .get("/rates/USD/EUR/ohlc?interval=1d&from=2026-10-01&to=2026-10-02")
        .await
        .json();
    let candles = body.as_array().unwrap();
    assert_eq!(candles.len(), 2);
    let c = &candles[0];
    assert_eq!(
        (
            c["open"].as_f64(),
            c["high"].as_f64(),
            c["low"].as_f64(),
            c["close"].as_f64()
        ),
        (Some(0.85), Some(0.87), Some(0.84), Some(0.86))
    );
    assert_eq!(
        (c["start"].as_str(), c["end"].as_str(), c["points"].as_u64()),
        (
            Some("2026-10-01T00:00:00Z"),
            Some("2026-10-02T00:00:00Z"),
            Some(4)
        )
    );
    let inverse = api
        .get("/rates/EUR/USD/ohlc?interval=1d&from=2026-10-01&to=2026-10-01")
        .await
        .json();
    assert_eq!(
        inverse[0]["high"].as_f64(),
        Some(1.0 / 0.84),
        "the inverse's high is the direct low inverted"
    );
    assert_eq!(
        api.get("/rates/USD/EUR/ohlc?interval=1h&from=2026-10-01&to=2026-10-02")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_problem(
        &api.get("/rates/USD/EUR/ohlc?interval=30m").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("interval"),
    );
    assert_problem(
        &api.get("/rates/USD/EUR/ohlc?from=soon").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("from"),
    );
}

/// `(start, end, open, high, low, close, points)` of each candle.
type CandleFigures = (String, String, f64, f64, f64, f64, u64);

fn figures(body: &serde_json::Value) -> Vec<CandleFigures> {
    body.as_array()
        .unwrap_or_else(|| panic!("not candles: {body}"))
        .iter()
        .map(|c| {
            let f = |k: &str| c[k].as_f64().unwrap();
            (
                c["start"].as_str().unwrap().to_owned(),
                c["end"].as_str().unwrap().to_owned(),
                f("open"),
                f("high"),
                f("low"),
                f("close"),
                c["points"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn candle(start: &str, end: &str, ohlc: [f64; 4], points: u64) -> CandleFigures {
    let [open, high, low, close] = ohlc;
    (start.into(), end.into(), open, high, low, close, points)
}

#[tokio::test]
async fn ohlc_cuts_minute_buckets_on_the_utc_clock_and_defaults_to_100_intervals() {
    let api = TestApi::new("USD/EUR").await;
    let at = |h, m, s| Utc.with_ymd_and_hms(2026, 10, 1, h, m, s).unwrap();
    api.store_rows(&[
        ("USD/EUR", 0.80, at(1, 59, 59)),
        ("USD/EUR", 0.81, at(2, 0, 0)),
        ("USD/EUR", 0.85, at(10, 0, 0)),
        ("USD/EUR", 0.87, at(10, 2, 30)),
        ("USD/EUR", 0.84, at(10, 4, 59)),
        ("USD/EUR", 0.86, at(10, 5, 0)),
        ("USD/EUR", 0.88, at(10, 9, 59)),
        ("USD/EUR", 0.83, at(10, 17, 0)),
    ])
    .await;
    let five = api
        .get("/rates/USD/EUR/ohlc?interval=5m&from=2026-10-01T10:00:00Z&to=2026-10-01T10:20:00Z")
        .await;
    assert_eq!(five.status, StatusCode::OK);
    assert_eq!(
        figures(&five.json()),
        [
            candle(
                "2026-10-01T10:00:00Z",
                "2026-10-01T10:05:00Z",
                [0.85, 0.87, 0.84, 0.84],
                3
            ),
            candle(
                "2026-10-01T10:05:00Z",
                "2026-10-01T10:10:00Z",
                [0.86, 0.88, 0.86, 0.88],
                2
            ),
            candle(
                "2026-10-01T10:15:00Z",
                "2026-10-01T10:20:00Z",
                [0.83, 0.83, 0.83, 0.83],
                1
            ),
        ]
    );
    // Without `from`: 100 × 5 minutes before `to`, inclusive, so 02:00:00 is in and
    // 01:59:59 is out.
    let default_from = api
        .get("/rates/USD/EUR/ohlc?interval=5m&to=2026-10-01T10:20:00Z")
        .await
        .json();
    let default_from = figures(&default_from);
    assert_eq!(default_from.len(), 4);
    assert_eq!(
        default_from[0],
        candle(
            "2026-10-01T02:00:00Z",
            "2026-10-01T02:05:00Z",
            [0.81, 0.81, 0.81, 0.81],
            1
        )
    );
    let quarters = api
        .get("/rates/USD/EUR/ohlc?interval=15m&from=2026-10-01T10:00:00Z&to=2026-10-01T10:20:00Z")
        .await
        .json();
    assert_eq!(
        figures(&quarters),
        [
            candle(
                "2026-10-01T10:00:00Z",
                "2026-10-01T10:15:00Z",
                [0.85, 0.88, 0.84, 0.88],
                5
            ),
            candle(
                "2026-10-01T10:15:00Z",
                "2026-10-01T10:30:00Z",
                [0.83, 0.83, 0.83, 0.83],
                1
            ),
        ]
    );
    let minutes = api
        .get("/rates/EUR/USD/ohlc?interval=1m&from=2026-10-01T10:00:00Z&to=2026-10-01T10:05:00Z")
        .await
        .json();
    let minutes = figures(&minutes);
    let starts: Vec<&str> = minutes.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        starts,
        [
            "2026-10-01T10:00:00Z",
            "2026-10-01T10:02:00Z",
            "2026-10-01T10:04:00Z",
            "2026-10-01T10:05:00Z"
        ]
    );
    assert_eq!(
        minutes[1],
        candle(
            "2026-10-01T10:02:00Z",
            "2026-10-01T10:03:00Z",
            [1.0 / 0.87; 4],
            1
        ),
        "the inverse pair is bucketed the same way"
    );
}

#[tokio::test]
async fn fluctuation_reports_the_move_between_the_first_and_last_point_of_the_range() {
    let api = TestApi::new("USD/EUR").await;
    api.store_rows(&[
        ("USD/EUR", 0.80, day(1, 0)),
        ("USD/EUR", 0.90, day(2, 0)),
        ("USD/EUR", 0.88, day(3, 0)),
    ])
    .await;
    let body = api
        .get("/rates/USD/EUR/fluctuation?from=2026-10-01&to=2026-10-03")
        .await
        .json();
    assert_eq!(body["start_rate"], 0.80);
    assert_eq!(body["end_rate"], 0.88);
    assert_eq!(body["start_timestamp"], "2026-10-01T00:00:00Z");
    assert_eq!(body["end_timestamp"], "2026-10-03T00:00:00Z");
    assert_eq!(body["change"].as_f64().unwrap(), 0.88 - 0.80);
    assert_eq!(
        body["change_pct"].as_f64().unwrap(),
        (0.88 - 0.80) / 0.80 * 100.0
    );
    let empty = api
        .get("/rates/USD/EUR/fluctuation?from=2020-01-01&to=2020-02-01")
        .await;
    assert_problem(&empty, StatusCode::NOT_FOUND, None);
    assert_problem(
        &api.get("/rates/USD/EUR/fluctuation?from=2026-10-03&to=2026-10-01")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("from"),
    );
}

#[tokio::test]
async fn health_checks_each_dependency_for_real() {
    let api = TestApi::new("USD/EUR").await;
    let body = api.get("/health").await.json();
    assert_eq!(body["status"], "degraded", "no fetch yet: {body}");

    api.source.succeeded(Utc::now(), Utc::now(), None);
    let answer = api.get("/health").await;
    assert_eq!(
        (answer.status, answer.json()["status"].clone()),
        (StatusCode::OK, "healthy".into())
    );

    api.source.failed(
        Utc::now(),
        "cannot reach the provider: connection refused".into(),
    );
    let answer = api.get("/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["status"], "degraded");
    let source = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rate_source")
        .unwrap()
        .clone();
    assert!(
        source["detail"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{source}"
    );

    api.store.close().await;
    // Liveness stays 200 (a restart would not bring the store back); readiness says 503.
    let live = api.get("/health").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["status"], "unhealthy");
    let answer = api.get("/ready").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = answer.json();
    assert_eq!(body["status"], "unhealthy");
    let store = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store")
        .unwrap()
        .clone();
    assert_eq!(store["status"], "unhealthy", "{body}");
    // A read that needs the store is a 503 problem, not a 500.
    assert_problem(
        &api.get("/rates/USD/EUR/history").await,
        StatusCode::SERVICE_UNAVAILABLE,
        None,
    );
}

#[tokio::test]
async fn the_root_links_every_endpoint_and_each_link_is_in_the_openapi_document() {
    let api = TestApi::new("USD/EUR").await;
    let body = api.get("/").await.json();
    assert_eq!(body["service"], "fxmon");
    let document = api.get("/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    for link in body["endpoints"].as_object().unwrap().values() {
        let link = link.as_str().unwrap().replace("{start}..{end}", "{date}");
        assert!(
            paths.contains_key(&link),
            "{link} is linked from / but not routed"
        );
    }
    for path in paths.keys() {
        let linked = body["endpoints"]
            .as_object()
            .unwrap()
            .values()
            .any(|l| l.as_str().unwrap().replace("{start}..{end}", "{date}") == *path);
        assert!(
            linked || path == "/" || path == "/rates/{base}/history",
            "{path} is not linked from /"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_page_need_no_internet() {
    let api = TestApi::new("USD/EUR").await;
    let document = api.get("/openapi.json").await;
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(document.json()["openapi"], "3.1.0");
    let page = api.get("/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.bytes).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page loads something remote"
    );
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        assert!(html.contains(asset));
        let answer = api.get(asset).await;
        assert_eq!(answer.status, StatusCode::OK, "{asset}");
        assert!(
            answer.bytes.len() > 100_000,
            "{asset} is only {} bytes",
            answer.bytes.len()
        );
    }
}

#[tokio::test]
async fn responses_are_gzipped_when_the_client_asks() {
    let api = TestApi::new("USD/EUR").await;
    let request = Request::get("/openapi.json")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.header("content-encoding"), "gzip");
    assert_eq!(&answer.bytes[..2], [0x1f, 0x8b], "gzip magic");
    assert_eq!(
        api.get("/openapi.json").await.header("content-encoding"),
        ""
    );
}

#[tokio::test]
async fn cors_is_same_origin_by_default_and_follows_the_allow_list() {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/rates")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap()
    };
    let api = TestApi::new("USD/EUR").await;
    assert_eq!(
        api.send(preflight("https://dash.example.com"))
            .await
            .header("access-control-allow-origin"),
        ""
    );
    let mut api = api;
    api.settings.cors_allow_origins = vec!["https://dash.example.com".parse().unwrap()];
    assert_eq!(
        api.send(preflight("https://dash.example.com"))
            .await
            .header("access-control-allow-origin"),
        "https://dash.example.com"
    );
    assert_eq!(
        api.send(preflight("https://evil.example.com"))
            .await
            .header("access-control-allow-origin"),
        ""
    );
}

#[tokio::test]
async fn the_stream_replays_what_a_reconnecting_client_missed_then_goes_live() {
    let api = TestApi::new("USD/EUR").await;
    let feed = api.deps.feed.clone();
    let first = feed.push("rates", r#"{"n":1}"#);
    feed.push("alert", r#"{"n":2}"#);
    feed.push("rates", r#"{"n":3}"#);
    let pusher = feed.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        pusher.push("alert", r#"{"n":4}"#);
        // Closing ends open streams at once (it is the shutdown signal): let event 4 out first.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        pusher.close();
    });
    let request = Request::get("/stream")
        .header("last-event-id", first.to_string())
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.header("content-type"), "text/event-stream");
    let text = String::from_utf8(answer.bytes).unwrap();
    let events: Vec<(String, String, String)> = text
        .split("\n\n")
        .filter(|block| block.contains("data:"))
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            };
            (field("id:"), field("event:"), field("data:"))
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        (first + 1, "alert", 2),
        (first + 2, "rates", 3),
        (first + 3, "alert", 4),
    ]
    .into_iter()
    .map(|(id, kind, n)| (id.to_string(), kind.to_owned(), format!("{{\"n\":{n}}}")))
    .collect();
    assert_eq!(events, expected);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_problem_details_too() {
    let api = TestApi::new("USD/EUR").await;
    assert_problem(&api.get("/nowhere").await, StatusCode::NOT_FOUND, None);
    assert_problem(&api.get("/alerts/").await, StatusCode::NOT_FOUND, None);
    let put = Request::put("/alerts/1").body(Body::empty()).unwrap();
    assert_problem(&api.send(put).await, StatusCode::METHOD_NOT_ALLOWED, None);
    let patch = Request::patch("/alerts/history")
        .body(Body::empty())
        .unwrap();
    assert_problem(&api.send(patch).await, StatusCode::METHOD_NOT_ALLOWED, None);
}

#[tokio::test]
async fn with_redis_down_rates_come_from_the_store_and_health_is_degraded_naming_the_cache() {
    let mut api = TestApi::new("USD/EUR").await;
    let down = fxmon_adapters::redis_cache::RedisRateCache::connect_lazy(
        "redis://127.0.0.1:1",
        "down:",
        std::time::Duration::from_secs(3600),
    )
    .unwrap();
    let down = std::sync::Arc::new(down);
    api.deps.cache = down.clone();
    api.deps.health.cache = down;
    api.store_rows(&[("USD/EUR", 0.85, day(29, 0)), ("USD/EUR", 0.86, day(30, 0))])
        .await;
    let answer = api.get("/rates").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(rates_of(&answer.json()), [0.86]);
    let health = api.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    let body = health.json();
    assert_eq!(body["status"], "degraded", "{body}");
    let cache = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cache")
        .unwrap()
        .clone();
    assert_eq!(cache["status"], "degraded", "{body}");
}
