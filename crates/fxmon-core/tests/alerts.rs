//! Alert conditions at their edges, one-episode-one-notification timelines, and the index
//! against a plain scan.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use fxmon_core::alert::{scan, step, Direction, Frequency, Metric, Metrics, Step};
use fxmon_core::{AlertRule, Condition, Pair, RuleIndex, RuleState};
use proptest::prelude::*;

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + seconds, 0).unwrap()
}

fn eur() -> Pair {
    Pair::parse("USD/EUR").unwrap()
}

fn rule(condition: Condition, threshold: f64) -> AlertRule {
    let mut rule = AlertRule::new(1, eur(), condition, threshold);
    rule.cooldown_seconds = 0;
    if condition == Condition::ChangePct {
        rule.window_seconds = Some(3600);
    }
    rule
}

/// Runs values through one rule at one-minute steps; returns what each did.
fn run(rule: &AlertRule, values: &[f64]) -> Vec<Step> {
    let mut state = RuleState::initial(rule);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| step(rule, &mut state, *v, t(60 * i as i64)))
        .collect()
}

fn fired(steps: &[Step]) -> Vec<usize> {
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == Step::Fired)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn above_and_below_are_strict_and_fire_on_the_first_observation_past_the_level() {
    assert_eq!(
        fired(&run(&rule(Condition::Above, 1.0), &[1.0, 1.0001])),
        [1]
    );
    assert_eq!(
        fired(&run(&rule(Condition::Above, 1.0), &[1.2])),
        [0],
        "already above at creation"
    );
    assert_eq!(
        fired(&run(&rule(Condition::Below, 1.0), &[1.0, 0.9999])),
        [1]
    );
}

#[test]
fn a_crossing_needs_an_observation_on_the_near_side_first() {
    let up = rule(Condition::CrossesAbove, 1.0);
    assert_eq!(
        fired(&run(&up, &[1.2, 1.3, 1.1])),
        Vec::<usize>::new(),
        "already past at creation"
    );
    assert_eq!(fired(&run(&up, &[1.2, 0.9, 1.1])), [2]);
    assert_eq!(
        fired(&run(&up, &[1.0, 1.0001])),
        [1],
        "from exactly the level"
    );
    assert_eq!(
        fired(&run(&up, &[0.9, 1.0])),
        Vec::<usize>::new(),
        "reaching the level is not crossing it"
    );
    let down = rule(Condition::CrossesBelow, 1.0);
    assert_eq!(fired(&run(&down, &[0.8, 1.1, 0.99, 1.0, 0.98])), [2, 4]);
}

#[test]
fn change_pct_fires_on_moves_of_at_least_the_threshold_in_its_direction() {
    let mut up = rule(Condition::ChangePct, 1.0);
    up.direction = Some(Direction::Up);
    assert_eq!(
        fired(&run(&up, &[0.5, 0.99, 1.0, -3.0])),
        [2],
        "at least 1%, up only"
    );
    let mut down = up.clone();
    down.direction = Some(Direction::Down);
    assert_eq!(fired(&run(&down, &[0.5, -1.0, 2.0])), [1]);
    let either = rule(Condition::ChangePct, 1.0);
    assert_eq!(fired(&run(&either, &[-1.5, 0.0, 1.0])), [0, 2]);
}

#[test]
fn volatility_above_is_strict() {
    assert_eq!(
        fired(&run(
            &rule(Condition::VolatilityAbove, 0.01),
            &[0.01, 0.0101]
        )),
        [1]
    );
}

#[test]
fn one_episode_gives_one_notification_and_the_rule_rearms_once_the_condition_clears() {
    let below = rule(Condition::Below, 0.85);
    let steps = run(&below, &[0.86, 0.84, 0.83, 0.84, 0.85, 0.84]);
    assert_eq!(fired(&steps), [1, 5]);
    assert_eq!(
        steps[4],
        Step::Rearmed,
        "at the level the condition is false again"
    );
}

