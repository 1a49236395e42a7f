//! Chat: a line from any platform (Twitch, YouTube, the room) and what it asks for. The
//! platform adapters produce [`ChatMessage`]s; [`crate::MeetingHandle::chat`] takes them in
//! batches. How a line is read follows the meeting's [`ChatRules`].

use librekast_storage::{ChatRules, Micros, Platform};
use serde::Serialize;

/// Messages longer than this are cut before parsing (chat lines are short; a flood is not).
pub const MAX_CHAT_CHARS: usize = 500;

/// One chat line, platform-neutral. `user_id` is the platform's stable id (not the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub platform: Platform,
    /// The platform's id of this message: a message seen twice counts once. `None` when
    /// the platform gives none.
    pub id: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub text: String,
    /// When the answer was given, on the server's clock: its arrival minus the source's
    /// stream delay (viewers answer what they saw `delay_secs` ago). 0: now.
    pub at: Micros,
    /// The viewer's roles and status in that chat, for the chat overlay.
    pub badges: Badges,
}

/// A viewer's roles in a chat, shown as badges on the chat overlay (never used to count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Badges {
    pub broadcaster: bool,
    pub moderator: bool,
    pub vip: bool,
    /// Twitch subscriber.
    pub subscriber: bool,
    /// YouTube channel member.
    pub member: bool,
}

impl Badges {
    /// The wire names, most important first.
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.broadcaster, "broadcaster"),
            (self.moderator, "moderator"),
            (self.vip, "vip"),
            (self.subscriber, "subscriber"),
            (self.member, "member"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// What one batch of chat lines did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChatReport {
    pub lines: usize,
    /// Votes counted (first vote of a viewer on the open poll or quiz).
    pub votes: usize,
    /// Words added to the open word cloud.
    pub words: usize,
    /// Answers refused: a second vote, an unknown slug, nothing open, a word over the limit.
    pub refused: usize,
    /// Talk, bot messages and `!commands`: never counted as answers.
    pub other: usize,
    /// Lines whose message id was seen before (a platform's replay): skipped.
    pub duplicates: usize,
    /// Flags captured with `PREFIX{code}`.
    pub flags: usize,
    /// Open-question answers, Q&A questions and upvotes counted.
    pub posts: usize,
}

/// What a chat line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// `#a` on a poll or quiz votes for the choice whose slug is `a`; `#word` on a word cloud
    /// adds a word. Which one is decided by the open activity.
    Answer(String),
    /// `!command args`, for bots.
    Command { name: String, args: String },
    /// A flag in its full `PREFIX{code}` form (a bare code in chat is just talk).
    Flag(String),
    /// Anything else: shown to staff, never counted.
    Talk,
    /// A message posted by one of our bots (it starts with the bot prefix): never counted.
    Bot,
}

/// What a line asks for under the meeting's chat rules and flag prefix.
pub fn parse_intent(text: &str, rules: &ChatRules, flag_prefix: &str) -> Intent {
    if !rules.bot_prefix.is_empty() && text.starts_with(rules.bot_prefix.as_str()) {
        return Intent::Bot;
    }
    let text: String = text.chars().take(MAX_CHAT_CHARS).collect();
    let text = text.trim();
    if let Some(code) = flag_in(text, flag_prefix) {
        return Intent::Flag(code);
    }
    if let Some(rest) = text.strip_prefix(rules.vote_char()) {
        let answer = rest.split_whitespace().collect::<Vec<_>>().join(" ");
        if !answer.is_empty() {
            return Intent::Answer(answer);
        }
    }
    if let Some(rest) = text.strip_prefix(rules.command_char()) {
        let mut parts = rest.splitn(2, char::is_whitespace);
        if let Some(name) = parts.next().filter(|n| !n.is_empty()) {
            return Intent::Command {
                name: name.to_lowercase(),
                args: parts.next().unwrap_or("").trim().to_string(),
            };
        }
    }
    Intent::Talk
}

/// The first word of the form `PREFIX{…}` (prefix compared case-insensitively), whole.
fn flag_in(text: &str, prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return None;
    }
    text.split_whitespace().find_map(|word| {
        let open = word.find('{')?;
        (word[..open].eq_ignore_ascii_case(prefix) && word.ends_with('}') && word.len() > open + 2)
            .then(|| word.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Intent {
        parse_intent(text, &ChatRules::default(), "CTF")
    }

    #[test]
    fn intents() {
        assert_eq!(parse("#a"), Intent::Answer("a".into()));
        assert_eq!(parse("  #Rust   lang "), Intent::Answer("Rust lang".into()));
        assert_eq!(parse("#"), Intent::Talk);
        assert_eq!(parse("hello #a"), Intent::Talk);
        let rules = ChatRules {
            vote_prefix: "?".into(),
            command_prefix: "$".into(),
            bot_prefix: "[bot] ".into(),
        };
        assert_eq!(
            parse_intent("?b", &rules, "CTF"),
            Intent::Answer("b".into())
        );
        assert_eq!(parse_intent("#b", &rules, "CTF"), Intent::Talk);
        assert_eq!(
            parse_intent("$hype", &rules, "CTF"),
            Intent::Command {
                name: "hype".into(),
                args: String::new()
            }
        );
        assert_eq!(parse_intent("[bot] ?a wins", &rules, "CTF"), Intent::Bot);
        assert_eq!(
            parse("found it: ctf{s3cr3t} !"),
            Intent::Flag("ctf{s3cr3t}".into())
        );
        assert_eq!(parse("s3cr3t"), Intent::Talk);
        assert_eq!(parse("CTF{}"), Intent::Talk);
        assert_eq!(
            parse("!Score me"),
            Intent::Command {
                name: "score".into(),
                args: "me".into()
            }
        );
        assert_eq!(parse("🤖 #a is winning"), Intent::Bot);
        assert_eq!(parse("!"), Intent::Talk);
        let long = format!("#{}", "x".repeat(10_000));
        assert!(matches!(parse(&long), Intent::Answer(a) if a.len() < MAX_CHAT_CHARS));
    }
}
