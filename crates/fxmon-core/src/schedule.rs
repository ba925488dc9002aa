//! When to poll a rate provider next. Pure: callers pass `now` and a jitter draw in [0, 1).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Polling policy: a fixed interval, never earlier than the provider's announced next
/// update, and exponential backoff after failures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Normal time between polls (the seed's 30 s).
    pub interval: Duration,
    /// Upper bound of the random delay added after the provider's next-update time,
    /// so a fleet of pollers does not arrive on the same second.
    pub next_update_jitter: Duration,
    /// First backoff step after a failure.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            next_update_jitter: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
        }
    }
}

impl PollPolicy {
    /// Delay after a successful fetch: the interval, or later if the provider said when it
    /// next updates (plus up to `next_update_jitter`).
    pub fn after_success(
        &self,
        now: DateTime<Utc>,
        next_update: Option<DateTime<Utc>>,
        jitter: f64,
    ) -> Duration {
        let until_next = next_update
            .and_then(|next| (next - now).to_std().ok())
            .filter(|d| !d.is_zero());
        match until_next {
            Some(wait) => self
                .interval
                .max(wait + self.next_update_jitter.mul_f64(clamp_unit(jitter))),
            None => self.interval,
        }
    }

    /// Delay after the `failures`-th failure in a row (1-based): exponential with "equal
    /// jitter" (between half and all of the step), and never shorter than the provider's
    /// `Retry-After`.
    pub fn after_failure(
        &self,
        failures: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Duration {
        backoff(self.backoff_base, self.backoff_max, failures, jitter)
            .max(retry_after.unwrap_or_default())
    }
}

/// Exponential backoff with "equal jitter": after the `failures`-th failure in a row
/// (1-based) the step is `base × 2^(failures−1)`, capped at `max`, and the delay a random
/// point between half the step and the whole step (`jitter` in [0, 1)), so retries spread
/// out but never come right back.
pub fn backoff(base: Duration, max: Duration, failures: u32, jitter: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let step = base.saturating_mul(1u32 << exponent).min(max);
    step / 2 + (step / 2).mul_f64(clamp_unit(jitter))
}

fn clamp_unit(x: f64) -> f64 {
    if x.is_finite() {
        x.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn policy() -> PollPolicy {
        PollPolicy::default()
    }

    #[test]
    fn without_a_next_update_time_the_interval_applies() {
        let now = Utc::now();
        assert_eq!(
            policy().after_success(now, None, 0.5),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn never_polls_before_the_providers_next_update() {
        let now = Utc::now();
        let next = now + TimeDelta::hours(6);
        let delay = policy().after_success(now, Some(next), 0.0);
        assert_eq!(delay, Duration::from_secs(6 * 3600));
        let jittered = policy().after_success(now, Some(next), 0.5);
        assert_eq!(jittered, Duration::from_secs(6 * 3600 + 30));
    }

    #[test]
    fn a_next_update_time_in_the_past_or_sooner_than_the_interval_falls_back_to_the_interval() {
        let now = Utc::now();
        let past = now - TimeDelta::minutes(5);
        assert_eq!(
            policy().after_success(now, Some(past), 0.9),
            Duration::from_secs(30)
        );
        let soon = now + TimeDelta::seconds(5);
        assert_eq!(
            policy().after_success(now, Some(soon), 0.0),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = policy();
        assert_eq!(p.after_failure(1, None, 0.0), Duration::from_millis(500));
        assert_eq!(p.after_failure(1, None, 1.0), Duration::from_secs(1));
        assert_eq!(p.after_failure(4, None, 1.0), Duration::from_secs(8));
        assert_eq!(p.after_failure(4, None, 0.0), Duration::from_secs(4));
        assert_eq!(p.after_failure(30, None, 1.0), Duration::from_secs(300));
        assert_eq!(
            p.after_failure(u32::MAX, None, 0.0),
            Duration::from_secs(150)
        );
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = policy();
        let retry = Some(Duration::from_secs(120));
        assert_eq!(p.after_failure(1, retry, 1.0), Duration::from_secs(120));
        assert_eq!(p.after_failure(30, retry, 1.0), Duration::from_secs(300));
    }
}
