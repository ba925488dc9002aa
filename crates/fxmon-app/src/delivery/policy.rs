//! When to retry a delivery and when to give up. Pure: callers pass `now` and a jitter draw
//! in [0, 1).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ports::{PendingDelivery, WebhookError};

/// How the delivery worker paces itself and retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryPolicy {
    /// Most deliveries read from the outbox per round.
    pub batch_size: u32,
    /// Most deliveries in flight at once, so one slow target holds up no other.
    pub concurrency: usize,
    /// How long the worker sleeps when nothing is due (a `DeliveryWaker` cuts it short).
    pub poll_interval: Duration,
    /// Delay before the first retry.
    pub backoff_base: Duration,
    /// Longest delay between two attempts (a `Retry-After` may ask for more).
    pub backoff_max: Duration,
    /// Age after which a delivery that still fails is given up.
    pub give_up_after: Duration,
    /// Safety net above the adapters' own timeouts: an attempt still unanswered after
    /// this long counts as a transient failure.
    pub attempt_timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            batch_size: 64,
            concurrency: 8,
            poll_interval: Duration::from_millis(500),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(600),
            give_up_after: Duration::from_secs(24 * 3600),
            attempt_timeout: Duration::from_secs(60),
        }
    }
}

pub use crate::ports::DeliveryStep as Step;

impl DeliveryPolicy {
    /// Delay after the `attempts`-th failed attempt (1-based): `backoff_base` doubling up to
    /// `backoff_max`, with "equal jitter" (between half and all of the step) so retries of
    /// many deliveries to one target spread out. A `Retry-After` is a floor, itself capped
    /// at `give_up_after` so a target cannot park a delivery forever.
    pub fn backoff(&self, attempts: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let delay =
            fxmon_core::schedule::backoff(self.backoff_base, self.backoff_max, attempts, jitter);
        let floor = retry_after.unwrap_or_default().min(self.give_up_after);
        delay.max(floor)
    }

    /// What to record once an attempt at `delivery` ended with `result` at `now`. A failure
    /// is retried unless the target refused it or the delivery is `give_up_after` old.
    pub fn next_step(
        &self,
        delivery: &PendingDelivery,
        result: &Result<(), WebhookError>,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Step {
        let attempts = delivery.attempts.saturating_add(1);
        let error = match result {
            Ok(()) => return Step::Delivered { attempts, at: now },
            Err(error) => error,
        };
        if !error.is_transient() {
            return Step::GiveUp {
                attempts,
                reason: error.reason().to_owned(),
            };
        }
        if now >= delivery.created_at + to_delta(self.give_up_after) {
            return Step::GiveUp {
                attempts,
                reason: format!("{} (gave up after {attempts} attempts)", error.reason()),
            };
        }
        let delay = self.backoff(attempts, error.retry_after(), jitter);
        Step::Retry {
            attempts,
            at: now + to_delta(delay),
            reason: error.reason().to_owned(),
        }
    }
}

fn to_delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::DeliveryTarget;
    use fxmon_core::Pair;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn delivery(attempts: u32, created_at: DateTime<Utc>) -> PendingDelivery {
        PendingDelivery {
            id: 1,
            event_id: "e1".into(),
            alert_id: 7,
            pair: "EUR/USD".parse::<Pair>().unwrap(),
            target: DeliveryTarget::Bus,
            payload: "{}".into(),
            attempts,
            created_at,
        }
    }

    #[test]
    fn backoff_doubles_from_one_second_with_jitter_and_is_capped_at_ten_minutes() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.backoff(1, None, 1.0), secs(1));
        assert_eq!(p.backoff(1, None, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, None, 1.0), secs(2));
        assert_eq!(p.backoff(5, None, 1.0), secs(16));
        assert_eq!(p.backoff(5, None, 0.0), secs(8));
        assert_eq!(p.backoff(11, None, 1.0), secs(600));
        assert_eq!(p.backoff(u32::MAX, None, 0.0), secs(300));
    }

    #[test]
    fn below_the_cap_successive_backoffs_never_shrink_whatever_the_jitter() {
        let p = DeliveryPolicy::default();
        // 2^9 s is the last uncapped step.
        for attempts in 1..10 {
            assert!(p.backoff(attempts, None, 1.0) <= p.backoff(attempts + 1, None, 0.0));
        }
    }

    #[test]
    fn a_jitter_outside_the_unit_interval_is_clamped() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.backoff(1, None, 7.0), secs(1));
        assert_eq!(p.backoff(1, None, f64::NAN), Duration::from_millis(500));
    }

    #[test]
    fn retry_after_is_a_floor_capped_at_the_give_up_age() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.backoff(1, Some(secs(120)), 1.0), secs(120));
        assert_eq!(p.backoff(11, Some(secs(120)), 1.0), secs(600));
        assert_eq!(p.backoff(1, Some(secs(10 * 86_400)), 0.0), secs(86_400));
    }

    #[test]
    fn a_success_is_delivered_counting_this_attempt() {
        let now = Utc::now();
        let step = DeliveryPolicy::default().next_step(&delivery(2, now), &Ok(()), now, 0.5);
        assert_eq!(
            step,
            Step::Delivered {
                attempts: 3,
                at: now
            }
        );
    }

    #[test]
    fn a_refusal_gives_up_at_once_with_its_reason() {
        let now = Utc::now();
        let refused = Err(WebhookError::permanent("HTTP 410 Gone"));
        let step = DeliveryPolicy::default().next_step(&delivery(0, now), &refused, now, 0.5);
        let reason = "HTTP 410 Gone".to_owned();
        assert_eq!(
            step,
            Step::GiveUp {
                attempts: 1,
                reason
            }
        );
    }

    #[test]
    fn a_transient_failure_is_retried_after_the_backoff() {
        let now = Utc::now();
        let failed = Err(WebhookError::transient("HTTP 503"));
        let step = DeliveryPolicy::default().next_step(&delivery(3, now), &failed, now, 1.0);
        let at = now + TimeDelta::seconds(8);
        let reason = "HTTP 503".to_owned();
        assert_eq!(
            step,
            Step::Retry {
                attempts: 4,
                at,
                reason
            }
        );
    }

    #[test]
    fn a_transient_failure_of_a_delivery_older_than_the_give_up_age_gives_up() {
        let created = Utc::now();
        let p = DeliveryPolicy::default();
        let failed = Err(WebhookError::transient("timed out"));
        let just_before = created + TimeDelta::hours(24) - TimeDelta::seconds(1);
        let step = p.next_step(&delivery(40, created), &failed, just_before, 0.0);
        assert!(matches!(step, Step::Retry { .. }), "{step:?}");
        let at_deadline = created + TimeDelta::hours(24);
        let step = p.next_step(&delivery(40, created), &failed, at_deadline, 0.0);
        let reason = "timed out (gave up after 41 attempts)".to_owned();
        assert_eq!(
            step,
            Step::GiveUp {
                attempts: 41,
                reason
            }
        );
    }
}
