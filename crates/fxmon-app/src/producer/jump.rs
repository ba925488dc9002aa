//! Quarantine of absurd moves: a rate that moved more than a bound from the last accepted
//! rate of its pair is held back, unless the provider keeps serving the new level.
//!
//! Provider glitches are usually wild (a rate ×100, a missing decimal, two currencies
//! swapped) while real daily moves of even the wildest currencies stay within a few tens
//! of percent. A real regime change (a devaluation) is accepted once the provider has
//! served the new level for several consecutive updates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fxmon_core::{Pair, Rate};

/// Default bound of a move between two accepted rates of a pair, in percent. Above the
/// largest one-day moves of traded currencies (the Swiss franc in January 2015 ~20 %, the
/// rouble in March 2022 ~30 % intraday), far below the ×10 or ×100 of a glitch.
pub const DEFAULT_MAX_JUMP_PCT: f64 = 25.0;

/// Default number of consecutive provider updates at a new level that make it accepted.
pub const DEFAULT_JUMP_CONFIRMATIONS: u32 = 3;

/// The largest move, in percent, accepted between two rates of a pair: finite and > 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JumpBound(f64);

/// Why a number is not a jump bound.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("the maximum jump {0} must be a finite percentage greater than zero")]
pub struct JumpBoundError(pub f64);

impl JumpBound {
    /// Accepts finite percentages > 0.
    pub fn new(pct: f64) -> Result<Self, JumpBoundError> {
        if pct.is_finite() && pct > 0.0 {
            Ok(Self(pct))
        } else {
            Err(JumpBoundError(pct))
        }
    }

    /// The bound in percent.
    pub fn pct(self) -> f64 {
        self.0
    }

    fn exceeded_by(self, moved_pct: f64) -> bool {
        moved_pct > self.0
    }
}

impl Default for JumpBound {
    fn default() -> Self {
        Self(DEFAULT_MAX_JUMP_PCT)
    }
}

/// The move from `old` to `new` in percent: |new / old − 1| × 100.
pub fn move_pct(old: f64, new: f64) -> f64 {
    (new / old - 1.0).abs() * 100.0
}

/// What the guard decided about one rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Within the bound of the reference (or the pair's first rate): publish it; it is the
    /// new reference.
    Accepted,
    /// Beyond the bound: hold it back; the reference stays. `seen` counts the consecutive
    /// provider updates at this level so far; `repeated` is true when this very update was
    /// already judged (the provider answered the same data again), so it is not reported twice.
    Quarantined {
        reference: f64,
        moved_pct: f64,
        seen: u32,
        repeated: bool,
    },
    /// Beyond the bound of the old reference, but served for the required number of
    /// consecutive updates: accepted as a real change and the new reference.
    Confirmed { reference: f64, moved_pct: f64 },
}

/// A level beyond the bound, waiting for confirmation.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    level: f64,
    as_of: DateTime<Utc>,
    seen: u32,
}

/// Remembers the last accepted rate of each pair and judges new ones against it.
#[derive(Debug, Clone)]
pub struct JumpGuard {
    bound: JumpBound,
    confirmations: u32,
    accepted: HashMap<Pair, f64>,
    candidates: HashMap<Pair, Candidate>,
}

impl JumpGuard {
    /// A guard with no reference yet: the first rate of each pair is accepted as it is.
    /// `confirmations` (at least 1) consecutive updates at a new level accept it.
    pub fn new(bound: JumpBound, confirmations: u32) -> Self {
        Self {
            bound,
            confirmations: confirmations.max(1),
            accepted: HashMap::new(),
            candidates: HashMap::new(),
        }
    }

    /// The bound this guard applies.
    pub fn bound(&self) -> JumpBound {
        self.bound
    }

    /// Judges `rate` of `pair` from the provider update of `as_of`. Only updates with a
    /// newer as-of time count as confirmations: a provider that serves the same data all
    /// day confirms nothing by being polled again.
    pub fn check(&mut self, pair: Pair, rate: Rate, as_of: DateTime<Utc>) -> Verdict {
        let new = rate.get();
        let Some(&reference) = self.accepted.get(&pair) else {
            self.accept(pair, new);
            return Verdict::Accepted;
        };
        let moved_pct = move_pct(reference, new);
        if !self.bound.exceeded_by(moved_pct) {
            self.accept(pair, new);
            return Verdict::Accepted;
        }
        let (seen, repeated) = self.note_candidate(pair, new, as_of);
        if seen >= self.confirmations {
            self.accept(pair, new);
            return Verdict::Confirmed {
                reference,
                moved_pct,
            };
        }
        Verdict::Quarantined {
            reference,
            moved_pct,
            seen,
            repeated,
        }
    }

    /// Counts `new` towards its pair's candidate level; returns the count and whether this
    /// update was already counted.
    fn note_candidate(&mut self, pair: Pair, new: f64, as_of: DateTime<Utc>) -> (u32, bool) {
        let bound = self.bound;
        let next = match self.candidates.get(&pair) {
            Some(c) if c.as_of == as_of && c.level == new => return (c.seen, true),
            Some(c) if c.as_of < as_of && !bound.exceeded_by(move_pct(c.level, new)) => {
                c.seen.saturating_add(1)
            }
            _ => 1,
        };
        self.candidates.insert(
            pair,
            Candidate {
                level: new,
                as_of,
                seen: next,
            },
        );
        (next, false)
    }

