//! Fuzzing the `fx-rates` bus message parser, `RateSnapshot::from_json`: arbitrary bytes,
//! arbitrary JSON, and valid messages with fields removed, added, retyped or given
//! hostile values (huge, negative or non-finite numbers, unknown currencies, bad pairs,
//! far-future and impossible times). The parser never panics, every error says what was
//! wrong, and everything it accepts is a valid snapshot that round-trips.
//!
//! Cases per property: `FXMON_FUZZ_CASES` (default 500), so CI stays bounded; raise it
//! locally for a longer run, e.g. `FXMON_FUZZ_CASES=100000 cargo test --test fuzz_wire`.
//! Inputs differ from run to run; proptest's `PROPTEST_RNG_SEED=<u64>` fixes them.
//! (There is no `fx-alerts` parser to fuzz: consumers forward those events verbatim.)

use chrono::{DateTime, Utc};
use fxmon_core::snapshot::format_time;
use fxmon_core::{Currency, RateSnapshot, SnapshotError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// `FXMON_FUZZ_CASES` cases; failures are reported with their shrunk input, not saved
/// to a `.proptest-regressions` file.
fn config() -> ProptestConfig {
    let cases = std::env::var("FXMON_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(500);
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

/// Parses `bytes` and checks the outcome: an error that names what was wrong, or a
/// valid snapshot that survives `to_json` → `from_json` unchanged.
fn parse_checked(bytes: &[u8]) -> Result<RateSnapshot, String> {
    match RateSnapshot::from_json(bytes) {
        Ok(snapshot) => {
            assert_valid(&snapshot);
            let again = RateSnapshot::from_json(&snapshot.to_json()).unwrap_or_else(|e| {
                panic!(
                    "accepted {:?}, but not its own re-serialization {:?}: {e}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&snapshot.to_json())
                )
            });
            assert_eq!(again, snapshot, "round trip changed the snapshot");
            Ok(snapshot)
        }
        Err(error) => {
            assert_names_the_problem(&error);
            Err(error.to_string())
        }
    }
}

fn assert_valid(snapshot: &RateSnapshot) {
    assert!(!snapshot.rates.is_empty());
    assert!(!snapshot.source.trim().is_empty());
    for (pair, rate) in &snapshot.rates {
        assert_eq!(
            pair.base(),
            snapshot.base,
            "{pair} in a {} snapshot",
            snapshot.base
        );
        assert!(rate.get().is_finite() && rate.get() > 0.0, "{pair}: {rate}");
    }
}

/// A JSON error must carry serde's reason; every other error names its field.
fn assert_names_the_problem(error: &SnapshotError) {
    let message = error.to_string();
    match error {
        SnapshotError::Json(inner) => {
            assert!(
                !inner.to_string().trim().is_empty(),
                "empty reason: {message}"
            );
        }
        _ => assert!(message.contains("field `"), "no field named: {message}"),
    }
}

fn codes() -> Vec<String> {
    Currency::all().map(|c| c.to_string()).collect()
}

/// A time chrono can format as RFC 3339 with a four-digit year.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (-62_167_219_200i64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap())
}

/// A positive finite rate: mostly realistic, sometimes at the edges of f64.
fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-6f64..1e6,
        1 => prop::num::f64::POSITIVE | prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL,
    ]
}

