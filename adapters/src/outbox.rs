//! The outgoing side of a chat: lines wait in a small queue and leave no faster than the
//! platform allows. Twitch does no limiting of its own and locks an account out for 30
//! minutes past 20 messages per 30 seconds (100 as moderator or broadcaster).
//!
//! Overflow policy: the queue holds [`OUTBOX_LINES`]; a new line pushes out the oldest
//! waiting one (a stale bot line is worth less than a fresh one), counted in `dropped`.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Lines waiting to be posted at most.
pub const OUTBOX_LINES: usize = 20;

/// A sliding-window limit: at most `limit` sends within any `window`.
#[derive(Debug, Clone)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    sent: VecDeque<Instant>,
}

impl Throttle {
    /// Twitch, as a plain user: 20 per 30 s.
    pub fn twitch_user() -> Throttle {
        Throttle::new(20, Duration::from_secs(30))
    }

    pub fn new(limit: usize, window: Duration) -> Throttle {
        Throttle {
            limit: limit.max(1),
            window,
            sent: VecDeque::new(),
        }
    }

    /// Moderators and broadcasters may send 100 per 30 s.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// When the next line may leave (now if it may leave now).
    pub fn next_slot(&mut self, now: Instant) -> Instant {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            now
        } else {
            self.sent.front().map_or(now, |t| *t + self.window)
        }
    }

    pub fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
    }
}

/// Lines waiting to be posted, oldest first.
#[derive(Debug, Default)]
pub struct Outbox {
    lines: VecDeque<String>,
    pub dropped: u64,
}

impl Outbox {
    /// Queues a line; true when the oldest waiting line was dropped for it (the caller
    /// reports it to the meeting, whose dashboard counts dropped bot lines).
    pub fn push(&mut self, line: String) -> bool {
        let full = self.lines.len() >= OUTBOX_LINES;
        if full {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
        full
    }

    pub fn pop(&mut self) -> Option<String> {
        self.lines.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn twenty_per_thirty_seconds() {
        let mut t = Throttle::twitch_user();
        let start = Instant::now();
        for _ in 0..20 {
            let now = Instant::now();
            assert_eq!(t.next_slot(now), now);
            t.record(now);
        }
        let next = t.next_slot(Instant::now());
        assert_eq!(next, start + Duration::from_secs(30));
        tokio::time::advance(Duration::from_secs(30)).await;
        let now = Instant::now();
        assert_eq!(t.next_slot(now), now);
        t.set_limit(100);
        assert_eq!(t.limit(), 100);
    }

    #[test]
    fn a_full_outbox_drops_its_oldest_line() {
        let mut o = Outbox::default();
        let dropped: usize = (0..OUTBOX_LINES + 3)
            .filter(|i| o.push(format!("line {i}")))
            .count();
        assert_eq!(dropped, 3, "each push that dropped a line says so");
        assert_eq!(o.len(), OUTBOX_LINES);
        assert_eq!(o.dropped, 3);
        assert_eq!(o.pop().as_deref(), Some("line 3"));
    }
}
