//! The live state of one meeting and what each command changes. No I/O: the actor feeds it
//! commands, writes the returned [`WriteOp`]s and publishes the frames it renders.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::ErrorCode;
use crate::event::{
    ActivityView, Answer, AttemptView, ChatHint, ChoiceView, FlagAck, LeaderRow, Lobby, LobbyName,
    MeetingView, PlanItem, Rating, ScoreRow, Standings, Tally, WordCount, Words, You,
};
use crate::markup::{description_html, markdown_html};
use crate::scoring::{AnswerKey, ScoredVote, quiz_awards, speed_awards, streak_points};
use crate::transition::{self, Control};
use crate::words::{Blocklist, Cloud, NormalizedWord, normalize};
use librekast_storage::{
    ActivityId, ActivityKind, ActivityRecord, ActivityState, AttendeeId, AttendeeRecord, ChatRules,
    ChoiceId, ChoiceRecord, FlagId, FlagRecord, LoadedMeeting, Markup, MeetingId, MeetingStatus,
    Micros, Platform, StoredSource, WriteOp,
};

/// Longest flag submission looked at.
pub const MAX_FLAG_CHARS: usize = 200;
/// Time staff may add to a timer at once, and the most a timer may have left.
pub const MAX_ADDED_SECS: u32 = 3_600;
const SECOND: Micros = 1_000_000;
/// Scoreboard rows a [`MeetingView`] carries (the most any audience is shown).
pub const VIEW_SCOREBOARD: usize = 100;
/// Words shown in a cloud.
pub const CLOUD_WORDS: usize = 100;
/// Flag attempts kept for the staff view.
pub const RECENT_ATTEMPTS: usize = 50;
/// Names the lobby shows (the latest to join).
pub const LOBBY_NAMES: usize = 30;
/// Rows of the leaderboard shown after a speed-scored quiz.
pub const LEADERBOARD: usize = 5;
/// Flag attempts per attendee, across all their connections: a burst of
/// [`FLAG_BURST`], then one per [`FLAG_REFILL_MICROS`]. Enough to type a few codes and
/// fix a typo; far too slow to guess one (seen: 1,073 guesses a second on 50 connections).
pub const FLAG_BURST: f64 = 10.0;
pub const FLAG_REFILL_MICROS: f64 = 2_000_000.0;

#[derive(Debug, Clone)]
pub struct Attendee {
    pub name: String,
    pub platform: Platform,
    pub score: i64,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub title: String,
    pub description_html: String,
    pub word_limit: u32,
    pub state: ActivityState,
    pub choices: Vec<ChoiceRecord>,
    /// The organizer's notes.
    pub notes: Arc<str>,
    /// Seconds it stays open once started (0: until staff close it).
    pub time_limit: u32,
    /// A quiz's points under speed scoring.
    pub points: u32,
    /// When its open timer closes; answers after it are refused.
    pub closes_at: Option<Micros>,
    /// Choices an attendee may pick (1: single choice).
    pub max_choices: u32,
    pub partial_credit: bool,
    /// A scale's or grid's values (the default scale for other kinds, unused).
    pub scale: librekast_storage::Scale,
    pub prior_weight: u32,
    /// Ratings of a scale or grid by attendee.
    rated: HashMap<AttendeeId, ratings::Rated>,
    /// How many gave each value: a scale's under `None`, each grid item's under its id.
    rating_counts: HashMap<Option<ChoiceId>, Vec<u64>>,
    /// Votes in arrival order.
    votes: Vec<ScoredVote>,
    voted: HashMap<AttendeeId, usize>,
    counts: HashMap<ChoiceId, u64>,
    /// The same counts split by where the voters are (room, Twitch, YouTube), for staff.
    by_platform: HashMap<Platform, HashMap<ChoiceId, u64>>,
    /// When it opened in this run (a chat answer is never earlier than that).
    opened_at: Micros,
    words_by: HashMap<AttendeeId, Vec<String>>,
    cloud: Cloud,
    /// Word keys a moderator hid from the cloud (still stored, never shown).
    hidden: HashSet<String>,
    /// A media store id shown with the activity, and its alt text.
    pub image: Option<String>,
    pub alt: String,
    /// Posts are approved as they come.
    pub auto_approve: bool,
    /// A poll's counts wait for the reveal.
    pub hide_results: bool,
    /// Text answers or Q&A questions.
    posts: posts::Posts,
}

impl Activity {
    fn new(r: ActivityRecord) -> Activity {
        Activity {
            id: r.id,
            kind: r.kind,
            title: r.title,
            description_html: match r.markup {
                Markup::Text => description_html(&r.description),
                Markup::Markdown => markdown_html(&r.description),
            },
            word_limit: r.word_limit,
            state: r.state,
            choices: r.choices,
            notes: Arc::from(r.notes),
            time_limit: r.time_limit_secs,
            points: r.points.unwrap_or(librekast_storage::DEFAULT_POINTS),
            // An activity left open with a timer by a stopped server: its answers count from
            // when the timer started (the limit before its deadline; added time aside).
            opened_at: match (r.state, r.closes_at) {
                (ActivityState::Open, Some(c)) => c - Micros::from(r.time_limit_secs) * 1_000_000,
                _ => 0,
            },
            closes_at: r.closes_at.filter(|_| r.state == ActivityState::Open),
            max_choices: r.max_choices.max(1),
            partial_credit: r.partial_credit,
            scale: r.scale.unwrap_or_default(),
            prior_weight: r
                .prior_weight
                .unwrap_or(librekast_storage::DEFAULT_PRIOR_WEIGHT),
            rated: HashMap::new(),
            rating_counts: HashMap::new(),
            votes: Vec::new(),
            voted: HashMap::new(),
            counts: HashMap::new(),
            by_platform: HashMap::new(),
            words_by: HashMap::new(),
            cloud: Cloud::default(),
            hidden: r.hidden_words.into_iter().collect(),
            image: r.image,
            alt: r.alt,
            auto_approve: r.auto_approve,
            hide_results: r.hide_results,
            posts: posts::Posts::default(),
        }
    }

    fn record_vote(&mut self, vote: ScoredVote, platform: Platform) {
        self.voted.insert(vote.attendee, self.votes.len());
        for &choice in &vote.choices {
            self.count_choice(choice, platform);
        }
        self.votes.push(vote);
    }

