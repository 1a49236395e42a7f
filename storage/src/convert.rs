//! Rows to records. The database only holds codes this crate wrote, so an unknown code or an
//! out-of-range number means the data was edited by hand: it is reported, never guessed at.

use sea_orm::DbErr;

use crate::StorageError;
use crate::entities::{activities, attendees, choices, flags, meetings};
use crate::model::*;

pub(crate) fn corrupt(what: String) -> StorageError {
    StorageError::Database(DbErr::Custom(format!(
        "unexpected data in the database: {what}"
    )))
}

pub(crate) fn to_u32(value: i32, what: impl FnOnce() -> String) -> Result<u32, StorageError> {
    u32::try_from(value).map_err(|_| corrupt(format!("{} is {value}", what())))
}

pub(crate) fn to_i32<T>(value: T, what: &str) -> Result<i32, StorageError>
where
    T: TryInto<i32> + Copy + std::fmt::Display,
{
    value.try_into().map_err(|_| {
        StorageError::Database(DbErr::Custom(format!("{what} {value} is out of range")))
    })
}

pub(crate) fn meeting(m: meetings::Model) -> Result<MeetingRecord, StorageError> {
    let status = MeetingStatus::from_code(&m.status)
        .ok_or_else(|| corrupt(format!("meeting {} has status {:?}", m.id, m.status)))?;
    let position = to_u32(m.position, || format!("meeting {} position", m.id))?;
    let sources = serde_json::from_str(&m.sources)
        .map_err(|e| corrupt(format!("meeting {} sources: {e}", m.id)))?;
    let chat = serde_json::from_str(&m.chat)
        .map_err(|e| corrupt(format!("meeting {} chat rules: {e}", m.id)))?;
    let blocked_words = serde_json::from_str(&m.blocked_words)
        .map_err(|e| corrupt(format!("meeting {} blocked words: {e}", m.id)))?;
    let bots = serde_json::from_str(&m.bots)
        .map_err(|e| corrupt(format!("meeting {} bots: {e}", m.id)))?;
    Ok(MeetingRecord {
        id: MeetingId(m.id),
        title: m.title,
        code: m.code,
        reward_fastest: m.reward_fastest,
        flag_prefix: m.flag_prefix,
        status,
        position,
        sources,
        chat,
        owner: m.owner_id.map(UserId),
        blocked_words,
        bots,
        scoring: crate::Scoring::from_code(&m.scoring).unwrap_or_default(),
        auto_start: m.auto_start,
        streak_bonus: u32::try_from(m.streak_bonus).unwrap_or(0),
        sounds: m.sounds,
    })
}

pub(crate) fn meeting_summary(m: meetings::Model) -> Result<MeetingSummary, StorageError> {
    let status = MeetingStatus::from_code(&m.status)
        .ok_or_else(|| corrupt(format!("meeting {} has status {:?}", m.id, m.status)))?;
    Ok(MeetingSummary {
        id: MeetingId(m.id),
        title: m.title,
        status,
    })
}

pub(crate) fn activity_kind(a: &activities::Model) -> Result<ActivityKind, StorageError> {
    ActivityKind::from_code(&a.kind)
        .ok_or_else(|| corrupt(format!("activity {} has kind {:?}", a.id, a.kind)))
}

pub(crate) fn activity_markup(a: &activities::Model) -> Result<Markup, StorageError> {
    Markup::from_code(&a.markup)
        .ok_or_else(|| corrupt(format!("activity {} has markup {:?}", a.id, a.markup)))
}

pub(crate) fn activity(
    a: activities::Model,
    choices: Vec<ChoiceRecord>,
) -> Result<ActivityRecord, StorageError> {
    let kind = activity_kind(&a)?;
    let state = ActivityState::from_code(&a.state)
        .ok_or_else(|| corrupt(format!("activity {} has state {:?}", a.id, a.state)))?;
    let word_limit = to_u32(a.word_limit, || format!("activity {} word_limit", a.id))?;
    let markup = activity_markup(&a)?;
    let hidden_words = serde_json::from_str(&a.hidden_words)
        .map_err(|e| corrupt(format!("activity {} hidden words: {e}", a.id)))?;
    let scale = activity_scale(&a)?;
    Ok(ActivityRecord {
        id: ActivityId(a.id),
        kind,
        title: a.title,
        description: a.description,
        markup,
        word_limit,
        state,
        choices,
        hidden_words,
        notes: a.notes,
        time_limit_secs: u32::try_from(a.time_limit_secs).unwrap_or(0),
        points: a.points.and_then(|p| u32::try_from(p).ok()),
        closes_at: a.closes_at,
        max_choices: u32::try_from(a.max_choices).unwrap_or(1).max(1),
        partial_credit: a.partial_credit,
        scale,
        prior_weight: a.prior_weight.and_then(|p| u32::try_from(p).ok()),
        image: a.image,
        alt: a.alt,
        auto_approve: a.auto_approve,
        hide_results: a.hide_results,
    })
}

pub(crate) fn activity_scale(a: &activities::Model) -> Result<Option<Scale>, StorageError> {
    a.scale
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt(format!("activity {} scale: {e}", a.id)))
}

pub(crate) fn scale_json(scale: Option<&Scale>) -> Result<Option<String>, StorageError> {
    scale
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::InvalidMeeting(e.to_string()))
}

/// The stored activity as a meeting-file item (export, the editor's plan).
pub(crate) fn activity_file(
    row: &activities::Model,
    choices: &[choices::Model],
) -> Result<crate::ActivityFile, StorageError> {
    Ok(crate::ActivityFile {
        id: Some(row.id),
        kind: activity_kind(row)?,
        title: row.title.clone(),
        description: row.description.clone(),
        markup: activity_markup(row)?,
        choices: choices
            .iter()
            .map(|c| crate::ChoiceFile {
                id: Some(c.id),
                text: c.text.clone(),
                slug: c.slug.clone(),
                correct: c.correct,
            })
            .collect(),
        word_limit: to_u32(row.word_limit, || format!("activity {} word_limit", row.id))?,
        notes: row.notes.clone(),
        time_limit_secs: u32::try_from(row.time_limit_secs).unwrap_or(0),
        points: row.points.and_then(|p| u32::try_from(p).ok()),
        max_choices: u32::try_from(row.max_choices).unwrap_or(1).max(1),
        partial_credit: row.partial_credit,
        scale: activity_scale(row)?,
        prior_weight: row.prior_weight.and_then(|p| u32::try_from(p).ok()),
        image: row.image.clone(),
        alt: row.alt.clone(),
        auto_approve: row.auto_approve,
        hide_results_until_reveal: row.hide_results,
    })
}

pub(crate) fn choice(c: choices::Model) -> ChoiceRecord {
    ChoiceRecord {
        id: ChoiceId(c.id),
        text: c.text,
        slug: c.slug,
        correct: c.correct,
    }
}

pub(crate) fn attendee(a: attendees::Model) -> Result<AttendeeRecord, StorageError> {
    let platform = Platform::from_code(&a.platform)
        .ok_or_else(|| corrupt(format!("attendee {} has platform {:?}", a.id, a.platform)))?;
    Ok(AttendeeRecord {
        id: AttendeeId(a.id),
        meeting_id: MeetingId(a.meeting_id),
        name: a.name,
        platform,
        platform_user_id: a.platform_user_id,
        score: a.score,
        removed: a.removed,
    })
}

pub(crate) fn flag(f: flags::Model) -> FlagRecord {
    FlagRecord {
        id: FlagId(f.id),
        name: f.name,
        code: f.code,
        points: f.points,
        first_blood: f.first_blood,
    }
}
