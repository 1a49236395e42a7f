//! Typed ids, string-backed enums and the plain records exchanged with the engine.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    )*};
}
id_type!(MeetingId, ActivityId, ChoiceId, AttendeeId, FlagId, UserId);

/// Meeting status. Stored as its seed letter (`B`, `W`, …); on the wire as a snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Before,
    Waiting,
    Ongoing,
    Results,
    Scoreboard,
    After,
    Undefined,
}

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 7] = [
        Self::Before,
        Self::Waiting,
        Self::Ongoing,
        Self::Results,
        Self::Scoreboard,
        Self::After,
        Self::Undefined,
    ];
    /// The seed letter stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Before => "B",
            Self::Waiting => "W",
            Self::Ongoing => "O",
            Self::Results => "R",
            Self::Scoreboard => "S",
            Self::After => "A",
            Self::Undefined => "U",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    /// The snake_case word used on the wire.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::Waiting => "waiting",
            Self::Ongoing => "ongoing",
            Self::Results => "results",
            Self::Scoreboard => "scoreboard",
            Self::After => "after",
            Self::Undefined => "undefined",
        }
    }
}

/// Activity kind. Stored as `TX`, `PL`, `QZ`, `WC`; in files and on the wire as a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Text,
    Poll,
    Quiz,
    Wordcloud,
    /// One rating on the author's scale.
    Scale,
    /// Several items (its choices) rated on one scale.
    Grid,
    /// An open question: one free-text answer each, shown once approved.
    TextAnswer,
    /// Audience questions, upvoted, moderated.
    Qna,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 8] = [
        Self::Text,
        Self::Poll,
        Self::Quiz,
        Self::Wordcloud,
        Self::Scale,
        Self::Grid,
        Self::TextAnswer,
        Self::Qna,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "TX",
            Self::Poll => "PL",
            Self::Quiz => "QZ",
            Self::Wordcloud => "WC",
            Self::Scale => "SC",
            Self::Grid => "GR",
            Self::TextAnswer => "TA",
            Self::Qna => "QA",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn wire(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Poll => "poll",
            Self::Quiz => "quiz",
            Self::Wordcloud => "wordcloud",
            Self::Scale => "scale",
            Self::Grid => "grid",
            Self::TextAnswer => "text_answer",
            Self::Qna => "qna",
        }
    }
    /// Open questions and Q&A take free-text posts, moderated.
    pub fn takes_posts(self) -> bool {
        matches!(self, Self::TextAnswer | Self::Qna)
    }
    /// Poll and quiz take votes for their choices.
    pub fn has_choices(self) -> bool {
        matches!(self, Self::Poll | Self::Quiz)
    }
    /// Scale and grid take ratings on a [`Scale`].
    pub fn is_rating(self) -> bool {
        matches!(self, Self::Scale | Self::Grid)
    }
    /// Whether the file lists choices for it: a poll's or quiz's options, a grid's items.
    pub fn lists_choices(self) -> bool {
        self.has_choices() || self == Self::Grid
    }
}

/// The values a scale or grid is rated with: whole numbers from `min` to `max`, with no
/// label, a label for each end, or one per value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i32,
    pub max: i32,
    #[serde(default)]
    pub labels: Vec<String>,
}

impl Default for Scale {
    /// Five stars.
    fn default() -> Scale {
        Scale {
            min: 1,
            max: 5,
            labels: Vec::new(),
        }
    }
}

