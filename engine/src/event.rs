//! What a meeting publishes: typed [`Event`]s on one channel, and the plain data they carry.
//! Nothing here knows who will see it: the [`crate::view`] layer decides that per audience and
//! renders each event once per audience. Bots and other extensions read the events as they
//! are, never JSON.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use librekast_storage::{ActivityId, ActivityKind, ActivityState, AttendeeId, ChoiceId};
use librekast_storage::{MeetingId, MeetingStatus};
use serde::Serialize;

/// One thing that happened in a meeting, in the order the meeting actor saw it.
#[derive(Debug, Clone)]
pub enum Event {
    /// The meeting moved (a control, a rebuild).
    State(Arc<MeetingView>),
    /// Only the scoreboard changed (a flag capture): a new state for whoever sees it.
    Scoreboard(Arc<MeetingView>),
    /// Live counts of the current poll or quiz (coalesced).
    Tally(Arc<Tally>),
    /// The current word cloud (coalesced).
    Words(Arc<Words>),
    /// The current open question's answers or Q&A's questions (coalesced).
    Items(Arc<Items>),
    /// Who joined lately, and how many so far (coalesced): staff and displays.
    Lobby(Arc<Lobby>),
    /// Everyone's score and rank; published before the `State` that shows them.
    Standings(Arc<Standings>),
    /// A flag submission, right or wrong.
    FlagAttempt(Arc<AttemptView>),
    /// Participants connected right now (coalesced).
    Presence { participants: i64 },
    /// A chat line worth showing (staff and displays; at most a few of each batch).
    Chat(Arc<ChatLine>),
    /// What a chat batch said that bots listen to (every `!command`, how many lines):
    /// rendered for no audience.
    Heard(Arc<Heard>),
    /// An on-stream alert (platforms, revolutions, the dashboard's test button).
    Alert(Arc<crate::alerts::Alert>),
    /// The bots' live state (a revolution's count toward its threshold): staff only.
    Bots(Arc<BotsStatus>),
    /// A chat source changed status (adapters, later).
    Adapter(Arc<AdapterStatus>),
    /// Every display link of the meeting was revoked: display connections must close.
    DisplaysRevoked,
    /// The meeting's tree is stopping (idle): connections close and may reconnect.
    Stopping,
    /// A moderator removed this attendee: their connections close (4003).
    Removed(librekast_storage::AttendeeId),
    /// A moderator renamed this attendee: their connections' own `you` follows (the `state`
    /// published right after shows it).
    Renamed(librekast_storage::AttendeeId, Arc<str>),
}

/// Everything any audience may need to draw the meeting at one moment. The view layer
/// picks what each audience may see.
#[derive(Debug, Clone)]
pub struct MeetingView {
    pub meeting_id: MeetingId,
    pub title: String,
    pub status: MeetingStatus,
    pub position: usize,
    pub activity_count: usize,
    /// The activity at `position`, whatever the status.
    pub current: Option<ActivityView>,
    /// Counts of the current poll or quiz while it is shown (ongoing or results).
    pub results: Option<Tally>,
    /// The current word cloud while it is shown (ongoing or results).
    pub words: Option<Vec<WordCount>>,
    /// The top of the scoreboard, highest first (ties: earliest joined first).
    pub scoreboard: Vec<ScoreRow>,
    pub plan: Vec<PlanItem>,
    pub flag_attempts: Vec<AttemptView>,
    /// Each chat source's current status (staff).
    pub sources: Vec<AdapterStatus>,
    /// How to answer from chat, when the meeting reads any (every audience).
    pub chat: Option<ChatHint>,
    /// When a held reveal happens (microseconds since the epoch; staff count it down).
    pub reveal_at: Option<librekast_storage::Micros>,
    /// When the open activity's timer closes it (every audience counts it down).
    pub closes_at: Option<librekast_storage::Micros>,
    /// The current activity's posts when it takes posts (whatever the status; the view
    /// layer shows them to the audience only while the activity is shown).
    pub items: Option<Arc<Items>>,
    /// Who joined lately (staff and displays).
    pub lobby: Arc<Lobby>,
    /// The top 5 with their rank before the quiz, while a speed-scored quiz's results show.
    pub leaderboard: Option<Vec<LeaderRow>>,
    /// The presenter plays its cues.
    pub sounds: bool,
}

