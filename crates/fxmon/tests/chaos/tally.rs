//! Compares what the store holds with what was produced: each expected key once, with the
//! produced value's exact bits.

use std::collections::HashMap;

use crate::plan::fnv;

/// One stored item: a key (e.g. pair and as-of time in µs) and its value's bits.
pub type Item = (String, i64, u64);

/// What the store holds against what was produced.
#[derive(Debug, Default)]
pub struct Tally {
    pub produced: usize,
    pub stored: usize,
    /// Expected keys with no row.
    pub lost: usize,
    /// Rows beyond one per expected key.
    pub duplicated: usize,
    /// Rows of an expected key whose value differs from the produced one.
    pub changed: usize,
    /// Rows of keys nobody produced.
    pub unexpected: usize,
    /// Order-independent checksums of the produced items and of the stored rows.
    pub produced_sum: u64,
    pub stored_sum: u64,
}

pub fn tally(produced: &[Item], stored: &[Item]) -> Tally {
    let expected: HashMap<(&str, i64), u64> = produced
        .iter()
        .map(|(k, t, v)| ((k.as_str(), *t), *v))
        .collect();
    assert_eq!(expected.len(), produced.len(), "produced keys are distinct");
    let mut seen: HashMap<(&str, i64), usize> = HashMap::new();
    let mut tally = Tally {
        produced: produced.len(),
        stored: stored.len(),
        produced_sum: checksum(produced),
        stored_sum: checksum(stored),
        ..Tally::default()
    };
    for (key, time, value) in stored {
        match expected.get(&(key.as_str(), *time)) {
            None => tally.unexpected += 1,
            Some(bits) => {
                *seen.entry((key.as_str(), *time)).or_default() += 1;
                if bits != value {
                    tally.changed += 1;
                }
            }
        }
    }
    tally.lost = expected.len() - seen.len();
    tally.duplicated = seen.values().map(|n| n - 1).sum();
    tally
}

fn checksum(items: &[Item]) -> u64 {
    items.iter().fold(0u64, |sum, (key, time, value)| {
        sum.wrapping_add(fnv(&[
            key.as_bytes(),
            &time.to_le_bytes(),
            &value.to_le_bytes(),
        ]))
    })
}

impl Tally {
    /// Prints the scenario's result line (and a detail line), then asserts it is exact.
    pub fn report(&self, scenario: &str, detail: &str) {
        println!(
            "chaos {scenario}: produced={} stored={} lost={} duplicated={}",
            self.produced, self.stored, self.lost, self.duplicated
        );
        println!(
            "chaos {scenario} detail: changed={} unexpected={} checksum produced={:016x} \
             stored={:016x} {detail}",
            self.changed, self.unexpected, self.produced_sum, self.stored_sum
        );
        assert_eq!(
            (self.lost, self.duplicated, self.changed, self.unexpected),
            (0, 0, 0, 0),
            "{scenario}: {self:?}"
        );
        assert_eq!(self.stored, self.produced, "{scenario}: {self:?}");
        assert_eq!(self.stored_sum, self.produced_sum, "{scenario}: {self:?}");
    }
}
