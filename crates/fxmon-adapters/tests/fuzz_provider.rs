//! Fuzzing each provider flavour's body parser (exchangerate-api v4, open.er-api v6, keyed
//! v6) with arbitrary bytes, arbitrary JSON and mutations of the real bodies in
//! `tests/fixtures/`. The parser never panics; a body is either refused with a reason or
//! accepted with finite, positive rates only, which the producer can publish as an
//! `fx-rates` message that consumers accept.
//!
//! The parser is private (`source::body::parse_rates` is `pub(crate)` in a private module),
//! so bodies go through the public `HttpRateSource` and a local server that answers each
//! fetch with the next body over one kept-alive connection (~1 ms per case).
//!
//! Knobs: `FXMON_FUZZ_CASES` (default 500) cases per flavour and generator, so CI stays
//! bounded; `FXMON_FUZZ_SEED` (default fixed) to explore other inputs. A failure prints
//! the body, and the seed and case that reproduce it. (proptest is not a dev-dependency
//! of this crate, so inputs come from a seeded ChaCha RNG and are not shrunk.)

use std::sync::{Arc, Mutex};

use axum::http::header::CONTENT_TYPE;
use axum::Router;
use chrono::Utc;
use fxmon_adapters::source::{HttpRateSource, HttpSourceConfig, Provider};
use fxmon_app::ports::{FetchedRates, RateSource, SourceError};
use fxmon_core::{Pair, RateSnapshot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

const FLAVOURS: [(Provider, &str); 3] = [
    (
        Provider::ExchangerateApiV4,
        include_str!("fixtures/exchangerate_api_v4_latest_usd.json"),
    ),
    (
        Provider::OpenErApi,
        include_str!("fixtures/open_er_api_latest_usd.json"),
    ),
    (
        Provider::ExchangerateApiV6,
        include_str!("fixtures/exchangerate_api_v6_latest_usd.json"),
    ),
];

fn cases() -> u64 {
    env_number("FXMON_FUZZ_CASES").unwrap_or(500)
}

fn seed() -> u64 {
    env_number("FXMON_FUZZ_SEED").unwrap_or(0x5eed_f00d)
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// A provider on 127.0.0.1:0 that answers every request with 200 and the current body.
struct Fake {
    body: Arc<Mutex<Vec<u8>>>,
    source: Arc<HttpRateSource>,
}

impl Fake {
    async fn start(provider: Provider) -> Self {
        let body = Arc::new(Mutex::new(Vec::new()));
        let served = body.clone();
        let app = Router::new().fallback(move || {
            let bytes = served.lock().unwrap().clone();
            async move { ([(CONTENT_TYPE, "application/json")], bytes) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let config = HttpSourceConfig {
            base_url: Some(base_url),
            api_key: Some("fuzz-key_123".to_owned()),
            ..HttpSourceConfig::new(provider)
        };
        let source = Arc::new(HttpRateSource::new(config).unwrap());
        Self { body, source }
    }

    /// Fetches `bytes` through the source; a panic in the parser fails with the input.
    async fn fetch(&self, bytes: Vec<u8>, case: &str) -> Result<FetchedRates, SourceError> {
        *self.body.lock().unwrap() = bytes.clone();
        let source = self.source.clone();
        let outcome = tokio::spawn(async move { source.fetch().await }).await;
        outcome.unwrap_or_else(|e| {
            panic!(
                "{case}: the parser panicked ({e}) on body {:?}",
                String::from_utf8_lossy(&bytes)
            )
        })
    }
}

/// Checks one outcome: a reasoned refusal, or rates a consumer will accept.
fn check(provider: Provider, outcome: Result<FetchedRates, SourceError>, case: &str, body: &[u8]) {
    let body = String::from_utf8_lossy(body);
    match outcome {
        Err(SourceError::Malformed(reason)) => {
            assert!(!reason.trim().is_empty(), "{case}: no reason for {body:?}")
        }
        Err(SourceError::Refused { kind, advice }) => {
            assert!(!kind.is_empty() && !advice.is_empty(), "{case}: {body:?}")
        }
        Err(other) => panic!("{case}: {other:?} is not a body error, for {body:?}"),
        Ok(fetched) => check_accepted(provider, &fetched, case, &body),
    }
}

fn check_accepted(provider: Provider, fetched: &FetchedRates, case: &str, body: &str) {
    assert!(!fetched.rates.is_empty(), "{case}: no rates from {body:?}");
    assert!(
        !fetched.rates.contains_key(&fetched.base),
        "{case}: a rate for the base itself"
    );
    for (currency, rate) in &fetched.rates {
        let value = rate.get();
        assert!(
            value.is_finite() && value > 0.0,
            "{case}: {currency} {value}"
        );
    }
    assert!(fetched.skipped.iter().all(|s| !s.trim().is_empty()));
    // What the producer would publish (as its screen builds it, every leg tracked) must
    // be a message the consumers accept.
    let legs = fetched
        .rates
        .iter()
        .map(|(quote, rate)| (Pair::new(fetched.base, *quote).unwrap(), *rate))
        .collect();
    let mut snapshot = RateSnapshot::new(fetched.as_of, fetched.base, legs, provider.label())
        .unwrap_or_else(|e| panic!("{case}: accepted rates make no snapshot ({e}): {body:?}"));
    snapshot.fetched_at = Some(Utc::now());
    snapshot.next_update_at = fetched.next_update;
    let message = snapshot.to_json();
    let consumed = RateSnapshot::from_json(&message).unwrap_or_else(|e| {
        panic!(
            "{case}: accepted {body:?}, but consumers dead-letter what the producer makes of \
             it, {:?}: {e}",
            String::from_utf8_lossy(&message)
        )
    });
    assert_eq!(consumed, snapshot, "{case}");
}

/// Runs `cases()` inputs from `generate` through every flavour.
async fn fuzz(name: &str, generate: impl Fn(&mut ChaCha8Rng, Provider, &Value) -> Vec<u8>) {
    for (provider, fixture) in FLAVOURS {
        let fake = Fake::start(provider).await;
        let real: Value = serde_json::from_str(fixture).unwrap();
        for case in 0..cases() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed() ^ case.wrapping_mul(0x9e37_79b9));
            let bytes = generate(&mut rng, provider, &real);
            let label = format!("{name}, {provider}, FXMON_FUZZ_SEED={} case {case}", seed());
            let outcome = fake.fetch(bytes.clone(), &label).await;
            check(provider, outcome, &label, &bytes);
        }
    }
}

#[tokio::test]
async fn arbitrary_bytes_never_panic_any_flavour() {
    fuzz("bytes", |rng, _, _| {
        let len = rng.gen_range(0..512);
        (0..len).map(|_| rng.gen()).collect()
    })
    .await;
}

#[tokio::test]
async fn arbitrary_json_never_panics_any_flavour() {
    fuzz("json", |rng, provider, _| {
        let mut value = any_json(rng, 3);
        // Half the time, an object with the flavour's own field names, so parsing gets deep.
        if rng.gen_bool(0.5) {
            let mut object = Map::new();
            for name in field_names(provider) {
                if rng.gen_bool(0.8) {
                    object.insert(name.to_owned(), any_json(rng, 2));
                }
            }
            value = Value::Object(object);
        }
        serde_json::to_vec(&value).unwrap()
    })
    .await;
}

#[tokio::test]
async fn mutations_of_the_real_bodies_never_panic_and_keep_only_valid_rates() {
    fuzz("mutation", |rng, provider, real| {
        let mut body = real.clone();
        for _ in 0..rng.gen_range(1..4) {
            mutate(rng, provider, &mut body);
        }
        let mut text = serde_json::to_string(&body).unwrap();
        if rng.gen_bool(0.2) {
            text = corrupt_text(rng, &text);
        }
        text.into_bytes()
    })
    .await;
}

/// Times the parser accepts (chrono reaches year 262143) but RFC 3339 cannot write with
/// four digits: the producer would publish a snapshot every consumer dead-letters. For the
/// next-update time, which is optional, a whole good snapshot would be lost.
#[tokio::test]
async fn a_time_outside_years_0000_to_9999_is_refused_or_still_publishable() {
    let mut failed = Vec::new();
    for (provider, _) in FLAVOURS {
        let fake = Fake::start(provider).await;
        let (base, as_of, rates, next) = provider_fields(provider);
        for seconds in [253_402_300_800_i64, -62_167_219_201] {
            let far_as_of = json!({"result": "success", base: "USD", as_of: seconds,
                rates: {"EUR": 0.9}});
            let far_next = json!({"result": "success", base: "USD", as_of: 1_764_115_201,
                next: seconds, rates: {"EUR": 0.9}});
            for body in [far_as_of, far_next] {
                let bytes = serde_json::to_vec(&body).unwrap();
                let case = format!("{provider}, {body}");
                let outcome = fake.fetch(bytes.clone(), &case).await;
                let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check(provider, outcome, &case, &bytes)
                }));
                if checked.is_err() {
                    failed.push(case);
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "unpublishable times accepted:\n{}",
        failed.join("\n")
    );
}

/// The flavour's (base, as-of, rates, next-update) field names.
fn provider_fields(provider: Provider) -> (&'static str, &'static str, &'static str, &'static str) {
    match provider {
        Provider::ExchangerateApiV4 => (
            "base",
            "time_last_updated",
            "rates",
            "time_next_update_unix",
        ),
        Provider::OpenErApi => (
            "base_code",
            "time_last_update_unix",
            "rates",
            "time_next_update_unix",
        ),
        Provider::ExchangerateApiV6 => (
            "base_code",
            "time_last_update_unix",
            "conversion_rates",
            "time_next_update_unix",
        ),
    }
}

fn field_names(provider: Provider) -> [&'static str; 6] {
    let (base, as_of, rates, next) = provider_fields(provider);
    [base, as_of, rates, next, "result", "error-type"]
}

const CODES: [&str; 16] = [
    "USD",
    "EUR",
    "usd",
    " EUR",
    "XXX",
    "ABC",
    "US",
    "USDX",
    "U$D",
    "€€€",
    "ÜSD",
    "",
    "GBP",
    "JPY",
    "eur",
    "XAU",
];

fn hostile_number(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..12) {
        0 => json!(0),
        1 => json!(-1.5),
        2 => json!(f64::MAX),
        3 => json!(f64::MIN_POSITIVE),
        4 => json!(5e-324),
        5 => json!(i64::MIN),
        6 => json!(i64::MAX),
        7 => json!(u64::MAX),
        8 => json!(-0.0),
        9 => json!(rng.gen::<f64>() * 1e6),
        10 => json!(f64::from_bits(rng.gen())),
        _ => json!(rng.gen::<i64>()),
    }
}

fn hostile_time(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..10) {
        0 => json!(i64::MIN),
        1 => json!(i64::MAX),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(8_210_266_876_799_i64),
        5 => json!([253_402_300_800_i64, 8_210_266_876_800][rng.gen_range(0..2)]),
        6 => json!(1_764_115_201.5),
        7 => json!("1764115201"),
        8 => json!(u64::MAX),
        _ => json!(rng.gen_range(0..4_102_444_800_i64)),
    }
}

fn any_json(rng: &mut ChaCha8Rng, depth: u32) -> Value {
    let pick = rng.gen_range(0..if depth == 0 { 5 } else { 7 });
    match pick {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => hostile_number(rng),
        3 => json!(CODES[rng.gen_range(0..CODES.len())]),
        4 => json!((0..rng.gen_range(0..8))
            .map(|_| rng.gen::<char>())
            .collect::<String>()),
        5 => Value::Array(
            (0..rng.gen_range(0..5))
                .map(|_| any_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let entries = (0..rng.gen_range(0..5)).map(|_| {
                let key = CODES[rng.gen_range(0..CODES.len())].to_owned();
                (key, any_json(rng, depth - 1))
            });
            Value::Object(entries.collect())
        }
    }
}

/// One structural change to a real body.
fn mutate(rng: &mut ChaCha8Rng, provider: Provider, body: &mut Value) {
    let (base, as_of, rates, next) = provider_fields(provider);
    let Some(object) = body.as_object_mut() else {
        return;
    };
    let field = field_names(provider)[rng.gen_range(0..6)];
    match rng.gen_range(0..11) {
        0 => {
            object.remove(field);
        }
        1 => {
            object.insert(field.to_owned(), any_json(rng, 2));
        }
        2 => {
            object.insert(format!("extra{}", rng.gen::<u8>()), any_json(rng, 2));
        }
        3 => {
            let result = ["error", "success", "", "ERROR"][rng.gen_range(0..4)];
            object.insert("result".to_owned(), json!(result));
        }
        4 => {
            object.insert(base.to_owned(), json!(CODES[rng.gen_range(0..CODES.len())]));
        }
        5 => {
            object.insert(as_of.to_owned(), hostile_time(rng));
        }
        6 => {
            object.insert(next.to_owned(), hostile_time(rng));
        }
        7 | 8 => {
            if let Some(Value::Object(table)) = object.get_mut(rates) {
                mutate_rates(rng, table);
            }
        }
        9 => {
            if let Some(Value::Object(table)) = object.get_mut(rates) {
                table.retain(|_, _| rng.gen_bool(0.02));
            }
        }
        _ => *body = Value::Array(vec![body.clone()]),
    }
}

fn mutate_rates(rng: &mut ChaCha8Rng, table: &mut Map<String, Value>) {
    if table.is_empty() {
        return;
    }
    let keys: Vec<String> = table.keys().cloned().collect();
    let key = keys[rng.gen_range(0..keys.len())].clone();
    if rng.gen_bool(0.5) {
        let value = if rng.gen_bool(0.7) {
            hostile_number(rng)
        } else {
            any_json(rng, 1)
        };
        table.insert(key, value);
    } else {
        let value = table.remove(&key).unwrap();
        table.insert(CODES[rng.gen_range(0..CODES.len())].to_owned(), value);
    }
}

/// Truncates, flips a byte, or swaps a number for a token serde_json refuses.
fn corrupt_text(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.gen_range(0..bytes.len());
    match rng.gen_range(0..3) {
        0 => bytes.truncate(at),
        1 => bytes[at] = rng.gen(),
        _ => {
            let token = ["NaN", "Infinity", "1e400", "-1e400", "-0", "1e-400"][rng.gen_range(0..6)];
            return text.replacen("0.", &format!("{token},\"x\":0."), 1);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
