//! Chat: a line from any platform (Twitch, YouTube, the room) and what it asks for. The
//! platform adapters produce [`ChatMessage`]s; [`crate::MeetingHandle::chat`] takes them in
//! batches.

use librekast_storage::{Micros, Platform};
use serde::Serialize;

/// Messages longer than this are cut before parsing (chat lines are short; a flood is not).
pub const MAX_CHAT_CHARS: usize = 500;

/// One chat line, platform-neutral. `user_id` is the platform's stable id (not the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub platform: Platform,
    pub user_id: String,
    pub user_name: String,
    pub text: String,
    pub at: Micros,
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
}

/// What a chat line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// `#a` on a poll or quiz votes for the choice whose slug is `a`; `#word` on a word cloud
    /// adds a word. Which one is decided by the open activity.
    Answer(String),
    /// `!command args`, for bots.
    Command { name: String, args: String },
    /// Anything else: shown to staff, never counted.
    Talk,
    /// A message posted by one of our bots (it starts with the bot prefix): never counted.
    Bot,
}

/// `interaction` is the answer character (default `#`), `bot_prefix` the prefix our bots put
/// before their messages (default `🤖 `).
pub fn parse_intent(text: &str, interaction: char, bot_prefix: &str) -> Intent {
    if !bot_prefix.is_empty() && text.starts_with(bot_prefix) {
        return Intent::Bot;
    }
    let text: String = text.chars().take(MAX_CHAT_CHARS).collect();
    let text = text.trim();
    if let Some(rest) = text.strip_prefix(interaction) {
        let answer = rest.split_whitespace().collect::<Vec<_>>().join(" ");
        if !answer.is_empty() {
            return Intent::Answer(answer);
        }
    }
    if let Some(rest) = text.strip_prefix('!') {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents() {
        assert_eq!(parse_intent("#a", '#', "🤖 "), Intent::Answer("a".into()));
        assert_eq!(
            parse_intent("  #Rust   lang ", '#', "🤖 "),
            Intent::Answer("Rust lang".into())
        );
        assert_eq!(parse_intent("#", '#', "🤖 "), Intent::Talk);
        assert_eq!(parse_intent("hello #a", '#', "🤖 "), Intent::Talk);
        assert_eq!(parse_intent("?b", '?', "🤖 "), Intent::Answer("b".into()));
        assert_eq!(
            parse_intent("!Score me", '#', "🤖 "),
            Intent::Command {
                name: "score".into(),
                args: "me".into()
            }
        );
        assert_eq!(parse_intent("🤖 #a is winning", '#', "🤖 "), Intent::Bot);
        assert_eq!(parse_intent("!", '#', "🤖 "), Intent::Talk);
        let long = format!("#{}", "x".repeat(10_000));
        assert!(
            matches!(parse_intent(&long, '#', ""), Intent::Answer(a) if a.len() < MAX_CHAT_CHARS)
        );
    }
}
