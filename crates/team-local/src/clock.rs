//! The manual clock of tests; the real clock and id generator come from `team_core::system`.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use team_core::ports::Clock;
use time::OffsetDateTime;

/// A clock that only moves when told to: tests set or advance it, and
/// `sleep(d)` moves it forward by `d` (then yields) instead of waiting.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// The time it shows.
    pub fn now_utc(&self) -> OffsetDateTime {
        *self.lock()
    }

    /// Sets the time (backwards too).
    pub fn set(&self, at: OffsetDateTime) {
        *self.lock() = at;
    }

    /// Moves the time by `by`: a `time::Duration` (may be negative) or a
    /// `std::time::Duration`. A step too large to represent saturates.
    pub fn advance<D: TryInto<time::Duration>>(&self, by: D) {
        let by = by.try_into().unwrap_or(time::Duration::MAX);
        let mut now = self.lock();
        *now = now.saturating_add(by);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.now_utc()
    }

    async fn sleep(&self, duration: Duration) {
        self.advance(duration);
        tokio::task::yield_now().await;
    }
}