    fn accept(&mut self, pair: Pair, rate: f64) {
        self.accepted.insert(pair, rate);
        // A rate within the bound breaks any run of confirmations of another level.
        self.candidates.remove(&pair);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn pair() -> Pair {
        Pair::parse("USD/EUR").unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap()
    }

    fn check(guard: &mut JumpGuard, rate: f64, minute: u32) -> Verdict {
        guard.check(pair(), Rate::new(rate).unwrap(), at(minute))
    }

    fn guard() -> JumpGuard {
        JumpGuard::new(JumpBound::new(25.0).unwrap(), 3)
    }

    #[test]
    fn a_bound_must_be_a_finite_positive_percentage() {
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert!(JumpBound::new(bad).is_err(), "{bad}");
        }
        assert_eq!(JumpBound::new(0.5).unwrap().pct(), 0.5);
        assert_eq!(JumpBound::default().pct(), DEFAULT_MAX_JUMP_PCT);
    }

    #[test]
    fn the_move_is_symmetric_in_direction_but_relative_to_the_old_rate() {
        assert!((move_pct(1.0, 1.3) - 30.0).abs() < 1e-9);
        assert!((move_pct(1.0, 0.7) - 30.0).abs() < 1e-9);
        assert!((move_pct(0.86, 86.0) - 9900.0).abs() < 1e-6);
    }

    #[test]
    fn the_first_rate_is_accepted_and_moves_within_the_bound_follow_it() {
        let mut guard = guard();
        assert_eq!(check(&mut guard, 0.86, 0), Verdict::Accepted);
        assert_eq!(check(&mut guard, 1.07, 1), Verdict::Accepted, "+24.4 %");
        assert_eq!(
            check(&mut guard, 1.30, 2),
            Verdict::Accepted,
            "+21.5 % of 1.07"
        );
    }

    #[test]
    fn a_spike_is_quarantined_and_does_not_become_the_reference() {
        let mut guard = guard();
        check(&mut guard, 0.86, 0);
        let Verdict::Quarantined {
            reference,
            moved_pct,
            seen,
            repeated,
        } = check(&mut guard, 86.0, 1)
        else {
            panic!("a ×100 spike must be quarantined");
        };
        assert_eq!((reference, seen, repeated), (0.86, 1, false));
        assert!(moved_pct > 9000.0);
        assert_eq!(check(&mut guard, 0.87, 2), Verdict::Accepted);
    }

    #[test]
    fn the_same_update_polled_again_is_a_repeat_not_a_confirmation() {
        let mut guard = guard();
        check(&mut guard, 0.86, 0);
        check(&mut guard, 86.0, 1);
        for _ in 0..5 {
            assert!(matches!(
                check(&mut guard, 86.0, 1),
                Verdict::Quarantined {
                    seen: 1,
                    repeated: true,
                    ..
                }
            ));
        }
    }

    #[test]
    fn a_level_served_for_three_consecutive_updates_is_accepted() {
        let mut guard = guard();
        check(&mut guard, 10.0, 0);
        assert!(matches!(
            check(&mut guard, 20.0, 1),
            Verdict::Quarantined { seen: 1, .. }
        ));
        assert!(matches!(
            check(&mut guard, 20.4, 2),
            Verdict::Quarantined { seen: 2, .. }
        ));
        let Verdict::Confirmed { reference, .. } = check(&mut guard, 20.2, 3) else {
            panic!("the third update at the new level is accepted");
        };
        assert_eq!(reference, 10.0);
        assert_eq!(check(&mut guard, 20.5, 4), Verdict::Accepted);
    }

    #[test]
    fn a_normal_rate_in_between_restarts_the_count() {
        let mut guard = guard();
        check(&mut guard, 10.0, 0);
        check(&mut guard, 20.0, 1);
        check(&mut guard, 20.0, 2);
        assert_eq!(check(&mut guard, 10.1, 3), Verdict::Accepted);
        assert!(matches!(
            check(&mut guard, 20.0, 4),
            Verdict::Quarantined { seen: 1, .. }
        ));
    }

    #[test]
    fn a_different_wild_level_restarts_the_count() {
        let mut guard = guard();
        check(&mut guard, 10.0, 0);
        check(&mut guard, 20.0, 1);
        check(&mut guard, 20.0, 2);
        assert!(matches!(
            check(&mut guard, 1000.0, 3),
            Verdict::Quarantined { seen: 1, .. }
        ));
    }

    #[test]
    fn pairs_are_judged_apart() {
        let mut guard = guard();
        let gbp = Pair::parse("USD/GBP").unwrap();
        check(&mut guard, 0.86, 0);
        assert_eq!(
            guard.check(gbp, Rate::new(86.0).unwrap(), at(0)),
            Verdict::Accepted,
            "the first GBP rate has no reference"
        );
    }
}