    fn count_choice(&mut self, choice: ChoiceId, platform: Platform) {
        *self.counts.entry(choice).or_default() += 1;
        *self
            .by_platform
            .entry(platform)
            .or_default()
            .entry(choice)
            .or_default() += 1;
    }

    /// A stored vote row: a multi-select vote is one row per choice, folded into one vote.
    fn load_vote(&mut self, vote: ScoredVote, platform: Platform) {
        match self.voted.get(&vote.attendee) {
            Some(&i) => {
                for &choice in &vote.choices {
                    self.votes[i].choices.push(choice);
                    self.count_choice(choice, platform);
                }
            }
            None => self.record_vote(vote, platform),
        }
    }

    fn correct_choices(&self) -> impl Iterator<Item = ChoiceId> + '_ {
        self.choices.iter().filter(|c| c.correct).map(|c| c.id)
    }

    /// What this quiz counts as right.
    fn key(&self) -> AnswerKey {
        AnswerKey {
            correct: self.correct_choices().collect(),
            multi: self.max_choices > 1,
            partial_credit: self.partial_credit,
        }
    }

    fn record_word(&mut self, attendee: AttendeeId, word: &NormalizedWord) {
        self.words_by
            .entry(attendee)
            .or_default()
            .push(word.key.clone());
        self.cloud.add(word);
    }

    pub fn total_votes(&self) -> u64 {
        self.votes.len() as u64
    }

    /// Counts of every choice, zeros included, in choice order; split by platform for the
    /// room and every platform in `platforms` or with votes.
    fn tally(&self, hidden: bool, platforms: &[Platform]) -> Tally {
        let by_platform = Platform::ALL
            .into_iter()
            .filter(|p| {
                *p == Platform::Room || platforms.contains(p) || self.by_platform.contains_key(p)
            })
            .map(|p| {
                let counts = self.by_platform.get(&p);
                let row = self
                    .choices
                    .iter()
                    .map(|c| {
                        (
                            c.id,
                            counts.and_then(|m| m.get(&c.id)).copied().unwrap_or(0),
                        )
                    })
                    .collect();
                (p, row)
            })
            .collect();
        Tally {
            by_platform,
            question_id: self.id,
            kind: self.kind,
            counts: self
                .choices
                .iter()
                .map(|c| (c.id, self.counts.get(&c.id).copied().unwrap_or(0)))
                .collect(),
            total: self.total_votes(),
            correct: self.correct_choices().collect(),
            hidden,
            ratings: None,
        }
    }

    fn words(&self) -> Vec<WordCount> {
        self.cloud
            .top_except(CLOUD_WORDS, &self.hidden)
            .into_iter()
            .map(|(text, count)| WordCount { text, count })
            .collect()
    }

    fn view(&self) -> ActivityView {
        ActivityView {
            id: self.id,
            kind: self.kind,
            title: self.title.clone(),
            description_html: self.description_html.clone(),
            word_limit: self.word_limit,
            choices: self
                .choices
                .iter()
                .map(|c| ChoiceView {
                    id: c.id,
                    text: c.text.clone(),
                    slug: c.slug.clone(),
                    correct: c.correct,
                })
                .collect(),
            notes: self.notes.clone(),
            time_limit_secs: self.time_limit,
            max_choices: self.max_choices,
            partial_credit: self.partial_credit,
            scale: self.kind.is_rating().then(|| self.scale.clone()),
            prior_weight: self.prior_weight,
            image: self.image.clone(),
            alt: self.alt.clone(),
            auto_approve: self.auto_approve,
            hide_results: self.hide_results,
        }
    }
}

/// What a flag submission did: its ack, the rows to store, and the attempt for staff.
#[derive(Debug)]
pub struct FlagOutcome {
    pub result: Result<FlagAck, ErrorCode>,
    pub ops: Vec<WriteOp>,
    pub attempt: Option<AttemptView>,
}

/// What a control did.
#[derive(Debug, Default)]
pub struct ControlOutcome {
    pub ops: Vec<WriteOp>,
    /// Every vote the closing quiz scored just now: voter, quiz, points (0 when wrong).
    pub awards: Vec<(AttendeeId, ActivityId, i64)>,
    /// `results` closed the activity but holds the reveal for the streams' delay.
    pub held: Option<PendingReveal>,
    /// The activity it opened runs a timer: `(activity, closes_at)`.
    pub deadline: Option<(ActivityId, Micros)>,
}

/// Where a staff client believes the meeting is when it sends a control. Two dashboards
/// pressing "next" at the same moment must move the meeting once, not twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub status: MeetingStatus,
    pub position: usize,
}

#[derive(Debug, Clone)]
pub struct Meeting {
    pub id: MeetingId,
    pub title: String,
    pub code: String,
    pub reward_fastest: bool,
    /// How quizzes score.
    pub scoring: librekast_storage::Scoring,
    /// Next opens the next activity directly.
    pub auto_start: bool,
    /// Extra points per right quiz answer in a row (speed scoring).
    pub streak_bonus: u32,
    /// Right quiz answers in a row, per attendee (speed scoring with a streak bonus).
    streaks: HashMap<AttendeeId, u32>,
    /// Quizzes whose scoring already moved the streaks (a second reveal does not).
    streaked: HashSet<ActivityId>,
    pub flag_prefix: String,
    pub status: MeetingStatus,
    pub position: usize,
    pub activities: Vec<Activity>,
    pub attendees: HashMap<AttendeeId, Attendee>,
    /// Attendees by (platform, platform user id): how chat viewers are recognised.
    viewers: HashMap<(Platform, String), AttendeeId>,
    flags: Vec<FlagRecord>,
    captured: HashSet<(FlagId, AttendeeId)>,
    blooded: HashSet<FlagId>,
    /// Flag attempts left per attendee, and when that was counted (a token bucket).
    flag_allowance: HashMap<AttendeeId, (f64, Micros)>,
    pub recent_attempts: VecDeque<AttemptView>,
    /// Chat sources besides the room, and how chat lines are read.
    pub sources: Vec<StoredSource>,
    pub chat: ChatRules,
    /// A closed activity whose reveal waits for chat answers still on their way (the
    /// streams' delay): chat answers given before `closed_at` still count until then.
    pub pending_reveal: Option<PendingReveal>,
    /// Attendees a moderator removed: nothing they send counts, they are on no scoreboard.
    removed: HashSet<AttendeeId>,
    /// The meeting's `blocked_words`, as given and as matched.
    pub blocked_words: Vec<String>,
    /// Shared so a word can be checked while its activity is borrowed.
    blocklist: Arc<Blocklist>,
    /// The presenter plays its cues.
    pub sounds: bool,
    /// The latest attendees to join, newest last.
    lobby: VecDeque<(AttendeeId, LobbyName)>,
}

