//! What a store has already written once and need not ask the database about again:
//! PostgreSQL's monthly partitions, and the pairs listed in `fx_pairs`.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// Values known to exist in the database. Only what a committed transaction wrote (or
/// found) is added, so the set never runs ahead of the database.
#[derive(Debug)]
pub(crate) struct KnownSet<T>(Mutex<BTreeSet<T>>);

impl<T> Default for KnownSet<T> {
    fn default() -> Self {
        Self(Mutex::new(BTreeSet::new()))
    }
}

impl<T: Ord + Copy> KnownSet<T> {
    /// The values of `wanted` not known yet, in order.
    pub(crate) fn missing<'a>(&self, wanted: impl IntoIterator<Item = &'a T>) -> Vec<T>
    where
        T: 'a,
    {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let missing: BTreeSet<T> = wanted
            .into_iter()
            .filter(|value| !known.contains(value))
            .copied()
            .collect();
        missing.into_iter().collect()
    }

    pub(crate) fn add(&self, values: &[T]) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.extend(values);
    }

    pub(crate) fn retain(&self, keep: impl Fn(&T) -> bool) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.retain(|value| keep(value));
    }
}
