//! The meeting file: JSON for `librekast meeting import` / `export`.

use serde::{Deserialize, Serialize};

use crate::model::ActivityKind;
use crate::StorageError;

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
        todo!("helper: see storage task")
    }
}
