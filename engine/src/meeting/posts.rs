//! Open questions (`text_answer`) and audience Q&A (`qna`): posts, upvotes and moderation,
//! and which posts each audience sees. A post's id is its number in its activity (1, 2, …):
//! the number the presenter shows and chat upvotes with (`#+12`).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;

use librekast_storage::{
    ActivityId, ActivityKind, AttendeeId, MAX_POST_CHARS, Micros, PostRecord, PostStatus,
    UpvoteRecord, WriteOp,
};

use super::{Activity, Meeting};
use crate::ErrorCode;
use crate::event::{ItemCounts, ItemView, Items, PostAction};

/// Questions one attendee may ask in one Q&A: enough for a curious person, too few to
/// flood the moderators' queue.
pub const QUESTIONS_PER_ATTENDEE: usize = 5;
/// Posts participants and displays are sent (the presenter shows far fewer).
pub const PUBLIC_ITEMS: usize = 50;
/// Posts staff are sent: the moderation queue first.
pub const STAFF_ITEMS: usize = 500;

/// The author of a missing post's placeholder (no attendee has id 0).
const NOBODY: AttendeeId = AttendeeId(0);

#[derive(Debug, Clone)]
pub(super) struct Post {
    pub number: u32,
    pub attendee: AttendeeId,
    pub text: Arc<str>,
    pub status: PostStatus,
    pub pinned: bool,
    pub answered: bool,
    pub votes: u32,
}

/// An activity's posts, with who posted and who upvoted what.
#[derive(Debug, Clone, Default)]
pub(super) struct Posts {
    /// By number − 1.
    list: Vec<Post>,
    by: HashMap<AttendeeId, Vec<u32>>,
    upvoted: HashMap<AttendeeId, Vec<u32>>,
}

impl Posts {
    pub fn mine(&self, attendee: AttendeeId) -> &[u32] {
        self.by.get(&attendee).map_or(&[], Vec::as_slice)
    }

    pub fn my_upvotes(&self, attendee: AttendeeId) -> &[u32] {
        self.upvoted.get(&attendee).map_or(&[], Vec::as_slice)
    }

    pub fn text_of(&self, number: u32) -> Option<&str> {
        self.get(number).map(|p| &*p.text)
    }

    fn get(&self, number: u32) -> Option<&Post> {
        self.list.get(usize::try_from(number).ok()?.checked_sub(1)?)
    }

    fn get_mut(&mut self, number: u32) -> Option<&mut Post> {
        self.list
            .get_mut(usize::try_from(number).ok()?.checked_sub(1)?)
    }

    fn push(&mut self, post: Post) {
        self.by.entry(post.attendee).or_default().push(post.number);
        self.list.push(post);
    }

    fn upvote(&mut self, attendee: AttendeeId, number: u32) {
        if let Some(p) = self.get_mut(number) {
            p.votes += 1;
            self.upvoted.entry(attendee).or_default().push(number);
        }
    }

    /// A removed attendee's upvotes stop counting (their posts are skipped when shown).
    pub fn forget_upvotes(&mut self, attendee: AttendeeId) {
        for number in self.upvoted.remove(&attendee).unwrap_or_default() {
            if let Some(p) = self.get_mut(number) {
                p.votes = p.votes.saturating_sub(1);
            }
        }
    }
}

/// A post's text as stored: trimmed, 1 to [`MAX_POST_CHARS`] characters.
fn clean(text: &str) -> Result<String, ErrorCode> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_POST_CHARS {
        return Err(ErrorCode::BadRequest);
    }
    Ok(text.to_string())
}

impl Activity {
    pub(super) fn load_post(&mut self, p: PostRecord) {
        // Numbers are dense from 1; a gap (a post of a removed attendee left out on load)
        // is kept as a hidden placeholder so later numbers stay where they are.
        while self.posts.list.len() + 1 < p.number as usize {
            let number = self.posts.list.len() as u32 + 1;
            self.posts.list.push(Post {
                number,
                attendee: NOBODY,
                text: Arc::from(""),
                status: PostStatus::Hidden,
                pinned: false,
                answered: false,
                votes: 0,
            });
        }
        if self.posts.list.len() + 1 != p.number as usize {
            return;
        }
        self.posts.push(Post {
            number: p.number,
            attendee: p.attendee_id,
            text: Arc::from(p.text),
            status: p.status,
            pinned: p.pinned,
            answered: p.answered,
            votes: 0,
        });
    }