/// An activity closed for the room, its reveal held back by the largest stream delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingReveal {
    pub activity: ActivityId,
    pub closed_at: Micros,
    pub reveal_at: Micros,
}

impl Meeting {
    /// Rebuilds the live state from what storage holds.
    pub fn from_loaded(loaded: LoadedMeeting) -> Meeting {
        let m = loaded.meeting;
        let removed: HashSet<AttendeeId> = loaded
            .attendees
            .iter()
            .filter(|a| a.removed)
            .map(|a| a.id)
            .collect();
        let mut activities: Vec<Activity> =
            loaded.activities.into_iter().map(Activity::new).collect();
        let platform_of: HashMap<AttendeeId, Platform> = loaded
            .attendees
            .iter()
            .map(|a| (a.id, a.platform))
            .collect();
        let index: HashMap<ActivityId, usize> = activities
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id, i))
            .collect();
        for v in loaded.votes {
            if removed.contains(&v.attendee_id) {
                continue;
            }
            if let Some(&i) = index.get(&v.activity_id) {
                let platform = platform_of
                    .get(&v.attendee_id)
                    .copied()
                    .unwrap_or(Platform::Room);
                activities[i].load_vote(
                    ScoredVote {
                        attendee: v.attendee_id,
                        choices: vec![v.choice_id],
                        points: v.points,
                        at: v.at,
                    },
                    platform,
                );
            }
        }
        for r in loaded.ratings {
            if removed.contains(&r.attendee_id) {
                continue;
            }
            if let Some(&i) = index.get(&r.activity_id) {
                activities[i].load_rating(r.attendee_id, r.choice_id, r.value);
            }
        }
        // Every post, a removed attendee's too: numbers are what chat and screens refer to.
        for p in loaded.posts {
            if let Some(&i) = index.get(&p.activity_id) {
                activities[i].load_post(p);
            }
        }
        for u in &loaded.upvotes {
            if removed.contains(&u.attendee_id) {
                continue;
            }
            if let Some(&i) = index.get(&u.activity_id) {
                activities[i].load_upvote(u);
            }
        }
        for w in loaded.words {
            if removed.contains(&w.attendee_id) {
                continue;
            }
            if let Some(&i) = index.get(&w.activity_id) {
                let word = NormalizedWord {
                    text: w.text,
                    key: w.normalized,
                };
                activities[i].record_word(w.attendee_id, &word);
            }
        }
        let present: Vec<&AttendeeRecord> =
            loaded.attendees.iter().filter(|a| !a.removed).collect();
        let lobby = present[present.len().saturating_sub(LOBBY_NAMES)..]
            .iter()
            .map(|a| {
                (
                    a.id,
                    LobbyName {
                        name: a.name.clone(),
                        platform: a.platform.code(),
                    },
                )
            })
            .collect();
        let viewers = loaded
            .attendees
            .iter()
            .map(|a| ((a.platform, a.platform_user_id.clone()), a.id))
            .collect();
        let attendees = loaded
            .attendees
            .into_iter()
            .filter(|a| !a.removed)
            .map(|a| {
                (
                    a.id,
                    Attendee {
                        name: a.name,
                        platform: a.platform,
                        score: a.score,
                    },
                )
            })
            .collect::<HashMap<_, _>>();
        let mut captured = HashSet::new();
        let mut blooded = HashSet::new();
        for c in &loaded.captures {
            captured.insert((c.flag_id, c.attendee_id));
            blooded.insert(c.flag_id);
        }
        let flag_names: HashMap<FlagId, String> = loaded
            .flags
            .iter()
            .map(|f| (f.id, f.name.clone()))
            .collect();
        let capture_points: HashMap<(FlagId, AttendeeId), i64> = loaded
            .captures
            .iter()
            .map(|c| ((c.flag_id, c.attendee_id), c.points))
            .collect();
        let recent_attempts = loaded
            .recent_attempts
            .into_iter()
            .map(|a| {
                let outcome = outcome_name(&a.outcome);
                let points = match (outcome, a.flag_id) {
                    ("captured", Some(f)) => capture_points
                        .get(&(f, a.attendee_id))
                        .copied()
                        .unwrap_or(0),
                    _ => 0,
                };
                AttemptView {
                    attendee_id: a.attendee_id,
                    name: attendees
                        .get(&a.attendee_id)
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    submitted: a.submitted,
                    outcome,
                    flag: a.flag_id.and_then(|f| flag_names.get(&f).cloned()),
                    points,
                }
            })
            .collect();
        let position = (m.position as usize).min(activities.len().saturating_sub(1));
        let (streaks, streaked) =
            if m.scoring == librekast_storage::Scoring::Speed && m.streak_bonus > 0 {
                replay_streaks(&activities, &attendees)
            } else {
                Default::default()
            };
        Meeting {
            id: m.id,
            title: m.title,
            code: m.code,
            reward_fastest: m.reward_fastest,
            scoring: m.scoring,
            auto_start: m.auto_start,
            streak_bonus: m.streak_bonus,
            streaks,
            streaked,
            flag_prefix: m.flag_prefix,
            status: m.status,
            position,
            activities,
            attendees,
            viewers,
            flags: loaded.flags,
            captured,
            blooded,
            flag_allowance: HashMap::new(),
            recent_attempts,
            sources: m.sources,
            chat: m.chat,
            pending_reveal: None,
            removed,
            blocklist: Arc::new(Blocklist::new(&m.blocked_words)),
            blocked_words: m.blocked_words,
            sounds: m.sounds,
            lobby,
        }
    }

    /// Who joined lately, and how many so far.
    pub fn lobby(&self) -> Lobby {
        Lobby {
            count: self.attendees.len(),
            // A removed participant leaves the lobby; a renamed one shows their new name.
            names: self
                .lobby
                .iter()
                .filter_map(|(id, n)| {
                    let a = self.attendees.get(id)?;
                    Some(LobbyName {
                        name: a.name.clone(),
                        platform: n.platform,
                    })
                })
                .collect(),
        }
    }

    /// Turns the presenter's cues on or off; `None` when nothing changed.
    pub fn set_sounds(&mut self, on: bool) -> Option<WriteOp> {
        (self.sounds != on).then(|| {
            self.sounds = on;
            WriteOp::Sounds {
                meeting: self.id,
                on,
            }
        })
    }

    /// Whether `submitted` (`PREFIX{code}` or a bare code) names one of the meeting's flags.
    pub fn has_flag(&self, submitted: &str) -> bool {
        let code = crate::flags::extract_code(&self.flag_prefix, submitted);
        self.flags.iter().any(|f| f.code == code)
    }

    /// The largest stream delay of the meeting's chat sources, in microseconds.
    pub fn max_delay(&self) -> Micros {
        self.sources
            .iter()
            .map(|s| i64::from(s.source.delay_secs()) * 1_000_000)
            .max()
            .unwrap_or(0)
    }

    /// The platforms this meeting reads chat from.
    pub fn source_platforms(&self) -> Vec<Platform> {
        self.sources.iter().map(|s| s.source.platform()).collect()
    }

    /// Replaces the sources and chat rules (edited while the meeting runs).
    pub fn set_streams(&mut self, sources: Vec<StoredSource>, chat: ChatRules) {
        self.sources = sources;
        self.chat = chat;
    }

    /// A meeting stored as ongoing with its current activity closed: the server stopped
    /// while a reveal waited for the streams' delay. It is finished at once on load.
    pub fn interrupted_reveal(&self) -> bool {
        self.status == MeetingStatus::Ongoing
            && self.pending_reveal.is_none()
            && self
                .current()
                .is_some_and(|a| a.state == ActivityState::Closed)
    }

    /// The attendee's display name changed on their platform (a chat viewer): the seat
    /// follows it. `None` when nothing changed.
    pub fn rename(&mut self, attendee: AttendeeId, name: &str) -> Option<WriteOp> {
        let a = self.attendees.get_mut(&attendee)?;
        if a.name == name || name.trim().is_empty() {
            return None;
        }
        a.name = name.to_string();
        Some(WriteOp::Rename {
            attendee,
            name: name.to_string(),
        })
    }

    /// The activity a chat answer given at `at` goes to: the open one, or the one closed
    /// for the room whose reveal waits for the streams, if the answer was given before the
    /// close.
    pub fn chat_question(&self, at: Micros) -> Option<(ActivityId, ActivityKind)> {
        if let Some(open) = self.open_question() {
            return Some(open);
        }
        let pending = self.pending_reveal?;
        self.current()
            .filter(|a| a.id == pending.activity && at < pending.closed_at)
            .map(|a| (a.id, a.kind))
    }

    /// A chat answer read with [`Meeting::chat_reading`]: like [`Meeting::vote`],
    /// [`Meeting::rate`] or [`Meeting::word`], also during a held reveal for answers given
    /// before the close; the answer time is never before the activity opened. A grid's
    /// items already rated are skipped (a viewer rates `#a4`, then `#b5`).
    pub fn chat_answer(
        &mut self,
        attendee: AttendeeId,
        answer: ChatAnswer,
        at: Micros,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        self.present(attendee)?;
        let (question, _) = self.chat_question(at).ok_or(ErrorCode::NotOpen)?;
        let platform = self.platform_of(attendee);
        let blocklist = Arc::clone(&self.blocklist);
        let activity = self.answerable(question, at)?;
        let at = at.max(activity.opened_at);
        match answer {
            ChatAnswer::Choices(choices) => {
                Self::record(activity, attendee, question, &choices, at, platform)
            }
            ChatAnswer::Rating(rating) => activity.add_rating(attendee, &rating, at, true),
            ChatAnswer::Word(raw) => {
                Self::add_word(activity, attendee, question, &raw, at, &blocklist)
                    .map(|op| op.into_iter().collect())
            }
            ChatAnswer::Post(post) => {
                Self::chat_post(activity, attendee, post, at, |t| blocklist.blocks(t))
            }
        }
    }

    fn platform_of(&self, attendee: AttendeeId) -> Platform {
        self.attendees
            .get(&attendee)
            .map_or(Platform::Room, |a| a.platform)
    }

    /// The open activity, or the held one for an answer given before its close.
    fn answerable(&mut self, question: ActivityId, at: Micros) -> Result<&mut Activity, ErrorCode> {
        let late = self
            .pending_reveal
            .is_some_and(|p| p.activity == question && at < p.closed_at);
        if !late {
            return self.open_activity(question, at);
        }
        match self.activities.get_mut(self.position) {
            Some(a) if a.id == question => Ok(a),
            _ => Err(ErrorCode::NotOpen),
        }
    }

    pub fn current(&self) -> Option<&Activity> {
        self.activities.get(self.position)
    }

    /// The current activity while it is shown with its answers (ongoing or results).
    fn live_activity(&self) -> Option<&Activity> {
        self.current()
            .filter(|_| matches!(self.status, MeetingStatus::Ongoing | MeetingStatus::Results))
    }

    /// Makes sure the attendee is known (a join may race a restart); keeps the newest name.
    /// True when this changed anything (a new attendee or a new name).
    pub fn ensure_attendee(&mut self, id: AttendeeId, name: &str, platform: Platform) -> bool {
        if self.removed.contains(&id) {
            return false;
        }
        match self.attendees.get_mut(&id) {
            Some(a) if a.name == name => false,
            Some(a) => {
                a.name = name.to_string();
                true
            }
            None => {
                self.attendees.insert(
                    id,
                    Attendee {
                        name: name.to_string(),
                        platform,
                        score: 0,
                    },
                );
                self.lobby.push_back((
                    id,
                    LobbyName {
                        name: name.to_string(),
                        platform: platform.code(),
                    },
                ));
                if self.lobby.len() > LOBBY_NAMES {
                    self.lobby.pop_front();
                }
                true
            }
        }
    }

    /// Adds the attendee if unknown, never renames a known one: a connection's name dates
    /// from its start, and a moderator may have renamed the seat since. True when added.
    pub fn know_attendee(&mut self, id: AttendeeId, name: &str, platform: Platform) -> bool {
        if self.attendees.contains_key(&id) {
            return false;
        }
        self.ensure_attendee(id, name, platform)
    }

    /// The attendee a chat viewer already is, if any.
    pub fn viewer(&self, platform: Platform, user_id: &str) -> Option<AttendeeId> {
        self.viewers.get(&(platform, user_id.to_string())).copied()
    }

    pub fn add_viewer(&mut self, a: &AttendeeRecord) {
        self.viewers
            .insert((a.platform, a.platform_user_id.clone()), a.id);
        self.ensure_attendee(a.id, &a.name, a.platform);
    }

    /// The activity taking answers right now, if any.
    pub fn open_question(&self) -> Option<(ActivityId, ActivityKind)> {
        self.current()
            .filter(|a| self.status == MeetingStatus::Ongoing && a.state == ActivityState::Open)
            .map(|a| (a.id, a.kind))
    }

    pub fn you(&self, id: AttendeeId) -> Option<You> {
        self.attendees.get(&id).map(|a| You {
            attendee_id: id,
            name: a.name.clone(),
            score: a.score,
            rank: self.rank_of(id, a.score),
            answer: self.answer_of(id),
        })
    }

    /// One linear pass: cheaper than keeping a sorted index up to date on every join, and
    /// only paid when a connection takes a snapshot.
    fn rank_of(&self, id: AttendeeId, score: i64) -> u32 {
        let ahead = self
            .attendees
            .iter()
            .filter(|(other, a)| a.score > score || (a.score == score && **other < id))
            .count();
        u32::try_from(ahead + 1).unwrap_or(u32::MAX)
    }

    fn answer_of(&self, id: AttendeeId) -> Option<Answer> {
        let a = self.current()?;
        if let Some(&i) = a.voted.get(&id) {
            let vote = a.votes.get(i)?;
            return Some(Answer {
                choice_id: vote.choices.first().copied(),
                choice_ids: vote.choices.clone(),
                points: vote.points.filter(|_| a.kind == ActivityKind::Quiz),
                ..Answer::empty(a.id)
            });
        }
        if let Some(rated) = a.rated.get(&id) {
            return Some(Answer {
                value: rated.value,
                ratings: rated.items.clone(),
                ..Answer::empty(a.id)
            });
        }
        if a.kind.takes_posts() {
            let items = a.posts.mine(id);
            let upvoted = a.posts.my_upvotes(id);
            if items.is_empty() && upvoted.is_empty() {
                return None;
            }
            return Some(Answer {
                text: (a.kind == ActivityKind::TextAnswer)
                    .then(|| items.first().and_then(|&n| a.posts.text_of(n)))
                    .flatten()
                    .map(str::to_string),
                items: items.to_vec(),
                upvoted: upvoted.to_vec(),
                ..Answer::empty(a.id)
            });
        }
        a.words_by.get(&id).map(|words| Answer {
            words: words.clone(),
            ..Answer::empty(a.id)
        })
    }

    /// Everyone's score and rank, in scoreboard order.
    pub fn standings(&self, awards: &[(AttendeeId, ActivityId, i64)]) -> Standings {
        let mut rows: Vec<(AttendeeId, i64)> = self
            .attendees
            .iter()
            .map(|(id, a)| (*id, a.score))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Standings {
            ranks: rows
                .into_iter()
                .enumerate()
                .map(|(i, (id, score))| (id, (score, u32::try_from(i + 1).unwrap_or(u32::MAX))))
                .collect(),
            awards: awards
                .iter()
                .map(|&(attendee, quiz, points)| (attendee, (quiz, points)))
                .collect(),
            state_follows: false,
        }
    }

    /// The open activity with the given id, or `not_open`.
    /// The open activity with the given id, or `not_open` (also once its timer ran out,
    /// before the deadline's own close arrives).
    fn open_activity(
        &mut self,
        question: ActivityId,
        at: Micros,
    ) -> Result<&mut Activity, ErrorCode> {
        if self.status != MeetingStatus::Ongoing {
            return Err(ErrorCode::NotOpen);
        }
        match self.activities.get_mut(self.position) {
            Some(a)
                if a.id == question
                    && a.state == ActivityState::Open
                    && a.closes_at.is_none_or(|c| at <= c) =>
            {
                Ok(a)
            }
            _ => Err(ErrorCode::NotOpen),
        }
    }

    /// One vote: a choice, or up to `max_choices` of a multi-select poll or quiz. One
    /// row per choice, handed to the writer together.
    pub fn vote(
        &mut self,
        attendee: AttendeeId,
        question: ActivityId,
        choices: &[ChoiceId],
        at: Micros,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        self.present(attendee)?;
        let platform = self.platform_of(attendee);
        let activity = self.open_activity(question, at)?;
        Self::record(activity, attendee, question, choices, at, platform)
    }

    /// A scale's rating or grid items' ratings.
    pub fn rate(
        &mut self,
        attendee: AttendeeId,
        question: ActivityId,
        rating: &Rating,
        at: Micros,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        self.present(attendee)?;
        self.open_activity(question, at)?
            .add_rating(attendee, rating, at, false)
    }

    fn record(
        activity: &mut Activity,
        attendee: AttendeeId,
        question: ActivityId,
        choices: &[ChoiceId],
        at: Micros,
        platform: Platform,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        if !activity.kind.has_choices() || choices.is_empty() {
            return Err(ErrorCode::BadRequest);
        }
        // At most 26 choices: a scan, no allocation on the hot path.
        if choices
            .iter()
            .enumerate()
            .any(|(i, c)| choices[..i].contains(c))
        {
            return Err(ErrorCode::BadRequest);
        }
        if choices.len() > activity.max_choices as usize {
            return Err(ErrorCode::TooManyChoices);
        }
        if !choices
            .iter()
            .all(|id| activity.choices.iter().any(|c| c.id == *id))
        {
            return Err(ErrorCode::UnknownChoice);
        }
        if activity.voted.contains_key(&attendee) {
            return Err(ErrorCode::AlreadyVoted);
        }
        activity.record_vote(
            ScoredVote {
                attendee,
                choices: choices.to_vec(),
                points: None,
                at,
            },
            platform,
        );
        Ok(choices
            .iter()
            .map(|&choice| WriteOp::Vote {
                activity: question,
                attendee,
                choice,
                at,
            })
            .collect())
    }

    /// `Ok(None)`: the same word again from the same attendee, acknowledged and ignored.
    pub fn word(
        &mut self,
        attendee: AttendeeId,
        question: ActivityId,
        raw: &str,
        at: Micros,
    ) -> Result<Option<WriteOp>, ErrorCode> {
        self.present(attendee)?;
        let blocklist = Arc::clone(&self.blocklist);
        let activity = self.open_activity(question, at)?;
        Self::add_word(activity, attendee, question, raw, at, &blocklist)
    }

    fn add_word(
        activity: &mut Activity,
        attendee: AttendeeId,
        question: ActivityId,
        raw: &str,
        at: Micros,
        blocklist: &Blocklist,
    ) -> Result<Option<WriteOp>, ErrorCode> {
        if activity.kind != ActivityKind::Wordcloud {
            return Err(ErrorCode::BadRequest);
        }
        let word = normalize(raw).map_err(|_| ErrorCode::BadRequest)?;
        if blocklist.blocks(&word.text) {
            return Err(ErrorCode::BlockedWord);
        }
        let mine = activity.words_by.get(&attendee);
        if mine.is_some_and(|w| w.contains(&word.key)) {
            return Ok(None);
        }
        if mine.map_or(0, Vec::len) >= activity.word_limit as usize {
            return Err(ErrorCode::LimitReached);
        }
        activity.record_word(attendee, &word);
        Ok(Some(WriteOp::Word {
            activity: question,
            attendee,
            text: word.text,
            normalized: word.key,
            at,
        }))
    }

    /// Spends one flag attempt of the attendee, if one is left.
    fn allow_flag_attempt(&mut self, attendee: AttendeeId, at: Micros) -> bool {
        let (tokens, then) = self
            .flag_allowance
            .entry(attendee)
            .or_insert((FLAG_BURST, at));
        let refill = (at - *then).max(0) as f64 / FLAG_REFILL_MICROS;
        *tokens = (*tokens + refill).min(FLAG_BURST);
        *then = at.max(*then);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn flag(&mut self, attendee: AttendeeId, submitted: &str, at: Micros) -> FlagOutcome {
        let refuse = |code| FlagOutcome {
            result: Err(code),
            ops: Vec::new(),
            attempt: None,
        };
        if self.status == MeetingStatus::After {
            return refuse(ErrorCode::NotOpen);
        }
        if self.removed.contains(&attendee) {
            return refuse(ErrorCode::Removed);
        }
        if !self.allow_flag_attempt(attendee, at) {
            return refuse(ErrorCode::RateLimited);
        }
        let code = crate::flags::extract_code(&self.flag_prefix, submitted);
        if code.is_empty() || submitted.chars().count() > MAX_FLAG_CHARS {
            return refuse(ErrorCode::BadRequest);
        }
        let name = self
            .attendees
            .get(&attendee)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let flag = self.flags.iter().find(|f| f.code == code).cloned();
        let (result, outcome, mut ops) = match &flag {
            None => (Err(ErrorCode::NotFound), "not_found", Vec::new()),
            Some(f) if self.captured.contains(&(f.id, attendee)) => (
                Err(ErrorCode::AlreadyFlagged),
                "already_flagged",
                Vec::new(),
            ),
            Some(f) => {
                let first_blood = self.blooded.insert(f.id);
                self.captured.insert((f.id, attendee));
                let points = f.points + if first_blood { f.first_blood } else { 0 };
                let score = self.attendees.get_mut(&attendee).map_or(points, |a| {
                    a.score += points;
                    a.score
                });
                let ack = FlagAck {
                    name: f.name.clone(),
                    points,
                    first_blood,
                    score,
                };
                let op = WriteOp::Capture {
                    flag: f.id,
                    attendee,
                    points,
                    first_blood,
                    at,
                };
                (Ok(ack), "captured", vec![op])
            }
        };
        ops.push(WriteOp::FlagAttempt {
            meeting: self.id,
            attendee,
            submitted: submitted.to_string(),
            flag: flag.as_ref().map(|f| f.id),
            outcome: outcome.to_string(),
            at,
        });
        let attempt = AttemptView {
            attendee_id: attendee,
            name,
            submitted: submitted.to_string(),
            outcome,
            flag: flag.map(|f| f.name),
            points: result.as_ref().map_or(0, |a| a.points),
        };
        self.recent_attempts.push_back(attempt.clone());
        while self.recent_attempts.len() > RECENT_ATTEMPTS {
            self.recent_attempts.pop_front();
        }
        FlagOutcome {
            result,
            ops,
            attempt: Some(attempt),
        }
    }

    pub fn control(&mut self, control: Control) -> Result<ControlOutcome, ErrorCode> {
        self.control_if(control, None)
    }

    /// A control that applies only if the meeting is still where `expect` says
    /// (`stale_control` otherwise, nothing changes).
    pub fn control_if(
        &mut self,
        control: Control,
        expect: Option<Expect>,
    ) -> Result<ControlOutcome, ErrorCode> {
        self.control_at(control, expect, librekast_storage::now_micros())
    }

    /// [`Meeting::control_if`] at a given time. With chat sources that have a stream delay,
    /// `results` first closes the activity for the room and holds the reveal until the
    /// close plus the largest delay ([`ControlOutcome::held`]); chat answers given before
    /// the close still count meanwhile. Any control during the hold (`results` again: reveal
    /// now) settles it first.
    pub fn control_at(
        &mut self,
        control: Control,
        expect: Option<Expect>,
        now: Micros,
    ) -> Result<ControlOutcome, ErrorCode> {
        if let Some(e) = expect
            && (e.status != self.status || e.position != self.position)
        {
            return Err(ErrorCode::StaleControl);
        }
        let t = transition::apply(self.status, self.position, self.activities.len(), control)
            .map_err(|_| ErrorCode::InvalidControl)?;
        let mut out = ControlOutcome::default();
        let delay = self.max_delay();
        let old = self.position;
        if control == Control::Results
            && self.pending_reveal.is_none()
            && delay > 0
            && let Some(a) = self.activities.get_mut(old)
            && a.state == ActivityState::Open
            && a.kind != ActivityKind::Text
        {
            a.state = ActivityState::Closed;
            if a.closes_at.take().is_some() {
                out.ops.push(WriteOp::Deadline {
                    activity: a.id,
                    closes_at: None,
                });
            }
            let held = PendingReveal {
                activity: a.id,
                closed_at: now,
                reveal_at: now + delay,
            };
            self.pending_reveal = Some(held);
            out.held = Some(held);
            out.ops.push(WriteOp::Progress {
                meeting: self.id,
                status: self.status,
                position: self.position as u32,
                activities: vec![(a.id, a.state)],
            });
            return Ok(out);
        }
        if self.pending_reveal.take().is_some()
            && self
                .activities
                .get(old)
                .is_some_and(|a| a.kind == ActivityKind::Quiz)
        {
            self.score_quiz(old, &mut out);
        }
        let mut changed = Vec::new();
        if let Some(a) = self.activities.get_mut(old)
            && t.close_current
            && a.state == ActivityState::Open
        {
            a.state = ActivityState::Closed;
            if a.closes_at.take().is_some() {
                out.ops.push(WriteOp::Deadline {
                    activity: a.id,
                    closes_at: None,
                });
            }
            changed.push((a.id, a.state));
            if a.kind == ActivityKind::Quiz {
                self.score_quiz(old, &mut out);
            }
        }
        if let Some(a) = self.activities.get_mut(old)
            && t.done_current
        {
            a.state = ActivityState::Done;
            changed.retain(|(id, _)| *id != a.id);
            changed.push((a.id, a.state));
        }
        self.position = t.position;
        self.status = t.status;
        if let Some(a) = self.activities.get_mut(t.position)
            && t.open_new
        {
            a.state = ActivityState::Open;
            a.opened_at = now;
            changed.retain(|(id, _)| *id != a.id);
            changed.push((a.id, a.state));
            if a.time_limit > 0 && a.kind != ActivityKind::Text {
                let closes_at = now + Micros::from(a.time_limit) * SECOND;
                a.closes_at = Some(closes_at);
                out.deadline = Some((a.id, closes_at));
                out.ops.push(WriteOp::Deadline {
                    activity: a.id,
                    closes_at: Some(closes_at),
                });
            }
        }
        out.ops.push(WriteOp::Progress {
            meeting: self.id,
            status: self.status,
            position: self.position as u32,
            activities: changed,
        });
        // `auto_start`: Next opens the activity it shows (a text slide is shown at once).
        if control == Control::Next && self.auto_start && self.status == MeetingStatus::Waiting {
            let mut started = self.control_at(Control::Start, None, now)?;
            out.ops.append(&mut started.ops);
            out.awards.append(&mut started.awards);
            out.deadline = started.deadline.or(out.deadline);
        }
        Ok(out)
    }

    /// Adds `secs` to the open activity's timer; `invalid_control` when no timer runs.
    pub fn add_time(
        &mut self,
        secs: u32,
        now: Micros,
    ) -> Result<(ActivityId, Micros, WriteOp), ErrorCode> {
        if self.status != MeetingStatus::Ongoing || !(1..=MAX_ADDED_SECS).contains(&secs) {
            return Err(ErrorCode::InvalidControl);
        }
        let a = self
            .activities
            .get_mut(self.position)
            .filter(|a| a.state == ActivityState::Open)
            .ok_or(ErrorCode::InvalidControl)?;
        let closes_at = a.closes_at.ok_or(ErrorCode::InvalidControl)?;
        // Time that already ran out cannot be given back: the close is on its way.
        if closes_at < now {
            return Err(ErrorCode::InvalidControl);
        }
        let closes_at = (closes_at + Micros::from(secs) * SECOND)
            .min(now + Micros::from(MAX_ADDED_SECS) * SECOND);
        a.closes_at = Some(closes_at);
        Ok((
            a.id,
            closes_at,
            WriteOp::Deadline {
                activity: a.id,
                closes_at: Some(closes_at),
            },
        ))
    }

    /// The open timer's close, if one runs: `(activity, closes_at)`.
    pub fn deadline(&self) -> Option<(ActivityId, Micros)> {
        self.current()
            .filter(|a| a.state == ActivityState::Open)
            .and_then(|a| a.closes_at.map(|c| (a.id, c)))
    }

    /// Awards the points of every vote not scored yet; called when a quiz closes.
    fn score_quiz(&mut self, index: usize, out: &mut ControlOutcome) {
        let Some(activity) = self.activities.get_mut(index) else {
            return;
        };
        let key = activity.key();
        let mut awards = match self.scoring {
            librekast_storage::Scoring::FirstBonus => {
                quiz_awards(&activity.votes, &key, self.reward_fastest)
            }
            librekast_storage::Scoring::Speed => speed_awards(
                &activity.votes,
                &key,
                activity.opened_at,
                activity.time_limit,
                activity.points,
            ),
        };
        if self.scoring == librekast_storage::Scoring::Speed && self.streak_bonus > 0 {
            // A right answer extends its voter's streak and earns its bonus; a wrong one
            // ends it, and so does not answering (once per quiz, at its first scoring).
            for (attendee, points) in awards.iter_mut() {
                let right = activity
                    .voted
                    .get(attendee)
                    .and_then(|&i| activity.votes.get(i))
                    .is_some_and(|v| key.is_right(&v.choices));
                let streak = self.streaks.entry(*attendee).or_default();
                if right {
                    *streak += 1;
                    *points += streak_points(*streak, self.streak_bonus);
                } else {
                    *streak = 0;
                }
            }
            if self.streaked.insert(activity.id) {
                self.streaks
                    .retain(|attendee, _| activity.voted.contains_key(attendee));
            }
        }
        if awards.is_empty() {
            return;
        }
        for &(attendee, points) in &awards {
            if let Some(&i) = activity.voted.get(&attendee) {
                activity.votes[i].points = Some(points);
            }
            out.awards.push((attendee, activity.id, points));
            if points != 0
                && let Some(a) = self.attendees.get_mut(&attendee)
            {
                a.score += points;
            }
        }
        out.ops.push(WriteOp::Award {
            activity: activity.id,
            awards,
        });
    }

    /// Sorted by score (highest first), then by who joined first.
    pub fn scoreboard(&self, limit: usize) -> Vec<ScoreRow> {
        let mut rows: Vec<(&AttendeeId, &Attendee)> = self.attendees.iter().collect();
        rows.sort_by(|a, b| b.1.score.cmp(&a.1.score).then(a.0.cmp(b.0)));
        rows.into_iter()
            .take(limit)
            .map(|(id, a)| ScoreRow {
                attendee_id: *id,
                name: a.name.clone(),
                score: a.score,
                platform: a.platform.code(),
            })
            .collect()
    }

    /// The whole picture at this moment, for the view layer to cut per audience.
    pub fn view(&self) -> MeetingView {
        MeetingView {
            meeting_id: self.id,
            title: self.title.clone(),
            status: self.status,
            position: self.position,
            activity_count: self.activities.len(),
            current: self.current().map(Activity::view),
            results: self.tally(),
            words: self
                .live_activity()
                .and_then(|a| (a.kind == ActivityKind::Wordcloud).then(|| a.words())),
            scoreboard: self.scoreboard(VIEW_SCOREBOARD),
            plan: self
                .activities
                .iter()
                .map(|a| PlanItem::new(a.id, a.kind, &a.title, a.state))
                .collect(),
            flag_attempts: self.recent_attempts.iter().cloned().collect(),
            sources: Vec::new(),
            chat: (!self.sources.is_empty()).then(|| ChatHint {
                vote_prefix: self.chat.vote_prefix.clone(),
                platforms: self
                    .sources
                    .iter()
                    .map(|s| s.source.platform().code())
                    .collect(),
            }),
            reveal_at: self.pending_reveal.map(|p| p.reveal_at),
            closes_at: self.deadline().map(|(_, c)| c),
            items: self.items().map(Arc::new),
            lobby: Arc::new(self.lobby()),
            leaderboard: self.leaderboard(),
            sounds: self.sounds,
        }
    }

    /// The top 5 and their rank before the quiz, while a speed-scored quiz's results show:
    /// a rank before is the rank by score minus what this quiz paid (same order rule as
    /// the scoreboard), so nothing extra is stored.
    pub fn leaderboard(&self) -> Option<Vec<LeaderRow>> {
        let a = self.current().filter(|a| {
            a.kind == ActivityKind::Quiz
                && self.status == MeetingStatus::Results
                && self.scoring == librekast_storage::Scoring::Speed
        })?;
        let gained: HashMap<AttendeeId, i64> = a
            .votes
            .iter()
            .filter_map(|v| v.points.map(|p| (v.attendee, p)))
            .collect();
        let order = |score: &dyn Fn(AttendeeId, i64) -> i64| {
            let mut rows: Vec<(i64, AttendeeId)> = self
                .attendees
                .iter()
                .map(|(id, x)| (score(*id, x.score), *id))
                .collect();
            rows.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            rows
        };
        let now = order(&|_, s| s);
        let before: HashMap<AttendeeId, u32> =
            order(&|id, s| s - gained.get(&id).copied().unwrap_or(0))
                .into_iter()
                .enumerate()
                .map(|(i, (_, id))| (id, u32::try_from(i + 1).unwrap_or(u32::MAX)))
                .collect();
        Some(
            now.into_iter()
                .take(LEADERBOARD)
                .enumerate()
                .filter_map(|(i, (score, id))| {
                    let x = self.attendees.get(&id)?;
                    Some(LeaderRow {
                        attendee_id: id,
                        name: x.name.clone(),
                        platform: x.platform.code(),
                        score,
                        rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        previous_rank: before.get(&id).copied().unwrap_or(u32::MAX),
                        gained: gained.get(&id).copied().unwrap_or(0),
                    })
                })
                .collect(),
        )
    }

    /// The live counts of the current poll or quiz while it is shown (`hidden` for a quiz
    /// before its reveal).
    pub fn tally(&self) -> Option<Tally> {
        let a = self.live_activity()?;
        if a.kind.is_rating() {
            return Some(a.rating_tally());
        }
        if !a.kind.has_choices() {
            return None;
        }
        let hidden = (a.kind == ActivityKind::Quiz || a.hide_results)
            && self.status != MeetingStatus::Results;
        Some(a.tally(hidden, &self.source_platforms()))
    }

    /// The current word cloud while it is shown.
    pub fn words(&self) -> Option<Words> {
        let a = self.live_activity()?;
        (a.kind == ActivityKind::Wordcloud).then(|| Words {
            question_id: a.id,
            words: a.words(),
        })
    }
}

