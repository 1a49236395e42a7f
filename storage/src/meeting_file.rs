//! The meeting file: JSON for `librekast meeting import` / `export`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::StorageError;
use crate::model::ActivityKind;
use crate::streams::{ChatRules, Source, validate_sources};

fn default_prefix() -> String {
    "LibreKast".to_string()
}
fn default_word_limit() -> u32 {
    3
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingFile {
    pub title: String,
    /// The join code attendees type.
    pub code: String,
    #[serde(default)]
    pub reward_fastest: bool,
    #[serde(default = "default_prefix")]
    pub flag_prefix: String,
    pub activities: Vec<ActivityFile>,
    #[serde(default)]
    pub flags: Vec<FlagFile>,
    /// Chat sources besides the room: at most one Twitch channel and one YouTube broadcast.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// How chat lines are read (defaults when absent).
    #[serde(default, skip_serializing_if = "ChatRules::is_default")]
    pub chat: ChatRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityFile {
    pub kind: ActivityKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub choices: Vec<ChoiceFile>,
    /// Words per attendee (word clouds only).
    #[serde(default = "default_word_limit")]
    pub word_limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceFile {
    pub text: String,
    pub slug: String,
    #[serde(default)]
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagFile {
    pub name: String,
    pub code: String,
    pub points: i64,
    /// Bonus points for the first finder.
    #[serde(default)]
    pub first_blood: i64,
}

impl MeetingFile {
    /// Checks everything a running meeting relies on; the error says what to fix.
    pub fn validate(&self) -> Result<(), StorageError> {
        let fail = |msg: String| Err(StorageError::InvalidMeeting(msg));

        if self.title.trim().is_empty() {
            return fail("title is empty: give the meeting a title".into());
        }
        let title_len = self.title.chars().count();
        if title_len > MAX_TITLE {
            return fail(format!(
                "title is {title_len} characters long: use at most {MAX_TITLE}"
            ));
        }
        if self.code.is_empty() {
            return fail("code is empty: give the join code attendees will type".into());
        }
        if self.code.chars().count() > MAX_CODE {
            return fail(format!(
                "code {:?} is too long: use at most {MAX_CODE} characters",
                self.code
            ));
        }
        if self.code.chars().any(char::is_whitespace) {
            return fail(format!(
                "code {:?} contains whitespace: use a single word",
                self.code
            ));
        }
        if self.flag_prefix.is_empty() || !is_slug(&self.flag_prefix) {
            return fail(format!(
                "flag_prefix {:?}: use letters, digits, '-' or '_' (at least one)",
                self.flag_prefix
            ));
        }
        if self.activities.is_empty() {
            return fail("activities is empty: add at least one activity".into());
        }
        validate_sources(&self.sources)?;
        self.chat.validate()?;

        for (i, activity) in self.activities.iter().enumerate() {
            let at = format!("activities[{i}]");
            if activity.title.trim().is_empty() {
                return fail(format!("{at}.title is empty: every activity needs a title"));
            }
            if !(MIN_WORD_LIMIT..=MAX_WORD_LIMIT).contains(&activity.word_limit) {
                return fail(format!(
                    "{at}.word_limit {}: use {MIN_WORD_LIMIT} to {MAX_WORD_LIMIT}",
                    activity.word_limit
                ));
            }
            if !activity.kind.has_choices() {
                if !activity.choices.is_empty() {
                    return fail(format!(
                        "{at}.choices: a {} activity takes no choices; remove them or make it a poll or quiz",
                        activity.kind.wire()
                    ));
                }
                continue;
            }
            if activity.choices.len() < 2 {
                return fail(format!(
                    "{at}.choices: a {} needs at least 2 choices, found {}",
                    activity.kind.wire(),
                    activity.choices.len()
                ));
            }
            let mut slugs = HashSet::new();
            for (j, choice) in activity.choices.iter().enumerate() {
                let at = format!("{at}.choices[{j}]");
                if choice.text.trim().is_empty() {
                    return fail(format!("{at}.text is empty: every choice needs a text"));
                }
                if choice.slug.is_empty() {
                    return fail(format!(
                        "{at}.slug is empty: give a short name like \"a\" that attendees can type"
                    ));
                }
                if !is_slug(&choice.slug) {
                    return fail(format!(
                        "{at}.slug {:?}: use letters, digits, '-' or '_'",
                        choice.slug
                    ));
                }
                if choice.slug.chars().count() > MAX_SLUG {
                    return fail(format!(
                        "{at}.slug {:?} is too long: use at most {MAX_SLUG} characters",
                        choice.slug
                    ));
                }
                if !slugs.insert(choice.slug.as_str()) {
                    return fail(format!(
                        "{at}.slug {:?} is used twice in this activity: slugs must be unique",
                        choice.slug
                    ));
                }
            }
            if activity.kind == ActivityKind::Quiz && !activity.choices.iter().any(|c| c.correct) {
                return fail(format!(
                    "{at}.choices: a quiz needs at least one choice with \"correct\": true"
                ));
            }
        }

        let mut codes = HashSet::new();
        for (i, flag) in self.flags.iter().enumerate() {
            let at = format!("flags[{i}]");
            if flag.name.trim().is_empty() {
                return fail(format!("{at}.name is empty: every flag needs a name"));
            }
            if flag.code.trim().is_empty() {
                return fail(format!(
                    "{at}.code is empty: every flag needs a code to submit"
                ));
            }
            if !codes.insert(flag.code.as_str()) {
                return fail(format!(
                    "{at}.code {:?} is used by another flag: flag codes must be unique",
                    flag.code
                ));
            }
            if flag.points < 0 {
                return fail(format!("{at}.points {}: use 0 or more", flag.points));
            }
            if flag.first_blood < 0 {
                return fail(format!(
                    "{at}.first_blood {}: use 0 or more",
                    flag.first_blood
                ));
            }
        }
        Ok(())
    }
}

const MAX_TITLE: usize = 200;
const MAX_CODE: usize = 64;
const MAX_SLUG: usize = 32;
const MIN_WORD_LIMIT: u32 = 1;
const MAX_WORD_LIMIT: u32 = 50;

/// Slugs and prefixes are typed in chat and embedded in flag strings, so they stay ASCII.
fn is_slug(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Fuzzing the meeting-file parser (bounded, in every test run): any text, and files with
/// random values in every field, parse and validate without panicking; what validates
/// survives a round trip through JSON unchanged.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    fn choice() -> impl Strategy<Value = serde_json::Value> {
        ("\\PC{0,30}", "[a-z0-9_\\-]{0,6}|\\PC{0,4}", any::<bool>()).prop_map(|(text, slug, correct)| {
            serde_json::json!({"text": text, "slug": slug, "correct": correct})
        })
    }

    fn activity() -> impl Strategy<Value = serde_json::Value> {
        (
            prop_oneof![
                Just("text"),
                Just("poll"),
                Just("quiz"),
                Just("wordcloud"),
                Just("nope")
            ],
            "\\PC{0,60}",
            "\\PC{0,60}",
            proptest::collection::vec(choice(), 0..10),
            any::<i64>(),
        )
            .prop_map(|(kind, title, description, choices, word_limit)| {
                serde_json::json!({
                    "kind": kind, "title": title, "description": description,
                    "choices": choices, "word_limit": word_limit,
                })
            })
    }

    fn meeting() -> impl Strategy<Value = serde_json::Value> {
        (
            "\\PC{0,60}",
            "\\PC{0,20}",
            any::<bool>(),
            "[A-Za-z0-9]{0,8}|\\PC{0,4}",
            proptest::collection::vec(activity(), 0..6),
            proptest::collection::vec(("\\PC{0,20}", "\\PC{0,20}", any::<i64>(), any::<i64>()), 0..4),
        )
            .prop_map(|(title, code, reward_fastest, flag_prefix, activities, flags)| {
                let flags: Vec<_> = flags
                    .into_iter()
                    .map(|(name, code, points, first_blood)| {
                        serde_json::json!({"name": name, "code": code, "points": points, "first_blood": first_blood})
                    })
                    .collect();
                serde_json::json!({
                    "title": title, "code": code, "reward_fastest": reward_fastest,
                    "flag_prefix": flag_prefix, "activities": activities, "flags": flags,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

        #[test]
        fn any_text(text in "\\PC{0,400}") {
            if let Ok(file) = serde_json::from_str::<MeetingFile>(&text) {
                let _ = file.validate();
            }
        }

        #[test]
        fn random_files(value in meeting()) {
            let text = value.to_string();
            if let Ok(file) = serde_json::from_str::<MeetingFile>(&text)
                && file.validate().is_ok()
            {
                let again: MeetingFile = serde_json::from_str(&serde_json::to_string(&file)?)?;
                prop_assert_eq!(again, file);
            }
        }
    }
}
