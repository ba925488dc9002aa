//! Evaluating one 8-pair snapshot against 1,000,000 active alert rules, ~0.1 % of which
//! fire: through the `RuleIndex`, and with a plain scan of every rule. Method and results:
//! docs/BENCHMARKS.md.

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use fxmon_core::alert::{scan, Metric, Metrics};
use fxmon_core::{AlertRule, Condition, Pair, RuleIndex, RuleState};

const RULES: usize = 1_000_000;
const PAIRS: [(&str, f64); 8] = [
    ("USD/EUR", 0.86),
    ("USD/GBP", 0.75),
    ("USD/JPY", 157.0),
    ("USD/CAD", 1.39),
    ("USD/AUD", 1.42),
    ("USD/CHF", 0.82),
    ("USD/CNY", 7.1),
    ("USD/INR", 88.5),
];
/// The move of every pair between the two snapshots: 4 basis points up. Thresholds are
/// spread uniformly over ±10 % of the rate and half the rules fire on an upward cross, so
/// 0.5 × 0.0004 / 0.2 = 0.1 % of the rules fire.
const MOVE: f64 = 1.0004;

struct Rate(f64);

impl Metrics for Rate {
    fn value(&self, metric: Metric) -> Option<f64> {
        matches!(metric, Metric::Rate).then_some(self.0)
    }
}

fn at(second: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + second, 0).unwrap()
}

/// Rules spread over the pairs: 40 % above, 40 % below, 10 % crosses above, 10 % crosses
/// below, thresholds on an even grid over ±10 % of the pair's rate.
fn rules() -> Vec<(AlertRule, RuleState)> {
    let per_pair = RULES / PAIRS.len();
    let mut rules = Vec::with_capacity(RULES);
    for (p, (name, rate)) in PAIRS.iter().enumerate() {
        let pair = Pair::parse(name).unwrap();
        for i in 0..per_pair {
            // A low-discrepancy spread, so every condition covers the whole band.
            let u = (i as f64 * 0.618_033_988_749_895).fract();
            let threshold = rate * (0.9 + 0.2 * u);
            let condition = match i % 10 {
                0..=3 => Condition::Above,
                4..=7 => Condition::Below,
                8 => Condition::CrossesAbove,
                _ => Condition::CrossesBelow,
            };
            let rule = AlertRule::new((p * per_pair + i) as i64, pair, condition, threshold);
            let state = RuleState::initial(&rule);
            rules.push((rule, state));
        }
    }
    rules
}

fn pairs() -> Vec<(Pair, f64)> {
    PAIRS
        .iter()
        .map(|(n, r)| (Pair::parse(n).unwrap(), *r))
        .collect()
}

fn bench(c: &mut Criterion) {
    let pairs = pairs();
    let mut scanned = rules();
    let mut index = RuleIndex::build(scanned.clone());
    // The first snapshot: every rule sees its first observation (armed rules already past
    // their level fire now, edge rules learn their side). Not measured.
    for (pair, rate) in &pairs {
        index.evaluate(*pair, at(0), &Rate(*rate));
        scan(&mut scanned, *pair, at(0), &Rate(*rate));
    }
    let fired: usize = {
        let mut probe = index.clone();
        pairs
            .iter()
            .map(|(p, r)| probe.evaluate(*p, at(1), &Rate(r * MOVE)).fired.len())
            .sum()
    };
    println!(
        "rules: {RULES}, fired by the measured snapshot: {fired} ({:.3} %)",
        fired as f64 * 100.0 / RULES as f64
    );

    let mut group = c.benchmark_group("alert_evaluation_1m_rules");
    group.sample_size(30);
    group.bench_function("index", |b| {
        b.iter_batched_ref(
            || index.clone(),
            |index| {
                let mut fired = 0;
                for (pair, rate) in &pairs {
                    fired += index.evaluate(*pair, at(1), &Rate(rate * MOVE)).fired.len();
                }
                fired
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("scan", |b| {
        b.iter_batched_ref(
            || scanned.clone(),
            |rules| {
                let mut fired = 0;
                for (pair, rate) in &pairs {
                    fired += scan(rules, *pair, at(1), &Rate(rate * MOVE)).len();
                }
                fired
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
