//! Screening one fetch before it is published: only the tracked legs, invalid and missing
//! rates reported, absurd moves quarantined. What is left out is never published, so it
//! is never stored nor alerted on.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use fxmon_core::{Currency, Pair, Rate, RateSnapshot};

use super::jump::{JumpGuard, Verdict};
use crate::ports::FetchedRates;
use crate::source_health::SourceHealth;
use crate::tracked::Tracked;

/// The producer's screen: the tracked pairs and the memory of accepted rates.
pub(super) struct Screen {
    tracked: Tracked,
    guard: JumpGuard,
    /// The as-of time of the last screened update, so a provider answering the same data
    /// all day is reported once, not on every poll.
    last_as_of: Option<DateTime<Utc>>,
}

impl Screen {
    pub(super) fn new(tracked: Tracked, guard: JumpGuard) -> Self {
        Self {
            tracked,
            guard,
            last_as_of: None,
        }
    }

    /// The snapshot to publish, or `None` if no rate is left; reports and counts what was
    /// left out in `health`.
    pub(super) fn snapshot(
        &mut self,
        fetched: &FetchedRates,
        source: &str,
        health: &SourceHealth,
        now: DateTime<Utc>,
    ) -> Option<RateSnapshot> {
        let new_update = self.last_as_of != Some(fetched.as_of);
        self.last_as_of = Some(fetched.as_of);
        let wanted = self.tracked.currencies();
        if new_update {
            report_rejected(fetched, wanted.as_ref(), source, health);
            report_missing(fetched, wanted.as_ref(), source);
        }
        let mut rates = legs(fetched, wanted.as_ref());
        rates.retain(|pair, rate| self.admit(*pair, *rate, fetched.as_of, source, health));
        let mut snapshot = RateSnapshot::new(fetched.as_of, fetched.base, rates, source).ok()?;
        snapshot.fetched_at = Some(now);
        snapshot.next_update_at = fetched.next_update;
        Some(snapshot)
    }

    /// Whether the guard lets `rate` through; logs and counts it when it does not.
    fn admit(
        &mut self,
        pair: Pair,
        rate: Rate,
        as_of: DateTime<Utc>,
        source: &str,
        health: &SourceHealth,
    ) -> bool {
        let bound_pct = self.guard.bound().pct();
        match self.guard.check(pair, rate, as_of) {
            Verdict::Accepted => true,
            Verdict::Quarantined { repeated: true, .. } => false,
            Verdict::Quarantined {
                reference,
                moved_pct,
                seen,
                repeated: false,
            } => {
                health.quarantined(1);
                tracing::warn!(
                    source, %pair, old = reference, new = rate.get(), moved_pct, bound_pct, seen,
                    "Quarantined a rate that moved more than the jump bound; it is not published."
                );
                false
            }
            Verdict::Confirmed {
                reference,
                moved_pct,
            } => {
                tracing::warn!(
                    source, %pair, old = reference, new = rate.get(), moved_pct, bound_pct,
                    "Accepted a rate beyond the jump bound: the provider kept serving the new level."
                );
                true
            }
        }
    }
}

/// The legs (`base/X`) the tracked pairs need, or every leg when all are tracked.
fn legs(fetched: &FetchedRates, wanted: Option<&BTreeSet<Currency>>) -> BTreeMap<Pair, Rate> {
    fetched
        .rates
        .iter()
        .filter(|(currency, _)| wanted.is_none_or(|w| w.contains(currency)))
        .filter_map(|(currency, rate)| Some((Pair::new(fetched.base, *currency).ok()?, *rate)))
        .collect()
}

/// Tracked currencies the source skipped for an invalid value. An entry whose code is a
/// currency fxmon knows was skipped for its value (unknown codes are not rates we track).
fn rejected(fetched: &FetchedRates, wanted: Option<&BTreeSet<Currency>>) -> Vec<String> {
    fetched
        .skipped
        .iter()
        .filter(|entry| {
            let code = entry.split(':').next().unwrap_or_default().trim();
            Currency::parse(code)
                .is_ok_and(|c| c != fetched.base && wanted.is_none_or(|w| w.contains(&c)))
        })
        .cloned()
        .collect()
}

