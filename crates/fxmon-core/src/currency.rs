//! ISO 4217 currency codes, validated once when parsed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::currency_table::CURRENCIES;

/// The codes of [`CURRENCIES`] as a set of three-letter codes, built when compiling:
/// parsing runs for every pair of every message, and a look-up here is one bit test
/// instead of a binary search by string comparison (94 ns per code before,
/// docs/BENCHMARKS.md).
static KNOWN: Codes = Codes::of(CURRENCIES);

/// A set of codes of three upper-case ASCII letters: one bit for each of the 26³.
struct Codes([u64; (26 * 26 * 26usize).div_ceil(64)]);

impl Codes {
    /// The set of `table`'s codes. A code that is not three upper-case letters fails the
    /// build.
    const fn of(table: &[(&str, &str)]) -> Self {
        let mut words = [0; (26 * 26 * 26usize).div_ceil(64)];
        let mut i = 0;
        while i < table.len() {
            let code = table[i].0.as_bytes();
            assert!(code.len() == 3, "a currency code has three letters");
            let code = [code[0], code[1], code[2]];
            assert!(
                code[0].is_ascii_uppercase()
                    && code[1].is_ascii_uppercase()
                    && code[2].is_ascii_uppercase(),
                "a currency code is upper case"
            );
            let bit = Self::bit(code);
            words[bit / 64] |= 1 << (bit % 64);
            i += 1;
        }
        Self(words)
    }

    /// The bit of `code`, which must be three upper-case ASCII letters.
    const fn bit(code: [u8; 3]) -> usize {
        let [a, b, c] = [code[0] - b'A', code[1] - b'A', code[2] - b'A'];
        (a as usize * 26 + b as usize) * 26 + c as usize
    }

    fn contains(&self, code: [u8; 3]) -> bool {
        let bit = Self::bit(code);
        self.0[bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// A known currency code such as `USD`. Only constructible from a code in the table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("currency code {0:?} must be three letters, like \"USD\"")]
    Malformed(String),
    #[error("currency code {0:?} is not an ISO 4217 code fxmon knows")]
    Unknown(String),
}

impl Currency {
    /// Parses a code, accepting any letter case (`usd` → `USD`).
    pub fn parse(input: &str) -> Result<Self, CurrencyError> {
        let trimmed = input.trim();
        let bytes = trimmed.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(CurrencyError::Malformed(input.to_owned()));
        }
        let code = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        if KNOWN.contains(code) {
            Ok(Self(code))
        } else {
            let upper = std::str::from_utf8(&code).expect("ASCII letters are UTF-8");
            Err(CurrencyError::Unknown(upper.to_owned()))
        }
    }

    /// The three letters, as bytes.
    pub(crate) fn letters(self) -> [u8; 3] {
        self.0
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("constructed from ASCII letters")
    }

    /// The English name, e.g. "Euro".
    pub fn name(&self) -> &'static str {
        let index = CURRENCIES
            .binary_search_by(|(c, _)| (*c).cmp(self.code()))
            .expect("constructed from the table");
        CURRENCIES[index].1
    }

    /// Every currency fxmon knows, sorted by code.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|(code, _)| Currency::parse(code).expect("table holds valid codes"))
    }

    /// The US dollar, the base of the seed's snapshots.
    pub const USD: Currency = Currency(*b"USD");
    /// The euro, the base of the ECB's reference rates.
    pub const EUR: Currency = Currency(*b"EUR");
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_code_parses_in_any_case() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert_eq!(Currency::parse(" EUR ").unwrap().code(), "EUR");
        assert_eq!(Currency::parse("JPY").unwrap().name(), "Japanese Yen");
    }

    #[test]
    fn a_malformed_or_unknown_code_is_rejected_with_its_reason() {
        assert_eq!(
            Currency::parse("US"),
            Err(CurrencyError::Malformed("US".into()))
        );
        assert_eq!(
            Currency::parse("U5D"),
            Err(CurrencyError::Malformed("U5D".into()))
        );
        assert_eq!(
            Currency::parse("ABC"),
            Err(CurrencyError::Unknown("ABC".into()))
        );
        assert!(Currency::parse("ABC")
            .unwrap_err()
            .to_string()
            .contains("ISO 4217"));
    }

    #[test]
    fn the_table_is_sorted_so_binary_search_finds_every_code() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(Currency::all().count(), CURRENCIES.len());
    }

    /// The set answers exactly the table's codes, over every three-letter code there is.
    #[test]
    fn exactly_the_codes_of_the_table_are_known() {
        let mut known = 0;
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                for c in b'A'..=b'Z' {
                    let code = [a, b, c];
                    let text = std::str::from_utf8(&code).unwrap();
                    let in_table = CURRENCIES.iter().any(|(listed, _)| *listed == text);
                    assert_eq!(Currency::parse(text).is_ok(), in_table, "{text}");
                    known += usize::from(in_table);
                }
            }
        }
        assert_eq!(known, CURRENCIES.len());
    }

    #[test]
    fn currencies_serialize_as_their_code() {
        let json = serde_json::to_string(&Currency::EUR).unwrap();
        assert_eq!(json, "\"EUR\"");
        let back: Currency = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Currency::EUR);
        assert!(serde_json::from_str::<Currency>("\"XXX\"").is_err());
    }
}
