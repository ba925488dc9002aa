//! The `fx-rates` message: one provider snapshot of rates against one base currency.
//!
//! Wire format (the seed's, readable by its consumers; later fields are additive):
//! `{"timestamp":"2026-02-04T10:30:00Z","base":"USD","rates":{"USD/EUR":0.847},"source":"exchangerate-api.com",
//!   "fetched_at":"2026-02-04T10:30:02Z","next_update_at":"2026-02-05T00:00:00Z"}`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::currency::{Currency, CurrencyError};
use crate::pair::{Pair, PairError};
use crate::rate::{Rate, RateError};

/// A validated snapshot: every pair is `base/X`, every rate finite and > 0.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSnapshot {
    /// The provider's as-of time for these rates (not when we fetched them).
    pub timestamp: DateTime<Utc>,
    /// The currency every pair is quoted against.
    pub base: Currency,
    /// `base/X` → how many X one unit of base buys.
    pub rates: BTreeMap<Pair, Rate>,
    /// Where the rates came from, e.g. `exchangerate-api.com`.
    pub source: String,
    /// When fxmon fetched them, if known.
    pub fetched_at: Option<DateTime<Utc>>,
    /// When the provider says it will next update, if it says.
    pub next_update_at: Option<DateTime<Utc>>,
}

/// Why bytes are not a valid `fx-rates` message.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("message is not valid JSON for an fx-rates snapshot: {0}")]
    Json(#[from] serde_json::Error),
    #[error("field `{field}`: {raw:?} is not an RFC 3339 / ISO 8601 time")]
    Timestamp { field: &'static str, raw: String },
    #[error("field `base`: {0}")]
    Base(CurrencyError),
    #[error("field `rates`: key {key:?}: {source}")]
    Pair { key: String, source: PairError },
    #[error("field `rates`: {pair}: {source}")]
    Rate { pair: String, source: RateError },
    #[error("field `rates`: {pair} is not quoted against the snapshot's base {base}")]
    ForeignBase { pair: Pair, base: Currency },
    #[error("field `rates`: is empty")]
    Empty,
    #[error("field `source`: must not be empty")]
    NoSource,
}

/// Why a cross rate cannot be derived from a snapshot.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrossError {
    #[error("the snapshot has no rate for {0}")]
    Missing(Currency),
    #[error("the cross rate {pair} is out of range: {source}")]
    OutOfRange { pair: Pair, source: RateError },
}

#[derive(Serialize, Deserialize)]
struct Wire {
    timestamp: String,
    base: String,
    rates: BTreeMap<String, f64>,
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fetched_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_update_at: Option<String>,
}

impl RateSnapshot {
    /// Builds a snapshot, checking that every pair is quoted against `base`.
    pub fn new(
        timestamp: DateTime<Utc>,
        base: Currency,
        rates: BTreeMap<Pair, Rate>,
        source: impl Into<String>,
    ) -> Result<Self, SnapshotError> {
        let source = source.into();
        if source.trim().is_empty() {
            return Err(SnapshotError::NoSource);
        }
        if rates.is_empty() {
            return Err(SnapshotError::Empty);
        }
        if let Some(pair) = rates.keys().find(|p| p.base() != base) {
            return Err(SnapshotError::ForeignBase { pair: *pair, base });
        }
        Ok(Self {
            timestamp,
            base,
            rates,
            source,
            fetched_at: None,
            next_update_at: None,
        })
    }

    /// Parses and validates an `fx-rates` message.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let wire: Wire = serde_json::from_slice(bytes)?;
        let base = Currency::parse(&wire.base).map_err(SnapshotError::Base)?;
        let mut rates = BTreeMap::new();
        for (key, value) in wire.rates {
            let pair = Pair::parse(&key).map_err(|source| SnapshotError::Pair {
                key: key.clone(),
                source,
            })?;
            let rate =
                Rate::new(value).map_err(|source| SnapshotError::Rate { pair: key, source })?;
            rates.insert(pair, rate);
        }
        let time = |field, raw: &str| {
            parse_time(raw).map_err(|_| SnapshotError::Timestamp {
                field,
                raw: raw.to_owned(),
            })
        };
        let timestamp = time("timestamp", &wire.timestamp)?;
        let mut snapshot = Self::new(timestamp, base, rates, wire.source)?;
        snapshot.fetched_at = wire
            .fetched_at
            .as_deref()
            .map(|raw| time("fetched_at", raw))
            .transpose()?;
        snapshot.next_update_at = wire
            .next_update_at
            .as_deref()
            .map(|raw| time("next_update_at", raw))
            .transpose()?;
        Ok(snapshot)
    }

    /// Serializes to the wire format.
    pub fn to_json(&self) -> Vec<u8> {
        let wire = Wire {
            timestamp: format_time(self.timestamp),
            base: self.base.to_string(),
            rates: self
                .rates
                .iter()
                .map(|(pair, rate)| (pair.to_string(), rate.get()))
                .collect(),
            source: self.source.clone(),
            fetched_at: self.fetched_at.map(format_time),
            next_update_at: self.next_update_at.map(format_time),
        };
        serde_json::to_vec(&wire).expect("plain strings and finite floats always serialize")
    }

    /// How many units of `currency` one unit of the base buys (1 for the base itself).
    pub fn per_base(&self, currency: Currency) -> Option<f64> {
        if currency == self.base {
            return Some(1.0);
        }
        let pair = Pair::new(self.base, currency).ok()?;
        self.rates.get(&pair).map(|r| r.get())
    }

    /// Every currency in the snapshot, base first.
    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        std::iter::once(self.base).chain(self.rates.keys().map(Pair::quote))
    }

    /// The rate of any pair of the snapshot's currencies: A/B = rate(base/B) / rate(base/A).
    pub fn cross(&self, pair: Pair) -> Result<Rate, CrossError> {
        let leg = |c| self.per_base(c).ok_or(CrossError::Missing(c));
        let value = leg(pair.quote())? / leg(pair.base())?;
        Rate::new(value).map_err(|source| CrossError::OutOfRange { pair, source })
    }
}

