//! Ratings (a `scale`'s one value, a `grid`'s value per item) and how a chat line answers
//! the current activity (`#a`, `#a #c`, `#7`, `#b4 #c5`, a word).

use std::collections::{BTreeMap, HashSet};

use librekast_storage::{
    ActivityKind, AttendeeId, ChoiceId, GridStats, Micros, RatingStats, WriteOp,
};

use super::{Activity, Meeting};
use crate::ErrorCode;
use crate::event::{Rating, RatingResults, Tally};

/// What one attendee rated.
#[derive(Debug, Clone, Default)]
pub(super) struct Rated {
    pub value: Option<i32>,
    pub items: BTreeMap<ChoiceId, i32>,
}

/// A chat line read as an answer to the current activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatAnswer {
    Choices(Vec<ChoiceId>),
    Rating(Rating),
    Word(String),
    /// An open question's answer, a Q&A question or an upvote.
    Post(super::ChatPost),
}

impl Activity {
    /// Records a rating. `lenient` (chat): grid items already rated are skipped rather
    /// than refusing the line. Nothing is recorded unless all of it fits.
    pub(super) fn add_rating(
        &mut self,
        attendee: AttendeeId,
        rating: &Rating,
        at: Micros,
        lenient: bool,
    ) -> Result<Vec<WriteOp>, ErrorCode> {
        let activity = self.id;
        let op = |item: Option<ChoiceId>, value: i32| WriteOp::Rating {
            activity,
            attendee,
            item,
            value,
            at,
        };
        match (self.kind, rating) {
            (ActivityKind::Scale, Rating::Value(v)) => {
                let value = self.in_scale(*v)?;
                if self.rated.get(&attendee).is_some_and(|r| r.value.is_some()) {
                    return Err(ErrorCode::AlreadyVoted);
                }
                self.rated.entry(attendee).or_default().value = Some(value);
                self.count_rating(None, value);
                Ok(vec![op(None, value)])
            }
            (ActivityKind::Grid, Rating::Items(items)) => {
                if items.is_empty() {
                    return Err(ErrorCode::BadRequest);
                }
                let mut seen = HashSet::new();
                let mut fresh = Vec::with_capacity(items.len());
                let done = self.rated.get(&attendee);
                for &(item, v) in items {
                    if !seen.insert(item) {
                        return Err(ErrorCode::BadRequest);
                    }
                    if !self.choices.iter().any(|c| c.id == item) {
                        return Err(ErrorCode::UnknownChoice);
                    }
                    let value = self.in_scale(v)?;
                    if done.is_some_and(|r| r.items.contains_key(&item)) {
                        if lenient {
                            continue;
                        }
                        return Err(ErrorCode::AlreadyVoted);
                    }
                    fresh.push((item, value));
                }
                if fresh.is_empty() {
                    return Err(ErrorCode::AlreadyVoted);
                }
                let mut ops = Vec::with_capacity(fresh.len());
                for (item, value) in fresh {
                    self.rated
                        .entry(attendee)
                        .or_default()
                        .items
                        .insert(item, value);
                    self.count_rating(Some(item), value);
                    ops.push(op(Some(item), value));
                }
                Ok(ops)
            }
            _ => Err(ErrorCode::BadRequest),
        }
    }

    /// A stored rating (removed attendees and unknown items already left out by the
    /// caller or ignored here).
    pub(super) fn load_rating(&mut self, attendee: AttendeeId, item: Option<ChoiceId>, v: i32) {
        if !self.scale.contains(i64::from(v)) {
            return;
        }
        let rated = self.rated.entry(attendee).or_default();
        match item {
            None if rated.value.is_none() => rated.value = Some(v),
            Some(item) if self.choices.iter().any(|c| c.id == item) => {
                if rated.items.insert(item, v).is_some() {
                    return;
                }
            }
            _ => return,
        }
        self.count_rating(item, v);
    }

    /// Drops a removed attendee's ratings from the counts.
    pub(super) fn forget_ratings(&mut self, attendee: AttendeeId) {
        let Some(rated) = self.rated.remove(&attendee) else {
            return;
        };
        let given = rated
            .value
            .map(|v| (None, v))
            .into_iter()
            .chain(rated.items.into_iter().map(|(item, v)| (Some(item), v)));
        for (item, v) in given {
            let i = usize::try_from(i64::from(v) - i64::from(self.scale.min)).unwrap_or(0);
            if let Some(c) = self.rating_counts.get_mut(&item).and_then(|d| d.get_mut(i)) {
                *c = c.saturating_sub(1);
            }
        }
    }

    fn in_scale(&self, v: i64) -> Result<i32, ErrorCode> {
        if !self.scale.contains(v) {
            return Err(ErrorCode::OutOfRange);
        }
        i32::try_from(v).map_err(|_| ErrorCode::OutOfRange)
    }

    fn count_rating(&mut self, item: Option<ChoiceId>, value: i32) {
        let len = self.scale.len();
        let counts = self
            .rating_counts
            .entry(item)
            .or_insert_with(|| vec![0; len]);
        let i = usize::try_from(i64::from(value) - i64::from(self.scale.min)).unwrap_or(0);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }

    fn distribution(&self, item: Option<ChoiceId>) -> Vec<u64> {
        self.rating_counts
            .get(&item)
            .cloned()
            .unwrap_or_else(|| vec![0; self.scale.len()])
    }

    /// A scale's or grid's live statistics; `counts` are a grid's ratings per item.
    pub(super) fn rating_tally(&self) -> Tally {
        let ratings = if self.kind == ActivityKind::Grid {
            RatingResults::Grid(GridStats::new(
                &self.scale,
                self.choices
                    .iter()
                    .map(|c| (c.id, self.distribution(Some(c.id))))
                    .collect(),
                self.prior_weight,
            ))
        } else {
            RatingResults::Scale(RatingStats::new(self.scale.min, self.distribution(None)))
        };
        let counts: Vec<(ChoiceId, u64)> = self
            .choices
            .iter()
            .map(|c| {
                let n = self
                    .rating_counts
                    .get(&Some(c.id))
                    .map_or(0, |d| d.iter().sum());
                (c.id, n)
            })
            .collect();
        Tally {
            question_id: self.id,
            kind: self.kind,
            counts,
            total: self.rated.len() as u64,
            correct: Vec::new(),
            hidden: false,
            by_platform: Vec::new(),
            ratings: Some(ratings),
        }
    }
}

impl Meeting {
    /// How a chat line's answer (what follows the vote prefix) answers the activity a
    /// line given at `at` goes to; `None` when it cannot count (an unknown slug, a value
    /// off the scale, nothing open), so the viewer gets no seat for it.
    pub fn chat_reading(&self, answer: &str, at: Micros) -> Option<ChatAnswer> {
        let (question, kind) = self.chat_question(at)?;
        let activity = self.current().filter(|a| a.id == question)?;
        let prefix = self.chat.vote_char();
        let tokens = answer
            .split_whitespace()
            .map(|t| t.strip_prefix(prefix).unwrap_or(t));
        match kind {
            ActivityKind::Poll | ActivityKind::Quiz if activity.max_choices <= 1 => {
                // `#a` and the rest of the message is ignored.
                let slug = answer.split_whitespace().next()?;
                Some(ChatAnswer::Choices(vec![activity.choice_by_slug(slug)?]))
            }
            ActivityKind::Poll | ActivityKind::Quiz => {
                // `#a #c` (or `#a c`): the leading run of slugs, each once.
                let mut picked = Vec::new();
                for token in tokens {
                    let Some(id) = activity.choice_by_slug(token) else {
                        break;
                    };
                    if !picked.contains(&id) {
                        picked.push(id);
                    }
                }
                (!picked.is_empty() && picked.len() <= activity.max_choices as usize)
                    .then_some(ChatAnswer::Choices(picked))
            }
            ActivityKind::Scale => {
                let value: i64 = answer.split_whitespace().next()?.parse().ok()?;
                activity
                    .scale
                    .contains(value)
                    .then_some(ChatAnswer::Rating(Rating::Value(value)))
            }
            ActivityKind::Grid => {
                // `#b4 #c5`: the leading run of item-and-value tokens.
                let mut items: Vec<(ChoiceId, i64)> = Vec::new();
                for token in tokens {
                    let Some((id, value)) = activity.item_rating(token) else {
                        break;
                    };
                    if !items.iter().any(|(i, _)| *i == id) {
                        items.push((id, value));
                    }
                }
                (!items.is_empty()).then_some(ChatAnswer::Rating(Rating::Items(items)))
            }
            ActivityKind::Wordcloud => Some(ChatAnswer::Word(answer.to_string())),
            ActivityKind::TextAnswer | ActivityKind::Qna => {
                super::posts::chat_post(kind, answer).map(ChatAnswer::Post)
            }
            ActivityKind::Text => None,
        }
    }
}

impl Activity {
    pub(super) fn choice_by_slug(&self, slug: &str) -> Option<ChoiceId> {
        self.choices
            .iter()
            .find(|c| c.slug.eq_ignore_ascii_case(slug))
            .map(|c| c.id)
    }

    /// `b4`, `b=4` or `b:4`: a grid item by its slug and a value on the scale. The longest
    /// slug that leaves a valid value wins (slugs may end in digits).
    fn item_rating(&self, token: &str) -> Option<(ChoiceId, i64)> {
        self.choices
            .iter()
            .filter(|c| {
                token.len() > c.slug.len()
                    && token.is_char_boundary(c.slug.len())
                    && token[..c.slug.len()].eq_ignore_ascii_case(&c.slug)
            })
            .filter_map(|c| {
                let rest = &token[c.slug.len()..];
                let rest = rest
                    .strip_prefix('=')
                    .or_else(|| rest.strip_prefix(':'))
                    .unwrap_or(rest);
                let value: i64 = rest.parse().ok()?;
                self.scale
                    .contains(value)
                    .then_some((c.slug.len(), c.id, value))
            })
            .max_by_key(|(len, _, _)| *len)
            .map(|(_, id, value)| (id, value))
    }
}
