//! Meetings: import and export as a meeting file, lists, and a meeting loaded whole.

use std::collections::HashMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::{
    activities, attendees, choices, flag_attempts, flag_captures, flags, meetings, posts, ratings,
    upvotes, votes, words,
};
use crate::model::*;
use crate::store::{Store, finish, map_err};
use crate::{
    ActivityFile, ChatRules, ChoiceFile, FlagFile, MeetingFile, Source, StorageError, StoredSource,
    convert,
};

/// `recent_attempts` in [`LoadedMeeting`].
const RECENT_ATTEMPTS: u64 = 50;

impl Store {
    /// Validates and inserts a meeting (status before, position 0, every activity pending).
    /// Choices without a slug get one (`a`, `b`, …); stored ids in the file are ignored.
    pub async fn import_meeting(&self, file: &MeetingFile) -> Result<MeetingId, StorageError> {
        let mut file = file.clone().without_ids();
        file.fill_slugs();
        file.validate()?;
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = insert_meeting(&txn, &file).await;
        finish(txn, result).await
    }
    /// The file that imports back into an identical meeting (no stored ids).
    pub async fn export_meeting(&self, id: MeetingId) -> Result<MeetingFile, StorageError> {
        Ok(self.plan(id).await?.without_ids())
    }
    /// The meeting file with the stored ids of activities, choices and flags: what an
    /// editor loads and sends back with [`Store::replace_plan`].
    pub async fn plan(&self, id: MeetingId) -> Result<MeetingFile, StorageError> {
        let txn = self.begin_read().await?;
        let result = read_meeting_file(&txn, id).await;
        finish(txn, result).await
    }
    pub async fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>, StorageError> {
        meetings::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(convert::meeting)
            .transpose()
    }
    pub async fn meeting_count(&self) -> Result<u64, StorageError> {
        Ok(meetings::Entity::find().count(&self.db).await?)
    }
    /// Newest first.
    pub async fn list_meetings(&self) -> Result<Vec<MeetingSummary>, StorageError> {
        meetings::Entity::find()
            .order_by_desc(meetings::Column::CreatedAt)
            .order_by_desc(meetings::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(convert::meeting_summary)
            .collect()
    }
    /// Meetings a restarted server must resume: status waiting, ongoing, results or scoreboard.
    pub async fn running_meeting_ids(&self) -> Result<Vec<MeetingId>, StorageError> {
        let running = [
            MeetingStatus::Waiting,
            MeetingStatus::Ongoing,
            MeetingStatus::Results,
            MeetingStatus::Scoreboard,
        ]
        .map(MeetingStatus::code);
        let ids: Vec<i64> = meetings::Entity::find()
            .select_only()
            .column(meetings::Column::Id)
            .filter(meetings::Column::Status.is_in(running))
            .order_by_asc(meetings::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(MeetingId).collect())
    }
    pub async fn load_meeting(&self, id: MeetingId) -> Result<LoadedMeeting, StorageError> {
        let txn = self.begin_read().await?;
        let result = read_loaded_meeting(&txn, id).await;
        finish(txn, result).await
    }
}

pub(crate) fn sources_json(sources: &[Source]) -> Result<String, StorageError> {
    let stored: Vec<StoredSource> = sources
        .iter()
        .map(|s| StoredSource {
            source: s.clone().normalized(),
            added_by: None,
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| StorageError::InvalidMeeting(e.to_string()))
}

pub(crate) fn words_json(words: &[String]) -> Result<String, StorageError> {
    serde_json::to_string(words).map_err(|e| StorageError::InvalidMeeting(e.to_string()))
}

pub(crate) fn bots_json(bots: &[crate::Bot]) -> Result<String, StorageError> {
    serde_json::to_string(bots).map_err(|e| StorageError::InvalidMeeting(e.to_string()))
}

pub(crate) fn chat_json(chat: &ChatRules) -> Result<String, StorageError> {
    if chat.is_default() {
        return Ok("{}".into());
    }
    serde_json::to_string(chat).map_err(|e| StorageError::InvalidMeeting(e.to_string()))
}

async fn insert_meeting<C: ConnectionTrait>(
    db: &C,
    file: &MeetingFile,
) -> Result<MeetingId, StorageError> {
    let meeting = meetings::ActiveModel {
        id: NotSet,
        title: Set(file.title.clone()),
        code: Set(file.code.clone()),
        reward_fastest: Set(file.reward_fastest),
        flag_prefix: Set(file.flag_prefix.clone()),
        status: Set(MeetingStatus::Before.code().to_owned()),
        position: Set(0),
        created_at: Set(now_micros()),
        owner_id: Set(None),
        sources: Set(sources_json(&file.sources)?),
        chat: Set(chat_json(&file.chat)?),
        blocked_words: Set(words_json(&file.blocked_words)?),
        bots: Set(bots_json(&file.bots)?),
        scoring: Set(file.scoring.code().to_owned()),
        auto_start: Set(file.auto_start),
        streak_bonus: Set(convert::to_i32(file.streak_bonus, "streak_bonus")?),
        sounds: Set(file.sounds),
    }
    .insert(db)
    .await
    .map_err(|e| map_err("meeting", e))?;

    for (position, activity) in file.activities.iter().enumerate() {
        insert_activity(db, meeting.id, position, activity).await?;
    }
    for (position, flag) in file.flags.iter().enumerate() {
        insert_flag(db, meeting.id, position, flag).await?;
    }
    Ok(MeetingId(meeting.id))
}

/// Inserts an activity (pending) and its choices; returns its id.
pub(crate) async fn insert_activity<C: ConnectionTrait>(
    db: &C,
    meeting: i64,
    position: usize,
    activity: &ActivityFile,
) -> Result<i64, StorageError> {
    let row = activities::ActiveModel {
        id: NotSet,
        meeting_id: Set(meeting),
        position: Set(convert::to_i32(position, "activity position")?),
        kind: Set(activity.kind.code().to_owned()),
        title: Set(activity.title.clone()),
        description: Set(activity.description.clone()),
        word_limit: Set(convert::to_i32(activity.word_limit, "word_limit")?),
        state: Set(ActivityState::Pending.code().to_owned()),
        markup: Set(activity.markup.code().to_owned()),
        hidden_words: Set("[]".to_owned()),
        notes: Set(activity.notes.clone()),
        time_limit_secs: Set(convert::to_i32(
            activity.time_limit_secs,
            "time_limit_secs",
        )?),
        points: Set(activity
            .points
            .map(|p| convert::to_i32(p, "points"))
            .transpose()?),
        closes_at: Set(None),
        max_choices: Set(convert::to_i32(activity.max_choices, "max_choices")?),
        partial_credit: Set(activity.partial_credit),
        scale: Set(convert::scale_json(activity.scale.as_ref())?),
        prior_weight: Set(activity
            .prior_weight
            .map(|p| convert::to_i32(p, "prior_weight"))
            .transpose()?),
        image: Set(activity.image.clone()),
        alt: Set(activity.alt.clone()),
        auto_approve: Set(activity.auto_approve),
        hide_results: Set(activity.hide_results_until_reveal),
    }
    .insert(db)
    .await
    .map_err(|e| map_err("activity", e))?;
    for (position, choice) in activity.choices.iter().enumerate() {
        insert_choice(db, row.id, position, choice).await?;
    }
    Ok(row.id)
}

pub(crate) async fn insert_choice<C: ConnectionTrait>(
    db: &C,
    activity: i64,
    position: usize,
    choice: &ChoiceFile,
) -> Result<(), StorageError> {
    choices::Entity::insert(choices::ActiveModel {
        id: NotSet,
        activity_id: Set(activity),
        position: Set(convert::to_i32(position, "choice position")?),
        text: Set(choice.text.clone()),
        slug: Set(choice.slug.clone()),
        correct: Set(choice.correct),
    })
    .exec_without_returning(db)
    .await
    .map_err(|e| map_err("choice", e))?;
    Ok(())
}

pub(crate) async fn insert_flag<C: ConnectionTrait>(
    db: &C,
    meeting: i64,
    position: usize,
    flag: &FlagFile,
) -> Result<(), StorageError> {
    flags::Entity::insert(flags::ActiveModel {
        id: NotSet,
        meeting_id: Set(meeting),
        name: Set(flag.name.clone()),
        code: Set(flag.code.clone()),
        points: Set(flag.points),
        first_blood: Set(flag.first_blood),
        position: Set(convert::to_i32(position, "flag position")?),
    })
    .exec_without_returning(db)
    .await
    .map_err(|e| map_err("flag", e))?;
    Ok(())
}

async fn read_meeting_file<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<MeetingFile, StorageError> {
    let meeting = meetings::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;
    let activity_rows = meeting_activities(db, id).await?;
    let mut choices_by_activity = meeting_choices(db, id).await?;
    let mut activities = Vec::with_capacity(activity_rows.len());
    for row in activity_rows {
        let choices = choices_by_activity.remove(&row.id).unwrap_or_default();
        activities.push(convert::activity_file(&row, &choices)?);
    }
    let flags = meeting_flags(db, id)
        .await?
        .into_iter()
        .map(|f| FlagFile {
            id: Some(f.id),
            name: f.name,
            code: f.code,
            points: f.points,
            first_blood: f.first_blood,
        })
        .collect();
    let record = convert::meeting(meeting)?;
    Ok(MeetingFile {
        title: record.title,
        code: record.code,
        reward_fastest: record.reward_fastest,
        flag_prefix: record.flag_prefix,
        activities,
        flags,
        sources: record.sources.into_iter().map(|s| s.source).collect(),
        chat: record.chat,
        blocked_words: record.blocked_words,
        bots: record.bots,
        scoring: record.scoring,
        auto_start: record.auto_start,
        streak_bonus: record.streak_bonus,
        sounds: record.sounds,
    })
}

async fn read_loaded_meeting<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<LoadedMeeting, StorageError> {
    let meeting = meetings::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;
    let meeting = convert::meeting(meeting)?;

    let activities = activity_records(db, id).await?;

    let attendees = attendees::Entity::find()
        .filter(attendees::Column::MeetingId.eq(id.0))
        .order_by_asc(attendees::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(convert::attendee)
        .collect::<Result<Vec<_>, _>>()?;

    let votes = votes::Entity::find()
        .filter(votes::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .order_by_asc(votes::Column::CreatedAt)
        .order_by_asc(votes::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|v| VoteRecord {
            activity_id: ActivityId(v.activity_id),
            attendee_id: AttendeeId(v.attendee_id),
            choice_id: ChoiceId(v.choice_id),
            points: v.points,
            at: v.created_at,
        })
        .collect();

    let words = words::Entity::find()
        .filter(words::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .order_by_asc(words::Column::CreatedAt)
        .order_by_asc(words::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|w| WordRecord {
            activity_id: ActivityId(w.activity_id),
            attendee_id: AttendeeId(w.attendee_id),
            text: w.text,
            normalized: w.normalized,
            at: w.created_at,
        })
        .collect();

    let ratings = meeting_ratings(db, id).await?;
    let posts = meeting_posts(db, id).await?;
    let upvotes = meeting_upvotes(db, id).await?;

    let flags = meeting_flags(db, id)
        .await?
        .into_iter()
        .map(convert::flag)
        .collect();

    let captures = flag_captures::Entity::find()
        .filter(flag_captures::Column::FlagId.in_subquery(flag_ids_of(id)))
        .order_by_asc(flag_captures::Column::CreatedAt)
        .order_by_asc(flag_captures::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CaptureRecord {
            flag_id: FlagId(c.flag_id),
            attendee_id: AttendeeId(c.attendee_id),
            points: c.points,
            first_blood: c.first_blood,
            at: c.created_at,
        })
        .collect();

    let mut recent_attempts: Vec<FlagAttemptRecord> = flag_attempts::Entity::find()
        .filter(flag_attempts::Column::MeetingId.eq(id.0))
        .order_by_desc(flag_attempts::Column::Id)
        .limit(RECENT_ATTEMPTS)
        .all(db)
        .await?
        .into_iter()
        .map(|a| FlagAttemptRecord {
            attendee_id: AttendeeId(a.attendee_id),
            submitted: a.submitted,
            flag_id: a.flag_id.map(FlagId),
            outcome: a.outcome,
            at: a.created_at,
        })
        .collect();
    recent_attempts.reverse();

    Ok(LoadedMeeting {
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
        recent_attempts,
    })
}

/// Every text answer and Q&A question of the meeting, by (activity, number).
pub(crate) async fn meeting_posts<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<Vec<PostRecord>, StorageError> {
    posts::Entity::find()
        .filter(posts::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .order_by_asc(posts::Column::ActivityId)
        .order_by_asc(posts::Column::Number)
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let status = PostStatus::from_code(&p.status).ok_or_else(|| {
                convert::corrupt(format!("post {} has status {:?}", p.id, p.status))
            })?;
            Ok(PostRecord {
                activity_id: ActivityId(p.activity_id),
                number: u32::try_from(p.number).unwrap_or(0),
                attendee_id: AttendeeId(p.attendee_id),
                text: p.text,
                status,
                pinned: p.pinned,
                answered: p.answered,
                at: p.created_at,
            })
        })
        .collect()
}

/// Every upvote of the meeting's Q&A questions, ordered by (at, id).
pub(crate) async fn meeting_upvotes<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<Vec<UpvoteRecord>, StorageError> {
    Ok(upvotes::Entity::find()
        .filter(upvotes::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .order_by_asc(upvotes::Column::CreatedAt)
        .order_by_asc(upvotes::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| UpvoteRecord {
            activity_id: ActivityId(u.activity_id),
            number: u32::try_from(u.number).unwrap_or(0),
            attendee_id: AttendeeId(u.attendee_id),
            at: u.created_at,
        })
        .collect())
}

/// Every rating of the meeting's scales and grids, ordered by (at, id).
pub(crate) async fn meeting_ratings<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
) -> Result<Vec<RatingRecord>, StorageError> {
    Ok(ratings::Entity::find()
        .filter(ratings::Column::ActivityId.in_subquery(activity_ids_of(id)))
        .order_by_asc(ratings::Column::CreatedAt)
        .order_by_asc(ratings::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RatingRecord {
            activity_id: ActivityId(r.activity_id),
            attendee_id: AttendeeId(r.attendee_id),
            choice_id: r.choice_id.map(ChoiceId),
            value: r.value,
            at: r.created_at,
        })
        .collect())
}

pub(crate) fn activity_ids_of(meeting: MeetingId) -> SelectStatement {
    Query::select()
        .column(activities::Column::Id)
        .from(activities::Entity)
        .and_where(activities::Column::MeetingId.eq(meeting.0))
        .to_owned()
}

pub(crate) async fn meeting_activities<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
) -> Result<Vec<activities::Model>, StorageError> {
    Ok(activities::Entity::find()
        .filter(activities::Column::MeetingId.eq(meeting.0))
        .order_by_asc(activities::Column::Position)
        .all(db)
        .await?)
}

/// The meeting's activities in order, each with its choices in file order.
pub(crate) async fn activity_records<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
) -> Result<Vec<ActivityRecord>, StorageError> {
    let mut choices_by_activity = meeting_choices(db, meeting).await?;
    meeting_activities(db, meeting)
        .await?
        .into_iter()
        .map(|row| {
            let choices = choices_by_activity
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(convert::choice)
                .collect();
            convert::activity(row, choices)
        })
        .collect()
}

/// The ids of the meeting's flags, as a subquery.
pub(crate) fn flag_ids_of(meeting: MeetingId) -> SelectStatement {
    Query::select()
        .column(flags::Column::Id)
        .from(flags::Entity)
        .and_where(flags::Column::MeetingId.eq(meeting.0))
        .to_owned()
}

/// Each activity's choices in file order.
pub(crate) async fn meeting_choices<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
) -> Result<HashMap<i64, Vec<choices::Model>>, StorageError> {
    let rows = choices::Entity::find()
        .filter(choices::Column::ActivityId.in_subquery(activity_ids_of(meeting)))
        .order_by_asc(choices::Column::ActivityId)
        .order_by_asc(choices::Column::Position)
        .order_by_asc(choices::Column::Id)
        .all(db)
        .await?;
    let mut by_activity: HashMap<i64, Vec<choices::Model>> = HashMap::new();
    for row in rows {
        by_activity.entry(row.activity_id).or_default().push(row);
    }
    Ok(by_activity)
}

pub(crate) async fn meeting_flags<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
) -> Result<Vec<flags::Model>, StorageError> {
    Ok(flags::Entity::find()
        .filter(flags::Column::MeetingId.eq(meeting.0))
        .order_by_asc(flags::Column::Position)
        .order_by_asc(flags::Column::Id)
        .all(db)
        .await?)
}