fn report_rejected(
    fetched: &FetchedRates,
    wanted: Option<&BTreeSet<Currency>>,
    source: &str,
    health: &SourceHealth,
) {
    let rejected = rejected(fetched, wanted);
    if rejected.is_empty() {
        return;
    }
    health.rejected(rejected.len() as u64);
    tracing::warn!(
        source,
        as_of = %fetched.as_of,
        rejected = %rejected.join("; "),
        "The provider sent invalid rates for tracked currencies; they are not published."
    );
}

/// A partial answer is published with the rates it has; the missing ones are named once
/// per provider update.
fn report_missing(fetched: &FetchedRates, wanted: Option<&BTreeSet<Currency>>, source: &str) {
    let Some(wanted) = wanted else { return };
    let missing: Vec<String> = wanted
        .iter()
        .filter(|c| **c != fetched.base && !fetched.rates.contains_key(c))
        .map(ToString::to_string)
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            source,
            as_of = %fetched.as_of,
            missing = %missing.join(","),
            "The provider's answer lacks tracked currencies; publishing the others."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::producer::jump::JumpBound;
    use chrono::TimeZone;

    fn fetched(hour: u32, rates: &[(&str, f64)], skipped: &[&str]) -> FetchedRates {
        FetchedRates {
            base: Currency::USD,
            as_of: Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).unwrap(),
            next_update: None,
            rates: rates
                .iter()
                .map(|(c, r)| (Currency::parse(c).unwrap(), Rate::new(*r).unwrap()))
                .collect(),
            skipped: skipped.iter().map(ToString::to_string).collect(),
        }
    }

    fn screen() -> Screen {
        let tracked = Tracked::parse("USD/EUR,USD/GBP,USD/JPY").unwrap();
        Screen::new(tracked, JumpGuard::new(JumpBound::default(), 3))
    }

    fn pairs(snapshot: &RateSnapshot) -> Vec<String> {
        snapshot.rates.keys().map(ToString::to_string).collect()
    }

    #[test]
    fn invalid_tracked_rates_are_counted_once_per_update_and_unknown_codes_not_at_all() {
        let (mut screen, health) = (screen(), SourceHealth::new("t"));
        let skipped = [
            "GBP: rate 0 must be",
            "JPY: rate -1 must be",
            "XYZ: not a currency",
        ];
        let answer = fetched(0, &[("EUR", 0.86)], &skipped);
        for _ in 0..3 {
            let snapshot = screen.snapshot(&answer, "t", &health, Utc::now()).unwrap();
            assert_eq!(pairs(&snapshot), ["USD/EUR"]);
        }
        assert_eq!(health.status().rejected_rates, 2);
    }

    #[test]
    fn a_partial_answer_is_published_with_the_rates_it_has() {
        let (mut screen, health) = (screen(), SourceHealth::new("t"));
        let answer = fetched(0, &[("EUR", 0.86), ("SEK", 10.0)], &[]);
        let snapshot = screen.snapshot(&answer, "t", &health, Utc::now()).unwrap();
        assert_eq!(pairs(&snapshot), ["USD/EUR"]);
        assert_eq!(health.status().rejected_rates, 0);
    }

    #[test]
    fn a_spike_is_left_out_counted_once_and_the_rest_published() {
        let (mut screen, health) = (screen(), SourceHealth::new("t"));
        let normal = fetched(0, &[("EUR", 0.86), ("GBP", 0.79)], &[]);
        screen.snapshot(&normal, "t", &health, Utc::now()).unwrap();
        let spike = fetched(1, &[("EUR", 86.0), ("GBP", 0.80)], &[]);
        for _ in 0..3 {
            let snapshot = screen.snapshot(&spike, "t", &health, Utc::now()).unwrap();
            assert_eq!(pairs(&snapshot), ["USD/GBP"]);
        }
        assert_eq!(health.status().quarantined_rates, 1);
    }

    #[test]
    fn a_snapshot_whose_every_rate_is_quarantined_is_not_published() {
        let (mut screen, health) = (screen(), SourceHealth::new("t"));
        screen.snapshot(&fetched(0, &[("EUR", 0.86)], &[]), "t", &health, Utc::now());
        let spike = fetched(1, &[("EUR", 0.086)], &[]);
        assert!(screen.snapshot(&spike, "t", &health, Utc::now()).is_none());
    }
}
