//! The meeting file: JSON for `librekast meeting import` / `export`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::StorageError;
use crate::model::{ActivityKind, Markup, Scoring};
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
    /// Words refused in names and word clouds (whole words, case-insensitive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_words: Vec<String>,
    /// Chat bots: periodic lines, `!command` replies, revolutions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bots: Vec<crate::Bot>,
    /// How quizzes score (`first_bonus`, the default, or `speed`).
    #[serde(default, skip_serializing_if = "Scoring::is_default")]
    pub scoring: Scoring,
    /// Next opens the next activity directly (no separate Start).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_start: bool,
    /// Speed scoring only: extra points for a correct quiz answer after correct ones in a
    /// row (`streak_bonus × min(streak − 1, 5)`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub streak_bonus: u32,
    /// The presenter plays a cue on start, reveal and podium (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub sounds: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityFile {
    /// The stored activity (a plan read with `GET …/plan`); absent in a new item. Ignored
    /// when a file creates a meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub kind: ActivityKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// How `description` is written (`text`, the default, or `markdown`).
    #[serde(default, skip_serializing_if = "Markup::is_text")]
    pub markup: Markup,
    #[serde(default)]
    pub choices: Vec<ChoiceFile>,
    /// Words per attendee (word clouds only).
    #[serde(default = "default_word_limit")]
    pub word_limit: u32,
    /// The organizer's notes: shown on the teleprompter and the dashboard, never to
    /// participants or displays (they often hold the answers).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Seconds it stays open once started (0 or absent: until staff close it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time_limit_secs: u32,
    /// A quiz's points under speed scoring (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// Polls and quizzes: how many choices an attendee may pick (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub max_choices: u32,
    /// Multi-select quizzes: a partly right answer earns a share of the points.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial_credit: bool,
    /// Scales and grids: the values rated with (default 1 to 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<crate::Scale>,
    /// Grids: the Bayesian prior weight of the ranking (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_weight: Option<u32>,
    /// An image of the media store shown with the activity: its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image's alt text, required with an image.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alt: String,
    /// Open questions and Q&A: posts are shown without a moderator's approval.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_approve: bool,
    /// Polls: the audience sees the counts only once revealed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hide_results_until_reveal: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A media store id: 32 lowercase hex digits.
pub fn is_media_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub text: String,
    /// What chat types to pick it (`#a`); generated (`a`, `b`, …) when empty or absent.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub name: String,
    pub code: String,
    pub points: i64,
    /// Bonus points for the first finder.
    #[serde(default)]
    pub first_blood: i64,
}

/// One thing wrong in a meeting file: where (`activities[2].choices`) and what to do about
/// it (the message starts with the field, so it reads alone in a log line too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// The field is the message's leading path (`activities[0].choices[1].slug …`).
    pub fn from_message(message: String) -> FieldError {
        let field: String = message
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
            .collect();
        let field = field.trim_end_matches('.').to_string();
        FieldError { field, message }
    }
}

