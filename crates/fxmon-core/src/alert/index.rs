//! `RuleIndex`: alert rules indexed per pair, per metric and by threshold, so one
//! observation looks only at the rules whose state it can change.
//!
//! A rule's state changes only when its value `m` crosses its fire key or its clear key
//! (see [`step`](super::step)). Between two observations `m` moves from `prev` to `cur`;
//! the rules whose keys lie in `[min, max]` of the two are found by binary search in
//! arrays sorted by key. Add the rules held by a cooldown (they may fire when it ends)
//! and the rules added since the last observation, and the result equals stepping every
//! rule — `scan` does exactly that, and a property test holds the two equal.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::rule::{AlertRule, Frequency, Metric};
use super::step::{step, RuleState, Step, Transform};
use crate::pair::Pair;

/// The metric values of one pair at one as-of time.
pub trait Metrics {
    /// The value of `metric`, or `None` when it cannot be computed (a gap in the data).
    fn value(&self, metric: Metric) -> Option<f64>;
}

/// A rule that fired, with the metric value that fired it. Carries the rule, since a
/// `once` rule has already left the index when the caller reads this.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub rule_id: i64,
    pub value: f64,
    pub rule: AlertRule,
    /// The rule's state just before it fired.
    pub previous: RuleState,
    /// Its state after firing.
    pub state: RuleState,
}

/// What one observation did: rules fired, states to persist, rules that left the index
/// (expired, or `once` rules that fired).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub fired: Vec<Fired>,
    pub changed: Vec<(i64, RuleState)>,
    pub retired: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GroupKey {
    pair: Pair,
    metric: Metric,
    transform: Transform,
}

/// A slot in `RuleIndex::entries`: rules live in one dense vector so an evaluation touches
/// each candidate with one memory access, not a hash probe.
type Slot = u32;

#[derive(Debug, Clone, Default)]
struct Group {
    /// (fire key, slot), sorted.
    by_key: Vec<(f64, Slot)>,
    /// (clear key = fire key − hysteresis, slot), sorted.
    by_clear: Vec<(f64, Slot)>,
    /// The last observation: as-of time and `m`.
    last: Option<(DateTime<Utc>, f64)>,
    held: BTreeSet<Slot>,
    fresh: BTreeSet<Slot>,
}

#[derive(Debug, Clone)]
struct Entry {
    rule: AlertRule,
    state: RuleState,
}

/// The active rules, indexed.
#[derive(Debug, Clone, Default)]
pub struct RuleIndex {
    entries: Vec<Option<Entry>>,
    free: Vec<Slot>,
    slots: HashMap<i64, Slot>,
    groups: HashMap<GroupKey, Group>,
    pairs: HashMap<Pair, Vec<GroupKey>>,
}

fn keys_of(rule: &AlertRule) -> (GroupKey, f64, f64) {
    let transform = Transform::of(rule);
    let key = transform.key(rule.threshold);
    let group = GroupKey {
        pair: rule.pair,
        metric: rule.metric(),
        transform,
    };
    (group, key, key - rule.hysteresis)
}

fn sorted_insert(list: &mut Vec<(f64, Slot)>, item: (f64, Slot)) {
    let at = list.partition_point(|probe| cmp(probe, &item).is_lt());
    list.insert(at, item);
}

