//! The producer's wall clock.

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// Wall-clock time that advances with tokio's clock, so paused-time tests drive the
/// producer's notion of "now" (data age, stale episodes), and never lags the system clock.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    wall: DateTime<Utc>,
    start: Instant,
}

impl Clock {
    pub(super) fn start() -> Self {
        Self {
            wall: Utc::now(),
            start: Instant::now(),
        }
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.start.elapsed()).unwrap_or(TimeDelta::MAX);
        let ticked = self.wall.checked_add_signed(elapsed).unwrap_or(self.wall);
        ticked.max(Utc::now())
    }
}
