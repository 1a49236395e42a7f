//! What the browser editor does to a meeting: create it for its owner, replace its plan (ids
//! kept, what the meeting already used locked), reset it to rehearse, delete it, stop
//! sharing it.
//!
//! A plan is replaced in one transaction. What a meeting already used is never rewritten:
//! the activities it reached (the first `reached`, a number the caller gives — the running
//! meeting's actor knows it before storage does) and the flags someone captured. Everything
//! else is matched by id: kept, changed, moved, or deleted when left out.

use std::collections::{HashMap, HashSet};

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::{
    activities, attendees, chat_seen, choices, flag_captures, flags, meeting_shares, meetings,
    sessions,
};
use crate::meeting_file::FieldError;
use crate::model::*;
use crate::queries::meetings::{
    activity_records, bots_json, chat_json, insert_activity, insert_choice, insert_flag,
    meeting_activities, meeting_choices, meeting_flags, words_json,
};
use crate::store::{Store, finish, map_err};
use crate::{ActivityFile, MeetingFile, StorageError, StoredSource, convert};

impl Store {
    /// Imports `file` as a new meeting owned by `owner` (one transaction).
    pub async fn create_meeting(
        &self,
        file: &MeetingFile,
        owner: Option<UserId>,
    ) -> Result<MeetingId, StorageError> {
        let id = self.import_meeting(file).await?;
        if owner.is_some() {
            self.set_meeting_owner(id, owner).await?;
        }
        Ok(id)
    }

    /// How many leading activities a meeting that is not running has reached, read from
    /// storage: none before it starts, all once it ended.
    pub async fn reached_activities(&self, id: MeetingId) -> Result<usize, StorageError> {
        let meeting = self.meeting(id).await?.ok_or(StorageError::NotFound)?;
        let rows = meeting_activities(&self.db, id).await?;
        let by_state = rows
            .iter()
            .rposition(|a| a.state != ActivityState::Pending.code())
            .map_or(0, |i| i + 1);
        let by_status = match meeting.status {
            MeetingStatus::Before => 0,
            MeetingStatus::After => rows.len(),
            _ => (meeting.position as usize + 1).min(rows.len()),
        };
        Ok(by_state.max(by_status))
    }

    /// Replaces a meeting's plan with `file` (the format of [`Store::plan`]): items with an
    /// `id` update that item, items without one are added, stored items left out are
    /// deleted. The first `reached` activities and captured flags must come back unchanged
    /// ([`StorageError::PlanLocked`]); every problem of the file is reported at once
    /// ([`StorageError::InvalidPlan`]). `editor` becomes `added_by` of sources it adds.
    /// Returns the stored plan.
    pub async fn replace_plan(
        &self,
        id: MeetingId,
        file: &MeetingFile,
        reached: usize,
        editor: Option<UserId>,
    ) -> Result<MeetingFile, StorageError> {
        let mut file = file.clone();
        file.fill_slugs();
        let problems = file.problems();
        if !problems.is_empty() {
            return Err(StorageError::InvalidPlan(problems));
        }
        {
            let _guard = self.write_guard().await;
            let txn = self.begin_write().await?;
            let result = write_plan(&txn, id, &file, reached, editor).await;
            finish(txn, result).await?;
        }
        self.plan(id).await
    }

    /// The meeting's settings, activities (with choices) and flags as stored: what a running
    /// meeting takes from an edited plan.
    pub async fn plan_records(&self, id: MeetingId) -> Result<PlanRecords, StorageError> {
        let txn = self.begin_read().await?;
        let result = async {
            let meeting = meetings::Entity::find_by_id(id.0)
                .one(&txn)
                .await?
                .ok_or(StorageError::NotFound)?;
            let activities = activity_records(&txn, id).await?;
            let flags = meeting_flags(&txn, id)
                .await?
                .into_iter()
                .map(convert::flag)
                .collect();
            Ok(PlanRecords {
                meeting: convert::meeting(meeting)?,
                activities,
                flags,
            })
        }
        .await;
        finish(txn, result).await
    }