fn cmp(a: &(f64, Slot), b: &(f64, Slot)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Slots whose key lies in `[lo, hi]`.
fn ids_between(list: &[(f64, Slot)], lo: f64, hi: f64, out: &mut Vec<Slot>) {
    let start = list.partition_point(|(k, _)| k.total_cmp(&lo).is_lt());
    let end = list.partition_point(|(k, _)| k.total_cmp(&hi).is_le());
    out.extend(list[start..end].iter().map(|(_, id)| *id));
}

impl RuleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an index of many rules at once (sorting once instead of per insert).
    pub fn build(rules: impl IntoIterator<Item = (AlertRule, RuleState)>) -> Self {
        let mut index = Self::new();
        for (rule, state) in rules {
            index.remove(rule.id);
            let slot = index.allocate(rule.id);
            let (group, key, clear) = keys_of(&rule);
            let g = index.groups.entry(group).or_default();
            g.by_key.push((key, slot));
            g.by_clear.push((clear, slot));
            g.fresh.insert(slot);
            if g.by_key.len() == 1 {
                index.pairs.entry(rule.pair).or_default().push(group);
            }
            index.entries[slot as usize] = Some(Entry { rule, state });
        }
        for g in index.groups.values_mut() {
            g.by_key.sort_unstable_by(cmp);
            g.by_clear.sort_unstable_by(cmp);
        }
        index
    }

    /// Adds or replaces a rule; it is evaluated in full on its next observation.
    pub fn insert(&mut self, rule: AlertRule, state: RuleState) {
        self.remove(rule.id);
        let slot = self.allocate(rule.id);
        let (group, key, clear) = keys_of(&rule);
        let g = self.groups.entry(group).or_default();
        if g.by_key.is_empty() {
            self.pairs.entry(rule.pair).or_default().push(group);
        }
        sorted_insert(&mut g.by_key, (key, slot));
        sorted_insert(&mut g.by_clear, (clear, slot));
        g.fresh.insert(slot);
        self.entries[slot as usize] = Some(Entry { rule, state });
    }

    /// A free slot for rule `id`.
    fn allocate(&mut self, id: i64) -> Slot {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.entries.push(None);
            Slot::try_from(self.entries.len() - 1).expect("fewer than 4 billion rules")
        });
        self.slots.insert(id, slot);
        slot
    }

    /// Removes a rule (paused, deleted, expired); returns whether it was there.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some(slot) = self.slots.remove(&id) else {
            return false;
        };
        let entry = self.entries[slot as usize]
            .take()
            .expect("slots point at entries");
        self.free.push(slot);
        let (group, key, clear) = keys_of(&entry.rule);
        if let Some(g) = self.groups.get_mut(&group) {
            g.by_key.retain(|item| cmp(item, &(key, slot)).is_ne());
            g.by_clear.retain(|item| cmp(item, &(clear, slot)).is_ne());
            g.held.remove(&slot);
            g.fresh.remove(&slot);
            if g.by_key.is_empty() {
                self.groups.remove(&group);
                if let Some(keys) = self.pairs.get_mut(&group.pair) {
                    keys.retain(|k| *k != group);
                }
            }
        }
        true
    }

    /// How many rules the index holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// A rule and its state.
    pub fn get(&self, id: i64) -> Option<(&AlertRule, &RuleState)> {
        let slot = *self.slots.get(&id)?;
        self.entries[slot as usize]
            .as_ref()
            .map(|e| (&e.rule, &e.state))
    }

    /// The `change_pct` windows the rules of `pair` need, so the caller computes only those.
    pub fn windows(&self, pair: Pair) -> Vec<u32> {
        let mut windows: Vec<u32> = self
            .pairs
            .get(&pair)
            .into_iter()
            .flatten()
            .filter_map(|g| match g.metric {
                Metric::ChangePct { window_seconds } => Some(window_seconds),
                _ => None,
            })
            .collect();
        windows.sort_unstable();
        windows.dedup();
        windows
    }

    /// Every pair some rule watches.
    pub fn pairs(&self) -> Vec<Pair> {
        let mut pairs: Vec<Pair> = self
            .pairs
            .iter()
            .filter(|(_, groups)| !groups.is_empty())
            .map(|(pair, _)| *pair)
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// Whether any rule watches `pair`.
    pub fn watches(&self, pair: Pair) -> bool {
        self.pairs.get(&pair).is_some_and(|g| !g.is_empty())
    }

    /// Feeds one observation of `pair` to the rules it can affect. An observation not
    /// newer than the last one of a group (a replay) changes nothing there.
    pub fn evaluate(
        &mut self,
        pair: Pair,
        at: DateTime<Utc>,
        metrics: &impl Metrics,
    ) -> Evaluation {
        let mut evaluation = Evaluation::default();
        let keys = self.pairs.get(&pair).cloned().unwrap_or_default();
        let mut candidates = Vec::new();
        for key in keys {
            let Some(value) = metrics.value(key.metric) else {
                continue;
            };
            let Some(group) = self.groups.get_mut(&key) else {
                continue;
            };
            if group.last.is_some_and(|(last, _)| at <= last) {
                continue;
            }
            let m = key.transform.apply(value);
            candidates.clear();
            match group.last {
                None => candidates.extend(group.by_key.iter().map(|(_, id)| *id)),
                Some((_, prev)) => {
                    let (lo, hi) = (prev.min(m), prev.max(m));
                    ids_between(&group.by_key, lo, hi, &mut candidates);
                    ids_between(&group.by_clear, lo, hi, &mut candidates);
                    candidates.extend(group.held.iter().copied());
                    candidates.extend(group.fresh.iter().copied());
                    candidates.sort_unstable();
                    candidates.dedup();
                }
            }
            group.last = Some((at, m));
            group.fresh.clear();
            for &slot in &candidates {
                let entry = self.entries[slot as usize]
                    .as_mut()
                    .expect("indexed slots hold rules");
                let id = entry.rule.id;
                let before = entry.state;
                let outcome = step(&entry.rule, &mut entry.state, value, at);
                if outcome == Step::Held {
                    group.held.insert(slot);
                } else {
                    group.held.remove(&slot);
                }
                if entry.state != before {
                    evaluation.changed.push((id, entry.state));
                }
                match outcome {
                    Step::Fired => {
                        evaluation.fired.push(Fired {
                            rule_id: id,
                            value,
                            rule: entry.rule.clone(),
                            previous: before,
                            state: entry.state,
                        });
                        if entry.rule.frequency == Frequency::Once {
                            evaluation.retired.push(id);
                        }
                    }
                    Step::Expired => evaluation.retired.push(id),
                    _ => {}
                }
            }
        }
        for id in evaluation.retired.clone() {
            self.remove(id);
        }
        // Rule order, whatever the groups' order: the same observation always reports the same.
        evaluation.fired.sort_unstable_by_key(|f| f.rule_id);
        evaluation.changed.sort_unstable_by_key(|(id, _)| *id);
        evaluation
    }
}

/// Steps every rule of `pair` — what the index avoids. For the benchmark and the tests.
pub fn scan(
    rules: &mut [(AlertRule, RuleState)],
    pair: Pair,
    at: DateTime<Utc>,
    metrics: &impl Metrics,
) -> Vec<Fired> {
    let mut fired = Vec::new();
    for (rule, state) in rules.iter_mut().filter(|(r, _)| r.pair == pair) {
        let Some(value) = metrics.value(rule.metric()) else {
            continue;
        };
        let previous = *state;
        if step(rule, state, value, at) == Step::Fired {
            fired.push(Fired {
                rule_id: rule.id,
                value,
                rule: rule.clone(),
                previous,
                state: *state,
            });
        }
    }
    fired.sort_unstable_by_key(|f| f.rule_id);
    fired
}
