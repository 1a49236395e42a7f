//! What a connection or a tool asks a meeting to do.

use librekast_storage::{ActivityId, ChoiceId};

use crate::access::Action;
use crate::meeting::Expect;
use crate::transition::Control;

#[derive(Debug, Clone)]
pub enum Command {
    Vote {
        question_id: ActivityId,
        choice_id: ChoiceId,
    },
    Word {
        question_id: ActivityId,
        text: String,
    },
    Flag {
        code: String,
    },
    /// A staff control, applied only if the meeting is still where `Expect` says (if given).
    Control(Control, Option<Expect>),
}

impl Command {
    /// The permission this command needs (see [`crate::access`]).
    pub fn action(&self) -> Action {
        match self {
            Command::Vote { .. } | Command::Word { .. } | Command::Flag { .. } => Action::Answer,
            Command::Control(..) => Action::Control,
        }
    }
}