    /// The ids of the meeting's flags someone captured (their code and points are locked).
    pub async fn captured_flags(&self, id: MeetingId) -> Result<Vec<i64>, StorageError> {
        let flag_ids: Vec<i64> = meeting_flags(&self.db, id)
            .await?
            .into_iter()
            .map(|f| f.id)
            .collect();
        let mut ids: Vec<i64> = flag_captures::Entity::find()
            .filter(flag_captures::Column::FlagId.is_in(flag_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| c.flag_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Clears a meeting to rehearse it again: attendees (with their answers, captures and
    /// sessions), chat ids and hidden words go; the plan stays; status back to before.
    pub async fn reset_meeting(&self, id: MeetingId) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let done = meetings::Entity::update_many()
                .col_expr(
                    meetings::Column::Status,
                    Expr::value(MeetingStatus::Before.code()),
                )
                .col_expr(meetings::Column::Position, Expr::value(0))
                .filter(meetings::Column::Id.eq(id.0))
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                return Err(StorageError::NotFound);
            }
            sessions::Entity::delete_many()
                .filter(sessions::Column::Kind.eq(sessions::KIND_PARTICIPANT))
                .filter(sessions::Column::MeetingId.eq(id.0))
                .exec(&txn)
                .await?;
            // Votes, words, captures and attempts go with their attendee (ON DELETE CASCADE).
            attendees::Entity::delete_many()
                .filter(attendees::Column::MeetingId.eq(id.0))
                .exec(&txn)
                .await?;
            chat_seen::Entity::delete_many()
                .filter(chat_seen::Column::MeetingId.eq(id.0))
                .exec(&txn)
                .await?;
            activities::Entity::update_many()
                .col_expr(
                    activities::Column::State,
                    Expr::value(ActivityState::Pending.code()),
                )
                .col_expr(activities::Column::HiddenWords, Expr::value("[]"))
                .filter(activities::Column::MeetingId.eq(id.0))
                .exec(&txn)
                .await?;
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    /// Deletes a meeting and everything in it.
    pub async fn delete_meeting(&self, id: MeetingId) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        let done = meetings::Entity::delete_by_id(id.0).exec(&self.db).await?;
        if done.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Stops sharing a meeting with an organizer; `false` when it was not shared with them.
    pub async fn unshare_meeting(
        &self,
        meeting: MeetingId,
        user: UserId,
    ) -> Result<bool, StorageError> {
        let _guard = self.write_guard().await;
        let done = meeting_shares::Entity::delete_many()
            .filter(meeting_shares::Column::MeetingId.eq(meeting.0))
            .filter(meeting_shares::Column::UserId.eq(user.0))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Replaces a meeting's bots (the dashboard turns them on and off, or edits them):
    /// `InvalidPlan` with every problem, each under its `bots[i].field`.
    pub async fn set_meeting_bots(
        &self,
        meeting: MeetingId,
        bots: &[crate::Bot],
    ) -> Result<(), StorageError> {
        let problems = crate::bot_problems(bots);
        if !problems.is_empty() {
            return Err(StorageError::InvalidPlan(
                problems
                    .into_iter()
                    .map(crate::meeting_file::FieldError::from_message)
                    .collect(),
            ));
        }
        let _guard = self.write_guard().await;
        let done = meetings::Entity::update_many()
            .col_expr(meetings::Column::Bots, Expr::value(bots_json(bots)?))
            .filter(meetings::Column::Id.eq(meeting.0))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Every meeting with what a list of meetings shows, newest first.
    pub async fn meeting_listing(&self) -> Result<Vec<MeetingListing>, StorageError> {
        let rows = meetings::Entity::find().all(&self.db).await?;
        let shares = meeting_shares::Entity::find().all(&self.db).await?;
        let mut shared: HashMap<i64, Vec<UserId>> = HashMap::new();
        for s in shares {
            shared
                .entry(s.meeting_id)
                .or_default()
                .push(UserId(s.user_id));
        }
        let activities =
            count_by_meeting::<activities::Entity, _>(&self.db, activities::Column::MeetingId)
                .await?;
        let attendees =
            count_by_meeting::<attendees::Entity, _>(&self.db, attendees::Column::MeetingId)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            let id = m.id;
            let created_at = m.created_at;
            let record = convert::meeting(m)?;
            out.push(MeetingListing {
                id: record.id,
                title: record.title,
                status: record.status,
                position: record.position,
                created_at,
                owner: record.owner,
                shared_with: shared.remove(&id).unwrap_or_default(),
                activities: activities.get(&id).copied().unwrap_or(0),
                attendees: attendees.get(&id).copied().unwrap_or(0),
            });
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.0.cmp(&a.id.0)));
        Ok(out)
    }
}

/// Rows per meeting of a table with a `meeting_id` column, in one grouped query.
async fn count_by_meeting<E, C>(
    db: &impl ConnectionTrait,
    column: C,
) -> Result<HashMap<i64, usize>, StorageError>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let rows: Vec<(i64, i64)> = E::find()
        .select_only()
        .column(column)
        .column_as(column.count(), "n")
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(m, n)| (m, usize::try_from(n).unwrap_or(0)))
        .collect())
}