/// An open question's answers or a Q&A's questions, as each audience may see them.
#[derive(Debug, Clone)]
pub struct Items {
    pub question_id: ActivityId,
    pub kind: ActivityKind,
    /// Every post (at most [`crate::meeting::STAFF_ITEMS`]): pending first, then the shown
    /// ones in screen order, then hidden ones.
    pub staff: Vec<ItemView>,
    /// Approved posts in screen order (at most [`crate::meeting::PUBLIC_ITEMS`]).
    pub public: Vec<ItemView>,
    pub counts: ItemCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: u32,
    pub text: Arc<str>,
    pub name: String,
    pub platform: &'static str,
    pub votes: u32,
    pub status: &'static str,
    pub pinned: bool,
    pub answered: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ItemCounts {
    pub pending: u64,
    pub approved: u64,
    pub hidden: u64,
    pub answered: u64,
}

/// The latest people to join, newest last, and how many joined so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Lobby {
    pub count: usize,
    pub names: Vec<LobbyName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LobbyName {
    pub name: String,
    pub platform: &'static str,
}

/// A row of the leaderboard shown after a speed-scored quiz.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderRow {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub platform: &'static str,
    pub score: i64,
    pub rank: u32,
    pub previous_rank: u32,
    /// What this quiz paid.
    pub gained: i64,
}

/// What the screens show so chat viewers know what to type.
#[derive(Debug, Clone, Serialize)]
pub struct ChatHint {
    pub vote_prefix: String,
    /// `twitch`, `youtube`.
    pub platforms: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub struct ActivityView {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub title: String,
    pub description_html: String,
    pub word_limit: u32,
    pub choices: Vec<ChoiceView>,
    /// The organizer's notes (staff and prompters only).
    pub notes: Arc<str>,
    /// Seconds it stays open once started (0: no timer).
    pub time_limit_secs: u32,
    /// Choices an attendee may pick (1: single choice).
    pub max_choices: u32,
    pub partial_credit: bool,
    /// A scale's or grid's values.
    pub scale: Option<librekast_storage::Scale>,
    pub prior_weight: u32,
    /// A media store id, and its alt text.
    pub image: Option<String>,
    pub alt: String,
    pub auto_approve: bool,
    /// A poll's counts wait for the reveal.
    pub hide_results: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChoiceView {
    pub id: ChoiceId,
    pub text: String,
    pub slug: String,
    #[serde(skip)]
    pub correct: bool,
}

/// Counts of a poll or quiz: every choice, zeros included, in choice order.
#[derive(Debug, Clone)]
pub struct Tally {
    pub question_id: ActivityId,
    pub kind: ActivityKind,
    pub counts: Vec<(ChoiceId, u64)>,
    pub total: u64,
    /// The correct choices (empty for a poll).
    pub correct: Vec<ChoiceId>,
    /// A quiz before its reveal: per-choice counts are for staff only.
    pub hidden: bool,
    /// The counts split by where the voters are (staff only): the room always, and each
    /// chat platform of the meeting.
    pub by_platform: Vec<(librekast_storage::Platform, Vec<(ChoiceId, u64)>)>,
    /// A scale's or grid's statistics.
    pub ratings: Option<RatingResults>,
}

/// What a `rate` frame or a chat line gives: a scale's value, or values for grid items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rating {
    Value(i64),
    Items(Vec<(ChoiceId, i64)>),
}

/// What a moderator does with a text answer or a Q&A question (`moderate` frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostAction {
    /// Shown to everyone.
    Approve,
    /// Approved and highlighted on top.
    Pin,
    Unpin,
    /// Approved, no longer pinned, shown as answered (after the others).
    Answered,
    /// Off every screen but staff's.
    Hide,
}

impl PostAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PostAction::Approve => "approve",
            PostAction::Pin => "pin",
            PostAction::Unpin => "unpin",
            PostAction::Answered => "answered",
            PostAction::Hide => "hide",
        }
    }
}

/// The statistics of a rating activity, for `results` and `tally`.
#[derive(Debug, Clone)]
pub enum RatingResults {
    Scale(librekast_storage::RatingStats),
    Grid(librekast_storage::GridStats),
}