prop_compose! {
    /// A valid message, as a JSON object, and the snapshot it stands for.
    fn valid()(
        base in prop::sample::select(codes()),
        quotes in prop::collection::btree_map(prop::sample::select(codes()), rate(), 1..12),
        timestamp in time(),
        fetched_at in prop::option::of(time()),
        next_update_at in prop::option::of(time()),
        source in "[a-z][a-z.-]{0,20}",
    ) -> (Map<String, Value>, RateSnapshot) {
        let quotes: Vec<_> = quotes.into_iter().filter(|(q, _)| *q != base).collect();
        let fallback = if base == "EUR" { "USD" } else { "EUR" };
        let quotes = if quotes.is_empty() { vec![(fallback.to_owned(), 1.5)] } else { quotes };
        let rates: Map<String, Value> =
            quotes.iter().map(|(q, r)| (format!("{base}/{q}"), json!(r))).collect();
        let mut message = json!({
            "timestamp": format_time(timestamp), "base": base, "rates": rates, "source": source,
        });
        let object = message.as_object_mut().unwrap();
        if let Some(at) = fetched_at { object.insert("fetched_at".into(), json!(format_time(at))); }
        if let Some(at) = next_update_at { object.insert("next_update_at".into(), json!(format_time(at))); }
        let bytes = serde_json::to_vec(&message).unwrap();
        let snapshot = RateSnapshot::from_json(&bytes).expect("a generated valid message");
        assert_eq!(snapshot.timestamp, timestamp);
        assert_eq!(snapshot.fetched_at, fetched_at);
        assert_eq!(snapshot.next_update_at, next_update_at);
        assert_eq!(snapshot.rates.len(), quotes.len());
        (message.as_object().unwrap().clone(), snapshot)
    }
}

/// Any JSON value, strings biased towards codes, pairs and times.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        hostile_string().prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
        hostile_string(),
        "[a-z_]{0,8}",
    ]
}

const FIELDS: [&str; 6] = [
    "timestamp",
    "base",
    "rates",
    "source",
    "fetched_at",
    "next_update_at",
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "USD",
        "usd",
        " EUR ",
        "XXX",
        "ABC",
        "US",
        "USDX",
        "U$D",
        "€€€",
        "ÜSD",
        "USD/EUR",
        "EUR/GBP",
        "USD/USD",
        "USDEUR",
        "usd-eur",
        "USD%2FEUR",
        "USD%2f",
        "USD/",
        "/EUR",
        "USD//EUR",
        "USD/EUR/GBP",
        "ÜSDEU",
        "USD/€UR",
        "USD%2F%2FEUR",
        "2026-02-04T10:30:00Z",
        "2026-02-04T10:30:00.123456",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00+23:59",
        "+10000-01-01T00:00:00Z",
        "10000-01-01T00:00:00",
        "-0001-01-01T00:00:00",
        "+262143-12-31T23:59:59",
        "2026-02-30T00:00:00Z",
        "2026-02-04T24:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-12-31T23:59:60.999999999",
        "2026-02-04T10:30:00.1234567891234Z",
        "2026-02-04",
        "2026-02-04 10:30:00",
        "yesterday",
        "1e10",
        "NaN",
        "\u{0}",
        "\u{feff}",
    ])
    .prop_map(str::to_owned)
}

/// Raw JSON tokens, some of which serde_json refuses or maps to edge values.
const NUMBERS: [&str; 22] = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "-0.0",
    "0",
    "00",
    "1.",
    ".5",
    "0x10",
    "1e308",
    "1.7976931348623157e308",
    "5e-324",
    "-1",
    "\"1.0\"",
    "null",
    "true",
    "[]",
    "99999999999999999999999999999",
];