/// What [`Store::plan_records`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecords {
    pub meeting: MeetingRecord,
    pub activities: Vec<ActivityRecord>,
    pub flags: Vec<FlagRecord>,
}

/// A meeting as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingListing {
    pub id: MeetingId,
    pub title: String,
    pub status: MeetingStatus,
    pub position: u32,
    pub created_at: Micros,
    pub owner: Option<UserId>,
    pub shared_with: Vec<UserId>,
    pub activities: usize,
    pub attendees: usize,
}

fn invalid(field: String, message: String) -> StorageError {
    StorageError::InvalidPlan(vec![FieldError { field, message }])
}

fn locked(field: String, what: &str) -> StorageError {
    StorageError::PlanLocked {
        message: format!(
            "{field} {what}: it can no longer be changed, moved or deleted (reset the meeting to rehearse it again, or duplicate it)"
        ),
        field,
    }
}

async fn write_plan<C: ConnectionTrait>(
    db: &C,
    id: MeetingId,
    file: &MeetingFile,
    reached: usize,
    editor: Option<UserId>,
) -> Result<(), StorageError> {
    let meeting = meetings::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;
    let record = convert::meeting(meeting)?;
    let stored = meeting_activities(db, id).await?;
    let mut stored_choices = meeting_choices(db, id).await?;
    let reached = reached.min(stored.len());

    // What the meeting already used comes back first, in order, unchanged.
    for (i, row) in stored.iter().take(reached).enumerate() {
        let field = format!("activities[{i}]");
        let Some(sent) = file.activities.get(i) else {
            return Err(locked(field, "was already reached in this meeting"));
        };
        let choices = stored_choices
            .get(&row.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if sent.id != Some(row.id) {
            return Err(locked(
                field,
                "is not the activity the meeting already reached here",
            ));
        }
        // Notes stay editable: a speaker fixes their notes while the meeting runs.
        let stored = ActivityFile {
            notes: sent.notes.clone(),
            ..convert::activity_file(row, choices)?
        };
        if *sent != stored {
            return Err(locked(field, "was already reached in this meeting"));
        }
    }
    let open: HashMap<i64, &activities::Model> =
        stored.iter().skip(reached).map(|a| (a.id, a)).collect();
    let mut seen = HashSet::new();
    for (i, sent) in file.activities.iter().enumerate().skip(reached) {
        let Some(aid) = sent.id else { continue };
        if !seen.insert(aid) {
            return Err(invalid(
                format!("activities[{i}].id"),
                format!("activities[{i}].id {aid} appears twice: each activity once"),
            ));
        }
        if !open.contains_key(&aid) {
            if stored.iter().take(reached).any(|a| a.id == aid) {
                return Err(locked(
                    format!("activities[{i}]"),
                    "was already reached in this meeting",
                ));
            }
            return Err(invalid(
                format!("activities[{i}].id"),
                format!(
                    "activities[{i}].id {aid} is not an activity of this meeting: leave \"id\" out to add a new one"
                ),
            ));
        }
        let own: HashSet<i64> = stored_choices
            .get(&aid)
            .map(|cs| cs.iter().map(|c| c.id).collect())
            .unwrap_or_default();
        for (j, c) in sent.choices.iter().enumerate() {
            if let Some(cid) = c.id
                && !own.contains(&cid)
            {
                return Err(invalid(
                    format!("activities[{i}].choices[{j}].id"),
                    format!(
                        "activities[{i}].choices[{j}].id {cid} is not a choice of this activity: leave \"id\" out to add a new one"
                    ),
                ));
            }
        }
    }

    // Flags someone captured keep their code and points.
    let stored_flags = meeting_flags(db, id).await?;
    let captured: HashSet<i64> = flag_captures::Entity::find()
        .filter(flag_captures::Column::FlagId.is_in(stored_flags.iter().map(|f| f.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.flag_id)
        .collect();
    let flag_ids: HashSet<i64> = stored_flags.iter().map(|f| f.id).collect();
    for (i, f) in file.flags.iter().enumerate() {
        if let Some(fid) = f.id
            && !flag_ids.contains(&fid)
        {
            return Err(invalid(
                format!("flags[{i}].id"),
                format!(
                    "flags[{i}].id {fid} is not a flag of this meeting: leave \"id\" out to add a new one"
                ),
            ));
        }
    }
    for (k, stored_flag) in stored_flags.iter().enumerate() {
        if !captured.contains(&stored_flag.id) {
            continue;
        }
        match file
            .flags
            .iter()
            .enumerate()
            .find(|(_, f)| f.id == Some(stored_flag.id))
        {
            None => return Err(locked(format!("flags[{k}]"), "was already captured")),
            Some((i, f)) => {
                if f.code != stored_flag.code
                    || f.points != stored_flag.points
                    || f.first_blood != stored_flag.first_blood
                {
                    return Err(locked(
                        format!("flags[{i}]"),
                        "was already captured (its name may change, not its code or points)",
                    ));
                }
            }
        }
    }

    // The meeting's own settings. Sources keep who added them.
    let sources: Vec<StoredSource> = file
        .sources
        .iter()
        .map(|s| {
            let s = s.clone().normalized();
            let kept = record.sources.iter().find(|old| old.source == s);
            StoredSource {
                added_by: kept.map_or(editor.map(|u| u.0), |old| old.added_by),
                source: s,
            }
        })
        .collect();
    let sources =
        serde_json::to_string(&sources).map_err(|e| StorageError::InvalidMeeting(e.to_string()))?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::Title, Expr::value(file.title.clone()))
        .col_expr(meetings::Column::Code, Expr::value(file.code.clone()))
        .col_expr(
            meetings::Column::RewardFastest,
            Expr::value(file.reward_fastest),
        )
        .col_expr(meetings::Column::Scoring, Expr::value(file.scoring.code()))
        .col_expr(meetings::Column::AutoStart, Expr::value(file.auto_start))
        .col_expr(
            meetings::Column::StreakBonus,
            Expr::value(convert::to_i32(file.streak_bonus, "streak_bonus")?),
        )
        .col_expr(
            meetings::Column::FlagPrefix,
            Expr::value(file.flag_prefix.clone()),
        )
        .col_expr(meetings::Column::Sources, Expr::value(sources))
        .col_expr(meetings::Column::Chat, Expr::value(chat_json(&file.chat)?))
        .col_expr(
            meetings::Column::BlockedWords,
            Expr::value(words_json(&file.blocked_words)?),
        )
        .col_expr(meetings::Column::Bots, Expr::value(bots_json(&file.bots)?))
        .col_expr(meetings::Column::Sounds, Expr::value(file.sounds))
        .filter(meetings::Column::Id.eq(id.0))
        .exec(db)
        .await
        .map_err(|e| map_err("meeting", e))?;

    for (row, sent) in stored.iter().take(reached).zip(&file.activities) {
        if row.notes != sent.notes {
            activities::Entity::update_many()
                .col_expr(activities::Column::Notes, Expr::value(sent.notes.clone()))
                .filter(activities::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
    }

    // Activities after the reached ones: deleted when left out; the rest park at negative
    // positions first, so no move collides with the unique (meeting, position) index.
    let kept: HashSet<i64> = file.activities.iter().filter_map(|a| a.id).collect();
    for (index, row) in stored.iter().enumerate().skip(reached) {
        if !kept.contains(&row.id) {
            activities::Entity::delete_by_id(row.id).exec(db).await?;
        } else {
            let parked = -convert::to_i32(index, "activity position")? - 1;
            activities::Entity::update_many()
                .col_expr(activities::Column::Position, Expr::value(parked))
                .filter(activities::Column::Id.eq(row.id))
                .exec(db)
                .await?;
        }
    }
    for (position, sent) in file.activities.iter().enumerate().skip(reached) {
        let Some(aid) = sent.id else {
            insert_activity(db, id.0, position, sent).await?;
            continue;
        };
        activities::Entity::update_many()
            .col_expr(
                activities::Column::Position,
                Expr::value(convert::to_i32(position, "activity position")?),
            )
            .col_expr(activities::Column::Kind, Expr::value(sent.kind.code()))
            .col_expr(activities::Column::Title, Expr::value(sent.title.clone()))
            .col_expr(
                activities::Column::Description,
                Expr::value(sent.description.clone()),
            )
            .col_expr(activities::Column::Markup, Expr::value(sent.markup.code()))
            .col_expr(activities::Column::Notes, Expr::value(sent.notes.clone()))
            .col_expr(
                activities::Column::TimeLimitSecs,
                Expr::value(convert::to_i32(sent.time_limit_secs, "time_limit_secs")?),
            )
            .col_expr(
                activities::Column::Points,
                Expr::value(
                    sent.points
                        .map(|p| convert::to_i32(p, "points"))
                        .transpose()?,
                ),
            )
            .col_expr(
                activities::Column::WordLimit,
                Expr::value(convert::to_i32(sent.word_limit, "word_limit")?),
            )
            .col_expr(
                activities::Column::MaxChoices,
                Expr::value(convert::to_i32(sent.max_choices, "max_choices")?),
            )
            .col_expr(
                activities::Column::PartialCredit,
                Expr::value(sent.partial_credit),
            )
            .col_expr(
                activities::Column::Scale,
                Expr::value(convert::scale_json(sent.scale.as_ref())?),
            )
            .col_expr(
                activities::Column::PriorWeight,
                Expr::value(
                    sent.prior_weight
                        .map(|p| convert::to_i32(p, "prior_weight"))
                        .transpose()?,
                ),
            )
            .col_expr(activities::Column::Image, Expr::value(sent.image.clone()))
            .col_expr(activities::Column::Alt, Expr::value(sent.alt.clone()))
            .col_expr(
                activities::Column::AutoApprove,
                Expr::value(sent.auto_approve),
            )
            .col_expr(
                activities::Column::HideResults,
                Expr::value(sent.hide_results_until_reveal),
            )
            .filter(activities::Column::Id.eq(aid))
            .exec(db)
            .await
            .map_err(|e| map_err("activity", e))?;
        write_choices(
            db,
            aid,
            stored_choices.remove(&aid).unwrap_or_default(),
            sent,
        )
        .await?;
    }

    // Flags: the same, parking codes instead of positions (unique per meeting).
    let kept_flags: HashSet<i64> = file.flags.iter().filter_map(|f| f.id).collect();
    for f in &stored_flags {
        if kept_flags.contains(&f.id) {
            flags::Entity::update_many()
                .col_expr(
                    flags::Column::Code,
                    Expr::value(format!("\u{1}parked-{}", f.id)),
                )
                .filter(flags::Column::Id.eq(f.id))
                .exec(db)
                .await?;
        } else {
            flags::Entity::delete_by_id(f.id).exec(db).await?;
        }
    }
    for (position, f) in file.flags.iter().enumerate() {
        let Some(fid) = f.id else {
            insert_flag(db, id.0, position, f).await?;
            continue;
        };
        flags::Entity::update(flags::ActiveModel {
            id: Set(fid),
            meeting_id: Set(id.0),
            name: Set(f.name.clone()),
            code: Set(f.code.clone()),
            points: Set(f.points),
            first_blood: Set(f.first_blood),
            position: Set(convert::to_i32(position, "flag position")?),
        })
        .exec(db)
        .await
        .map_err(|e| map_err("flag", e))?;
    }
    Ok(())
}

/// An activity's choices after an edit: kept ones updated (slugs parked first: they are
/// unique per activity), new ones added, the others deleted.
async fn write_choices<C: ConnectionTrait>(
    db: &C,
    activity: i64,
    stored: Vec<choices::Model>,
    sent: &ActivityFile,
) -> Result<(), StorageError> {
    let kept: HashSet<i64> = sent.choices.iter().filter_map(|c| c.id).collect();
    for c in &stored {
        if kept.contains(&c.id) {
            choices::Entity::update_many()
                .col_expr(
                    choices::Column::Slug,
                    Expr::value(format!("\u{1}parked-{}", c.id)),
                )
                .filter(choices::Column::Id.eq(c.id))
                .exec(db)
                .await?;
        } else {
            choices::Entity::delete_by_id(c.id).exec(db).await?;
        }
    }
    for (position, c) in sent.choices.iter().enumerate() {
        let Some(cid) = c.id else {
            insert_choice(db, activity, position, c).await?;
            continue;
        };
        choices::Entity::update(choices::ActiveModel {
            id: Set(cid),
            activity_id: Set(activity),
            position: Set(convert::to_i32(position, "choice position")?),
            text: Set(c.text.clone()),
            slug: Set(c.slug.clone()),
            correct: Set(c.correct),
        })
        .exec(db)
        .await
        .map_err(|e| map_err("choice", e))?;
    }
    Ok(())
}
