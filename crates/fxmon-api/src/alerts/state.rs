//! An alert's `state` as the API shows it: derived on each read from `active`, the rule,
//! the arm state the alerter saved and the time of the request, never stored.
//!
//! The first that applies wins:
//! 1. `fired`: a `once` alert that fired and so deactivated itself;
//! 2. `expired`: its `expires_at` has passed, so it never fires again, paused or not;
//! 3. `paused`: inactive for any other reason (paused through the API);
//! 4. `cooling_down`: it notified less than `cooldown_seconds` ago, until `cooldown_until`;
//!    a condition met meanwhile is held, not notified;
//! 5. `waiting`: not armed: an edge condition (`crosses_*`) that has not yet seen the value
//!    on its near side, or an alert that fired and waits for its condition to turn false
//!    (beyond the hysteresis band) to re-arm;
//! 6. `armed`: the next observation that meets the condition notifies.
//!
//! The alerter keeps the cooldown in as-of time (the rate's timestamp); the API compares it
//! with the clock, which agrees while rates are live.

use chrono::{DateTime, TimeDelta, Utc};
use fxmon_app::ports::AlertRecord;
use fxmon_core::alert::Frequency;
use serde::Serialize;
use utoipa::ToSchema;

/// Where an alert is in its life, derived at each read; the first that applies: `fired` (a
/// `once` alert that fired and deactivated itself), `expired` (past `expires_at`), `paused`,
/// `cooling_down` (notified less than `cooldown_seconds` ago; see `cooldown_until`),
/// `waiting` (not armed: a `crosses_*` alert that has not yet seen the rate on its near
/// side, or one that fired and re-arms once its condition is false beyond the hysteresis),
/// `armed` (the next observation meeting the condition notifies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The next observation that meets the condition notifies.
    Armed,
    /// Not armed: a `crosses_*` alert that has not yet seen the rate on its near side, or an
    /// alert that fired and re-arms once its condition is false (beyond the hysteresis).
    Waiting,
    /// Notified less than `cooldown_seconds` ago; no notification before `cooldown_until`.
    CoolingDown,
    /// Paused (`"active": false`); resume with `"active": true`.
    Paused,
    /// Past `expires_at`: never fires again.
    Expired,
    /// A `once` alert that fired and deactivated itself.
    Fired,
}

/// The state of `record` at `now`, and until when it cools down if it does.
pub fn state_of(record: &AlertRecord, now: DateTime<Utc>) -> (AlertState, Option<DateTime<Utc>>) {
    let rule = &record.rule;
    let fired_once = rule.frequency == Frequency::Once && record.state.last_fired_at.is_some();
    if !record.active && fired_once {
        return (AlertState::Fired, None);
    }
    if rule.expires_at.is_some_and(|expiry| now >= expiry) {
        return (AlertState::Expired, None);
    }
    if !record.active {
        return (AlertState::Paused, None);
    }
    if record.state.cooling(rule, now) {
        let cooldown = TimeDelta::seconds(i64::from(rule.cooldown_seconds));
        let until = record.state.last_fired_at.map(|fired| fired + cooldown);
        return (AlertState::CoolingDown, until);
    }
    if record.state.armed {
        (AlertState::Armed, None)
    } else {
        (AlertState::Waiting, None)
    }
}

#[cfg(test)]
mod tests {
    use fxmon_core::{AlertRule, Condition, Pair, RuleState};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn record(condition: Condition) -> AlertRecord {
        let rule = AlertRule::new(1, Pair::parse("USD/EUR").unwrap(), condition, 0.85);
        AlertRecord {
            state: RuleState::initial(&rule),
            rule,
            active: true,
            created_at: at("2026-10-30T00:00:00Z"),
            deleted_at: None,
            webhook_url: None,
            owner: None,
        }
    }

    fn fired_at(mut record: AlertRecord, time: &str) -> AlertRecord {
        record.state = RuleState {
            armed: false,
            last_fired_at: Some(at(time)),
        };
        record
    }

    const NOW: &str = "2026-10-30T10:30:00Z";

    #[test]
    fn a_new_level_alert_is_armed_and_a_new_crossing_alert_waits() {
        let now = at(NOW);
        assert_eq!(
            state_of(&record(Condition::Below), now).0,
            AlertState::Armed
        );
        let crossing = record(Condition::CrossesAbove);
        assert_eq!(state_of(&crossing, now).0, AlertState::Waiting);
    }

    #[test]
    fn an_alert_cools_down_for_its_cooldown_after_firing_then_waits_to_re_arm() {
        let fired = fired_at(record(Condition::Below), "2026-10-30T10:00:00Z");
        assert_eq!(
            state_of(&fired, at(NOW)),
            (AlertState::CoolingDown, Some(at("2026-10-30T11:00:00Z")))
        );
        let later = at("2026-10-30T11:00:00Z");
        assert_eq!(state_of(&fired, later), (AlertState::Waiting, None));
    }

    #[test]
    fn inactive_alerts_are_fired_expired_or_paused_in_that_order() {
        let now = at(NOW);
        let mut paused = record(Condition::Below);
        paused.active = false;
        assert_eq!(state_of(&paused, now).0, AlertState::Paused);

        let mut expired = paused.clone();
        expired.rule.expires_at = Some(at("2026-10-30T10:00:00Z"));
        assert_eq!(state_of(&expired, now).0, AlertState::Expired);
        expired.active = true;
        assert_eq!(state_of(&expired, now).0, AlertState::Expired);

        let mut once = fired_at(expired, "2026-10-30T09:00:00Z");
        once.rule.frequency = Frequency::Once;
        once.active = false;
        assert_eq!(state_of(&once, now).0, AlertState::Fired);
    }
}