impl Scale {
    pub fn contains(&self, value: i64) -> bool {
        (i64::from(self.min)..=i64::from(self.max)).contains(&value)
    }
    /// How many values it has.
    pub fn len(&self) -> usize {
        usize::try_from(i64::from(self.max) - i64::from(self.min) + 1).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How an activity's description is written: plain text (blank lines make paragraphs) or
/// CommonMark. Rendered by the server only, raw HTML escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Markup {
    #[default]
    Text,
    Markdown,
}

impl Markup {
    pub const ALL: [Markup; 2] = [Self::Text, Self::Markdown];
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "markdown",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn is_text(&self) -> bool {
        *self == Self::Text
    }
}

/// How a meeting scores quizzes. Stored as the snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// The original's rule: 1 point per correct answer, 2 more for the first correct one
    /// when the meeting rewards the fastest.
    #[default]
    FirstBonus,
    /// Kahoot's: round(P × (1 − t / (2T))) per correct answer, P the quiz's points, t the
    /// answer's time since the quiz opened, T its time limit.
    Speed,
}

impl Scoring {
    pub const ALL: [Scoring; 2] = [Self::FirstBonus, Self::Speed];
    pub fn code(self) -> &'static str {
        match self {
            Self::FirstBonus => "first_bonus",
            Self::Speed => "speed",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn is_default(&self) -> bool {
        *self == Self::FirstBonus
    }
}

/// A grid's prior weight when the file gives none: each item's mean is pulled toward the
/// mean of all ratings as if it had this many more ratings at that mean.
pub const DEFAULT_PRIOR_WEIGHT: u32 = 5;

/// A quiz's points under speed scoring when the file gives none.
pub const DEFAULT_POINTS: u32 = 1000;

/// Where an activity is in its own life. Stored as the snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityState {
    /// Not opened yet.
    Pending,
    /// Taking answers.
    Open,
    /// Answers closed (results shown or moved away mid-activity).
    Closed,
    /// Passed with `next`.
    Done,
}

impl ActivityState {
    pub const ALL: [ActivityState; 4] = [Self::Pending, Self::Open, Self::Closed, Self::Done];
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Done => "done",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Where a text answer or a Q&A question is in moderation. Stored as the snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Seen by staff only, waiting for approval.
    Pending,
    /// Shown to everyone.
    Approved,
    /// Taken off every screen but staff's (kept for the record).
    Hidden,
}

