//! Key names: the seed's, plus fxmon's hashes, all behind one deployment prefix.

use fxmon_core::Pair;

/// Builds every key of one deployment; the prefix is prepended verbatim.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The seed's latest rate of a tracked pair (string).
    pub(super) fn current_rate(&self, pair: Pair) -> String {
        self.key("current_rate", pair)
    }

    /// The seed's level volatility (string), absent while unknown.
    pub(super) fn volatility(&self, pair: Pair) -> String {
        self.key("volatility", pair)
    }

    /// The seed's last rates, newest first (list).
    pub(super) fn history(&self, pair: Pair) -> String {
        self.key("history", pair)
    }

    /// fxmon's whole quote (hash): what `RateCache::quote` reads.
    pub(super) fn quote(&self, pair: Pair) -> String {
        self.key("quote", pair)
    }

    /// The seed's cross rate (string).
    pub(super) fn cross_rate(&self, pair: Pair) -> String {
        self.key("cross_rate", pair)
    }

    /// fxmon's cross rate with its as-of time (hash): what `RateCache::cross_rate` reads.
    pub(super) fn cross(&self, pair: Pair) -> String {
        self.key("cross", pair)
    }

    fn key(&self, kind: &str, pair: Pair) -> String {
        format!("{}{kind}:{pair}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_then_the_seeds_name_then_the_pair() {
        let keys = Keys::new("fxmon:");
        let pair = Pair::parse("USD/EUR").unwrap();
        assert_eq!(keys.current_rate(pair), "fxmon:current_rate:USD/EUR");
        assert_eq!(keys.volatility(pair), "fxmon:volatility:USD/EUR");
        assert_eq!(keys.history(pair), "fxmon:history:USD/EUR");
        assert_eq!(keys.cross_rate(pair), "fxmon:cross_rate:USD/EUR");
        assert_eq!(Keys::new("").quote(pair), "quote:USD/EUR");
    }
}