    pub(super) fn load_upvote(&mut self, u: &UpvoteRecord) {
        self.posts.upvote(u.attendee_id, u.number);
    }

    /// A new text answer or question: checked, numbered, remembered.
    fn post(
        &mut self,
        attendee: AttendeeId,
        text: &str,
        at: Micros,
        blocked: impl Fn(&str) -> bool,
    ) -> Result<(u32, WriteOp), ErrorCode> {
        let text = clean(text)?;
        let mine = self.posts.mine(attendee).len();
        match self.kind {
            ActivityKind::TextAnswer if mine > 0 => return Err(ErrorCode::AlreadyVoted),
            ActivityKind::Qna if mine >= QUESTIONS_PER_ATTENDEE => {
                return Err(ErrorCode::LimitReached);
            }
            ActivityKind::TextAnswer | ActivityKind::Qna => {}
            _ => return Err(ErrorCode::BadRequest),
        }
        if blocked(&text) {
            return Err(ErrorCode::BlockedWord);
        }
        let number =
            u32::try_from(self.posts.list.len() + 1).map_err(|_| ErrorCode::LimitReached)?;
        let status = if self.auto_approve {
            PostStatus::Approved
        } else {
            PostStatus::Pending
        };
        self.posts.push(Post {
            number,
            attendee,
            text: Arc::from(text.as_str()),
            status,
            pinned: false,
            answered: false,
            votes: 0,
        });
        Ok((
            number,
            WriteOp::Post {
                activity: self.id,
                number,
                attendee,
                text,
                status,
                at,
            },
        ))
    }

    fn add_upvote(
        &mut self,
        attendee: AttendeeId,
        number: u32,
        at: Micros,
    ) -> Result<WriteOp, ErrorCode> {
        if self.kind != ActivityKind::Qna {
            return Err(ErrorCode::BadRequest);
        }
        match self.posts.get(number) {
            // A placeholder is hidden: never approved, never upvoted.
            Some(p) if p.status == PostStatus::Approved => {}
            _ => return Err(ErrorCode::NotFound),
        }
        if self.posts.my_upvotes(attendee).contains(&number) {
            return Err(ErrorCode::AlreadyVoted);
        }
        self.posts.upvote(attendee, number);
        Ok(WriteOp::Upvote {
            activity: self.id,
            number,
            attendee,
            at,
        })
    }

    /// What every audience is sent of the posts; `removed` attendees' posts are left out.
    pub(super) fn items(
        &self,
        names: impl Fn(AttendeeId) -> Option<(String, &'static str)>,
    ) -> Items {
        let mut counts = ItemCounts::default();
        let mut pending = Vec::new();
        let mut shown = Vec::new();
        let mut hidden = Vec::new();
        for p in &self.posts.list {
            let Some((name, platform)) = names(p.attendee) else {
                continue;
            };
            let view = ItemView {
                id: p.number,
                text: p.text.clone(),
                name,
                platform,
                votes: p.votes,
                status: p.status.code(),
                pinned: p.pinned,
                answered: p.answered,
            };
            match p.status {
                PostStatus::Pending => {
                    counts.pending += 1;
                    pending.push(view);
                }
                PostStatus::Approved => {
                    counts.approved += 1;
                    counts.answered += u64::from(p.answered);
                    shown.push(view);
                }
                PostStatus::Hidden => {
                    counts.hidden += 1;
                    hidden.push(view);
                }
            }
        }
        if self.kind == ActivityKind::Qna {
            shown.sort_by_key(|v| (!v.pinned, v.answered, Reverse(v.votes), v.id));
        } else {
            shown.sort_by_key(|v| (!v.pinned, Reverse(v.id)));
        }
        hidden.reverse();
        let public: Vec<ItemView> = shown.iter().take(PUBLIC_ITEMS).cloned().collect();
        let staff: Vec<ItemView> = pending
            .into_iter()
            .chain(shown)
            .chain(hidden)
            .take(STAFF_ITEMS)
            .collect();
        Items {
            question_id: self.id,
            kind: self.kind,
            staff,
            public,
            counts,
        }
    }
}

impl Meeting {
    /// A text answer (`text_answer`) or a question (`qna`): its number and the row to store.
    /// `kind` is what the client meant to answer.
    pub fn post(
        &mut self,
        attendee: AttendeeId,
        question: ActivityId,
        kind: ActivityKind,
        text: &str,
        at: Micros,
    ) -> Result<(u32, WriteOp), ErrorCode> {
        self.present(attendee)?;
        let blocklist = Arc::clone(&self.blocklist);
        let activity = self.open_activity(question, at)?;
        if activity.kind != kind {
            return Err(ErrorCode::BadRequest);
        }
        activity.post(attendee, text, at, |t| blocklist.blocks(t))
    }