#[derive(Debug, Clone)]
enum Mutation {
    Remove(&'static str),
    Add(String, Value),
    Retype(&'static str, Value),
    Rate(f64),
    RateKey(String),
    Base(String),
    Time(&'static str, String),
    Source(String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let field = || prop::sample::select(FIELDS.to_vec());
    let time_field = prop::sample::select(vec!["timestamp", "fetched_at", "next_update_at"]);
    prop_oneof![
        field().prop_map(Mutation::Remove),
        (field_name(), any_json()).prop_map(|(k, v)| Mutation::Add(k, v)),
        (field(), any_json()).prop_map(|(k, v)| Mutation::Retype(k, v)),
        prop_oneof![any::<f64>(), Just(-0.0), Just(f64::MAX), Just(-1.0)].prop_map(Mutation::Rate),
        prop_oneof![hostile_string(), ".{0,8}"].prop_map(Mutation::RateKey),
        prop_oneof![hostile_string(), prop::sample::select(codes())].prop_map(Mutation::Base),
        (time_field, prop_oneof![hostile_string(), ".{0,30}"])
            .prop_map(|(f, t)| Mutation::Time(f, t)),
        prop_oneof![hostile_string(), "\\PC{0,200}"].prop_map(Mutation::Source),
    ]
}

/// Applies one mutation to a message.
fn apply(message: &mut Map<String, Value>, mutation: &Mutation) {
    match mutation.clone() {
        Mutation::Remove(field) => {
            message.remove(field);
        }
        Mutation::Add(key, value) => {
            message.insert(key, value);
        }
        Mutation::Retype(field, value) => {
            message.insert(field.to_owned(), value);
        }
        Mutation::Rate(value) => {
            if let Some(Value::Object(rates)) = message.get_mut("rates") {
                if let Some(first) = rates.values_mut().next() {
                    *first = json!(value);
                }
            }
        }
        Mutation::RateKey(key) => {
            if let Some(Value::Object(rates)) = message.get_mut("rates") {
                rates.insert(key, json!(1.25));
            }
        }
        Mutation::Base(code) => {
            message.insert("base".into(), json!(code));
        }
        Mutation::Time(field, time) => {
            message.insert(field.to_owned(), json!(time));
        }
        Mutation::Source(source) => {
            message.insert("source".into(), json!(source));
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_and_every_error_has_a_reason(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = parse_checked(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_and_every_error_has_a_reason(value in any_json()) {
        let _ = parse_checked(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn a_valid_message_round_trips((message, snapshot) in valid()) {
        let bytes = serde_json::to_vec(&message).unwrap();
        prop_assert_eq!(parse_checked(&bytes).unwrap(), snapshot);
    }

    #[test]
    fn a_mutated_message_is_rejected_with_a_reason_or_accepted_valid(
        (mut message, _) in valid(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        for mutation in &mutations {
            apply(&mut message, mutation);
        }
        let _ = parse_checked(&serde_json::to_vec(&message).unwrap());
    }

    #[test]
    fn a_missing_required_field_is_named(
        (mut message, _) in valid(),
        field in prop::sample::select(vec!["timestamp", "base", "rates", "source"]),
    ) {
        message.remove(field);
        let error = parse_checked(&serde_json::to_vec(&message).unwrap()).unwrap_err();
        prop_assert!(error.contains(&format!("`{field}`")), "{}", error);
    }

    #[test]
    fn a_hostile_number_token_in_the_rates_never_panics(
        (message, _) in valid(),
        token in prop::sample::select(NUMBERS.to_vec()),
    ) {
        let text = serde_json::to_string(&message).unwrap();
        let first_rate = Value::Object(message)["rates"]
            .as_object().unwrap().values().next().unwrap().to_string();
        let _ = parse_checked(text.replacen(&first_rate, token, 1).as_bytes());
    }

    #[test]
    fn a_truncated_or_corrupted_message_never_panics(
        (message, _) in valid(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = serde_json::to_vec(&message).unwrap();
        let at = cut.index(bytes.len());
        let _ = parse_checked(&bytes[..at]);
        bytes[at] = byte;
        let _ = parse_checked(&bytes);
    }
}

/// Times the parser accepts but `format_time` writes outside years 0000–9999 (an offset
/// crossing a year limit, or a signed year in the naive form), which it then refuses.
#[test]
fn an_accepted_timestamp_near_the_year_limits_survives_re_serialization() {
    let times = [
        "9999-12-31T23:59:59-23:59",
        "0000-01-01T00:00:00+23:59",
        "-0001-01-01T00:00:00",
        "+12345-01-01T00:00:00",
    ];
    for raw in times {
        let message = json!({"timestamp": raw, "base": "USD", "rates": {"USD/EUR": 0.9},
            "source": "test"});
        let _ = parse_checked(&serde_json::to_vec(&message).unwrap());
    }
}

/// An unreadable optional time must be blamed on its own field, not on `timestamp`.
#[test]
fn a_bad_fetched_at_or_next_update_at_is_named_in_the_error() {
    for field in ["fetched_at", "next_update_at"] {
        let message = json!({"timestamp": "2026-02-04T10:30:00Z", "base": "USD",
            "rates": {"USD/EUR": 0.9}, "source": "test", field: "soon"});
        let error = parse_checked(&serde_json::to_vec(&message).unwrap()).unwrap_err();
        assert!(error.contains(field), "{error:?} does not name {field}");
    }
}
