//! A meeting's chat sources and chat rules, as written in the meeting file and stored with
//! the meeting: at most one Twitch channel and one YouTube broadcast beside the room.

use serde::{Deserialize, Serialize};

use crate::StorageError;
use crate::model::Platform;

/// The longest stream delay accepted: beyond two minutes a "live" answer is not live.
pub const MAX_DELAY_SECS: u32 = 120;

/// One chat source of a meeting (the room is always one and is not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    Twitch {
        /// The channel's login name, without `#`.
        channel: String,
        /// How late viewers see the stream: answers count `delay_secs` back in time.
        #[serde(default)]
        delay_secs: u32,
    },
    Youtube {
        /// The live video's id; absent: the connected account's active broadcast.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        video_id: Option<String>,
        #[serde(default)]
        delay_secs: u32,
    },
}

impl Source {
    pub fn platform(&self) -> Platform {
        match self {
            Source::Twitch { .. } => Platform::Twitch,
            Source::Youtube { .. } => Platform::Youtube,
        }
    }

    pub fn delay_secs(&self) -> u32 {
        match self {
            Source::Twitch { delay_secs, .. } | Source::Youtube { delay_secs, .. } => *delay_secs,
        }
    }

    /// What the source reads, for logs and the dashboard: `#channel`, a video id or
    /// "active broadcast".
    pub fn target(&self) -> String {
        match self {
            Source::Twitch { channel, .. } => format!("#{channel}"),
            Source::Youtube {
                video_id: Some(v), ..
            } => v.clone(),
            Source::Youtube { video_id: None, .. } => "active broadcast".into(),
        }
    }

    /// Twitch channel names are stored as the lowercase login without `#`.
    pub fn normalized(mut self) -> Source {
        if let Source::Twitch { channel, .. } = &mut self {
            *channel = channel.trim().trim_start_matches('#').to_ascii_lowercase();
        }
        if let Source::Youtube { video_id, .. } = &mut self {
            *video_id = video_id
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
        }
        self
    }
}

fn default_vote_prefix() -> String {
    "#".into()
}
fn default_command_prefix() -> String {
    "!".into()
}
fn default_bot_prefix() -> String {
    "🤖 ".into()
}

/// How chat lines are read: `#a` answers, `!cmd` is for bots, lines starting with the bot
/// prefix are our own bots' and never count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRules {
    #[serde(default = "default_vote_prefix")]
    pub vote_prefix: String,
    #[serde(default = "default_command_prefix")]
    pub command_prefix: String,
    #[serde(default = "default_bot_prefix")]
    pub bot_prefix: String,
}

impl Default for ChatRules {
    fn default() -> Self {
        ChatRules {
            vote_prefix: default_vote_prefix(),
            command_prefix: default_command_prefix(),
            bot_prefix: default_bot_prefix(),
        }
    }
}

impl ChatRules {
    pub fn is_default(&self) -> bool {
        *self == ChatRules::default()
    }

    /// The answer character (`#`).
    pub fn vote_char(&self) -> char {
        self.vote_prefix.chars().next().unwrap_or('#')
    }

    pub fn command_char(&self) -> char {
        self.command_prefix.chars().next().unwrap_or('!')
    }

    pub fn validate(&self) -> Result<(), StorageError> {
        let fail = |msg: String| Err(StorageError::InvalidMeeting(msg));
        for (name, value) in [
            ("vote_prefix", &self.vote_prefix),
            ("command_prefix", &self.command_prefix),
        ] {
            let mut chars = value.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_alphanumeric() && !c.is_whitespace() => {}
                _ => {
                    return fail(format!(
                        "chat.{name} {value:?}: use one symbol that is not a letter, digit or space, e.g. \"#\" or \"!\""
                    ));
                }
            }
        }
        if self.vote_prefix == self.command_prefix {
            return fail(format!(
                "chat.vote_prefix and chat.command_prefix are both {:?}: use two different symbols",
                self.vote_prefix
            ));
        }
        if self.bot_prefix.chars().count() > 16 || self.bot_prefix.trim().is_empty() {
            return fail(format!(
                "chat.bot_prefix {:?}: use 1 to 16 characters that are not all spaces (default \"🤖 \")",
                self.bot_prefix
            ));
        }
        Ok(())
    }
}

