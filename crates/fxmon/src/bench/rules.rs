//! The benchmark's alert rules: an `above` and a `below` rule inside the swing of a few
//! legs, recurring and without cooldown, so each fires once per swing.

use anyhow::{bail, Context};
use fxmon_app::ports::{AlertFilter, AlertStore, NewAlert};
use fxmon_core::alert::Frequency;
use fxmon_core::{AlertRule, Condition};

use super::feed::{Feed, AMPLITUDE};

/// Legs that carry rules: two rules each, so 2 × this many alerts per swing.
const RULED_LEGS: usize = 4;

/// Creates the rules; returns their ids. Refuses a store with active rules of its own,
/// which the benchmark's alerter would otherwise fire (and deliver) on simulated rates.
pub async fn create(alerts: &dyn AlertStore, feed: &Feed) -> anyhow::Result<Vec<i64>> {
    let active = alerts
        .list_alerts(&AlertFilter {
            active_only: true,
            pair: None,
            owner: Default::default(),
        })
        .await
        .context("Failed to list the store's alert rules.")?;
    if !active.is_empty() {
        bail!(
            "The store has {} active alert rules, which the benchmark's alerter would fire on \
             simulated rates: use an empty store (a fresh --data-dir or database).",
            active.len()
        );
    }
    let mut ids = Vec::new();
    for (pair, mid) in feed.mids().take(RULED_LEGS) {
        for (condition, level) in [
            (Condition::Above, mid * (AMPLITUDE / 2.0).exp()),
            (Condition::Below, mid * (-AMPLITUDE / 2.0).exp()),
        ] {
            let mut rule = AlertRule::new(0, pair, condition, level);
            rule.cooldown_seconds = 0;
            rule.frequency = Frequency::Recurring;
            let new = NewAlert {
                rule,
                webhook_url: None,
                webhook_secret: None,
                owner: Default::default(),
            };
            let created = alerts
                .create_alert(&new)
                .await
                .context("Failed to create the benchmark's alert rules.")?;
            ids.push(created.rule.id);
        }
    }
    Ok(ids)
}

/// Deletes the rules, so a store shared with a deployment keeps none of them active.
pub async fn delete(alerts: &dyn AlertStore, ids: &[i64]) {
    for id in ids {
        if let Err(error) = alerts.delete_alert(*id).await {
            tracing::warn!(alert_id = id, "Deleting a benchmark rule failed: {error}");
        }
    }
}
