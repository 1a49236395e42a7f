//! Results of a meeting, during or after it: per activity the counts (by platform too), the
//! correct choices and the word cloud; every answer as one row; flag captures; the final
//! scoreboard and participation by platform. Read from one snapshot (like
//! [`Store::load_meeting`]), so a batch committed half-way through cannot show a vote whose
//! voter is missing. The web layer serves them as JSON and CSV (docs/api.md, "Results").
//!
//! Only attendees returned by [`counted_attendees`] count: an answer, a capture or a score
//! of anyone else is left out everywhere (counts, clouds, rows, scoreboard, participation).

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use serde::Serialize;

use crate::entities::{attendees, flag_captures, flags, meetings, votes, words};
use crate::model::*;
use crate::queries::meetings::{activity_ids_of, activity_records, flag_ids_of, meeting_flags};
use crate::store::{Store, finish};
use crate::{StorageError, convert};

/// Everything a meeting produced, as `GET /api/meetings/{id}/results.json` sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingResults {
    pub meeting_id: MeetingId,
    pub title: String,
    pub status: MeetingStatus,
    /// Every activity in plan order (slides too, with nothing counted).
    pub activities: Vec<ActivityResults>,
    /// Every flag in file order, with how many found it.
    pub flags: Vec<FlagResults>,
    /// Every attendee, best first; equal scores share a rank (1, 1, 3), then join order.
    pub scoreboard: Vec<ScoreRow>,
    /// The room first, then each chat platform that has attendees.
    pub participation: Vec<Participation>,
    /// Votes, words and flag captures, ordered by time (then votes, words, captures, then
    /// the order they were written in).
    pub answers: Vec<AnswerRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityResults {
    pub id: ActivityId,
    /// 1-based: the CSV's `activity` column.
    pub position: u32,
    pub kind: ActivityKind,
    pub title: String,
    pub state: ActivityState,
    /// Attendees who answered: the voters of a poll or quiz, those who gave at least one
    /// word to a cloud.
    pub answered: u64,
    /// `answered` per platform, for the platforms with at least one (room first).
    pub answered_by_platform: Vec<PlatformCount>,
    /// A poll's or quiz's choices in file order; empty otherwise.
    pub choices: Vec<ChoiceResults>,
    /// A cloud's words grouped case-insensitively, most given first (then alphabetically),
    /// each in its most frequent spelling; words a moderator hid are left out. Empty
    /// otherwise.
    pub words: Vec<WordCount>,
    /// Choices an attendee could pick (1: single choice).
    pub max_choices: u32,
    /// A multi-select quiz paid a share of its points for partly right answers.
    pub partial_credit: bool,
    /// A scale's or grid's values; absent for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<crate::Scale>,
    /// A scale's distribution, mean and median; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::RatingStats>,
    /// A grid's `items`, `ranking`, `global_mean` and `prior_weight`; absent otherwise.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub grid: Option<crate::GridStats>,
    /// An open question's answers or a Q&A's questions, in id order (hidden and pending
    /// ones too, with their status); absent for other kinds (a grid's `items` are its
    /// statistics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemResults>>,
    /// The activity's image (a media store id) and its alt text.
    pub image: Option<String>,
    pub alt: String,
}

/// A text answer or a Q&A question with its moderation state and upvotes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResults {
    /// Its number in the activity (what the screens show and chat types: `#+12`).
    pub id: u32,
    pub text: String,
    pub attendee_id: AttendeeId,
    pub name: String,
    pub platform: Platform,
    pub status: PostStatus,
    pub pinned: bool,
    pub answered: bool,
    pub votes: u64,
    pub at: Micros,
}

