//! [`Seen`]: the ids of the platform events handled last (Twitch's EventSub notifications,
//! YouTube's alert messages), so that one delivered twice raises one alert. Platforms repeat
//! within seconds or one page, so a small ring is enough and the memory stays bounded.

use std::collections::{HashSet, VecDeque};

/// The ids seen last, oldest forgotten first.
pub struct Seen {
    order: VecDeque<String>,
    ids: HashSet<String>,
    cap: usize,
}

impl Seen {
    pub fn new(cap: usize) -> Seen {
        Seen {
            order: VecDeque::with_capacity(cap),
            ids: HashSet::with_capacity(cap),
            cap,
        }
    }

    /// False when `id` was seen already.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        self.order.push_back(id.to_string());
        self.ids.insert(id.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_dropped_with_bounded_memory() {
        let mut seen = Seen::new(3);
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        for id in ["b", "c", "d"] {
            assert!(seen.insert(id));
        }
        assert_eq!(seen.order.len(), 3);
        assert!(seen.insert("a"), "the oldest was forgotten");
        assert!(!seen.insert("d"));
    }
}