#[test]
fn hysteresis_delays_rearming_until_the_rate_is_back_past_the_band() {
    let mut above = rule(Condition::Above, 1.0);
    above.hysteresis = 0.05;
    let steps = run(&above, &[1.01, 0.97, 1.02, 0.95, 1.01]);
    assert_eq!(
        fired(&steps),
        [0, 4],
        "0.97 is inside the band; 0.95 is its edge"
    );
    assert_eq!(steps[3], Step::Rearmed);
}

#[test]
fn the_cooldown_holds_a_new_episode_and_fires_it_when_it_ends_if_still_met() {
    let mut below = rule(Condition::Below, 0.85);
    below.cooldown_seconds = 600; // ten one-minute steps
    let mut values = vec![0.84, 0.86, 0.84]; // fires, clears, met again inside the cooldown
    values.extend([0.84; 8]); // still met through the cooldown
    let steps = run(&below, &values);
    assert_eq!(steps[2], Step::Held);
    assert_eq!(fired(&steps), [0, 10], "held until 600 s after the first");
    let mut short = vec![0.84, 0.86, 0.84, 0.86];
    short.extend([0.86; 10]);
    assert_eq!(
        fired(&run(&below, &short)),
        [0],
        "an episode that ended inside the cooldown is not notified"
    );
}

#[test]
fn an_expired_rule_never_fires() {
    let mut above = rule(Condition::Above, 1.0);
    above.expires_at = Some(t(60));
    assert_eq!(run(&above, &[0.9, 1.1]), [Step::Unchanged, Step::Expired]);
}

#[test]
fn validation_names_the_field_at_fault() {
    let cases = [
        (rule(Condition::Above, -1.0), "threshold"),
        (rule(Condition::Above, f64::NAN), "threshold"),
        (
            AlertRule::new(1, eur(), Condition::ChangePct, 1.0),
            "window_seconds",
        ),
        (
            AlertRule {
                window_seconds: Some(60),
                ..rule(Condition::Above, 1.0)
            },
            "window_seconds",
        ),
        (
            AlertRule {
                direction: Some(Direction::Up),
                ..rule(Condition::Above, 1.0)
            },
            "direction",
        ),
        (
            AlertRule {
                hysteresis: 1.0,
                ..rule(Condition::Above, 1.0)
            },
            "hysteresis",
        ),
        (
            AlertRule {
                hysteresis: -0.1,
                ..rule(Condition::Above, 1.0)
            },
            "hysteresis",
        ),
    ];
    for (rule, field) in cases {
        assert_eq!(rule.validate().unwrap_err().field(), field, "{rule:?}");
    }
    assert!(rule(Condition::ChangePct, 2.5).validate().is_ok());
}

/// Metric values of one observation: the rate, the volatility, and change over any window
/// (here a deterministic function of the rate, so the test stays simple).
struct Observed {
    rate: f64,
    volatility: Option<f64>,
}

impl Metrics for Observed {
    fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Rate => Some(self.rate),
            Metric::Volatility => self.volatility,
            Metric::ChangePct { window_seconds } => {
                Some((self.rate - 1.0) * 100.0 * f64::from(window_seconds) / 3600.0)
            }
        }
    }
}

fn rule_strategy() -> impl Strategy<Value = AlertRule> {
    let condition = prop::sample::select(Condition::ALL.to_vec());
    let direction = prop::sample::select(vec![Direction::Up, Direction::Down, Direction::Either]);
    (
        condition,
        direction,
        0.9f64..1.1,
        0.0f64..0.02,
        prop::sample::select(vec![0u32, 120, 600]),
        prop::sample::select(vec![1800u32, 3600]),
        any::<bool>(),
    )
        .prop_map(|(condition, direction, level, h, cooldown, window, once)| {
            let mut rule = AlertRule::new(0, Pair::parse("USD/EUR").unwrap(), condition, level);
            match condition {
                Condition::ChangePct => {
                    rule.threshold = (level - 0.85) * 20.0; // 1..5 %
                    rule.window_seconds = Some(window);
                    rule.direction = Some(direction);
                }
                Condition::VolatilityAbove => rule.threshold = (level - 0.85) / 10.0,
                _ => {}
            }
            rule.hysteresis = h.min(rule.threshold / 2.0);
            rule.cooldown_seconds = cooldown;
            rule.frequency = if once {
                Frequency::Once
            } else {
                Frequency::Recurring
            };
            rule
        })
}

