//! Currency pairs: `USD/EUR` means 1 USD = r EUR (the seed's convention).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency::{Currency, CurrencyError};

/// An ordered pair of two different currencies. Displays canonically as `BASE/QUOTE`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    base: Currency,
    quote: Currency,
}

/// One word: the six letters packed, so a hash costs one step of [`PairHasher`].
impl std::hash::Hash for Pair {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut word = [0u8; 8];
        word[..3].copy_from_slice(&self.base.letters());
        word[3..6].copy_from_slice(&self.quote.letters());
        state.write_u64(u64::from_le_bytes(word));
    }
}

/// A hash map keyed by pair, with a cheap hash of the pair's six letters (FxHash's
/// multiply-rotate step) instead of SipHash: the processor and the caches look pairs up
/// dozens of times per snapshot. Keys are validated currency codes from a fixed table, so
/// a flooding-resistant hash buys nothing here.
pub type PairMap<V> = std::collections::HashMap<Pair, V, std::hash::BuildHasherDefault<PairHasher>>;

/// The hasher of [`PairMap`].
#[derive(Default)]
pub struct PairHasher(u64);

impl PairHasher {
    fn step(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.step(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.step(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.step(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Why a string is not a currency pair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    #[error("pair {0:?} must look like \"USD/EUR\" (also accepted: USD-EUR, USDEUR, USD%2FEUR)")]
    Malformed(String),
    #[error("pair {input:?}: {source}")]
    Currency {
        input: String,
        source: CurrencyError,
    },
    #[error("pair {0:?} names the same currency twice")]
    SameCurrency(String),
}

impl Pair {
    /// Builds a pair from two currencies; they must differ.
    pub fn new(base: Currency, quote: Currency) -> Result<Self, PairError> {
        if base == quote {
            return Err(PairError::SameCurrency(format!("{base}/{quote}")));
        }
        Ok(Self { base, quote })
    }

    /// Parses `USD/EUR`, `USD-EUR`, `USDEUR` or the URL-encoded `USD%2FEUR`, any case.
    pub fn parse(input: &str) -> Result<Self, PairError> {
        let trimmed = input.trim();
        let (base, quote) = split(trimmed).ok_or_else(|| PairError::Malformed(input.to_owned()))?;
        let currency = |code: &str| {
            Currency::parse(code).map_err(|source| PairError::Currency {
                input: input.to_owned(),
                source,
            })
        };
        Pair::new(currency(base)?, currency(quote)?)
    }

    /// The currency being priced (1 unit of it).
    pub fn base(&self) -> Currency {
        self.base
    }

    /// The currency the price is expressed in.
    pub fn quote(&self) -> Currency {
        self.quote
    }

    /// The same two currencies the other way round.
    pub fn inverse(&self) -> Pair {
        Pair {
            base: self.quote,
            quote: self.base,
        }
    }
}

/// Splits the accepted spellings into two three-character codes.
fn split(input: &str) -> Option<(&str, &str)> {
    for separator in ["/", "-", "%2F", "%2f"] {
        if let Some((base, quote)) = input.split_once(separator) {
            return Some((base, quote));
        }
    }
    if input.len() == 6 && input.is_ascii() {
        return Some(input.split_at(3));
    }
    None
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

impl FromStr for Pair {
    type Err = PairError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Pair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Pair::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_spelling_parses_to_the_canonical_pair() {
        for input in [
            "USD/EUR",
            "USD-EUR",
            "USDEUR",
            "USD%2FEUR",
            "usd%2feur",
            " usd/eur ",
        ] {
            let pair = Pair::parse(input).unwrap();
            assert_eq!(pair.to_string(), "USD/EUR", "input {input:?}");
        }
    }

    #[test]
    fn a_bad_pair_names_what_is_wrong() {
        assert_eq!(Pair::parse("USD"), Err(PairError::Malformed("USD".into())));
        assert_eq!(
            Pair::parse("USD/USD"),
            Err(PairError::SameCurrency("USD/USD".into()))
        );
        let err = Pair::parse("USD/XYZ").unwrap_err();
        assert!(err.to_string().contains("XYZ"), "{err}");
        assert!(Pair::parse("USD/EURO").is_err());
        assert!(Pair::parse("USD_EUR").is_err());
    }

    #[test]
    fn the_inverse_swaps_base_and_quote() {
        let pair = Pair::parse("EUR/GBP").unwrap();
        assert_eq!(pair.inverse().to_string(), "GBP/EUR");
        assert_eq!(pair.inverse().inverse(), pair);
    }

    #[test]
    fn pairs_serialize_as_canonical_strings() {
        let pair: Pair = serde_json::from_str("\"usd-jpy\"").unwrap();
        assert_eq!(serde_json::to_string(&pair).unwrap(), "\"USD/JPY\"");
    }
}
