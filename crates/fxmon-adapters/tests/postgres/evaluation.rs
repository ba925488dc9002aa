//! The batched writes of the alerter and the delivery worker, in one transaction each:
//! the cases in `tests/shared/batched_writes.rs`.

use crate::batched_writes as cases;
use crate::support::*;

#[tokio::test]
async fn a_batch_is_applied_in_order_with_its_watermarks() {
    let (_db, store) = fresh_store!();
    cases::a_batch_is_applied_in_order_with_its_watermarks(&store).await;
}

#[tokio::test]
async fn a_stale_trigger_is_skipped_and_the_rest_of_the_batch_stands() {
    let (_db, store) = fresh_store!();
    cases::a_stale_trigger_is_skipped_and_the_rest_of_the_batch_stands(&store).await;
}

#[tokio::test]
async fn a_replayed_trigger_whose_rule_state_matches_changes_nothing() {
    let (_db, store) = fresh_store!();
    cases::a_replayed_trigger_whose_rule_state_matches_changes_nothing(&store).await;
}

#[tokio::test]
async fn a_batch_that_fails_leaves_nothing_behind() {
    let (_db, store) = fresh_store!();
    cases::a_batch_that_fails_leaves_nothing_behind(&store).await;
}

#[tokio::test]
async fn a_rounds_steps_are_recorded_together_or_not_at_all() {
    let (_db, store) = fresh_store!();
    cases::a_rounds_steps_are_recorded_together_or_not_at_all(&store).await;
}
