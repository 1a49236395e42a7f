//! Fixtures shared by the engine's unit tests.

use librekast_storage::{ActivityFile, ActivityKind, MeetingFile};

/// A meeting of one text slide, join code `c`.
pub(crate) fn text_meeting(title: &str) -> MeetingFile {
    MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        blocked_words: vec![],
        bots: vec![],
        title: title.into(),
        code: "c".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        activities: vec![ActivityFile {
            time_limit_secs: 0,
            points: None,
            max_choices: 1,
            partial_credit: false,
            scale: None,
            prior_weight: None,
            image: None,
            alt: String::new(),
            auto_approve: false,
            hide_results_until_reveal: false,
            id: None,
            markup: Default::default(),
            kind: ActivityKind::Text,
            title: "hi".into(),
            description: String::new(),
            choices: vec![],
            word_limit: 3,
            notes: String::new(),
        }],
        flags: vec![],
        sources: vec![],
        chat: Default::default(),
    }
}