/// The streaks as the scored quizzes left them, replayed in plan order on load.
fn replay_streaks(
    activities: &[Activity],
    attendees: &HashMap<AttendeeId, Attendee>,
) -> (HashMap<AttendeeId, u32>, HashSet<ActivityId>) {
    let mut streaks: HashMap<AttendeeId, u32> = HashMap::new();
    let mut streaked = HashSet::new();
    for a in activities {
        if a.kind != ActivityKind::Quiz || !a.votes.iter().any(|v| v.points.is_some()) {
            continue;
        }
        streaked.insert(a.id);
        let key = a.key();
        for id in attendees.keys() {
            let right = a
                .voted
                .get(id)
                .and_then(|&i| a.votes.get(i))
                .is_some_and(|v| key.is_right(&v.choices));
            if right {
                *streaks.entry(*id).or_default() += 1;
            } else {
                streaks.remove(id);
            }
        }
    }
    (streaks, streaked)
}

fn outcome_name(stored: &str) -> &'static str {
    match stored {
        "captured" => "captured",
        "already_flagged" => "already_flagged",
        _ => "not_found",
    }
}

mod moderation;
mod posts;
mod ratings;
pub use moderation::ParticipantRow;
pub use posts::{ChatPost, PUBLIC_ITEMS, QUESTIONS_PER_ATTENDEE, STAFF_ITEMS};
pub use ratings::ChatAnswer;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_kinds;
#[cfg(test)]
mod tests_posts;