/// Every rate between some currencies, both directions, from one snapshot. 166
/// currencies (27,390 ordered pairs) take tens of microseconds; see docs/BENCHMARKS.md.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossMatrix {
    currencies: Vec<Currency>,
    /// Row-major: `rates[i * n + j]` is how many `currencies[j]` one `currencies[i]` buys.
    rates: Vec<f64>,
}

impl CrossMatrix {
    /// The matrix's currencies, in the order asked for.
    pub fn currencies(&self) -> &[Currency] {
        &self.currencies
    }

    /// How many `currencies[to]` one `currencies[from]` buys (1 when `from == to`).
    pub fn get(&self, from: usize, to: usize) -> f64 {
        self.rates[from * self.currencies.len() + to]
    }

    /// Recomputes every cell from `snapshot`, reusing this matrix's memory: what a
    /// consumer does on each new snapshot. On an error the cells are unspecified.
    pub fn update(&mut self, snapshot: &RateSnapshot) -> Result<(), CrossError> {
        let legs = self
            .currencies
            .iter()
            .map(|&c| snapshot.per_base(c).ok_or(CrossError::Missing(c)))
            .collect::<Result<Vec<f64>, _>>()?;
        let n = legs.len();
        self.rates.resize(n * n, 0.0);
        // Legs are finite and positive, so a cell can only overflow to infinity or
        // underflow to zero: the smallest and largest cell tell.
        let (mut low, mut high) = (f64::INFINITY, 0.0f64);
        for (row, &from) in self.rates.chunks_exact_mut(n).zip(&legs) {
            for (cell, &to) in row.iter_mut().zip(&legs) {
                *cell = to / from;
                low = low.min(*cell);
                high = high.max(*cell);
            }
        }
        if low > 0.0 && high.is_finite() {
            return Ok(());
        }
        let index = self
            .rates
            .iter()
            .position(|r| !(r.is_finite() && *r > 0.0))
            .expect("a cell is out of range");
        let pair = Pair::new(self.currencies[index / n], self.currencies[index % n])
            .expect("the diagonal is 1, so an out-of-range cell is off it");
        let source = Rate::new(self.rates[index]).expect_err("the cell is out of range");
        Err(CrossError::OutOfRange { pair, source })
    }
}

impl RateSnapshot {
    /// The cross-rate matrix of `currencies`: each cell is what [`RateSnapshot::cross`]
    /// gives for that pair, bit for bit, but every leg is looked up once rather than once
    /// per pair.
    pub fn cross_matrix(&self, currencies: &[Currency]) -> Result<CrossMatrix, CrossError> {
        let mut matrix = CrossMatrix {
            currencies: currencies.to_vec(),
            rates: Vec::new(),
        };
        matrix.update(self)?;
        Ok(matrix)
    }
}

/// Parses RFC 3339, or a naive ISO 8601 time (as Python's `isoformat()` writes) taken as UTC.
pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, SnapshotError> {
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        });
    // Only years 0000–9999 in UTC: what RFC 3339 can write back (an offset can push a
    // time just past either end, and a naive time may carry a signed year).
    match parsed {
        Ok(time) if (0..=9999).contains(&time.year()) => Ok(time),
        _ => Err(SnapshotError::Timestamp {
            field: "timestamp",
            raw: raw.to_owned(),
        }),
    }
}