impl PostStatus {
    pub const ALL: [PostStatus; 3] = [Self::Pending, Self::Approved, Self::Hidden];
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Hidden => "hidden",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Longest text answer or Q&A question, in characters.
pub const MAX_POST_CHARS: usize = 280;

/// Where an attendee takes part from. Stored and sent as the snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Room,
    Twitch,
    Youtube,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Self::Room, Self::Twitch, Self::Youtube];
    pub fn code(self) -> &'static str {
        match self {
            Self::Room => "room",
            Self::Twitch => "twitch",
            Self::Youtube => "youtube",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Microseconds since the Unix epoch; every stored time uses it (portable across backends).
pub type Micros = i64;

pub fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// `2026-12-06T07:37:03Z` (UTC, whole seconds) for a stored time.
pub fn rfc3339(at: Micros) -> String {
    let secs = at.div_euclid(1_000_000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

pub fn now_rfc3339() -> String {
    rfc3339(now_micros())
}

#[cfg(test)]
mod time_tests {
    use super::rfc3339;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_542_623_000_000), "2026-12-06T07:37:03Z");
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRecord {
    pub id: MeetingId,
    pub title: String,
    pub code: String,
    pub reward_fastest: bool,
    pub flag_prefix: String,
    pub status: MeetingStatus,
    /// Index (0-based) into the meeting's activities, ordered by position.
    pub position: u32,
    /// Chat sources besides the room.
    pub sources: Vec<crate::StoredSource>,
    pub chat: crate::ChatRules,
    /// The organizer who owns it (`None`: admins only).
    pub owner: Option<UserId>,
    /// Normalized words refused in names and word clouds.
    pub blocked_words: Vec<String>,
    /// Chat bots.
    pub bots: Vec<crate::Bot>,
    pub scoring: Scoring,
    /// Next opens the next activity directly.
    pub auto_start: bool,
    /// Extra points per correct quiz in a row under speed scoring.
    pub streak_bonus: u32,
    /// The presenter plays its cues (start, reveal, podium).
    pub sounds: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRecord {
    pub id: ChoiceId,
    pub text: String,
    pub slug: String,
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub id: ActivityId,
    pub kind: ActivityKind,
    pub title: String,
    pub description: String,
    pub markup: Markup,
    /// Words per attendee in a word cloud.
    pub word_limit: u32,
    pub state: ActivityState,
    /// In file order.
    pub choices: Vec<ChoiceRecord>,
    /// Normalized words a moderator hid from the cloud.
    pub hidden_words: Vec<String>,
    /// The organizer's notes (teleprompter, dashboard); never sent to participants.
    pub notes: String,
    /// Seconds it stays open once started (0: until staff close it).
    pub time_limit_secs: u32,
    /// A quiz's points under speed scoring ([`DEFAULT_POINTS`] when `None`).
    pub points: Option<u32>,
    /// When its open timer closes.
    pub closes_at: Option<Micros>,
    /// Choices an attendee may pick (1: single choice).
    pub max_choices: u32,
    /// A multi-select quiz pays a share of its points for a partly right answer.
    pub partial_credit: bool,
    /// A scale's or grid's values (`None`: [`Scale::default`]).
    pub scale: Option<Scale>,
    /// A grid's prior weight (`None`: [`DEFAULT_PRIOR_WEIGHT`]).
    pub prior_weight: Option<u32>,
    /// An image of the media store shown with the activity (its id), and its alt text.
    pub image: Option<String>,
    pub alt: String,
    /// Text answers and Q&A questions are shown without waiting for a moderator.
    pub auto_approve: bool,
    /// A poll shows its counts to the audience only once revealed, like a quiz.
    pub hide_results: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttendeeRecord {
    pub id: AttendeeId,
    pub meeting_id: MeetingId,
    pub name: String,
    pub platform: Platform,
    pub platform_user_id: String,
    pub score: i64,
    /// Removed by a moderator: their answers no longer count and the seat cannot rejoin.
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VoteRecord {
    pub activity_id: ActivityId,
    pub attendee_id: AttendeeId,
    pub choice_id: ChoiceId,
    /// `None` until the quiz was scored.
    pub points: Option<i64>,
    pub at: Micros,
}

/// A scale's rating (`choice_id` `None`) or one grid item's.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRecord {
    pub activity_id: ActivityId,
    pub attendee_id: AttendeeId,
    pub choice_id: Option<ChoiceId>,
    pub value: i32,
    pub at: Micros,
}

/// A text answer or a Q&A question. `number` counts from 1 in each activity: the id on the
/// wire and what chat types to upvote (`#+12`).
#[derive(Debug, Clone, PartialEq)]
pub struct PostRecord {
    pub activity_id: ActivityId,
    pub number: u32,
    pub attendee_id: AttendeeId,
    pub text: String,
    pub status: PostStatus,
    pub pinned: bool,
    pub answered: bool,
    pub at: Micros,
}

/// One attendee's upvote of a Q&A question.
#[derive(Debug, Clone, PartialEq)]
pub struct UpvoteRecord {
    pub activity_id: ActivityId,
    pub number: u32,
    pub attendee_id: AttendeeId,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WordRecord {
    pub activity_id: ActivityId,
    pub attendee_id: AttendeeId,
    pub text: String,
    pub normalized: String,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlagRecord {
    pub id: FlagId,
    pub name: String,
    pub code: String,
    pub points: i64,
    /// Bonus for the first finder.
    pub first_blood: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRecord {
    pub flag_id: FlagId,
    pub attendee_id: AttendeeId,
    pub points: i64,
    pub first_blood: bool,
    pub at: Micros,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlagAttemptRecord {
    pub attendee_id: AttendeeId,
    pub submitted: String,
    pub flag_id: Option<FlagId>,
    pub outcome: String,
    pub at: Micros,
}

/// Everything a meeting actor needs to rebuild its live state.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedMeeting {
    pub meeting: MeetingRecord,
    /// Ordered by position.
    pub activities: Vec<ActivityRecord>,
    pub attendees: Vec<AttendeeRecord>,
    /// Ordered by (at, id): earliest first.
    pub votes: Vec<VoteRecord>,
    /// Ordered by (at, id).
    pub words: Vec<WordRecord>,
    /// Ordered by (at, id).
    pub ratings: Vec<RatingRecord>,
    /// Ordered by (activity, number).
    pub posts: Vec<PostRecord>,
    /// Ordered by (at, id).
    pub upvotes: Vec<UpvoteRecord>,
    pub flags: Vec<FlagRecord>,
    /// Ordered by (at, id).
    pub captures: Vec<CaptureRecord>,
    /// The latest 50 attempts, newest last.
    pub recent_attempts: Vec<FlagAttemptRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingSummary {
    pub id: MeetingId,
    pub title: String,
    pub status: MeetingStatus,
}

/// A staff account's role. Stored and shown as the snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every meeting; manages users.
    Admin,
    /// The meetings they own or that are shared with them.
    Organizer,
}

impl Role {
    pub const ALL: [Role; 2] = [Self::Admin, Self::Organizer];
    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Organizer => "organizer",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub last_login_at: Option<Micros>,
}

/// How long sessions last (`LIBREKAST_SESSION_IDLE_SECS`, `LIBREKAST_SESSION_MAX_SECS`).
/// Participant sessions last until [`PARTICIPANT_GRACE`] after their meeting ended;
/// display links until revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A staff session unused this long ends.
    pub staff_idle: Micros,
    /// A staff session ends this long after login.
    pub staff_max: Micros,
}

impl Default for SessionLimits {
    fn default() -> SessionLimits {
        SessionLimits {
            staff_idle: 12 * 3_600 * 1_000_000,
            staff_max: 7 * 86_400 * 1_000_000,
        }
    }
}

/// Participant sessions end this long after their meeting ended.
pub const PARTICIPANT_GRACE: Micros = 30 * 86_400 * 1_000_000;
/// `last_seen_at` is written at most this often per session (use is not a write per frame).
pub const TOUCH_EVERY: Micros = 60 * 1_000_000;

/// Who a session token stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionSubject {
    Staff {
        user_id: UserId,
        username: String,
        role: Role,
    },
    Participant {
        meeting_id: MeetingId,
        attendee_id: AttendeeId,
    },
    /// A read-only display link (projector, OBS) of one meeting; `prompter`: a
    /// teleprompter link, which also gets the organizer's notes.
    Display {
        meeting_id: MeetingId,
        prompter: bool,
    },
}

/// Whom a meeting belongs to: its owner (none for meetings only admins control) and the
/// organizers it is shared with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetingAccess {
    pub owner: Option<UserId>,
    pub shared_with: Vec<UserId>,
}

/// One change to a meeting, written by [`crate::Store::apply`] inside a batch transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Unique per (activity, attendee, choice): a second one is `StorageError::Duplicate`.
    /// A multi-select vote is one op per choice picked, handed over together.
    Vote {
        activity: ActivityId,
        attendee: AttendeeId,
        choice: ChoiceId,
        at: Micros,
    },
    /// A scale's rating (`item` `None`) or a grid item's; unique per (activity, attendee,
    /// item).
    Rating {
        activity: ActivityId,
        attendee: AttendeeId,
        item: Option<ChoiceId>,
        value: i32,
        at: Micros,
    },
    /// A text answer or Q&A question; unique per (activity, number).
    Post {
        activity: ActivityId,
        number: u32,
        attendee: AttendeeId,
        text: String,
        status: PostStatus,
        at: Micros,
    },
    /// Unique per (activity, number, attendee).
    Upvote {
        activity: ActivityId,
        number: u32,
        attendee: AttendeeId,
        at: Micros,
    },
    /// A moderator's decision on a post: its whole moderation state.
    Moderate {
        activity: ActivityId,
        number: u32,
        status: PostStatus,
        pinned: bool,
        answered: bool,
    },
    /// Whether the presenter plays its cues.
    Sounds { meeting: MeetingId, on: bool },
    /// Unique per (activity, attendee, normalized).
    Word {
        activity: ActivityId,
        attendee: AttendeeId,
        text: String,
        normalized: String,
        at: Micros,
    },
    /// A log line of every flag submission, successful or not.
    FlagAttempt {
        meeting: MeetingId,
        attendee: AttendeeId,
        submitted: String,
        flag: Option<FlagId>,
        outcome: String,
        at: Micros,
    },
    /// Unique per (flag, attendee). Also adds `points` to the attendee's score.
    Capture {
        flag: FlagId,
        attendee: AttendeeId,
        points: i64,
        first_blood: bool,
        at: Micros,
    },
    /// Sets the meeting's status and position and, when given, activities' states.
    Progress {
        meeting: MeetingId,
        status: MeetingStatus,
        position: u32,
        activities: Vec<(ActivityId, ActivityState)>,
    },
    /// When an activity's open timer closes (`None`: no timer runs).
    Deadline {
        activity: ActivityId,
        closes_at: Option<Micros>,
    },
    /// Sets `points` on each listed attendee's vote in the activity and adds them to their score.
    Award {
        activity: ActivityId,
        awards: Vec<(AttendeeId, i64)>,
    },
    /// Chat messages that were counted, by platform message id: a message seen again (a
    /// platform delivering it twice, an adapter re-reading after a restart) counts once.
    ChatSeen {
        meeting: MeetingId,
        platform: Platform,
        message_id: String,
        at: Micros,
    },
    /// A chat viewer's display name changed on their platform (or a moderator renamed a
    /// participant): their seat follows it.
    Rename { attendee: AttendeeId, name: String },
    /// A moderator removed the attendee: their answers stop counting, their sessions end.
    Remove { attendee: AttendeeId },
    /// The words hidden from an activity's cloud (the whole list).
    HideWords {
        activity: ActivityId,
        words: Vec<String>,
    },
    /// The meeting's blocked words (the whole list).
    BlockedWords {
        meeting: MeetingId,
        words: Vec<String>,
    },
    /// A participant joins from the room: their seat (a new attendee, with an id from
    /// [`crate::Store::allocate_attendee_id`], or the one their browser kept) and their
    /// session, stored under the token's hash ([`crate::token_hash`]).
    Join {
        meeting: MeetingId,
        attendee: AttendeeId,
        name: String,
        seat: JoinSeat,
        session_hash: String,
        at: Micros,
    },
}

/// Whose seat a [`WriteOp::Join`] takes.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinSeat {
    /// A new room attendee with this platform user id (random, never shown).
    New { platform_user_id: String },
    /// The attendee the browser's session already had; `renamed`: store the new name.
    Kept { renamed: bool },
}

/// A staff user's connected platform account, tokens opened.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRecord {
    pub user_id: UserId,
    pub platform: Platform,
    /// Which OAuth client the tokens belong to (`twitch`, `google_web`, `google_device`).
    pub client: String,
    pub login: String,
    pub platform_user_id: String,
    pub tokens: PlatformTokens,
    /// When the access token expires, if known.
    pub expires_at: Option<Micros>,
    pub scopes: Vec<String>,
    pub updated_at: Micros,
}

/// What is sealed at rest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformTokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for PlatformTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach a log, even a debug one.
        f.write_str("PlatformTokens(…)")
    }
}

/// A connected account as the dashboard lists it: no tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountSummary {
    pub platform: Platform,
    pub login: String,
    pub client: String,
    pub expires_at: Option<Micros>,
    pub scopes: Vec<String>,
}

impl AccountRecord {
    pub fn summary(&self) -> AccountSummary {
        AccountSummary {
            platform: self.platform,
            login: self.login.clone(),
            client: self.client.clone(),
            expires_at: self.expires_at,
            scopes: self.scopes.clone(),
        }
    }
}
