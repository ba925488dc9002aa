//! Generated requests against the whole router: whatever the path, query or body, the API
//! answers with a 2xx, 3xx or 4xx — never a 5xx. Cases: `PROPTEST_CASES` (default 256).

mod common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use common::TestApi;
use fxmon_adapters::ecb;
use fxmon_app::ports::RateStore;
use fxmon_app::ports::{AlertStore, NewAlert};
use fxmon_core::{AlertRule, Condition};
use proptest::prelude::*;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    api: TestApi,
}

/// One API with real data (the ECB daily file, a few alerts and triggers), shared by all cases.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let api = runtime.block_on(async {
            let api = TestApi::new("USD/EUR,EUR/GBP,USD/JPY").await;
            let daily = std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/ecb/eurofxref.csv"
            ))
            .unwrap();
            let rows: Vec<_> = ecb::to_stored_rates(&ecb::parse(&daily).unwrap()).collect();
            api.store.insert_rates(&rows).await.unwrap();
            let pair = fxmon_core::Pair::parse("EUR/USD").unwrap();
            let alert = NewAlert {
                rule: AlertRule::new(0, pair, Condition::Above, 1.0),
                webhook_url: None,
                webhook_secret: None,
                owner: Default::default(),
            };
            api.store.create_alert(&alert).await.unwrap();
            // `/stream` would never end on its own: a closed feed ends it at once.
            api.deps.feed.close();
            api
        });
        Fixture { runtime, api }
    })
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("USD".to_owned()),
        Just("EUR".to_owned()),
        Just("JPY".to_owned()),
        Just("XYZ".to_owned()),
        Just("USD%2FEUR".to_owned()),
        Just("2026-10-30".to_owned()),
        Just("2026-10-01..2026-10-30".to_owned()),
        Just("1999-01-04..".to_owned()),
        Just("latest".to_owned()),
        Just("history".to_owned()),
        Just("1".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999999".to_owned()),
        "[a-zA-Z0-9._~-]{0,12}",
        any::<String>().prop_map(|s| encode(&s)),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let templates = prop_oneof![
        Just(vec!["rates"]),
        Just(vec!["rates", "*"]),
        Just(vec!["rates", "*", "*"]),
        Just(vec!["rates", "*", "history"]),
        Just(vec!["rates", "*", "*", "history"]),
        Just(vec!["rates", "*", "*", "ohlc"]),
        Just(vec!["rates", "*", "*", "fluctuation"]),
        Just(vec!["cross-rates"]),
        Just(vec!["convert"]),
        Just(vec!["currencies"]),
        Just(vec!["alerts"]),
        Just(vec!["alerts", "*"]),
        Just(vec!["alerts", "history"]),
        Just(vec!["v1", "*"]),
        Just(vec!["v1", "latest"]),
        Just(vec!["v1", "currencies"]),
        Just(vec!["health"]),
        Just(vec!["stream"]),
        Just(vec!["*", "*"]),
    ];
    (templates, prop::collection::vec(segment(), 4)).prop_map(|(template, fills)| {
        let mut fills = fills.into_iter();
        let parts: Vec<String> = template
            .into_iter()
            .map(|part| {
                if part == "*" {
                    fills.next().unwrap()
                } else {
                    part.to_owned()
                }
            })
            .collect();
        format!("/{}", parts.join("/"))
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("EUR".to_owned()),
        Just("USD,JPY,GBP".to_owned()),
        Just("USD/EUR".to_owned()),
        Just("2026-10-30".to_owned()),
        Just("2026-10-30T12:00:00Z".to_owned()),
        Just("1d".to_owned()),
        Just("desc".to_owned()),
        Just("true".to_owned()),
        Just("NaN".to_owned()),
        Just("1e309".to_owned()),
        Just("-0".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        any::<String>().prop_map(|s| encode(&s)),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("hours"),
        Just("from"),
        Just("to"),
        Just("limit"),
        Just("offset"),
        Just("order"),
        Just("pairs"),
        Just("currencies"),
        Just("amount"),
        Just("date"),
        Just("interval"),
        Just("base"),
        Just("symbols"),
        Just("active_only"),
        Just("alert_id"),
        Just("pair"),
        Just("junk"),
    ];
    prop::collection::vec((name, value()), 0..4).prop_map(|params| {
        params
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let json_value = prop_oneof![
        Just(serde_json::json!(null)),
        Just(serde_json::json!("USD/EUR")),
        Just(serde_json::json!("above")),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(1e308)),
        Just(serde_json::json!(true)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        any::<String>().prop_map(|s| serde_json::json!(s)),
    ];
    let field = prop_oneof![
        Just("pair"),
        Just("condition"),
        Just("threshold"),
        Just("active"),
        Just("junk")
    ];
    prop_oneof![
        prop::collection::vec((field, json_value), 0..4).prop_map(|fields| {
            let object: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            serde_json::to_vec(&object).unwrap()
        }),
        any::<Vec<u8>>(),
    ]
}

/// Percent-encodes everything but unreserved characters.
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn no_request_makes_the_api_answer_5xx(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE"), Just("PUT"), Just("HEAD")],
        path in path(),
        query in query(),
        body in body(),
        json in any::<bool>(),
    ) {
        let fixture = fixture();
        let uri = if query.is_empty() { path } else { format!("{path}?{query}") };
        let mut request = Request::builder().method(method).uri(&uri);
        if json {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(Body::from(body)).unwrap();
        let answer = fixture.runtime.block_on(fixture.api.send(request));
        prop_assert!(answer.status.as_u16() < 500, "{method} {uri} answered {}: {}", answer.status, String::from_utf8_lossy(&answer.bytes));
    }
}