/// The `n`-th generated slug: `a` … `z`, `aa`, `ab`, …
pub fn generated_slug(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl MeetingFile {
    /// Gives every choice without a slug the first free one of `a`, `b`, … in its activity.
    pub fn fill_slugs(&mut self) {
        for activity in &mut self.activities {
            let taken: HashSet<String> = activity
                .choices
                .iter()
                .map(|c| c.slug.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let mut next = 0;
            for choice in &mut activity.choices {
                if !choice.slug.trim().is_empty() {
                    choice.slug = choice.slug.trim().to_string();
                    continue;
                }
                while taken.contains(&generated_slug(next)) {
                    next += 1;
                }
                choice.slug = generated_slug(next);
                next += 1;
            }
        }
    }

    /// This file without stored ids: what `export` writes and what creates a new meeting.
    pub fn without_ids(mut self) -> MeetingFile {
        for a in &mut self.activities {
            a.id = None;
            for c in &mut a.choices {
                c.id = None;
            }
        }
        for f in &mut self.flags {
            f.id = None;
        }
        self
    }

    /// Checks everything a running meeting relies on; the error is the first problem.
    pub fn validate(&self) -> Result<(), StorageError> {
        match self.problems().into_iter().next() {
            Some(p) => Err(StorageError::InvalidMeeting(p.message)),
            None => Ok(()),
        }
    }

    /// Every problem of the file, in file order, each saying what to fix.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut fail = |msg: String| out.push(FieldError::from_message(msg));

        if self.title.trim().is_empty() {
            fail("title is empty: give the meeting a title".into());
        }
        let title_len = self.title.chars().count();
        if title_len > MAX_TITLE {
            fail(format!(
                "title is {title_len} characters long: use at most {MAX_TITLE}"
            ));
        }
        if self.code.is_empty() {
            fail("code is empty: give the join code attendees will type".into());
        } else if self.code.chars().count() > MAX_CODE {
            fail(format!(
                "code {:?} is too long: use at most {MAX_CODE} characters",
                self.code
            ));
        } else if self.code.chars().any(char::is_whitespace) {
            fail(format!(
                "code {:?} contains whitespace: use a single word",
                self.code
            ));
        }
        if self.flag_prefix.chars().count() > MAX_FLAG_PREFIX {
            fail(format!(
                "flag_prefix {:?} is too long: use at most {MAX_FLAG_PREFIX} characters",
                self.flag_prefix
            ));
        } else if self.flag_prefix.is_empty() || !is_slug(&self.flag_prefix) {
            fail(format!(
                "flag_prefix {:?}: use letters, digits, '-' or '_' (at least one)",
                self.flag_prefix
            ));
        }
        if self.activities.is_empty() {
            fail("activities is empty: add at least one activity".into());
        }
        if self.activities.len() > MAX_ACTIVITIES {
            fail(format!(
                "activities: {} activities; a meeting holds at most {MAX_ACTIVITIES}",
                self.activities.len()
            ));
        }
        if let Err(StorageError::InvalidMeeting(m)) = validate_sources(&self.sources) {
            fail(m);
        }
        if let Err(StorageError::InvalidMeeting(m)) = self.chat.validate() {
            fail(m);
        }
        if self.blocked_words.len() > MAX_BLOCKED_WORDS {
            fail(format!(
                "blocked_words: {} words; use at most {MAX_BLOCKED_WORDS}",
                self.blocked_words.len()
            ));
        }
        for message in crate::bot_problems(&self.bots) {
            fail(message);
        }
        for (i, word) in self.blocked_words.iter().enumerate() {
            let n = word.trim().chars().count();
            if n == 0 || n > MAX_BLOCKED_CHARS {
                fail(format!(
                    "blocked_words[{i}] {word:?}: use 1 to {MAX_BLOCKED_CHARS} characters"
                ));
            }
        }

        for (i, activity) in self.activities.iter().enumerate() {
            let at = format!("activities[{i}]");
            if activity.title.trim().is_empty() {
                fail(format!("{at}.title is empty: every activity needs a title"));
            }
            let len = activity.title.chars().count();
            if len > MAX_ACTIVITY_TITLE {
                fail(format!(
                    "{at}.title is {len} characters long: use at most {MAX_ACTIVITY_TITLE} (put the rest in the description)"
                ));
            }
            let len = activity.description.chars().count();
            if len > MAX_DESCRIPTION {
                fail(format!(
                    "{at}.description is {len} characters long: use at most {MAX_DESCRIPTION}"
                ));
            }
            let len = activity.notes.chars().count();
            if len > MAX_NOTES {
                fail(format!(
                    "{at}.notes is {len} characters long: use at most {MAX_NOTES}"
                ));
            }
            let limit = activity.time_limit_secs;
            if limit != 0 && activity.kind == ActivityKind::Text {
                fail(format!(
                    "{at}.time_limit_secs: a text slide takes no answers and has no timer; remove it"
                ));
            } else if limit != 0 && !(MIN_TIME_LIMIT..=MAX_TIME_LIMIT).contains(&limit) {
                fail(format!(
                    "{at}.time_limit_secs {limit}: use {MIN_TIME_LIMIT} to {MAX_TIME_LIMIT} seconds, or 0 for no timer"
                ));
            } else if limit == 0
                && self.scoring == Scoring::Speed
                && activity.kind == ActivityKind::Quiz
            {
                fail(format!(
                    "{at}.time_limit_secs: speed scoring counts from the quiz's time limit; give this quiz one (e.g. 20)"
                ));
            }
            if let Some(points) = activity.points {
                if activity.kind != ActivityKind::Quiz {
                    fail(format!("{at}.points: only quizzes score points; remove it"));
                } else if !(1..=MAX_POINTS).contains(&points) {
                    fail(format!(
                        "{at}.points {points}: use 1 to {MAX_POINTS} (default {})",
                        crate::model::DEFAULT_POINTS
                    ));
                }
            }
            if !(MIN_WORD_LIMIT..=MAX_WORD_LIMIT).contains(&activity.word_limit) {
                fail(format!(
                    "{at}.word_limit {}: use {MIN_WORD_LIMIT} to {MAX_WORD_LIMIT}",
                    activity.word_limit
                ));
            }
            for message in answer_rule_problems(&at, activity) {
                fail(message);
            }
            for message in image_problems(&at, activity) {
                fail(message);
            }
            if !activity.kind.lists_choices() {
                if !activity.choices.is_empty() {
                    fail(format!(
                        "{at}.choices: a {} activity takes no choices; remove them or make it a poll, quiz or grid",
                        activity.kind.wire()
                    ));
                }
                continue;
            }
            if activity.choices.len() < 2 {
                fail(format!(
                    "{at}.choices: a {} needs at least 2 choices, found {}",
                    activity.kind.wire(),
                    activity.choices.len()
                ));
            }
            if activity.choices.len() > MAX_CHOICES {
                fail(format!(
                    "{at}.choices: {} choices; use at most {MAX_CHOICES}",
                    activity.choices.len()
                ));
            }
            let mut slugs = HashSet::new();
            for (j, choice) in activity.choices.iter().enumerate() {
                let at = format!("{at}.choices[{j}]");
                if choice.text.trim().is_empty() {
                    fail(format!("{at}.text is empty: every choice needs a text"));
                }
                let len = choice.text.chars().count();
                if len > MAX_CHOICE_TEXT {
                    fail(format!(
                        "{at}.text is {len} characters long: use at most {MAX_CHOICE_TEXT}"
                    ));
                }
                if choice.slug.is_empty() {
                    fail(format!(
                        "{at}.slug is empty: give a short name like \"a\" that attendees can type"
                    ));
                } else if !is_slug(&choice.slug) {
                    fail(format!(
                        "{at}.slug {:?}: use letters, digits, '-' or '_'",
                        choice.slug
                    ));
                } else if choice.slug.chars().count() > MAX_SLUG {
                    fail(format!(
                        "{at}.slug {:?} is too long: use at most {MAX_SLUG} characters",
                        choice.slug
                    ));
                } else if !slugs.insert(choice.slug.to_lowercase()) {
                    fail(format!(
                        "{at}.slug {:?} is used twice in this activity: slugs must be unique",
                        choice.slug
                    ));
                }
            }
            if activity.kind == ActivityKind::Grid && activity.choices.iter().any(|c| c.correct) {
                fail(format!(
                    "{at}.choices: a grid's items are rated, none is correct; remove \"correct\""
                ));
            }
            if activity.kind == ActivityKind::Quiz && !activity.choices.iter().any(|c| c.correct) {
                fail(format!(
                    "{at}.choices: a quiz needs at least one choice with \"correct\": true"
                ));
            }
        }

        if self.streak_bonus > MAX_STREAK_BONUS {
            fail(format!(
                "streak_bonus {}: use 0 to {MAX_STREAK_BONUS} points",
                self.streak_bonus
            ));
        } else if self.streak_bonus > 0 && self.scoring != Scoring::Speed {
            fail(
                "streak_bonus: a streak bonus adds to speed scoring; set \"scoring\": \"speed\" or remove it"
                    .into(),
            );
        }

        let mut codes = HashSet::new();
        for (i, flag) in self.flags.iter().enumerate() {
            let at = format!("flags[{i}]");
            if flag.name.trim().is_empty() {
                fail(format!("{at}.name is empty: every flag needs a name"));
            }
            let code_len = flag.code.chars().count();
            if flag.code.trim().is_empty() {
                fail(format!(
                    "{at}.code is empty: every flag needs a code to submit"
                ));
            } else if code_len > MAX_FLAG_CODE {
                fail(format!(
                    "{at}.code is {code_len} characters long: use at most {MAX_FLAG_CODE} (a submission, PREFIX{{code}}, is at most 200)"
                ));
            } else if !codes.insert(flag.code.as_str()) {
                fail(format!(
                    "{at}.code {:?} is used by another flag: flag codes must be unique",
                    flag.code
                ));
            }
            if flag.points < 0 {
                fail(format!("{at}.points {}: use 0 or more", flag.points));
            }
            if flag.first_blood < 0 {
                fail(format!(
                    "{at}.first_blood {}: use 0 or more",
                    flag.first_blood
                ));
            }
        }
        out
    }
}

const MAX_TITLE: usize = 200;
const MAX_CODE: usize = 64;
const MAX_SLUG: usize = 32;
const MIN_WORD_LIMIT: u32 = 1;
const MAX_WORD_LIMIT: u32 = 50;
const MAX_ACTIVITIES: usize = 500;
const MAX_ACTIVITY_TITLE: usize = 500;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_NOTES: usize = 5_000;
const MIN_TIME_LIMIT: u32 = 5;
const MAX_TIME_LIMIT: u32 = 3_600;
const MAX_POINTS: u32 = 100_000;
const MAX_CHOICES: usize = 26;
const MAX_STREAK_BONUS: u32 = 1_000;
const MAX_PRIOR_WEIGHT: u32 = 1_000;
/// The widest scale: 0–100, as the original's roadmap asked.
const MAX_SCALE_SPAN: i64 = 100;
const SCALE_BOUND: i32 = 100;
const MAX_LABEL: usize = 40;
const MAX_CHOICE_TEXT: usize = 300;
const MAX_ALT: usize = 300;
const MAX_BLOCKED_WORDS: usize = 1_000;
const MAX_BLOCKED_CHARS: usize = 40;
/// With the braces, `PREFIX{code}` stays within the 200 characters a submission may have.
const MAX_FLAG_PREFIX: usize = 32;
const MAX_FLAG_CODE: usize = 100;

/// Slugs and prefixes are typed in chat and embedded in flag strings, so they stay ASCII.
fn is_slug(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Fuzzing the meeting-file parser (bounded, in every test run): any text, and files with
/// random values in every field, parse and validate without panicking; what validates
/// survives a round trip through JSON unchanged.
/// What is wrong with an activity's answer rules: `max_choices`, `partial_credit`,
/// `scale` and `prior_weight`, each only where its kind uses it.
fn answer_rule_problems(at: &str, activity: &ActivityFile) -> Vec<String> {
    let mut out = Vec::new();
    let kind = activity.kind;
    if kind.has_choices() {
        let n = activity.choices.len().max(1);
        if activity.max_choices == 0 || activity.max_choices as usize > n {
            out.push(format!(
                "{at}.max_choices {}: use 1 (one choice) to {n} (every choice)",
                activity.max_choices
            ));
        }
        let correct = activity.choices.iter().filter(|c| c.correct).count();
        if kind == ActivityKind::Quiz
            && activity.max_choices > 1
            && correct > activity.max_choices as usize
        {
            out.push(format!(
                "{at}.max_choices {}: the quiz has {correct} correct choices, so nobody could pick them all; allow at least {correct}",
                activity.max_choices
            ));
        }
    } else if activity.max_choices != 1 {
        out.push(format!(
            "{at}.max_choices: only polls and quizzes take several choices; remove it"
        ));
    }
    if activity.partial_credit {
        if kind != ActivityKind::Quiz {
            out.push(format!(
                "{at}.partial_credit: only quizzes score answers; remove it"
            ));
        } else if activity.max_choices < 2 {
            out.push(format!(
                "{at}.partial_credit: partial credit needs several choices per answer; set \"max_choices\" to 2 or more"
            ));
        }
    }
    match (&activity.scale, kind.is_rating()) {
        (Some(_), false) => out.push(format!(
            "{at}.scale: only scales and grids are rated on a scale; remove it"
        )),
        (Some(scale), true) => out.extend(scale_problems(at, scale)),
        (None, _) => {}
    }
    if let Some(weight) = activity.prior_weight {
        if kind != ActivityKind::Grid {
            out.push(format!(
                "{at}.prior_weight: only grids are ranked with a prior weight; remove it"
            ));
        } else if weight > MAX_PRIOR_WEIGHT {
            out.push(format!(
                "{at}.prior_weight {weight}: use 0 (plain means) to {MAX_PRIOR_WEIGHT} (default {})",
                crate::model::DEFAULT_PRIOR_WEIGHT
            ));
        }
    }
    out
}

/// What is wrong with an activity's image, alt text and post rules.
fn image_problems(at: &str, activity: &ActivityFile) -> Vec<String> {
    let mut out = Vec::new();
    match &activity.image {
        Some(id) if !is_media_id(id) => out.push(format!(
            "{at}.image {id:?}: give the id of an image of the media store (32 hex digits, shown on the Media page)"
        )),
        Some(_) => {
            let len = activity.alt.trim().chars().count();
            if len == 0 {
                out.push(format!(
                    "{at}.alt is empty: describe the image for people who cannot see it (it is read aloud by screen readers)"
                ));
            } else if len > MAX_ALT {
                out.push(format!(
                    "{at}.alt is {len} characters long: use at most {MAX_ALT}"
                ));
            }
        }
        None if !activity.alt.is_empty() => out.push(format!(
            "{at}.alt: there is no image to describe; remove it or add \"image\""
        )),
        None => {}
    }
    if activity.auto_approve && !activity.kind.takes_posts() {
        out.push(format!(
            "{at}.auto_approve: only open questions (text_answer) and Q&A (qna) are moderated; remove it"
        ));
    }
    if activity.hide_results_until_reveal && activity.kind != ActivityKind::Poll {
        out.push(format!(
            "{at}.hide_results_until_reveal: only polls show live results (a quiz always waits for its reveal); remove it"
        ));
    }
    out
}

fn scale_problems(at: &str, scale: &crate::Scale) -> Vec<String> {
    let mut out = Vec::new();
    let (min, max) = (scale.min, scale.max);
    if !(-SCALE_BOUND..=SCALE_BOUND).contains(&min) || !(-SCALE_BOUND..=SCALE_BOUND).contains(&max)
    {
        out.push(format!(
            "{at}.scale: min {min} and max {max} must both lie between -{SCALE_BOUND} and {SCALE_BOUND}"
        ));
    } else if min >= max {
        out.push(format!(
            "{at}.scale: min {min} must be below max {max} (e.g. 1 to 5, or 0 to 10)"
        ));
    } else if i64::from(max) - i64::from(min) > MAX_SCALE_SPAN {
        out.push(format!(
            "{at}.scale: {min} to {max} has too many values; use at most {} (e.g. 0 to 100)",
            MAX_SCALE_SPAN + 1
        ));
    }
    let values = scale.len();
    let n = scale.labels.len();
    if n != 0 && n != 2 && n != values {
        out.push(format!(
            "{at}.scale.labels: {n} labels; give none, 2 (the two ends) or one per value ({values})"
        ));
    }
    for (i, label) in scale.labels.iter().enumerate() {
        let len = label.trim().chars().count();
        if len == 0 || len > MAX_LABEL {
            out.push(format!(
                "{at}.scale.labels[{i}]: use 1 to {MAX_LABEL} characters"
            ));
        }
    }
    out
}

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
                Just("text_answer"),
                Just("qna"),
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
