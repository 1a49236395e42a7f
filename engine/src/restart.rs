//! The restart policy every supervisor of the engine follows, as a pure value: given the
//! moment a child failed, how long to wait before restarting it, or that its budget is
//! spent. No clock inside: callers pass `now`, so tests drive it with instants they choose.
//!
//! Policy: delay `base × 2^(n-1)` capped at `max`, n = failures within the last `window`,
//! times a jitter factor in `[1 - jitter, 1]` (so children that failed together do not
//! restart together); more than `budget` failures within `window` → give up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartPolicy {
    pub base: Duration,
    pub max: Duration,
    pub budget: usize,
    pub window: Duration,
    /// 0.0 = exact delays; 0.5 = each delay is 50–100 % of its nominal value.
    pub jitter: f64,
}

impl RestartPolicy {
    /// Meeting actors: 100 ms, doubling to 5 s, 10 restarts a minute.
    pub const MEETING: RestartPolicy = RestartPolicy {
        base: Duration::from_millis(100),
        max: Duration::from_secs(5),
        budget: 10,
        window: Duration::from_secs(60),
        jitter: 0.0,
    };
    /// Extensions (chat adapters, bots): they talk to the outside world, so they back off
    /// further and spread their retries.
    pub const EXTENSION: RestartPolicy = RestartPolicy {
        base: Duration::from_millis(500),
        max: Duration::from_secs(60),
        budget: 20,
        window: Duration::from_secs(600),
        jitter: 0.5,
    };
    /// The group-commit writer: every answer waits for it, so it comes back fast.
    pub const WRITER: RestartPolicy = RestartPolicy {
        base: Duration::from_millis(10),
        max: Duration::from_secs(1),
        budget: 100,
        window: Duration::from_secs(60),
        jitter: 0.0,
    };
}

/// What to do about one failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    RestartAfter(Duration),
    GiveUp,
}

/// One child's failure history under a policy.
#[derive(Debug, Clone)]
pub struct Restarts {
    policy: RestartPolicy,
    failures: VecDeque<Instant>,
}

impl Restarts {
    pub fn new(policy: RestartPolicy) -> Restarts {
        Restarts {
            policy,
            failures: VecDeque::new(),
        }
    }

    /// Restarts counted in the current window.
    pub fn recent(&self) -> usize {
        self.failures.len()
    }

    /// Records a failure at `now`. `unit` in `[0, 1)` draws the jitter (pass a random number;
    /// tests pass fixed ones).
    pub fn on_failure(&mut self, now: Instant, unit: f64) -> Decision {
        let p = self.policy;
        while self
            .failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > p.window)
        {
            self.failures.pop_front();
        }
        if self.failures.len() >= p.budget {
            return Decision::GiveUp;
        }
        self.failures.push_back(now);
        let n = u32::try_from(self.failures.len()).unwrap_or(u32::MAX);
        let nominal = p
            .base
            .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
            .min(p.max);
        let factor = 1.0 - p.jitter * unit.clamp(0.0, 1.0);
        Decision::RestartAfter(nominal.mul_f64(factor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let t0 = Instant::now();
        let mut r = Restarts::new(RestartPolicy::MEETING);
        let delays: Vec<Decision> = (0..8).map(|i| r.on_failure(t0 + ms(i), 0.0)).collect();
        let expected =
            [100, 200, 400, 800, 1600, 3200, 5000, 5000].map(|d| Decision::RestartAfter(ms(d)));
        assert_eq!(delays, expected);
    }

    #[test]
    fn budget_is_spent_within_the_window_and_refills_after_it() {
        let t0 = Instant::now();
        let p = RestartPolicy::MEETING;
        let mut r = Restarts::new(p);
        for i in 0..p.budget {
            assert!(matches!(
                r.on_failure(t0 + ms(i as u64), 0.0),
                Decision::RestartAfter(_)
            ));
        }
        assert_eq!(r.on_failure(t0 + ms(100), 0.0), Decision::GiveUp);
        assert_eq!(r.recent(), p.budget);
        // A minute after the first failures they no longer count: back to the first delay.
        let later = t0 + p.window + ms(p.budget as u64 + 1);
        assert_eq!(r.on_failure(later, 0.0), Decision::RestartAfter(ms(100)));
        assert_eq!(r.recent(), 1);
    }

    #[test]
    fn jitter_shortens_within_its_bound() {
        let t0 = Instant::now();
        let mut r = Restarts::new(RestartPolicy::EXTENSION);
        assert_eq!(r.on_failure(t0, 0.0), Decision::RestartAfter(ms(500)));
        assert_eq!(r.on_failure(t0, 1.0), Decision::RestartAfter(ms(500)));
        assert_eq!(r.on_failure(t0, 0.5), Decision::RestartAfter(ms(1500)));
    }
}