/// RFC 3339 in UTC with a `Z`, sub-seconds only when present.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"{"timestamp":"2026-02-04T10:30:00Z","base":"USD","rates":{"USD/EUR":0.847,"USD/GBP":0.789,"USD/JPY":110.25,"USD/CAD":1.258,"USD/AUD":1.312,"USD/CHF":0.912,"USD/CNY":6.456,"USD/INR":74.123},"source":"exchangerate-api.com"}"#;

    #[test]
    fn a_cross_matrix_names_a_missing_currency_and_an_overflowing_cell() {
        let snapshot = RateSnapshot::from_json(SEED.as_bytes()).unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(
            snapshot.cross_matrix(&[Currency::EUR, kwd]),
            Err(CrossError::Missing(kwd))
        );
        let extreme = r#"{"timestamp":"2026-02-04T10:30:00Z","base":"USD","rates":{"USD/EUR":1e-300,"USD/GBP":1e300},"source":"x"}"#;
        let snapshot = RateSnapshot::from_json(extreme.as_bytes()).unwrap();
        let gbp = Currency::parse("GBP").unwrap();
        let err = snapshot
            .cross_matrix(&[Currency::USD, Currency::EUR, gbp])
            .unwrap_err();
        let eur_gbp = Pair::new(Currency::EUR, gbp).unwrap();
        assert!(
            matches!(err, CrossError::OutOfRange { pair, .. } if pair == eur_gbp),
            "{err:?}"
        );
    }

    #[test]
    fn the_seed_message_round_trips_byte_for_byte() {
        let snapshot = RateSnapshot::from_json(SEED.as_bytes()).unwrap();
        assert_eq!(snapshot.rates.len(), 8);
        assert_eq!(snapshot.base, Currency::USD);
        assert_eq!(format_time(snapshot.timestamp), "2026-02-04T10:30:00Z");
        let out = String::from_utf8(snapshot.to_json()).unwrap();
        let seed: serde_json::Value = serde_json::from_str(SEED).unwrap();
        let ours: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(seed, ours);
    }

    #[test]
    fn added_fields_are_additive_and_the_seed_keys_stay() {
        let mut snapshot = RateSnapshot::from_json(SEED.as_bytes()).unwrap();
        let fetched = parse_time("2026-02-04T10:30:02.5Z").unwrap();
        snapshot.fetched_at = Some(fetched);
        let value: serde_json::Value = serde_json::from_slice(&snapshot.to_json()).unwrap();
        for key in ["timestamp", "base", "rates", "source"] {
            assert!(value.get(key).is_some(), "missing {key}");
        }
        assert_eq!(value["timestamp"], "2026-02-04T10:30:00Z");
        assert_eq!(value["fetched_at"], "2026-02-04T10:30:02.500Z");
        assert_eq!(value["rates"]["USD/EUR"], 0.847);
        let back = RateSnapshot::from_json(&snapshot.to_json()).unwrap();
        assert_eq!(back, snapshot);
    }

    #[test]
    fn a_python_isoformat_timestamp_without_zone_is_read_as_utc() {
        let json = SEED.replace("2026-02-04T10:30:00Z", "2026-02-04T10:30:00.123456");
        let snapshot = RateSnapshot::from_json(json.as_bytes()).unwrap();
        assert_eq!(
            format_time(snapshot.timestamp),
            "2026-02-04T10:30:00.123456Z"
        );
    }

    #[test]
    fn each_kind_of_bad_message_names_the_field() {
        let cases = [
            (SEED.replace("0.847", "-0.847"), "USD/EUR"),
            (SEED.replace("\"USD/GBP\"", "\"USD/XXX\""), "USD/XXX"),
            (SEED.replace("\"USD/GBP\"", "\"EUR/GBP\""), "EUR/GBP"),
            (
                SEED.replace("2026-02-04T10:30:00Z", "yesterday"),
                "timestamp",
            ),
            (SEED.replace("\"base\":\"USD\"", "\"base\":\"US\""), "base"),
            ("{\"timestamp\":1}".to_owned(), "JSON"),
            ("not json".to_owned(), "JSON"),
        ];
        for (json, needle) in cases {
            let err = RateSnapshot::from_json(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle}");
        }
    }

    #[test]
    fn a_cross_rate_divides_the_two_legs() {
        let snapshot = RateSnapshot::from_json(SEED.as_bytes()).unwrap();
        let eur_gbp = snapshot.cross(Pair::parse("EUR/GBP").unwrap()).unwrap();
        assert!((eur_gbp.get() - 0.789 / 0.847).abs() < 1e-15);
        let eur_usd = snapshot.cross(Pair::parse("EUR/USD").unwrap()).unwrap();
        assert!((eur_usd.get() - 1.0 / 0.847).abs() < 1e-15);
        let usd_eur = snapshot.cross(Pair::parse("USD/EUR").unwrap()).unwrap();
        assert_eq!(usd_eur.get(), 0.847);
        assert_eq!(
            snapshot.cross(Pair::parse("EUR/SEK").unwrap()),
            Err(CrossError::Missing(Currency::parse("SEK").unwrap()))
        );
    }
}
