//! Waiting between attempts: exponential backoff with jitter, bounded by a deadline, so
//! that a step that cannot get its lock gives way to the application and tries again
//! instead of queueing.

use std::time::{Duration, Instant};

/// The first delay; each attempt doubles it, up to `MAX_DELAY`.
const FIRST_DELAY: Duration = Duration::from_millis(50);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// The attempts of one step.
pub struct Backoff {
    pub attempts: u32,
    started: Instant,
    deadline: Duration,
}

impl Backoff {
    pub fn new(deadline: Duration) -> Backoff {
        Backoff {
            attempts: 0,
            started: Instant::now(),
            deadline,
        }
    }

    /// The delay before the next attempt, or `None` when the deadline has passed.
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.attempts += 1;
        if self.started.elapsed() >= self.deadline {
            return None;
        }
        let exponent = self.attempts.saturating_sub(1).min(16);
        let base = FIRST_DELAY.saturating_mul(1 << exponent).min(MAX_DELAY);
        // Full jitter between half and all of the delay: runners retrying together spread out.
        let jittered = base.mul_f64(0.5 + fastrand::f64() * 0.5);
        let left = self.deadline.saturating_sub(self.started.elapsed());
        Some(jittered.min(left))
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_and_stop_at_the_deadline() {
        let mut backoff = Backoff::new(Duration::from_secs(3600));
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next_delay().expect("before the deadline")).collect();
        for (i, delay) in delays.iter().enumerate() {
            let base = FIRST_DELAY.saturating_mul(1 << i).min(MAX_DELAY);
            assert!(*delay >= base / 2 && *delay <= base, "attempt {i}: {delay:?} not within jitter of {base:?}");
        }
        let mut expired = Backoff::new(Duration::ZERO);
        assert_eq!(expired.next_delay(), None);
        assert_eq!(expired.attempts, 1);
    }
}
