//! Guessing throttles, keyed by client address or (account, address), in bounded memory.
//!
//! - [`Backoff`]: failed staff logins. A few failures are free; after them each failure
//!   doubles a lockout from `base` up to `max`. Quiet for `max`, a key starts over. Success
//!   clears its key.
//! - [`Allowance`]: wrong join codes, a token bucket per address. A hall of phones behind one
//!   NAT address mistyping now and then stays far under it; a guesser is held to its rate.
//!
//! Both hold at most [`MAX_KEYS`] keys: when full, quiet keys are forgotten first, then the
//! oldest. A refusal says how long to wait (`Retry-After`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked per throttle at most (an attacker rotating addresses cannot grow memory).
pub const MAX_KEYS: usize = 65_536;

struct Failures {
    count: u32,
    until: Instant,
    last: Instant,
}

pub struct Backoff<K> {
    keys: Mutex<HashMap<K, Failures>>,
    free: u32,
    base: Duration,
    max: Duration,
}

impl<K: Hash + Eq + Clone> Backoff<K> {
    pub fn new(free: u32, base: Duration, max: Duration) -> Backoff<K> {
        Backoff {
            keys: Mutex::new(HashMap::new()),
            free,
            base,
            max,
        }
    }

    /// `Err(wait)` while `key` is locked out.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(keys) = self.keys.lock() else {
            return Ok(());
        };
        match keys.get(key) {
            Some(f) if f.until > now => Err(f.until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure; returns the lockout it starts, if any.
    pub fn fail(&self, key: &K, now: Instant) -> Option<Duration> {
        let Ok(mut keys) = self.keys.lock() else {
            return None;
        };
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            let max = self.max;
            keys.retain(|_, f| f.until > now || now.duration_since(f.last) < max);
            if keys.len() >= MAX_KEYS {
                // Still full of active keys: forget the quietest half.
                let mut lasts: Vec<Instant> = keys.values().map(|f| f.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                keys.retain(|_, f| f.last > cut);
            }
        }
        let f = keys.entry(key.clone()).or_insert(Failures {
            count: 0,
            until: now,
            last: now,
        });
        if now.duration_since(f.last) >= self.max && f.until <= now {
            f.count = 0;
        }
        f.count += 1;
        f.last = now;
        if f.count <= self.free {
            return None;
        }
        let doublings = (f.count - self.free - 1).min(20);
        let lockout = self.base.saturating_mul(1 << doublings).min(self.max);
        f.until = now + lockout;
        Some(lockout)
    }

    pub fn succeed(&self, key: &K) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.keys.lock().map_or(0, |k| k.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Tokens {
    left: f64,
    at: Instant,
}

pub struct Allowance<K> {
    keys: Mutex<HashMap<K, Tokens>>,
    burst: f64,
    per_second: f64,
}

impl<K: Hash + Eq + Clone> Allowance<K> {
    pub fn new(burst: f64, per_second: f64) -> Allowance<K> {
        Allowance {
            keys: Mutex::new(HashMap::new()),
            burst,
            per_second,
        }
    }

    fn refill(&self, t: &mut Tokens, now: Instant) {
        let gained = now.saturating_duration_since(t.at).as_secs_f64() * self.per_second;
        t.left = (t.left + gained).min(self.burst);
        t.at = now;
    }

    /// `Err(wait)` when `key` has nothing left to spend.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(mut keys) = self.keys.lock() else {
            return Ok(());
        };
        let Some(t) = keys.get_mut(key) else {
            return Ok(());
        };
        self.refill(t, now);
        if t.left >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - t.left) / self.per_second))
        }
    }

    /// Spends one unit (a wrong code).
    pub fn spend(&self, key: &K, now: Instant) {
        let Ok(mut keys) = self.keys.lock() else {
            return;
        };
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            let full = self.burst;
            let rate = self.per_second;
            // Keys refilled to the brim hold nothing worth remembering.
            keys.retain(|_, t| {
                t.left + now.saturating_duration_since(t.at).as_secs_f64() * rate < full
            });
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
        }
        let t = keys.entry(key.clone()).or_insert(Tokens {
            left: self.burst,
            at: now,
        });
        self.refill(t, now);
        t.left = (t.left - 1.0).max(0.0);
    }
}

/// At most `cap` operations at once per key (password checks per address: a burst from one
/// address cannot queue ahead of everyone else, nor slip past [`Backoff`] by arriving
/// before its first failure is counted).
pub struct Concurrency<K: Hash + Eq + Clone> {
    keys: std::sync::Arc<Mutex<HashMap<K, usize>>>,
    cap: usize,
}

/// One operation in progress; dropping it frees its place.
pub struct Entered<K: Hash + Eq + Clone> {
    keys: std::sync::Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Concurrency<K> {
    pub fn new(cap: usize) -> Concurrency<K> {
        Concurrency {
            keys: std::sync::Arc::new(Mutex::new(HashMap::new())),
            cap,
        }
    }

    pub fn enter(&self, key: &K) -> Option<Entered<K>> {
        let mut keys = self.keys.lock().ok()?;
        let n = keys.entry(key.clone()).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Entered {
            keys: self.keys.clone(),
            key: key.clone(),
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for Entered<K> {
    fn drop(&mut self) {
        if let Ok(mut keys) = self.keys.lock()
            && let Some(n) = keys.get_mut(&self.key)
        {
            *n -= 1;
            if *n == 0 {
                keys.remove(&self.key);
            }
        }
    }
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_after_the_free_failures_and_success_clears() {
        let b = Backoff::new(2, Duration::from_secs(1), Duration::from_secs(8));
        let t0 = Instant::now();
        assert_eq!(b.fail(&"ip", t0), None);
        assert_eq!(b.fail(&"ip", t0), None);
        assert_eq!(b.fail(&"ip", t0), Some(Duration::from_secs(1)));
        assert!(b.check(&"ip", t0).is_err());
        assert!(b.check(&"other", t0).is_ok());
        let t1 = t0 + Duration::from_secs(1);
        assert!(b.check(&"ip", t1).is_ok());
        assert_eq!(b.fail(&"ip", t1), Some(Duration::from_secs(2)));
        assert_eq!(b.fail(&"ip", t1), Some(Duration::from_secs(4)));
        assert_eq!(b.fail(&"ip", t1), Some(Duration::from_secs(8)));
        assert_eq!(b.fail(&"ip", t1), Some(Duration::from_secs(8)), "capped");
        b.succeed(&"ip");
        assert!(b.check(&"ip", t1).is_ok());
    }

    #[test]
    fn memory_is_bounded() {
        let b = Backoff::new(0, Duration::from_secs(1), Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            b.fail(&i, now);
        }
        assert!(b.len() <= MAX_KEYS);
    }

    #[test]
    fn allowance_refills() {
        let a = Allowance::new(3.0, 2.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(a.check(&"ip", t0).is_ok());
            a.spend(&"ip", t0);
        }
        let wait = a.check(&"ip", t0).err();
        assert_eq!(wait, Some(Duration::from_millis(500)));
        assert_eq!(retry_after_secs(Duration::from_millis(500)), 1);
        assert!(a.check(&"ip", t0 + Duration::from_millis(500)).is_ok());
    }
}