impl ItemResults {
    /// One word for the CSV's `status` column: `pinned` and `answered` imply approved.
    pub fn status_word(&self) -> &'static str {
        match (self.status, self.pinned, self.answered) {
            (PostStatus::Approved, _, true) => "answered",
            (PostStatus::Approved, true, _) => "pinned",
            (status, _, _) => status.code(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceResults {
    pub id: ChoiceId,
    pub slug: String,
    pub text: String,
    pub correct: bool,
    pub count: u64,
    /// The count per platform, for every platform in the activity's
    /// `answered_by_platform` (zeros included).
    pub by_platform: Vec<PlatformCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlatformCount {
    pub platform: Platform,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordCount {
    pub text: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagResults {
    pub name: String,
    pub points: i64,
    pub first_blood: i64,
    /// How many attendees captured it.
    pub captures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    pub rank: u32,
    pub attendee_id: AttendeeId,
    pub name: String,
    pub platform: Platform,
    pub score: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Participation {
    pub platform: Platform,
    /// Attendees from this platform (joined in the room, or seen answering in chat).
    pub attendees: u64,
    /// Of them, those with at least one vote, word or flag.
    pub answered: u64,
}

/// What an [`AnswerRow`] records: the kind of its activity, or a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Poll,
    Quiz,
    Wordcloud,
    Scale,
    Grid,
    TextAnswer,
    Qna,
    Upvote,
    Flag,
}

impl AnswerKind {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Poll => "poll",
            Self::Quiz => "quiz",
            Self::Wordcloud => "wordcloud",
            Self::Scale => "scale",
            Self::Grid => "grid",
            Self::TextAnswer => "text_answer",
            Self::Qna => "qna",
            Self::Upvote => "upvote",
            Self::Flag => "flag",
        }
    }
}

/// One vote, word or flag capture: a line of `results.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerRow {
    pub at: Micros,
    /// The activity's 1-based position; `None` for a flag.
    pub activity: Option<u32>,
    pub kind: AnswerKind,
    pub attendee_id: AttendeeId,
    pub name: String,
    pub platform: Platform,
    /// The choice's slug, the word as given (trimmed, inner spaces collapsed), or the
    /// flag's name.
    pub answer: String,
    /// Quizzes only: whether the choice is a correct one.
    pub correct: Option<bool>,
    /// Quizzes once scored (correct, fastest bonus), and flags (with the first-blood
    /// bonus); `None` for polls, words and a quiz not scored yet.
    pub points: Option<i64>,
    /// Text answers and Q&A questions: `pending`, `approved`, `pinned`, `answered` or
    /// `hidden`; `None` otherwise.
    pub status: Option<&'static str>,
}

impl Store {
    /// The results of a meeting as they stand (also while it runs); `NotFound` when there
    /// is no such meeting.
    pub async fn meeting_results(&self, id: MeetingId) -> Result<MeetingResults, StorageError> {
        let txn = self.begin_read().await?;
        let result = read_results(&txn, id).await;
        finish(txn, result).await
    }
}

/// The attendees whose answers count.
fn counted_attendees(meeting: MeetingId) -> Select<attendees::Entity> {
    attendees::Entity::find()
        .filter(attendees::Column::MeetingId.eq(meeting.0))
        .filter(attendees::Column::Removed.eq(false))
}

/// What the database holds, before it is counted.
struct Raw {
    meeting: meetings::Model,
    activities: Vec<ActivityRecord>,
    attendees: Vec<AttendeeRecord>,
    votes: Vec<votes::Model>,
    words: Vec<words::Model>,
    ratings: Vec<RatingRecord>,
    posts: Vec<PostRecord>,
    upvotes: Vec<UpvoteRecord>,
    flags: Vec<flags::Model>,
    captures: Vec<flag_captures::Model>,
}

async fn read_results<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<MeetingResults, StorageError> {
    let meeting = meetings::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;

    let activities = activity_records(db, id).await?;

    let attendees = counted_attendees(id)
        .order_by_asc(attendees::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(convert::attendee)
        .collect::<Result<Vec<_>, _>>()?;

    // Sorted in memory with the words and captures they are merged with.
    let votes = votes::Entity::find()
        .filter(votes::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .all(db)
        .await?;
    let words = words::Entity::find()
        .filter(words::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .all(db)
        .await?;
    let ratings = crate::queries::meetings::meeting_ratings(db, id).await?;
    let posts = crate::queries::meetings::meeting_posts(db, id).await?;
    let upvotes = crate::queries::meetings::meeting_upvotes(db, id).await?;
    let flags = meeting_flags(db, id).await?;
    let captures = flag_captures::Entity::find()
        .filter(flag_captures::Column::FlagId.in_subquery(flag_ids_of(id)))
        .all(db)
        .await?;

    assemble(Raw {
        meeting,
        activities,
        attendees,
        votes,
        words,
        ratings,
        posts,
        upvotes,
        flags,
        captures,
    })
}

/// Platforms in their fixed order (room, Twitch, YouTube) that `keep` accepts.
fn platforms_where(keep: impl Fn(Platform) -> bool) -> Vec<Platform> {
    Platform::ALL.into_iter().filter(|p| keep(*p)).collect()
}

fn platform_index(p: Platform) -> usize {
    Platform::ALL.iter().position(|q| *q == p).unwrap_or(0)
}

/// Counts per platform, indexed like [`Platform::ALL`].
type PerPlatform = [u64; Platform::ALL.len()];

fn by_platform(counts: &PerPlatform, platforms: &[Platform]) -> Vec<PlatformCount> {
    platforms
        .iter()
        .map(|&platform| PlatformCount {
            platform,
            count: counts[platform_index(platform)],
        })
        .collect()
}

/// Competition ranking ("1, 1, 3") of rows already sorted best first.
fn ranks(scores: &[i64]) -> Vec<u32> {
    let mut out = Vec::with_capacity(scores.len());
    for (i, score) in scores.iter().enumerate() {
        let rank = match (i, out.last()) {
            (0, _) | (_, None) => 1,
            (i, Some(&previous)) if scores[i - 1] == *score => previous,
            (i, _) => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(rank);
    }
    out
}

/// The cloud of one activity from its words in the order they were given: grouped by
/// normalized form, each group shown in its most frequent spelling (the earliest among
/// equals), most given first, then alphabetically. The same rule as the live cloud
/// (`librekast_engine::words::Cloud::top`), without its display limit.
fn cloud<'a>(given: impl Iterator<Item = &'a words::Model>, hidden: &[String]) -> Vec<WordCount> {
    struct Group<'a> {
        count: u64,
        /// Spelling → (count, first seen).
        spellings: HashMap<&'a str, (u64, usize)>,
    }
    let mut groups: HashMap<&str, Group> = HashMap::new();
    for (seen, w) in given.enumerate() {
        if hidden.contains(&w.normalized) {
            continue;
        }
        let group = groups.entry(&w.normalized).or_insert_with(|| Group {
            count: 0,
            spellings: HashMap::new(),
        });
        group.count += 1;
        group.spellings.entry(&w.text).or_insert((0, seen)).0 += 1;
    }
    let mut out: Vec<WordCount> = groups
        .into_values()
        .map(|g| WordCount {
            text: g
                .spellings
                .iter()
                .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
                .map(|(s, _)| (*s).to_owned())
                .unwrap_or_default(),
            count: g.count,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.text.to_lowercase().cmp(&b.text.to_lowercase()))
            .then_with(|| a.text.cmp(&b.text))
    });
    out
}

/// A rater's first rating (its time orders the row) and every (item index, value) given.
type RaterRow<'a> = (&'a RatingRecord, Vec<(usize, i32)>);

/// A scale's statistics from its ratings' distribution.
fn rating_stats(
    a: &ActivityRecord,
    distributions: &HashMap<Option<ChoiceId>, Vec<u64>>,
    item: Option<ChoiceId>,
) -> crate::RatingStats {
    let scale = a.scale.clone().unwrap_or_default();
    let d = distributions
        .get(&item)
        .cloned()
        .unwrap_or_else(|| vec![0; scale.len()]);
    crate::RatingStats::new(scale.min, d)
}

fn assemble(raw: Raw) -> Result<MeetingResults, StorageError> {
    let Raw {
        meeting,
        activities,
        attendees,
        mut votes,
        mut words,
        mut ratings,
        mut posts,
        mut upvotes,
        flags,
        mut captures,
    } = raw;
    let status = MeetingStatus::from_code(&meeting.status).ok_or_else(|| {
        convert::corrupt(format!(
            "meeting {} has status {:?}",
            meeting.id, meeting.status
        ))
    })?;
    let who: HashMap<i64, &AttendeeRecord> = attendees.iter().map(|a| (a.id.0, a)).collect();
    // Answers of attendees who do not count are dropped here, once.
    votes.retain(|v| who.contains_key(&v.attendee_id));
    words.retain(|w| who.contains_key(&w.attendee_id));
    captures.retain(|c| who.contains_key(&c.attendee_id));
    ratings.retain(|r| who.contains_key(&r.attendee_id.0));
    posts.retain(|p| who.contains_key(&p.attendee_id.0));
    upvotes.retain(|u| who.contains_key(&u.attendee_id.0));
    votes.sort_unstable_by_key(|v| (v.created_at, v.id));
    words.sort_unstable_by_key(|w| (w.created_at, w.id));
    captures.sort_unstable_by_key(|c| (c.created_at, c.id));

    // Each choice: its activity's index, its own index, whether it is correct.
    let mut choice_at: HashMap<i64, (usize, usize)> = HashMap::new();
    let mut activity_at: HashMap<i64, usize> = HashMap::new();
    for (i, a) in activities.iter().enumerate() {
        activity_at.insert(a.id.0, i);
        for (j, c) in a.choices.iter().enumerate() {
            choice_at.insert(c.id.0, (i, j));
        }
    }
    let platform_of = |attendee: i64| who.get(&attendee).map_or(Platform::Room, |a| a.platform);

    // Counts: per activity, per choice, per platform.
    let mut counts: Vec<Vec<PerPlatform>> = activities
        .iter()
        .map(|a| vec![PerPlatform::default(); a.choices.len()])
        .collect();
    let mut answered: Vec<PerPlatform> = vec![PerPlatform::default(); activities.len()];
    // A multi-select voter answers once, whatever they picked.
    let mut voters: HashSet<(usize, i64)> = HashSet::new();
    for v in &votes {
        if let Some(&(i, j)) = choice_at.get(&v.choice_id) {
            let p = platform_index(platform_of(v.attendee_id));
            counts[i][j][p] += 1;
            if voters.insert((i, v.attendee_id)) {
                answered[i][p] += 1;
            }
        }
    }
    // Ratings: per activity, a distribution per item (`None`: a scale's own).
    let mut distributions: Vec<HashMap<Option<ChoiceId>, Vec<u64>>> =
        vec![HashMap::new(); activities.len()];
    let mut raters: HashSet<(usize, i64)> = HashSet::new();
    for r in &ratings {
        let Some(&i) = activity_at.get(&r.activity_id.0) else {
            continue;
        };
        let scale = activities[i].scale.clone().unwrap_or_default();
        let Ok(slot) = usize::try_from(i64::from(r.value) - i64::from(scale.min)) else {
            continue;
        };
        if slot >= scale.len() {
            continue;
        }
        distributions[i]
            .entry(r.choice_id)
            .or_insert_with(|| vec![0; scale.len()])[slot] += 1;
        if raters.insert((i, r.attendee_id.0)) {
            answered[i][platform_index(platform_of(r.attendee_id.0))] += 1;
        }
    }
    let mut word_givers: HashSet<(usize, i64)> = HashSet::new();
    let mut words_of: Vec<Vec<&words::Model>> = vec![Vec::new(); activities.len()];
    for w in &words {
        if let Some(&i) = activity_at.get(&w.activity_id) {
            words_of[i].push(w);
            if word_givers.insert((i, w.attendee_id)) {
                answered[i][platform_index(platform_of(w.attendee_id))] += 1;
            }
        }
    }

    // Posts: per activity, in number order, with their upvotes; the poster answered.
    let mut votes_of: HashMap<(i64, u32), u64> = HashMap::new();
    for u in &upvotes {
        *votes_of.entry((u.activity_id.0, u.number)).or_default() += 1;
    }
    let mut items_of: Vec<Vec<ItemResults>> = vec![Vec::new(); activities.len()];
    let mut posters: HashSet<(usize, i64)> = HashSet::new();
    for p in &posts {
        let Some(&i) = activity_at.get(&p.activity_id.0) else {
            continue;
        };
        let a = who.get(&p.attendee_id.0);
        items_of[i].push(ItemResults {
            id: p.number,
            text: p.text.clone(),
            attendee_id: p.attendee_id,
            name: a.map(|a| a.name.clone()).unwrap_or_default(),
            platform: a.map_or(Platform::Room, |a| a.platform),
            status: p.status,
            pinned: p.pinned,
            answered: p.answered,
            votes: votes_of
                .get(&(p.activity_id.0, p.number))
                .copied()
                .unwrap_or(0),
            at: p.at,
        });
        if posters.insert((i, p.attendee_id.0)) {
            answered[i][platform_index(platform_of(p.attendee_id.0))] += 1;
        }
    }

    let mut activity_results = Vec::with_capacity(activities.len());
    for (i, a) in activities.iter().enumerate() {
        let platforms = platforms_where(|p| answered[i][platform_index(p)] > 0);
        let choices = a
            .choices
            .iter()
            .enumerate()
            .map(|(j, c)| ChoiceResults {
                id: c.id,
                slug: c.slug.clone(),
                text: c.text.clone(),
                correct: c.correct,
                count: counts[i][j].iter().sum(),
                by_platform: by_platform(&counts[i][j], &platforms),
            })
            .collect();
        activity_results.push(ActivityResults {
            id: a.id,
            position: u32::try_from(i + 1).unwrap_or(u32::MAX),
            kind: a.kind,
            title: a.title.clone(),
            state: a.state,
            answered: answered[i].iter().sum(),
            answered_by_platform: by_platform(&answered[i], &platforms),
            choices,
            words: cloud(words_of[i].iter().copied(), &a.hidden_words),
            max_choices: a.max_choices,
            partial_credit: a.partial_credit,
            scale: a
                .kind
                .is_rating()
                .then(|| a.scale.clone().unwrap_or_default()),
            rating: (a.kind == ActivityKind::Scale)
                .then(|| rating_stats(a, &distributions[i], None)),
            grid: (a.kind == ActivityKind::Grid).then(|| {
                let scale = a.scale.clone().unwrap_or_default();
                crate::GridStats::new(
                    &scale,
                    a.choices
                        .iter()
                        .map(|c| {
                            let d = distributions[i].get(&Some(c.id)).cloned();
                            (c.id, d.unwrap_or_else(|| vec![0; scale.len()]))
                        })
                        .collect(),
                    a.prior_weight.unwrap_or(crate::DEFAULT_PRIOR_WEIGHT),
                )
            }),
            items: a
                .kind
                .takes_posts()
                .then(|| std::mem::take(&mut items_of[i])),
            image: a.image.clone(),
            alt: a.alt.clone(),
        });
    }

    let flag_at: HashMap<i64, usize> = flags.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let mut flag_results: Vec<FlagResults> = flags
        .iter()
        .map(|f| FlagResults {
            name: f.name.clone(),
            points: f.points,
            first_blood: f.first_blood,
            captures: 0,
        })
        .collect();
    for c in &captures {
        if let Some(&i) = flag_at.get(&c.flag_id) {
            flag_results[i].captures += 1;
        }
    }

    // Every answer as a row, merged in time order.
    let row = |at, activity, kind, attendee: i64, answer: String, correct, points| {
        let a = who.get(&attendee);
        AnswerRow {
            at,
            activity,
            kind,
            attendee_id: AttendeeId(attendee),
            name: a.map(|a| a.name.clone()).unwrap_or_default(),
            platform: a.map_or(Platform::Room, |a| a.platform),
            answer,
            correct,
            points,
            status: None,
        }
    };
    let mut keyed: Vec<((Micros, u8, i64), AnswerRow)> =
        Vec::with_capacity(votes.len() + words.len() + captures.len() + ratings.len());
    // One row per vote: a multi-select vote's choices (one stored row each) in choice
    // order, joined with `;`, right only when exactly the correct ones were picked.
    let mut vote_rows: HashMap<(usize, i64), usize> = HashMap::new();
    let mut picked: Vec<(usize, &votes::Model, Vec<usize>)> = Vec::new();
    for v in &votes {
        let Some(&(i, j)) = choice_at.get(&v.choice_id) else {
            continue;
        };
        match vote_rows.get(&(i, v.attendee_id)) {
            Some(&k) => picked[k].2.push(j),
            None => {
                vote_rows.insert((i, v.attendee_id), picked.len());
                picked.push((i, v, vec![j]));
            }
        }
    }
    for (i, v, mut js) in picked {
        js.sort_unstable();
        let a = &activities[i];
        let quiz = a.kind == ActivityKind::Quiz;
        let kind = if quiz {
            AnswerKind::Quiz
        } else {
            AnswerKind::Poll
        };
        let right = if js.len() > 1 || a.max_choices > 1 {
            a.choices
                .iter()
                .enumerate()
                .all(|(j, c)| c.correct == js.contains(&j))
        } else {
            js.iter().all(|&j| a.choices[j].correct)
        };
        let answer: Vec<&str> = js.iter().map(|&j| a.choices[j].slug.as_str()).collect();
        keyed.push((
            (v.created_at, 0, v.id),
            row(
                v.created_at,
                u32::try_from(i + 1).ok(),
                kind,
                v.attendee_id,
                answer.join(";"),
                quiz.then_some(right),
                v.points.filter(|_| quiz),
            ),
        ));
    }
    // One row per rater: a scale's value, or a grid's `a=4;b=5` in choice order.
    let mut rated: HashMap<(usize, i64), RaterRow> = HashMap::new();
    for r in &ratings {
        let Some(&i) = activity_at.get(&r.activity_id.0) else {
            continue;
        };
        let item = r
            .choice_id
            .and_then(|c| choice_at.get(&c.0).map(|&(_, j)| j))
            .unwrap_or(usize::MAX);
        rated
            .entry((i, r.attendee_id.0))
            .or_insert((r, Vec::new()))
            .1
            .push((item, r.value));
    }
    for ((i, attendee), (first, mut values)) in rated {
        values.sort_unstable();
        let a = &activities[i];
        let answer: Vec<String> = values
            .iter()
            .map(|&(j, v)| match a.choices.get(j) {
                Some(c) => format!("{}={v}", c.slug),
                None => v.to_string(),
            })
            .collect();
        let kind = if a.kind == ActivityKind::Grid {
            AnswerKind::Grid
        } else {
            AnswerKind::Scale
        };
        keyed.push((
            (first.at, 3, attendee),
            row(
                first.at,
                u32::try_from(i + 1).ok(),
                kind,
                attendee,
                answer.join(";"),
                None,
                None,
            ),
        ));
    }
    for w in &words {
        let Some(&i) = activity_at.get(&w.activity_id) else {
            continue;
        };
        keyed.push((
            (w.created_at, 1, w.id),
            row(
                w.created_at,
                u32::try_from(i + 1).ok(),
                AnswerKind::Wordcloud,
                w.attendee_id,
                w.text.clone(),
                None,
                None,
            ),
        ));
    }
    for c in &captures {
        let Some(&i) = flag_at.get(&c.flag_id) else {
            continue;
        };
        keyed.push((
            (c.created_at, 2, c.id),
            row(
                c.created_at,
                None,
                AnswerKind::Flag,
                c.attendee_id,
                flags[i].name.clone(),
                None,
                Some(c.points),
            ),
        ));
    }
    for item in activity_results
        .iter()
        .filter(|a| a.kind.takes_posts())
        .flat_map(|a| a.items.iter().flatten().map(move |item| (a, item)))
    {
        let (a, item) = item;
        let kind = if a.kind == ActivityKind::Qna {
            AnswerKind::Qna
        } else {
            AnswerKind::TextAnswer
        };
        keyed.push((
            (item.at, 4, i64::from(item.id)),
            AnswerRow {
                status: Some(item.status_word()),
                ..row(
                    item.at,
                    Some(a.position),
                    kind,
                    item.attendee_id.0,
                    item.text.clone(),
                    None,
                    None,
                )
            },
        ));
    }
    for u in &upvotes {
        let Some(&i) = activity_at.get(&u.activity_id.0) else {
            continue;
        };
        keyed.push((
            (u.at, 5, u.attendee_id.0),
            row(
                u.at,
                u32::try_from(i + 1).ok(),
                AnswerKind::Upvote,
                u.attendee_id.0,
                format!("+{}", u.number),
                None,
                None,
            ),
        ));
    }
    keyed.sort_unstable_by_key(|(key, _)| *key);
    let answers: Vec<AnswerRow> = keyed.into_iter().map(|(_, r)| r).collect();

    // Who answered anything, per platform.
    let mut took_part: HashSet<i64> = HashSet::new();
    took_part.extend(votes.iter().map(|v| v.attendee_id));
    took_part.extend(words.iter().map(|w| w.attendee_id));
    took_part.extend(captures.iter().map(|c| c.attendee_id));
    took_part.extend(ratings.iter().map(|r| r.attendee_id.0));
    took_part.extend(posts.iter().map(|p| p.attendee_id.0));
    took_part.extend(upvotes.iter().map(|u| u.attendee_id.0));
    let mut seated = PerPlatform::default();
    let mut active = PerPlatform::default();
    for a in &attendees {
        let p = platform_index(a.platform);
        seated[p] += 1;
        if took_part.contains(&a.id.0) {
            active[p] += 1;
        }
    }
    let participation = platforms_where(|p| p == Platform::Room || seated[platform_index(p)] > 0)
        .into_iter()
        .map(|platform| Participation {
            platform,
            attendees: seated[platform_index(platform)],
            answered: active[platform_index(platform)],
        })
        .collect();

    let mut board: Vec<&AttendeeRecord> = attendees.iter().collect();
    board.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    let scores: Vec<i64> = board.iter().map(|a| a.score).collect();
    let scoreboard = board
        .into_iter()
        .zip(ranks(&scores))
        .map(|(a, rank)| ScoreRow {
            rank,
            attendee_id: a.id,
            name: a.name.clone(),
            platform: a.platform,
            score: a.score,
        })
        .collect();

    Ok(MeetingResults {
        meeting_id: MeetingId(meeting.id),
        title: meeting.title,
        status,
        activities: activity_results,
        flags: flag_results,
        scoreboard,
        participation,
        answers,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::MeetingFile;

    #[test]
    fn equal_scores_share_a_rank() {
        assert_eq!(ranks(&[]), Vec::<u32>::new());
        assert_eq!(ranks(&[5]), vec![1]);
        assert_eq!(
            ranks(&[9, 9, 4, 4, 4, 1, 0, 0]),
            vec![1, 1, 3, 3, 3, 6, 7, 7]
        );
        assert_eq!(ranks(&[0, 0, 0]), vec![1, 1, 1]);
    }

    fn file() -> MeetingFile {
        serde_json::from_value(serde_json::json!({
            "title": "Results",
            "code": "c0de",
            "activities": [
                {"kind": "text", "title": "Hi"},
                {"kind": "poll", "title": "Colour?", "choices": [
                    {"text": "Red", "slug": "a"}, {"text": "Blue", "slug": "b"}]},
                {"kind": "quiz", "title": "2 + 2?", "choices": [
                    {"text": "3", "slug": "a"}, {"text": "4", "slug": "b", "correct": true}]},
                {"kind": "wordcloud", "title": "One word", "word_limit": 3}
            ],
            "flags": [{"name": "Welcome", "code": "w3lc0me", "points": 5, "first_blood": 3}]
        }))
        .unwrap()
    }

    async fn seat(store: &Store, meeting: MeetingId, name: &str, platform: Platform) -> AttendeeId {
        store
            .upsert_attendee(meeting, name, platform, &format!("{name}-id"))
            .await
            .unwrap()
            .id
    }

    /// A poll, a quiz (scored), a cloud and a flag, answered from the room and Twitch.
    #[tokio::test]
    async fn counts_rows_scoreboard_and_participation() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let meeting = store.import_meeting(&file()).await.unwrap();
        let loaded = store.load_meeting(meeting).await.unwrap();
        let (poll, quiz, words) = (
            &loaded.activities[1],
            &loaded.activities[2],
            &loaded.activities[3],
        );
        let flag = loaded.flags[0].id;
        let ann = seat(&store, meeting, "Ann", Platform::Room).await;
        let bob = seat(&store, meeting, "=Bob, \"the\" builder", Platform::Room).await;
        let cat = seat(&store, meeting, "cat", Platform::Twitch).await;
        let _idle = seat(&store, meeting, "idle", Platform::Youtube).await;
        let vote = |activity: &ActivityRecord, attendee, choice: usize, at| WriteOp::Vote {
            activity: activity.id,
            attendee,
            choice: activity.choices[choice].id,
            at,
        };
        let word = |attendee, text: &str, at| WriteOp::Word {
            activity: words.id,
            attendee,
            text: text.into(),
            normalized: text.to_lowercase(),
            at,
        };
        store
            .apply(&[
                vote(poll, ann, 0, 10),
                vote(poll, bob, 1, 11),
                vote(poll, cat, 1, 11),
                vote(quiz, cat, 1, 20),
                vote(quiz, ann, 1, 21),
                vote(quiz, bob, 0, 22),
                WriteOp::Award {
                    activity: quiz.id,
                    awards: vec![(cat, 3), (ann, 1), (bob, 0)],
                },
                word(ann, "Rust", 30),
                word(bob, "rust", 31),
                word(cat, "Rust", 32),
                word(cat, "go", 33),
                WriteOp::Capture {
                    flag,
                    attendee: bob,
                    points: 8,
                    first_blood: true,
                    at: 40,
                },
            ])
            .await
            .unwrap();

        let r = store.meeting_results(meeting).await.unwrap();
        assert_eq!(r.title, "Results");
        assert_eq!(r.status, MeetingStatus::Before);
        assert_eq!(r.activities.len(), 4);
        let text = &r.activities[0];
        assert_eq!((text.position, text.answered), (1, 0));
        assert!(text.choices.is_empty() && text.words.is_empty());

        let p = &r.activities[1];
        assert_eq!((p.position, p.kind, p.answered), (2, ActivityKind::Poll, 3));
        assert_eq!(
            p.choices.iter().map(|c| c.count).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(
            p.answered_by_platform,
            vec![
                PlatformCount {
                    platform: Platform::Room,
                    count: 2
                },
                PlatformCount {
                    platform: Platform::Twitch,
                    count: 1
                },
            ]
        );
        assert_eq!(
            p.choices[1].by_platform,
            vec![
                PlatformCount {
                    platform: Platform::Room,
                    count: 1
                },
                PlatformCount {
                    platform: Platform::Twitch,
                    count: 1
                },
            ]
        );

        let q = &r.activities[2];
        assert_eq!(
            q.choices
                .iter()
                .map(|c| (c.correct, c.count))
                .collect::<Vec<_>>(),
            vec![(false, 1), (true, 2)]
        );

        let w = &r.activities[3];
        assert_eq!(w.answered, 3);
        assert_eq!(
            w.words,
            vec![
                WordCount {
                    text: "Rust".into(),
                    count: 3
                },
                WordCount {
                    text: "go".into(),
                    count: 1
                },
            ]
        );

        assert_eq!(r.flags[0].captures, 1);
        assert_eq!(r.answers.len(), 11);
        assert!(r.answers.windows(2).all(|w| w[0].at <= w[1].at));
        let first = &r.answers[0];
        assert_eq!(
            (
                first.activity,
                first.kind,
                first.answer.as_str(),
                first.correct,
                first.points
            ),
            (Some(2), AnswerKind::Poll, "a", None, None)
        );
        let quiz_rows: Vec<_> = r
            .answers
            .iter()
            .filter(|a| a.kind == AnswerKind::Quiz)
            .map(|a| (a.name.as_str(), a.answer.as_str(), a.correct, a.points))
            .collect();
        assert_eq!(
            quiz_rows,
            vec![
                ("cat", "b", Some(true), Some(3)),
                ("Ann", "b", Some(true), Some(1)),
                ("=Bob, \"the\" builder", "a", Some(false), Some(0)),
            ]
        );
        let last = r.answers.last().unwrap();
        assert_eq!(
            (last.activity, last.kind, last.answer.as_str(), last.points),
            (None, AnswerKind::Flag, "Welcome", Some(8))
        );
        assert_eq!(last.platform, Platform::Room);

        // Bob 8, cat 3, Ann 1, idle 0.
        let board: Vec<_> = r
            .scoreboard
            .iter()
            .map(|s| (s.rank, s.name.as_str(), s.score))
            .collect();
        assert_eq!(
            board,
            vec![
                (1, "=Bob, \"the\" builder", 8),
                (2, "cat", 3),
                (3, "Ann", 1),
                (4, "idle", 0)
            ]
        );
        assert_eq!(
            r.participation,
            vec![
                Participation {
                    platform: Platform::Room,
                    attendees: 2,
                    answered: 2
                },
                Participation {
                    platform: Platform::Twitch,
                    attendees: 1,
                    answered: 1
                },
                Participation {
                    platform: Platform::Youtube,
                    attendees: 1,
                    answered: 0
                },
            ]
        );
        assert!(matches!(
            store.meeting_results(MeetingId(meeting.0 + 100)).await,
            Err(StorageError::NotFound)
        ));
    }

    #[tokio::test]
    async fn an_empty_meeting_has_empty_results() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let meeting = store.import_meeting(&file()).await.unwrap();
        let r = store.meeting_results(meeting).await.unwrap();
        assert!(r.answers.is_empty() && r.scoreboard.is_empty());
        assert_eq!(
            r.participation,
            vec![Participation {
                platform: Platform::Room,
                attendees: 0,
                answered: 0
            }]
        );
        assert!(
            r.activities
                .iter()
                .all(|a| a.answered == 0 && a.answered_by_platform.is_empty())
        );
        assert_eq!(r.flags[0].captures, 0);
    }
}
