//! A rate: a finite, strictly positive price of one currency in another.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A finite rate greater than zero. `Rate::new` is the only way to make one.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate(f64);

/// Why a number is not a rate.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("rate {0} must be a finite number greater than zero")]
pub struct RateError(pub f64);

impl Rate {
    /// Accepts finite values > 0.
    pub fn new(value: f64) -> Result<Self, RateError> {
        if value.is_finite() && value > 0.0 {
            Ok(Self(value))
        } else {
            Err(RateError(value))
        }
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }

    /// 1 / rate: the price of the other currency. Finite and > 0 again unless it overflows.
    pub fn inverse(self) -> Result<Self, RateError> {
        Self::new(1.0 / self.0)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Rate::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finite_positive_numbers_are_rates() {
        assert_eq!(Rate::new(0.847).unwrap().get(), 0.847);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(Rate::new(bad).is_err(), "{bad} accepted");
        }
        assert!(Rate::new(-2.0).unwrap_err().to_string().contains("-2"));
    }

    #[test]
    fn deserializing_rejects_a_non_positive_rate() {
        assert!(serde_json::from_str::<Rate>("0").is_err());
        assert!(serde_json::from_str::<Rate>("1.5").is_ok());
    }
}