#[derive(Debug, Clone)]
pub struct Words {
    pub question_id: ActivityId,
    pub words: Vec<WordCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordCount {
    pub text: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreRow {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub score: i64,
    pub platform: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    pub id: ActivityId,
    pub kind: &'static str,
    pub title: String,
    pub state: &'static str,
}

impl PlanItem {
    pub fn new(id: ActivityId, kind: ActivityKind, title: &str, state: ActivityState) -> Self {
        PlanItem {
            id,
            kind: kind.wire(),
            title: title.to_string(),
            state: state.code(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttemptView {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub submitted: String,
    pub outcome: &'static str,
    pub flag: Option<String>,
    pub points: i64,
}

/// Everyone's score and rank, published when scores changed; each participant connection
/// picks its own. `awards` holds the points of the quiz that just closed (0 for a wrong
/// answer), by voter.
#[derive(Debug, Clone, Default)]
pub struct Standings {
    pub ranks: HashMap<AttendeeId, (i64, u32)>,
    pub awards: HashMap<AttendeeId, (ActivityId, i64)>,
    /// A `State` follows at once (a control): its `you` carries every new rank, so a rank
    /// that moved needs no `score` frame of its own (at a quiz reveal that is one frame less
    /// for nearly every participant).
    pub state_follows: bool,
}

/// A participant's own seat, rendered into their `state` frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct You {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub score: i64,
    /// 1-based place in the scoreboard order (score, then who joined first).
    pub rank: u32,
    /// What this participant gave to the current activity, if anything.
    pub answer: Option<Answer>,
}

/// A participant's answer to one activity: the choice of a poll or quiz (with the points a
/// closed quiz paid for it), or the words given to a word cloud. It lets a page that was
/// reloaded show "your answer" and the quiz correction again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub question_id: ActivityId,
    /// The first (or only) choice picked.
    pub choice_id: Option<ChoiceId>,
    /// Every choice picked, in the order given.
    pub choice_ids: Vec<ChoiceId>,
    pub words: Vec<String>,
    /// A scale's rating.
    pub value: Option<i32>,
    /// A grid's ratings by item.
    pub ratings: BTreeMap<ChoiceId, i32>,
    /// An open question's answer.
    pub text: Option<String>,
    /// Their own posts' ids (an open question's answer, their Q&A questions).
    pub items: Vec<u32>,
    /// The Q&A questions they upvoted.
    pub upvoted: Vec<u32>,
    /// Quiz points paid for this answer once the quiz closed; `None` while open and for polls.
    pub points: Option<i64>,
}

impl Answer {
    /// Nothing given yet to `question_id`.
    pub fn empty(question_id: ActivityId) -> Answer {
        Answer {
            question_id,
            choice_id: None,
            choice_ids: Vec::new(),
            words: Vec::new(),
            value: None,
            ratings: BTreeMap::new(),
            text: None,
            items: Vec::new(),
            upvoted: Vec::new(),
            points: None,
        }
    }
}

impl You {
    /// Folds this connection's own accepted vote into its seat.
    pub fn voted(&mut self, question_id: ActivityId, choice_ids: &[ChoiceId]) {
        self.answer = Some(Answer {
            choice_id: choice_ids.first().copied(),
            choice_ids: choice_ids.to_vec(),
            ..Answer::empty(question_id)
        });
    }

    /// Folds this connection's own accepted rating into its seat (a grid's items add up).
    pub fn rated(&mut self, question_id: ActivityId, rating: &Rating) {
        let answer = match &mut self.answer {
            Some(a) if a.question_id == question_id => a,
            other => other.insert(Answer::empty(question_id)),
        };
        match rating {
            Rating::Value(v) => answer.value = i32::try_from(*v).ok(),
            Rating::Items(items) => {
                for (item, v) in items {
                    if let Ok(v) = i32::try_from(*v) {
                        answer.ratings.insert(*item, v);
                    }
                }
            }
        }
    }

    /// Folds this connection's own accepted text answer or question into its seat.
    pub fn posted(&mut self, question_id: ActivityId, number: u32, text: Option<&str>) {
        let answer = match &mut self.answer {
            Some(a) if a.question_id == question_id => a,
            other => other.insert(Answer::empty(question_id)),
        };
        if !answer.items.contains(&number) {
            answer.items.push(number);
        }
        if let Some(text) = text {
            answer.text = Some(text.to_string());
        }
    }

    /// Folds this connection's own accepted upvote into its seat.
    pub fn upvoted(&mut self, question_id: ActivityId, number: u32) {
        let answer = match &mut self.answer {
            Some(a) if a.question_id == question_id => a,
            other => other.insert(Answer::empty(question_id)),
        };
        if !answer.upvoted.contains(&number) {
            answer.upvoted.push(number);
        }
    }

    /// Folds this connection's own accepted word (its normalised key) into its seat.
    pub fn gave_word(&mut self, question_id: ActivityId, key: String) {
        match &mut self.answer {
            Some(a) if a.question_id == question_id => {
                if !a.words.contains(&key) {
                    a.words.push(key);
                }
            }
            _ => {
                self.answer = Some(Answer {
                    words: vec![key],
                    ..Answer::empty(question_id)
                })
            }
        }
    }

    /// Takes this participant's score, rank and quiz award from new standings. True when the
    /// connection should send a `score` frame: the score changed, or the rank moved and no
    /// `state` follows to show it. Someone else's points move this participant's rank too,
    /// and a stale rank next to a fresh score reads as a bug ("9 points, #2" beside
    /// "8 points, 1st").
    pub fn apply(&mut self, standings: &Standings) -> bool {
        let Some(&(score, rank)) = standings.ranks.get(&self.attendee_id) else {
            return false;
        };
        let moved = rank != self.rank;
        self.rank = rank;
        if let (Some(&(question, points)), Some(answer)) = (
            standings.awards.get(&self.attendee_id),
            self.answer.as_mut(),
        ) && answer.question_id == question
        {
            answer.points = Some(points);
        }
        let changed = score != self.score || (moved && !standings.state_follows);
        self.score = score;
        changed
    }
}

/// What a flag capture paid, for its ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagAck {
    pub name: String,
    pub points: i64,
    pub first_blood: bool,
    pub score: i64,
}

/// A chat line shown to staff and on displays.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLine {
    /// `room`, `twitch` or `youtube`; `bot` for our own bots' lines.
    pub platform: &'static str,
    pub user_name: String,
    pub text: String,
    /// `broadcaster`, `moderator`, `vip`, `subscriber`, `member`.
    pub badges: Vec<&'static str>,
    /// Posted by one of the meeting's bots (shown apart, never counted).
    pub bot: bool,
}

/// What one chat batch said that bots listen to.
#[derive(Debug, Clone, Default)]
pub struct Heard {
    /// Chat lines from viewers (our bots' own lines excepted).
    pub lines: u32,
    pub commands: Vec<Commanded>,
}

/// A `!command` from a viewer, with what a reply may say about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commanded {
    pub platform: librekast_storage::Platform,
    pub user_id: String,
    pub user_name: String,
    /// Lower case, without the prefix.
    pub name: String,
    pub args: String,
    /// `None`: not on the scoreboard yet.
    pub score: Option<i64>,
    pub rank: Option<u32>,
}

/// The bots' live state, for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BotsStatus {
    pub bots: Vec<BotStatus>,
    /// Bot lines dropped because a chat's outgoing queue was full.
    pub dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotStatus {
    /// Position in the meeting's `bots`.
    pub index: usize,
    /// `periodic`, `command`, `revolution`, `thanks`.
    pub kind: &'static str,
    /// The command, or the first line of a periodic bot.
    pub name: String,
    pub enabled: bool,
    /// Lines this bot posted since the meeting's tree started.
    pub posted: u64,
    /// A revolution: distinct viewers chanting now, of `threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// A revolution that fired: chants count again from then (microseconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooling_until: Option<librekast_storage::Micros>,
}

/// A chat source's status, for staff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdapterStatus {
    pub platform: &'static str,
    /// `connecting`, `connected`, `reconnecting`, `auth_required`, `quota_exhausted`,
    /// `offline` or `error`.
    pub status: String,
    /// What happened, for people ("reading #channel anonymously", "quota resets at …").
    pub message: String,
    /// What it reads: `#channel` or a video id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// YouTube: Data API units spent today and the daily limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub used: i64,
    pub limit: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_follows_its_own_answers_and_the_standings() {
        let mut you = You {
            attendee_id: AttendeeId(3),
            name: "Ada".into(),
            score: 4,
            rank: 2,
            answer: None,
        };
        you.voted(ActivityId(7), &[ChoiceId(70)]);
        let mut st = Standings::default();
        st.ranks.insert(AttendeeId(3), (7, 1));
        st.awards.insert(AttendeeId(3), (ActivityId(7), 3));
        assert!(you.apply(&st));
        assert_eq!((you.score, you.rank), (7, 1));
        assert_eq!(you.answer.as_ref().and_then(|a| a.points), Some(3));
        // Same standings again: nothing new to send.
        assert!(!you.apply(&st));
        // Someone else scored: same points, lower rank, still a frame to send.
        st.ranks.insert(AttendeeId(3), (7, 2));
        assert!(you.apply(&st));
        assert_eq!((you.score, you.rank), (7, 2));
        st.ranks.insert(AttendeeId(3), (7, 1));
        assert!(you.apply(&st));
        // When a `state` follows, it shows the moved rank: no frame of its own.
        st.state_follows = true;
        st.ranks.insert(AttendeeId(3), (7, 4));
        assert!(!you.apply(&st));
        assert_eq!(you.rank, 4);
        st.ranks.insert(AttendeeId(3), (7, 1));
        assert!(!you.apply(&st));
        st.state_follows = false;
        // An award for another quiz does not touch this answer.
        you.voted(ActivityId(8), &[ChoiceId(80)]);
        assert!(!you.apply(&st));
        assert_eq!(you.answer.as_ref().and_then(|a| a.points), None);
        you.gave_word(ActivityId(9), "rust".into());
        you.gave_word(ActivityId(9), "rust".into());
        you.gave_word(ActivityId(9), "fun".into());
        assert_eq!(
            you.answer.as_ref().map(|a| a.words.clone()),
            Some(vec!["rust".to_string(), "fun".to_string()])
        );
    }
}
