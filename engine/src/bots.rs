//! The rules of a meeting's chat bots, as pure values driven by the caller's clock (no
//! sleeps, no I/O): when a periodic bot speaks, whether a command may answer (cooldowns),
//! the reply with its placeholders filled, and when a revolution fires (enough distinct
//! viewers across every platform within the window). The bot actors (issue 13) feed them
//! chat and time and post what they return through the adapters' outboxes.

use std::collections::{HashMap, VecDeque};

use librekast_storage::{Micros, Platform};

const SECOND: Micros = 1_000_000;

/// What a reply may say about the viewer who asked and the meeting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyContext<'a> {
    pub user: &'a str,
    pub platform: &'a str,
    pub score: Option<i64>,
    pub rank: Option<u32>,
    pub activity: Option<&'a str>,
}

/// `template` with `{user}`, `{platform}`, `{score}`, `{rank}` and `{activity}` filled in
/// (unknown values read `-`; other braces are left as written).
pub fn render(template: &str, ctx: &ReplyContext<'_>) -> String {
    let score = ctx.score.map_or("-".to_string(), |s| s.to_string());
    let rank = ctx.rank.map_or("-".to_string(), |r| r.to_string());
    template
        .replace("{user}", ctx.user)
        .replace("{platform}", ctx.platform)
        .replace("{score}", &score)
        .replace("{rank}", &rank)
        .replace("{activity}", ctx.activity.unwrap_or("-"))
}

/// A periodic bot's turn: its lines in rotation, every `every` once `min_chat` chat
/// messages came since its last line.
#[derive(Debug, Clone)]
pub struct Periodic {
    every: Micros,
    min_chat: u32,
    next_line: usize,
    last: Micros,
    chat_since: u32,
}

impl Periodic {
    /// Starting at `now`: the first line comes one interval later.
    pub fn new(every_secs: u32, min_chat: u32, now: Micros) -> Periodic {
        Periodic {
            every: Micros::from(every_secs) * SECOND,
            min_chat,
            next_line: 0,
            last: now,
            chat_since: 0,
        }
    }

    /// `lines` chat messages arrived (bot lines excepted).
    pub fn heard(&mut self, lines: u32) {
        self.chat_since = self.chat_since.saturating_add(lines);
    }

    /// The index of the line to post now, if it is time (and the room talked enough).
    pub fn due(&mut self, now: Micros, lines: usize) -> Option<usize> {
        if lines == 0 || now - self.last < self.every || self.chat_since < self.min_chat {
            return None;
        }
        let line = self.next_line % lines;
        self.next_line = (line + 1) % lines;
        self.last = now;
        self.chat_since = 0;
        Some(line)
    }
}

/// A command's cooldowns: once per viewer per `per_user`, once per `global` in all.
#[derive(Debug, Clone)]
pub struct Cooldowns {
    per_user: Micros,
    global: Micros,
    last_any: Option<Micros>,
    last_by: HashMap<(Platform, String), Micros>,
}

impl Cooldowns {
    pub fn new(user_cooldown_secs: u32, global_cooldown_secs: u32) -> Cooldowns {
        Cooldowns {
            per_user: Micros::from(user_cooldown_secs) * SECOND,
            global: Micros::from(global_cooldown_secs) * SECOND,
            last_any: None,
            last_by: HashMap::new(),
        }
    }

    /// Whether the command may answer this viewer now; if so, the answer is counted.
    pub fn allow(&mut self, platform: Platform, user: &str, now: Micros) -> bool {
        if self.last_any.is_some_and(|t| now - t < self.global) {
            return false;
        }
        let key = (platform, user.to_string());
        if self
            .last_by
            .get(&key)
            .is_some_and(|t| now - *t < self.per_user)
        {
            return false;
        }
        // Forget viewers whose cooldown ended: the map stays as small as the active chat.
        let per_user = self.per_user;
        self.last_by.retain(|_, t| now - *t < per_user);
        self.last_by.insert(key, now);
        self.last_any = Some(now);
        true
    }
}

/// A revolution: distinct viewers chanting its command within a sliding window.
#[derive(Debug, Clone)]
pub struct Revolution {
    threshold: usize,
    window: Micros,
    cooldown: Micros,
    chants: VecDeque<(Micros, (Platform, String))>,
    fired_at: Option<Micros>,
}

/// What a chant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chant {
    /// Counted (or already counted): `count` of `threshold` distinct viewers now.
    Counting { count: usize, threshold: usize },
    /// This chant reached the threshold: post the message, raise the alert.
    Fired,
    /// Fired recently: chants are ignored until the cooldown ends.
    CoolingDown,
}

impl Revolution {
    pub fn new(threshold: u32, window_secs: u32, cooldown_secs: u32) -> Revolution {
        Revolution {
            threshold: threshold as usize,
            window: Micros::from(window_secs) * SECOND,
            cooldown: Micros::from(cooldown_secs) * SECOND,
            chants: VecDeque::new(),
            fired_at: None,
        }
    }

