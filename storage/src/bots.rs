//! A meeting's chat bots, as the meeting file holds them (`"bots"`, next to `"chat"`):
//! periodic lines, `!command` replies and revolutions (enough distinct viewers chanting a
//! command). Their rules live in the engine; this is their shape and validation.

use serde::{Deserialize, Serialize};

fn enabled() -> bool {
    true
}
fn user_cooldown() -> u32 {
    30
}
fn global_cooldown() -> u32 {
    5
}
fn revolution_cooldown() -> u32 {
    300
}

/// One bot. Told apart by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Bot {
    /// Posts its lines in turn every `every_secs` while the meeting runs, once at least
    /// `min_chat` chat messages came since its last line.
    Periodic {
        lines: Vec<String>,
        every_secs: u32,
        #[serde(default)]
        min_chat: u32,
        #[serde(default = "enabled")]
        enabled: bool,
    },
    /// Answers `!name` with `reply` (placeholders `{user}`, `{platform}`, `{score}`,
    /// `{rank}`, `{activity}`), at most once per `user_cooldown_secs` per viewer and once per
    /// `global_cooldown_secs` in all.
    Command {
        name: String,
        reply: String,
        #[serde(default = "user_cooldown")]
        user_cooldown_secs: u32,
        #[serde(default = "global_cooldown")]
        global_cooldown_secs: u32,
        #[serde(default = "enabled")]
        enabled: bool,
    },
    /// When `threshold` distinct viewers send `!name` within `window_secs`, posts `message`
    /// to every chat and raises an alert with `media`; then waits `cooldown_secs`.
    Revolution {
        name: String,
        threshold: u32,
        window_secs: u32,
        message: String,
        #[serde(default)]
        media: Option<String>,
        #[serde(default = "revolution_cooldown")]
        cooldown_secs: u32,
        #[serde(default = "enabled")]
        enabled: bool,
    },
    /// Thanks a viewer in chat when an alert of kind `alert` comes (`follow`, `sub`,
    /// `gift`, `raid`, `member`, `superchat`); placeholders `{user}`, `{platform}`,
    /// `{amount}`, `{months}`.
    Thanks {
        alert: String,
        reply: String,
        #[serde(default = "enabled")]
        enabled: bool,
    },
}

/// The alert kinds a thank-you bot may answer (the engine's alert kinds from platforms).
pub const THANKED_ALERTS: [&str; 6] = ["follow", "sub", "gift", "raid", "member", "superchat"];

/// Commands every meeting answers itself (`!score`, `!help`): no bot may take their name.
pub const BUILT_IN_COMMANDS: [&str; 2] = ["score", "help"];
const MAX_BOTS: usize = 50;
const MAX_LINE: usize = 400;
const MAX_LINES: usize = 50;
const MAX_NAME: usize = 25;
/// A day: longer intervals and cooldowns are typing mistakes.
const MAX_SECS: u32 = 86_400;

impl Bot {
    /// The command it answers to, if any (lower case, without the prefix).
    pub fn command(&self) -> Option<&str> {
        match self {
            Bot::Periodic { .. } | Bot::Thanks { .. } => None,
            Bot::Command { name, .. } | Bot::Revolution { name, .. } => Some(name),
        }
    }

    pub fn is_enabled(&self) -> bool {
        match self {
            Bot::Periodic { enabled, .. }
            | Bot::Command { enabled, .. }
            | Bot::Revolution { enabled, .. }
            | Bot::Thanks { enabled, .. } => *enabled,
        }
    }
}