/// Checks a meeting's sources: at most one per platform, names that exist on the platform.
pub fn validate_sources(sources: &[Source]) -> Result<(), StorageError> {
    let fail = |msg: String| Err(StorageError::InvalidMeeting(msg));
    let mut seen = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let at = format!("sources[{i}]");
        let platform = source.platform();
        if seen.contains(&platform) {
            return fail(format!(
                "{at}: a second {} source; a meeting reads at most one Twitch channel and one YouTube broadcast",
                platform.code()
            ));
        }
        seen.push(platform);
        if source.delay_secs() > MAX_DELAY_SECS {
            return fail(format!(
                "{at}.delay_secs {}: use 0 to {MAX_DELAY_SECS} (typically 2–5 on Twitch, 5–20 on YouTube)",
                source.delay_secs()
            ));
        }
        match source {
            Source::Twitch { channel, .. } => {
                let name = channel.trim().trim_start_matches('#');
                let ok = (1..=25).contains(&name.len())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok {
                    return fail(format!(
                        "{at}.channel {channel:?}: use the channel's login name (letters, digits and '_', at most 25), as in twitch.tv/NAME"
                    ));
                }
            }
            Source::Youtube {
                video_id: Some(v), ..
            } if !v.trim().is_empty() => {
                let v = v.trim();
                let ok = (1..=64).contains(&v.len())
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    return fail(format!(
                        "{at}.video_id {v:?}: use the id from the video's address (youtube.com/watch?v=ID), or leave it out to use the connected account's live broadcast"
                    ));
                }
            }
            Source::Youtube { .. } => {}
        }
    }
    Ok(())
}

/// A source as stored with its meeting: who added it (whose platform accounts it uses
/// when the meeting has no owner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSource {
    #[serde(flatten)]
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_validate_and_round_trip() {
        let text = r##"[{"platform":"twitch","channel":"#Some_Streamer","delay_secs":3},
                      {"platform":"youtube"}]"##;
        let sources: Vec<Source> = serde_json::from_str(text).unwrap();
        let sources: Vec<Source> = sources.into_iter().map(Source::normalized).collect();
        assert_eq!(
            sources[0],
            Source::Twitch {
                channel: "some_streamer".into(),
                delay_secs: 3
            }
        );
        assert_eq!(sources[1].delay_secs(), 0);
        validate_sources(&sources).unwrap();
        let again: Vec<Source> =
            serde_json::from_str(&serde_json::to_string(&sources).unwrap()).unwrap();
        assert_eq!(again, sources);
        let stored = StoredSource {
            source: sources[0].clone(),
            added_by: Some(4),
        };
        let back: StoredSource =
            serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
        assert_eq!(back, stored);
    }

    #[test]
    fn bad_sources_and_rules_say_what_to_fix() {
        let two = vec![
            Source::Twitch {
                channel: "a".into(),
                delay_secs: 0,
            },
            Source::Twitch {
                channel: "b".into(),
                delay_secs: 0,
            },
        ];
        assert!(
            validate_sources(&two)
                .unwrap_err()
                .to_string()
                .contains("second twitch")
        );
        let bad = [Source::Twitch {
            channel: "no spaces".into(),
            delay_secs: 0,
        }];
        assert!(
            validate_sources(&bad)
                .unwrap_err()
                .to_string()
                .contains("login name")
        );
        let slow = [Source::Youtube {
            video_id: None,
            delay_secs: 600,
        }];
        assert!(
            validate_sources(&slow)
                .unwrap_err()
                .to_string()
                .contains("delay_secs")
        );
        assert!(serde_json::from_str::<Source>(r#"{"platform":"kick","channel":"x"}"#).is_err());
        let rules = ChatRules {
            vote_prefix: "!".into(),
            ..ChatRules::default()
        };
        assert!(
            rules
                .validate()
                .unwrap_err()
                .to_string()
                .contains("different")
        );
        let rules = ChatRules {
            vote_prefix: "a".into(),
            ..ChatRules::default()
        };
        assert!(rules.validate().is_err());
        ChatRules::default().validate().unwrap();
    }
}
