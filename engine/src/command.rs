//! What a connection or a tool asks a meeting to do.

use librekast_storage::{ActivityId, AttendeeId, ChoiceId};

use crate::access::Action;
/// Defined with the posts it acts on; named here too, as the `moderate` frame's action.
pub use crate::event::PostAction;
/// Defined with the answers it records; named here too, as the `rate` command's payload.
pub use crate::event::Rating;
use crate::meeting::Expect;
use crate::transition::Control;

#[derive(Debug, Clone)]
pub enum Command {
    /// One choice, or several on a multi-select poll or quiz.
    Vote {
        question_id: ActivityId,
        choice_ids: Vec<ChoiceId>,
    },
    /// A scale's rating or grid items' ratings.
    Rate {
        question_id: ActivityId,
        rating: Rating,
    },
    Word {
        question_id: ActivityId,
        text: String,
    },
    Flag {
        code: String,
    },
    /// An open question's answer (`text_answer`) or a Q&A question (`qna`); acked with the
    /// new post's id.
    Post {
        question_id: ActivityId,
        text: String,
        /// `text_answer` (an `answer` frame) or `qna` (an `ask` frame): a frame meant for
        /// the other kind is a `bad_request`.
        kind: librekast_storage::ActivityKind,
    },
    /// An upvote of a Q&A question.
    Upvote {
        question_id: ActivityId,
        item_id: u32,
    },
    /// Staff: a moderator's decision on a post.
    ModeratePost {
        question_id: ActivityId,
        item_id: u32,
        action: PostAction,
    },
    /// Staff: whether the presenter plays its cues.
    Sounds {
        on: bool,
    },
    /// A staff control, applied only if the meeting is still where `Expect` says (if given).
    Control(Control, Option<Expect>),
    /// A staff moderation action (acked once stored, logged, seen on every screen).
    Moderate(Moderation),
    /// Staff: more time for the open activity's timer.
    AddTime {
        secs: u32,
    },
}

/// What a moderator may do during a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    /// A new display name (already cleaned by the caller).
    Rename { attendee: AttendeeId, name: String },
    /// Off the scoreboard, answers no longer counted, connections closed, seat gone.
    Remove { attendee: AttendeeId },
    /// Hide a word from an activity's cloud (`hide: false` shows it again).
    HideWord {
        activity: ActivityId,
        word: String,
        hide: bool,
    },
    /// The meeting's blocked words (validated by the caller).
    BlockWords { words: Vec<String> },
}

impl Moderation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Moderation::Rename { .. } => "rename",
            Moderation::Remove { .. } => "remove",
            Moderation::HideWord { hide: true, .. } => "hide_word",
            Moderation::HideWord { hide: false, .. } => "show_word",
            Moderation::BlockWords { .. } => "blocked_words",
        }
    }
}

impl Command {
    /// The permission this command needs (see [`crate::access`]).
    pub fn action(&self) -> Action {
        match self {
            Command::Vote { .. }
            | Command::Rate { .. }
            | Command::Word { .. }
            | Command::Flag { .. }
            | Command::Post { .. }
            | Command::Upvote { .. } => Action::Answer,
            Command::Control(..)
            | Command::Moderate(..)
            | Command::AddTime { .. }
            | Command::ModeratePost { .. }
            | Command::Sounds { .. } => Action::Control,
        }
    }
}
