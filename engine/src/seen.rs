//! Chat message ids already handled, so a message delivered twice (a platform's replay, an
//! adapter reading again after a restart) is handled once.
//!
//! Two memories: ids of messages that were *counted* (an answer, a flag) live 24 hours,
//! mirroring the durable `chat_seen` rows written in the same batch as the answers, and are
//! loaded back when the meeting starts; ids of talk only live in a ring of the latest
//! [`TALK_IDS`] (a replay is recent, and talk counts for nothing).

use std::collections::{HashSet, VecDeque};

use librekast_storage::{CHAT_SEEN_MICROS, Micros, Platform};

/// Latest talk ids remembered.
pub const TALK_IDS: usize = 16_384;
/// Counted ids kept in memory at most (the oldest beyond are forgotten early; they stay in
/// storage, and one vote per viewer still holds).
pub const COUNTED_IDS: usize = 1_000_000;

type Key = (Platform, Box<str>);

#[derive(Debug, Default)]
pub struct SeenIds {
    all: HashSet<Key>,
    counted: VecDeque<(Micros, Key)>,
    talk: VecDeque<Key>,
}

impl SeenIds {
    pub fn contains(&self, platform: Platform, id: &str) -> bool {
        self.all.contains(&(platform, Box::from(id)))
    }

    /// Remembers a counted message (given at `at`) for 24 hours.
    pub fn counted(&mut self, platform: Platform, id: &str, at: Micros) {
        let key: Key = (platform, Box::from(id));
        if self.all.insert(key.clone()) {
            self.counted.push_back((at, key));
        }
        if self.counted.len() > COUNTED_IDS
            && let Some((_, old)) = self.counted.pop_front()
        {
            self.all.remove(&old);
        }
    }

    /// Remembers a message that counted for nothing, among the latest [`TALK_IDS`].
    pub fn talk(&mut self, platform: Platform, id: &str) {
        let key: Key = (platform, Box::from(id));
        if self.all.insert(key.clone()) {
            self.talk.push_back(key);
        }
        if self.talk.len() > TALK_IDS
            && let Some(old) = self.talk.pop_front()
        {
            self.all.remove(&old);
        }
    }

    /// Forgets counted ids older than 24 hours.
    pub fn prune(&mut self, now: Micros) {
        while let Some((at, _)) = self.counted.front() {
            if now - *at < CHAT_SEEN_MICROS {
                break;
            }
            if let Some((_, key)) = self.counted.pop_front() {
                self.all.remove(&key);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_ids_live_a_day_talk_a_ring() {
        let mut seen = SeenIds::default();
        seen.counted(Platform::Twitch, "m1", 0);
        assert!(seen.contains(Platform::Twitch, "m1"));
        assert!(
            !seen.contains(Platform::Youtube, "m1"),
            "ids are per platform"
        );
        seen.prune(CHAT_SEEN_MICROS - 1);
        assert!(seen.contains(Platform::Twitch, "m1"));
        seen.prune(CHAT_SEEN_MICROS);
        assert!(!seen.contains(Platform::Twitch, "m1"));
        for i in 0..TALK_IDS + 1 {
            seen.talk(Platform::Twitch, &format!("t{i}"));
        }
        assert!(!seen.contains(Platform::Twitch, "t0"));
        assert!(seen.contains(Platform::Twitch, &format!("t{TALK_IDS}")));
        assert_eq!(seen.len(), TALK_IDS);
    }
}