    /// One upvote of a visible Q&A question, once per attendee.
    pub fn upvote(
        &mut self,
        attendee: AttendeeId,
        question: ActivityId,
        number: u32,
        at: Micros,
    ) -> Result<WriteOp, ErrorCode> {
        self.present(attendee)?;
        self.open_activity(question, at)?
            .add_upvote(attendee, number, at)
    }

    /// A chat viewer's post or upvote, also during a held reveal for a line given before
    /// the close.
    pub(super) fn chat_post(
        activity: &mut Activity,
        attendee: AttendeeId,
        post: ChatPost,
        at: Micros,
        blocked: impl Fn(&str) -> bool,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        match post {
            ChatPost::Text(text) => activity
                .post(attendee, &text, at, blocked)
                .map(|(_, op)| vec![op]),
            ChatPost::Upvote(number) => {
                activity.add_upvote(attendee, number, at).map(|op| vec![op])
            }
        }
    }

    /// A moderator's decision on a post, whatever the meeting's status. `Ok(None)`: it
    /// changed nothing.
    pub fn moderate_post(
        &mut self,
        question: ActivityId,
        number: u32,
        action: PostAction,
    ) -> Result<Option<WriteOp>, ErrorCode> {
        let activity = self
            .activities
            .iter_mut()
            .find(|a| a.id == question)
            .ok_or(ErrorCode::NotFound)?;
        let removed = &self.removed;
        let post = activity
            .posts
            .get_mut(number)
            .filter(|p| p.attendee != NOBODY && !removed.contains(&p.attendee))
            .ok_or(ErrorCode::NotFound)?;
        let before = (post.status, post.pinned, post.answered);
        match action {
            PostAction::Approve => post.status = PostStatus::Approved,
            PostAction::Pin => {
                post.status = PostStatus::Approved;
                post.pinned = true;
                post.answered = false;
            }
            PostAction::Unpin => post.pinned = false,
            PostAction::Answered => {
                post.status = PostStatus::Approved;
                post.answered = true;
                post.pinned = false;
            }
            PostAction::Hide => {
                post.status = PostStatus::Hidden;
                post.pinned = false;
            }
        }
        if (post.status, post.pinned, post.answered) == before {
            return Ok(None);
        }
        Ok(Some(WriteOp::Moderate {
            activity: question,
            number,
            status: post.status,
            pinned: post.pinned,
            answered: post.answered,
        }))
    }

    /// The current activity's posts while it takes posts, for the view layer.
    pub fn items(&self) -> Option<Items> {
        let a = self.current().filter(|a| a.kind.takes_posts())?;
        Some(a.items(|id| {
            if self.removed.contains(&id) {
                return None;
            }
            self.attendees
                .get(&id)
                .map(|a| (a.name.clone(), a.platform.code()))
        }))
    }
}

/// What a chat line does to an open question or a Q&A.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatPost {
    /// `#I think so`: an answer, or a question.
    Text(String),
    /// `#+12`: an upvote of question 12.
    Upvote(u32),
}

/// How a chat answer reads on an open question or Q&A.
pub(super) fn chat_post(kind: ActivityKind, answer: &str) -> Option<ChatPost> {
    if kind == ActivityKind::Qna
        && let Some(n) = answer.strip_prefix('+')
        && let Ok(number) = n.trim().parse::<u32>()
    {
        return Some(ChatPost::Upvote(number));
    }
    clean(answer).ok().map(ChatPost::Text)
}