proptest! {
    #[test]
    fn the_index_fires_exactly_what_a_full_scan_fires(
        rules in prop::collection::vec(rule_strategy(), 1..60),
        path in prop::collection::vec((0.85f64..1.15, prop::option::of(0.0f64..0.03)), 1..40),
    ) {
        let mut scanned: Vec<(AlertRule, RuleState)> = rules
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| { r.id = i as i64; let s = RuleState::initial(&r); (r, s) })
            .collect();
        let mut index = RuleIndex::build(scanned.clone());
        let mut retired: BTreeMap<i64, ()> = BTreeMap::new();
        for (i, (rate, volatility)) in path.into_iter().enumerate() {
            let at = t(60 * i as i64);
            let observed = Observed { rate, volatility };
            let by_index = index.evaluate(eur(), at, &observed);
            // The scan treats once-rules and expiry the same way by leaving retired rules out.
            scanned.retain(|(r, _)| !retired.contains_key(&r.id));
            let by_scan = scan(&mut scanned, eur(), at, &observed);
            prop_assert_eq!(&by_index.fired, &by_scan, "at step {}", i);
            for id in &by_index.retired {
                retired.insert(*id, ());
            }
            for (rule, state) in &scanned {
                if let Some((_, indexed)) = index.get(rule.id) {
                    prop_assert_eq!(indexed, state, "rule {} at step {}", rule.id, i);
                }
            }
        }
    }

    #[test]
    fn a_replayed_observation_changes_nothing(
        rules in prop::collection::vec(rule_strategy(), 1..30),
        rates in prop::collection::vec(0.85f64..1.15, 2..20),
    ) {
        let rules: Vec<(AlertRule, RuleState)> = rules
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| { r.id = i as i64; let s = RuleState::initial(&r); (r, s) })
            .collect();
        let mut index = RuleIndex::build(rules);
        for (i, rate) in rates.iter().enumerate() {
            index.evaluate(eur(), t(60 * i as i64), &Observed { rate: *rate, volatility: Some(0.01) });
        }
        for (i, rate) in rates.iter().enumerate() {
            let again = index.evaluate(eur(), t(60 * i as i64), &Observed { rate: *rate, volatility: Some(0.01) });
            prop_assert_eq!(again, Default::default());
        }
    }
}

#[test]
fn a_gap_in_the_data_leaves_rules_as_they_were() {
    let mut index = RuleIndex::build([(
        rule(Condition::VolatilityAbove, 0.01),
        RuleState::initial(&rule(Condition::VolatilityAbove, 0.01)),
    )]);
    let none = index.evaluate(
        eur(),
        t(0),
        &Observed {
            rate: 1.0,
            volatility: None,
        },
    );
    assert_eq!(none, Default::default());
    let fired = index.evaluate(
        eur(),
        t(60),
        &Observed {
            rate: 1.0,
            volatility: Some(0.02),
        },
    );
    assert_eq!(fired.fired.len(), 1);
}

#[test]
fn a_once_rule_leaves_the_index_after_firing() {
    let mut once = rule(Condition::Above, 1.0);
    once.frequency = Frequency::Once;
    let mut index = RuleIndex::build([(once.clone(), RuleState::initial(&once))]);
    let first = index.evaluate(
        eur(),
        t(0),
        &Observed {
            rate: 1.1,
            volatility: None,
        },
    );
    assert_eq!((first.fired.len(), first.retired.clone()), (1, vec![1]));
    assert!(index.is_empty());
    let _ = TimeDelta::zero();
}
