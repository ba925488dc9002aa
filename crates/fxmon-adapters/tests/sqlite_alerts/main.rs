//! `SqliteStore` as an `AlertStore`: every field of a rule round-trips, alerts pause,
//! resume, change (a new threshold starts the rule's state over) and are softly deleted;
//! states are saved and survive a restart; a trigger, its deliveries and the rule's new
//! state are recorded together, once per event id; migration 0004 keeps older alerts.

#[path = "../shared/batched_writes.rs"]
mod batched_writes;
mod changes;
mod evaluation;
mod migration;
#[path = "../shared/previous_release.rs"]
mod previous_release;
mod rules;
mod split;
mod states;
mod support;
mod triggers;