/// Every problem of a meeting's bots, each message starting with its field
/// (`bots[2].threshold …`) and saying what to do.
pub fn bot_problems(bots: &[Bot]) -> Vec<String> {
    let mut out = Vec::new();
    if bots.len() > MAX_BOTS {
        out.push(format!(
            "bots: {} bots; a meeting has at most {MAX_BOTS}",
            bots.len()
        ));
    }
    let mut names: Vec<String> = Vec::new();
    let mut thanked: Vec<&str> = Vec::new();
    for (i, bot) in bots.iter().enumerate() {
        let at = format!("bots[{i}]");
        let text = |field: &str, value: &str, out: &mut Vec<String>| {
            let n = value.chars().count();
            if value.trim().is_empty() {
                out.push(format!("{at}.{field} is empty: write what the bot says"));
            } else if n > MAX_LINE {
                out.push(format!(
                    "{at}.{field} is {n} characters long: chats take at most {MAX_LINE}"
                ));
            }
        };
        let secs = |field: &str, value: u32, min: u32, out: &mut Vec<String>| {
            if !(min..=MAX_SECS).contains(&value) {
                out.push(format!(
                    "{at}.{field} {value}: use {min} to {MAX_SECS} seconds"
                ));
            }
        };
        match bot {
            Bot::Periodic {
                lines, every_secs, ..
            } => {
                if lines.is_empty() || lines.len() > MAX_LINES {
                    out.push(format!(
                        "{at}.lines: give 1 to {MAX_LINES} lines for the bot to post in turn"
                    ));
                }
                for (j, line) in lines.iter().enumerate() {
                    text(&format!("lines[{j}]"), line, &mut out);
                }
                // Platforms throttle bots; a line a minute at most keeps a chat readable.
                secs("every_secs", *every_secs, 60, &mut out);
            }
            Bot::Command {
                reply,
                user_cooldown_secs,
                global_cooldown_secs,
                ..
            } => {
                text("reply", reply, &mut out);
                secs("user_cooldown_secs", *user_cooldown_secs, 0, &mut out);
                secs("global_cooldown_secs", *global_cooldown_secs, 0, &mut out);
            }
            Bot::Revolution {
                threshold,
                window_secs,
                message,
                cooldown_secs,
                media,
                ..
            } => {
                text("message", message, &mut out);
                if !(2..=10_000).contains(threshold) {
                    out.push(format!(
                        "{at}.threshold {threshold}: use 2 to 10000 distinct viewers"
                    ));
                }
                secs("window_secs", *window_secs, 5, &mut out);
                secs("cooldown_secs", *cooldown_secs, 0, &mut out);
                if let Some(m) = media.as_deref()
                    && (!(1..=64).contains(&m.len())
                        || m.chars().any(|c| !c.is_ascii_alphanumeric()))
                {
                    out.push(format!(
                        "{at}.media {m:?}: give the id of a file of the media store (the Media page shows it), or null for none"
                    ));
                }
            }
            Bot::Thanks { alert, reply, .. } => {
                if !THANKED_ALERTS.contains(&alert.as_str()) {
                    out.push(format!(
                        "{at}.alert {alert:?}: use one of {}",
                        THANKED_ALERTS.join(", ")
                    ));
                } else if thanked.contains(&alert.as_str()) {
                    out.push(format!(
                        "{at}.alert {alert:?} already has a thank-you bot: one per kind of alert"
                    ));
                } else {
                    thanked.push(alert);
                }
                text("reply", reply, &mut out);
            }
        }
        if let Some(name) = bot.command() {
            let ok = (1..=MAX_NAME).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let lower = name.to_ascii_lowercase();
            if !ok {
                out.push(format!(
                    "{at}.name {name:?}: use 1 to {MAX_NAME} letters, digits or '_' (viewers type !{name})"
                ));
            } else if BUILT_IN_COMMANDS.contains(&lower.as_str()) {
                out.push(format!(
                    "{at}.name {name:?} is built in (!score, !help): choose another"
                ));
            } else if names.contains(&lower) {
                out.push(format!(
                    "{at}.name {name:?} is used by another bot: one bot per command"
                ));
            } else {
                names.push(lower);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Vec<Bot> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn the_issue_example_parses_with_defaults() {
        let bots = parse(
            r#"[{"kind": "periodic", "lines": ["Follow us!"], "every_secs": 600, "min_chat": 0},
                {"kind": "command", "name": "discord", "reply": "Join us: https://x {user}", "user_cooldown_secs": 30, "global_cooldown_secs": 5},
                {"kind": "revolution", "name": "hype", "threshold": 5, "window_secs": 60, "message": "HYPE!", "media": null, "cooldown_secs": 300}]"#,
        );
        assert_eq!(bots.len(), 3);
        assert!(bots.iter().all(Bot::is_enabled));
        assert_eq!(bot_problems(&bots), Vec::<String>::new());
        assert_eq!(
            parse(r#"[{"kind": "command", "name": "a", "reply": "b"}]"#)[0],
            Bot::Command {
                name: "a".into(),
                reply: "b".into(),
                user_cooldown_secs: 30,
                global_cooldown_secs: 5,
                enabled: true
            }
        );
        assert!(
            serde_json::from_str::<Vec<Bot>>(
                r#"[{"kind": "command", "name": "a", "reply": "b", "typo": 1}]"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<Vec<Bot>>(r#"[{"kind": "dance"}]"#).is_err());
    }

    #[test]
    fn problems_name_their_field() {
        let bots = parse(
            r#"[{"kind": "periodic", "lines": [" "], "every_secs": 5},
                {"kind": "command", "name": "score", "reply": "x"},
                {"kind": "command", "name": "hype", "reply": "x"},
                {"kind": "revolution", "name": "HYPE", "threshold": 1, "window_secs": 60, "message": "m"},
                {"kind": "command", "name": "no spaces", "reply": "x", "user_cooldown_secs": 0},
                {"kind": "revolution", "name": "ok", "threshold": 2, "window_secs": 60, "message": "m", "media": "../etc/passwd"},
                {"kind": "thanks", "alert": "follow", "reply": "Thanks {user}!"},
                {"kind": "thanks", "alert": "follow", "reply": "again"},
                {"kind": "thanks", "alert": "dance", "reply": "x"}]"#,
        );
        let fields: Vec<String> = bot_problems(&bots)
            .iter()
            .map(|m| m.split([' ', ':']).next().unwrap_or("").to_string())
            .collect();
        assert_eq!(
            fields,
            [
                "bots[0].lines[0]",
                "bots[0].every_secs",
                "bots[1].name",
                "bots[3].threshold",
                "bots[3].name",
                "bots[4].name",
                "bots[5].media",
                "bots[7].alert",
                "bots[8].alert"
            ]
        );
    }
}