    fn expire(&mut self, now: Micros) {
        while self
            .chants
            .front()
            .is_some_and(|(at, _)| now - *at >= self.window)
        {
            self.chants.pop_front();
        }
    }

    /// Until when chants are ignored after it fired (on the caller's clock).
    pub fn cooling_until(&self, now: Micros) -> Option<Micros> {
        self.fired_at
            .map(|t| t + self.cooldown)
            .filter(|until| *until > now)
    }

    /// Distinct viewers chanting within the window right now (the dashboard's live count).
    pub fn count(&mut self, now: Micros) -> usize {
        self.expire(now);
        self.chants.len()
    }

    /// A viewer sent the command. A viewer repeating it counts once (their latest chant
    /// keeps them in the window).
    pub fn chant(&mut self, platform: Platform, user: &str, now: Micros) -> Chant {
        if self.fired_at.is_some_and(|t| now - t < self.cooldown) {
            return Chant::CoolingDown;
        }
        self.expire(now);
        let key = (platform, user.to_string());
        self.chants.retain(|(_, k)| *k != key);
        self.chants.push_back((now, key));
        if self.chants.len() >= self.threshold {
            self.chants.clear();
            self.fired_at = Some(now);
            return Chant::Fired;
        }
        Chant::Counting {
            count: self.chants.len(),
            threshold: self.threshold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Micros = SECOND;

    #[test]
    fn replies_fill_their_placeholders() {
        let ctx = ReplyContext {
            user: "ada",
            platform: "twitch",
            score: Some(12),
            rank: Some(3),
            activity: Some("Which year?"),
        };
        assert_eq!(
            render(
                "{user} on {platform}: {score} pts, #{rank} ({activity}) {other}",
                &ctx
            ),
            "ada on twitch: 12 pts, #3 (Which year?) {other}"
        );
        assert_eq!(
            render("{score}/{rank}/{activity}", &ReplyContext::default()),
            "-/-/-"
        );
    }

    #[test]
    fn periodic_lines_rotate_and_wait_for_the_room() {
        let mut p = Periodic::new(600, 2, 0);
        assert_eq!(p.due(599 * S, 3), None, "not before the interval");
        assert_eq!(p.due(600 * S, 3), None, "an empty room hears nothing");
        p.heard(2);
        assert_eq!(p.due(601 * S, 3), Some(0));
        assert_eq!(p.due(1300 * S, 3), None, "the count starts again");
        p.heard(2);
        assert_eq!(p.due(1300 * S, 3), Some(1));
        let mut quiet = Periodic::new(60, 0, 0);
        assert_eq!(quiet.due(60 * S, 2), Some(0));
        assert_eq!(quiet.due(120 * S, 2), Some(1));
        assert_eq!(quiet.due(180 * S, 2), Some(0));
        assert_eq!(quiet.due(240 * S, 0), None);
    }

    #[test]
    fn commands_keep_their_cooldowns() {
        let mut c = Cooldowns::new(30, 5);
        assert!(c.allow(Platform::Twitch, "ada", 0));
        assert!(!c.allow(Platform::Youtube, "bob", 4 * S), "global cooldown");
        assert!(c.allow(Platform::Youtube, "bob", 5 * S));
        assert!(
            !c.allow(Platform::Twitch, "ada", 20 * S),
            "ada's own cooldown"
        );
        assert!(
            c.allow(Platform::Youtube, "ada", 20 * S),
            "another platform's ada"
        );
        assert!(c.allow(Platform::Twitch, "ada", 30 * S));
    }

    #[test]
    fn a_revolution_needs_distinct_viewers_within_the_window() {
        let mut r = Revolution::new(3, 60, 300);
        let counting = |count| Chant::Counting {
            count,
            threshold: 3,
        };
        assert_eq!(r.chant(Platform::Twitch, "ada", 0), counting(1));
        assert_eq!(
            r.chant(Platform::Twitch, "ada", S),
            counting(1),
            "once per viewer"
        );
        assert_eq!(
            r.chant(Platform::Youtube, "ada", 2 * S),
            counting(2),
            "per platform"
        );
        assert_eq!(r.count(61 * S), 1, "ada on Twitch left the window");
        assert_eq!(r.chant(Platform::Twitch, "bob", 61 * S), counting(2));
        assert_eq!(r.chant(Platform::Room, "cy", 61 * S), Chant::Fired);
        assert_eq!(r.count(61 * S), 0);
        assert_eq!(
            r.chant(Platform::Twitch, "dan", 100 * S),
            Chant::CoolingDown
        );
        assert_eq!(r.chant(Platform::Twitch, "dan", 361 * S), counting(1));
    }
}
