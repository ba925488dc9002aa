//! Which pairs the system tracks: quotes and volatility are kept for these.

use std::collections::BTreeSet;

use fxmon_core::{Currency, Pair, PairError, RateSnapshot};

/// The tracked pairs: an explicit list (crosses allowed), or every currency the provider returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// `base/X` for every X in each snapshot.
    All,
    /// These pairs, in this order.
    Pairs(Vec<Pair>),
}

impl Tracked {
    /// The seed's eight pairs.
    pub fn seed_default() -> Self {
        Self::parse("USD/EUR,USD/GBP,USD/JPY,USD/CAD,USD/AUD,USD/CHF,USD/CNY,USD/INR")
            .expect("the seed's pairs are valid")
    }

    /// Parses `all` or a comma-separated list of pairs; duplicates are dropped.
    pub fn parse(input: &str) -> Result<Self, PairError> {
        if input.trim().eq_ignore_ascii_case("all") {
            return Ok(Self::All);
        }
        let mut pairs: Vec<Pair> = Vec::new();
        for part in input.split(',').filter(|p| !p.trim().is_empty()) {
            let pair = Pair::parse(part)?;
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        if pairs.is_empty() {
            return Err(PairError::Malformed(input.to_owned()));
        }
        Ok(Self::Pairs(pairs))
    }

    /// The tracked pairs given a snapshot (which decides what `All` means).
    pub fn pairs_in(&self, snapshot: &RateSnapshot) -> Vec<Pair> {
        match self {
            Tracked::All => snapshot.rates.keys().copied().collect(),
            Tracked::Pairs(pairs) => pairs.clone(),
        }
    }

    /// Whether the processor keeps `pair` fresh in the cache (for `All`: any `USD/X`, the
    /// legs of the providers fxmon polls).
    pub fn includes(&self, pair: Pair) -> bool {
        match self {
            Tracked::All => pair.base() == Currency::USD,
            Tracked::Pairs(pairs) => pairs.contains(&pair),
        }
    }

    /// Every currency named by a tracked pair, or `None` for `All`.
    pub fn currencies(&self) -> Option<BTreeSet<Currency>> {
        match self {
            Tracked::All => None,
            Tracked::Pairs(pairs) => {
                Some(pairs.iter().flat_map(|p| [p.base(), p.quote()]).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_lists_parse_and_duplicates_collapse() {
        assert_eq!(Tracked::parse("ALL").unwrap(), Tracked::All);
        let Tracked::Pairs(pairs) = Tracked::parse("USD/EUR, usd-eur,EURGBP").unwrap() else {
            panic!("expected a list");
        };
        let names: Vec<String> = pairs.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["USD/EUR", "EUR/GBP"]);
        assert!(Tracked::parse("USD/EUR,USD/XYZ").is_err());
        assert!(Tracked::parse(" , ").is_err());
    }

    #[test]
    fn the_default_is_the_seeds_eight_pairs() {
        let Tracked::Pairs(pairs) = Tracked::seed_default() else {
            panic!()
        };
        assert_eq!(pairs.len(), 8);
        assert_eq!(Tracked::seed_default().currencies().unwrap().len(), 9);
    }
}
