//! The body of [`Store::apply`](crate::Store::apply): a slice of [`WriteOp`]s written inside
//! one transaction that the caller commits or rolls back.
//!
//! Runs of consecutive votes, words and flag attempts become multi-row INSERTs, so a burst
//! of thousands of answers costs a few statements instead of one round trip each. Score
//! changes are `score = score + n` in SQL: the stored score is never read back and rewritten.

use std::collections::{BTreeMap, HashMap};

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    Statement, Value,
};

use crate::StorageError;
use crate::entities::{
    activities, attendees, chat_seen, flag_attempts, flag_captures, meetings, posts, ratings,
    sessions, upvotes, votes, words,
};
use crate::model::*;
use crate::store::map_err;

/// Ids per `IN (…)`, within [`STATEMENT_BYTES`].
const CHUNK: usize = STATEMENT_BYTES / INT_BYTES;

/// Attendees per award UPDATE: two parameters each (attendee, points) keep a statement
/// within [`STATEMENT_BYTES`].
const AWARD_CHUNK: usize = STATEMENT_BYTES / (2 * INT_BYTES);

/// Most rows per INSERT: 1,024 rows of 7 columns stay far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bind parameters per statement.
const MAX_ROWS: usize = 1024;

/// Bound-parameter bytes per statement. sqlx 0.9.0 leaves Nagle's algorithm on for
/// PostgreSQL TCP connections (it dropped TCP_NODELAY; sqlx issue #4335). A message that
/// the socket does not take in one piece leaves a tail that waits for the server's delayed
/// ACK: on loopback, statements of 16–20 KB of parameters took 45–90 ms instead of 2 ms.
/// Many small statements cost far less than one stalled big one; SQLite barely notices.
const STATEMENT_BYTES: usize = 8 * 1024;

/// PostgreSQL's Bind message spends a 4-byte length on each parameter.
const INT_BYTES: usize = 4 + 8;
fn text_bytes(s: &str) -> usize {
    4 + s.len()
}

pub(crate) async fn apply_ops<C: ConnectionTrait>(
    db: &C,
    ops: &[WriteOp],
) -> Result<(), StorageError> {
    let mut i = 0;
    while i < ops.len() {
        let run = same_kind_run(&ops[i..]);
        let batch = &ops[i..i + run];
        match &batch[0] {
            WriteOp::Vote { .. } => insert_votes(db, batch).await?,
            WriteOp::Word { .. } => insert_words(db, batch).await?,
            WriteOp::Rating { .. } => insert_ratings(db, batch).await?,
            WriteOp::Post { .. } => insert_posts(db, batch).await?,
            WriteOp::Upvote { .. } => insert_upvotes(db, batch).await?,
            WriteOp::Moderate {
                activity,
                number,
                status,
                pinned,
                answered,
            } => {
                posts::Entity::update_many()
                    .col_expr(posts::Column::Status, Expr::value(status.code()))
                    .col_expr(posts::Column::Pinned, Expr::value(*pinned))
                    .col_expr(posts::Column::Answered, Expr::value(*answered))
                    .filter(posts::Column::ActivityId.eq(activity.0))
                    .filter(posts::Column::Number.eq(i64::from(*number)))
                    .exec(db)
                    .await?;
            }
            WriteOp::Sounds { meeting, on } => {
                meetings::Entity::update_many()
                    .col_expr(meetings::Column::Sounds, Expr::value(*on))
                    .filter(meetings::Column::Id.eq(meeting.0))
                    .exec(db)
                    .await?;
            }
            WriteOp::FlagAttempt { .. } => insert_attempts(db, batch).await?,
            WriteOp::Capture {
                flag,
                attendee,
                points,
                first_blood,
                at,
            } => capture(db, *flag, *attendee, *points, *first_blood, *at).await?,
            WriteOp::Progress {
                meeting,
                status,
                position,
                activities,
            } => progress(db, *meeting, *status, *position, activities).await?,
            WriteOp::Award { activity, awards } => award(db, *activity, awards).await?,
            WriteOp::Deadline {
                activity,
                closes_at,
            } => {
                activities::Entity::update_many()
                    .col_expr(activities::Column::ClosesAt, Expr::value(*closes_at))
                    .filter(activities::Column::Id.eq(activity.0))
                    .exec(db)
                    .await?;
            }
            WriteOp::Join { .. } => joins(db, batch).await?,
            WriteOp::ChatSeen { .. } => insert_chat_seen(db, batch).await?,
            WriteOp::Rename { attendee, name } => rename(db, *attendee, name).await?,
            WriteOp::Remove { attendee } => remove(db, *attendee).await?,
            WriteOp::HideWords { activity, words } => {
                activities::Entity::update_many()
                    .col_expr(
                        activities::Column::HiddenWords,
                        Expr::value(crate::queries::meetings::words_json(words)?),
                    )
                    .filter(activities::Column::Id.eq(activity.0))
                    .exec(db)
                    .await?;
            }
            WriteOp::BlockedWords { meeting, words } => {
                meetings::Entity::update_many()
                    .col_expr(
                        meetings::Column::BlockedWords,
                        Expr::value(crate::queries::meetings::words_json(words)?),
                    )
                    .filter(meetings::Column::Id.eq(meeting.0))
                    .exec(db)
                    .await?;
            }
        }
        i += run;
    }
    Ok(())
}

/// How many ops from the start of `ops` can share one multi-row INSERT.
fn same_kind_run(ops: &[WriteOp]) -> usize {
    let batchable = |op: &WriteOp| -> Option<u8> {
        match op {
            WriteOp::Vote { .. } => Some(0),
            WriteOp::Word { .. } => Some(1),
            WriteOp::FlagAttempt { .. } => Some(2),
            WriteOp::Join { .. } => Some(3),
            WriteOp::ChatSeen { .. } => Some(4),
            WriteOp::Rating { .. } => Some(5),
            WriteOp::Post { .. } => Some(6),
            WriteOp::Upvote { .. } => Some(7),
            _ => None,
        }
    };
    match ops.first().and_then(batchable) {
        None => 1,
        Some(kind) => ops
            .iter()
            .take_while(|op| batchable(op) == Some(kind))
            .count(),
    }
}

async fn insert_votes<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::Vote {
            activity,
            attendee,
            choice,
            at,
        } => Some((
            votes::ActiveModel {
                id: NotSet,
                activity_id: Set(activity.0),
                attendee_id: Set(attendee.0),
                choice_id: Set(choice.0),
                points: Set(None),
                created_at: Set(*at),
            },
            5 * INT_BYTES,
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "vote").await
}

/// Ids seen again are skipped, not refused: remembering a message twice is harmless, and
/// must never fail the batch of answers it travels with.
async fn insert_chat_seen<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let mut rows: Vec<chat_seen::ActiveModel> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::ChatSeen {
                meeting,
                platform,
                message_id,
                at,
            } => Some(chat_seen::ActiveModel {
                meeting_id: Set(meeting.0),
                platform: Set(platform.code().to_owned()),
                message_id: Set(message_id.clone()),
                at: Set(*at),
            }),
            _ => None,
        })
        .collect();
    // Four columns, ids up to a few dozen bytes: 128 rows stay within STATEMENT_BYTES.
    while !rows.is_empty() {
        let chunk: Vec<_> = rows.drain(..rows.len().min(128)).collect();
        let result = chat_seen::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    chat_seen::Column::MeetingId,
                    chat_seen::Column::Platform,
                    chat_seen::Column::MessageId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match result {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(map_err("chat message id", e)),
        }
    }
    Ok(())
}

async fn rename<C: ConnectionTrait>(
    db: &C,
    attendee: AttendeeId,
    name: &str,
) -> Result<(), StorageError> {
    attendees::Entity::update_many()
        .col_expr(attendees::Column::Name, Expr::value(name))
        .filter(attendees::Column::Id.eq(attendee.0))
        .exec(db)
        .await
        .map_err(|e| map_err("attendee name", e))?;
    Ok(())
}

/// A moderator removed the attendee: flagged (their rows stay for the record, and stop
/// counting), and their sessions end so the seat cannot be taken again.
async fn remove<C: ConnectionTrait>(db: &C, attendee: AttendeeId) -> Result<(), StorageError> {
    attendees::Entity::update_many()
        .col_expr(attendees::Column::Removed, Expr::value(true))
        .filter(attendees::Column::Id.eq(attendee.0))
        .exec(db)
        .await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::AttendeeId.eq(attendee.0))
        .exec(db)
        .await?;
    Ok(())
}

async fn insert_words<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::Word {
            activity,
            attendee,
            text,
            normalized,
            at,
        } => Some((
            words::ActiveModel {
                id: NotSet,
                activity_id: Set(activity.0),
                attendee_id: Set(attendee.0),
                text: Set(text.clone()),
                normalized: Set(normalized.clone()),
                created_at: Set(*at),
            },
            3 * INT_BYTES + text_bytes(text) + text_bytes(normalized),
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "word").await
}

async fn insert_ratings<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::Rating {
            activity,
            attendee,
            item,
            value,
            at,
        } => Some((
            ratings::ActiveModel {
                id: NotSet,
                activity_id: Set(activity.0),
                attendee_id: Set(attendee.0),
                choice_id: Set(item.map(|c| c.0)),
                value: Set(*value),
                created_at: Set(*at),
            },
            5 * INT_BYTES,
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "rating").await
}

async fn insert_posts<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::Post {
            activity,
            number,
            attendee,
            text,
            status,
            at,
        } => Some((
            posts::ActiveModel {
                id: NotSet,
                activity_id: Set(activity.0),
                number: Set(i32::try_from(*number).unwrap_or(i32::MAX)),
                attendee_id: Set(attendee.0),
                text: Set(text.clone()),
                status: Set(status.code().to_owned()),
                pinned: Set(false),
                answered: Set(false),
                created_at: Set(*at),
            },
            6 * INT_BYTES + text_bytes(text) + text_bytes(status.code()),
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "post").await
}

async fn insert_upvotes<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::Upvote {
            activity,
            number,
            attendee,
            at,
        } => Some((
            upvotes::ActiveModel {
                id: NotSet,
                activity_id: Set(activity.0),
                number: Set(i32::try_from(*number).unwrap_or(i32::MAX)),
                attendee_id: Set(attendee.0),
                created_at: Set(*at),
            },
            4 * INT_BYTES,
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "upvote").await
}

async fn insert_attempts<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let rows = ops.iter().filter_map(|op| match op {
        WriteOp::FlagAttempt {
            meeting,
            attendee,
            submitted,
            flag,
            outcome,
            at,
        } => Some((
            flag_attempts::ActiveModel {
                id: NotSet,
                meeting_id: Set(meeting.0),
                attendee_id: Set(attendee.0),
                submitted: Set(submitted.clone()),
                flag_id: Set(flag.map(|f| f.0)),
                outcome: Set(outcome.clone()),
                created_at: Set(*at),
            },
            4 * INT_BYTES + text_bytes(submitted) + text_bytes(outcome),
        )),
        _ => None,
    });
    insert_in_chunks(db, rows, "flag attempt").await
}

/// Multi-row INSERTs of `(row, parameter bytes)`, each of a power-of-two number of rows, at
/// most [`MAX_ROWS`] and within [`STATEMENT_BYTES`].
///
/// Why powers of two: every distinct row count is a distinct SQL text, which the driver
/// prepares (compiles) and keeps in its per-connection statement cache. Batches of any size
/// made a new statement for nearly every batch: compiled again and again, and a cache full
/// of large statements (measured: about 1 KiB more server memory per participant after
/// 10,000 joins in batches). With powers of two a table has at most eleven shapes, all
/// reused; a batch of n rows costs at most log2(n) + 1 statements.
async fn insert_in_chunks<C, A>(
    db: &C,
    rows: impl Iterator<Item = (A, usize)>,
    what: &str,
) -> Result<(), StorageError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let mut rest: Vec<(A, usize)> = rows.collect();
    while !rest.is_empty() {
        // As many rows as one statement may take, then its largest power-of-two prefix.
        let mut bytes = 0;
        let fit = rest
            .iter()
            .take(MAX_ROWS)
            .take_while(|(_, cost)| {
                bytes += cost;
                bytes <= STATEMENT_BYTES
            })
            .count()
            .max(1);
        let chunk: Vec<A> = rest
            .drain(..power_of_two_at_most(fit))
            .map(|(row, _)| row)
            .collect();
        insert_rows(db, chunk, what).await?;
    }
    Ok(())
}

/// The largest power of two that is at most `n` (`n` ≥ 1).
fn power_of_two_at_most(n: usize) -> usize {
    if n == 0 {
        1
    } else {
        1 << (usize::BITS - 1 - n.leading_zeros())
    }
}

async fn insert_rows<C, A>(db: &C, rows: Vec<A>, what: &str) -> Result<(), StorageError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    <A::Entity as EntityTrait>::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(|e| map_err(what, e))?;
    Ok(())
}

/// A run of joins: the new attendees in multi-row INSERTs, the rare renamed seat one UPDATE
/// each, then every session in multi-row INSERTs (after the attendees they point to).
async fn joins<C: ConnectionTrait>(db: &C, ops: &[WriteOp]) -> Result<(), StorageError> {
    let new = ops.iter().filter_map(|op| match op {
        WriteOp::Join {
            meeting,
            attendee,
            name,
            seat: JoinSeat::New { platform_user_id },
            at,
            ..
        } => Some((
            attendees::ActiveModel {
                id: Set(attendee.0),
                meeting_id: Set(meeting.0),
                name: Set(name.clone()),
                platform: Set(Platform::Room.code().to_owned()),
                platform_user_id: Set(platform_user_id.clone()),
                score: Set(0),
                created_at: Set(*at),
                // The column's default (false): keeps every row's width as the batch sizes assume.
                removed: NotSet,
            },
            4 * INT_BYTES
                + text_bytes(name)
                + text_bytes(platform_user_id)
                + text_bytes(Platform::Room.code()),
        )),
        _ => None,
    });
    insert_in_chunks(db, new, "attendee").await?;
    for op in ops {
        if let WriteOp::Join {
            meeting,
            attendee,
            name,
            seat: JoinSeat::Kept { renamed: true },
            ..
        } = op
        {
            let updated = attendees::Entity::update_many()
                .col_expr(attendees::Column::Name, Expr::value(name.clone()))
                .filter(attendees::Column::Id.eq(attendee.0))
                .filter(attendees::Column::MeetingId.eq(meeting.0))
                .exec(db)
                .await
                .map_err(|e| map_err("attendee", e))?;
            if updated.rows_affected == 0 {
                return Err(StorageError::NotFound);
            }
        }
    }
    let sessions = ops.iter().filter_map(|op| match op {
        WriteOp::Join {
            meeting,
            attendee,
            session_hash,
            at,
            ..
        } => Some((
            sessions::ActiveModel {
                token: Set(session_hash.clone()),
                kind: Set(sessions::KIND_PARTICIPANT.to_owned()),
                user_id: Set(None),
                meeting_id: Set(Some(meeting.0)),
                attendee_id: Set(Some(attendee.0)),
                created_at: Set(*at),
                last_seen_at: Set(*at),
                expires_at: Set(None),
            },
            4 * INT_BYTES + text_bytes(session_hash) + text_bytes(sessions::KIND_PARTICIPANT),
        )),
        _ => None,
    });
    insert_in_chunks(db, sessions, "session").await
}

async fn capture<C: ConnectionTrait>(
    db: &C,
    flag: FlagId,
    attendee: AttendeeId,
    points: i64,
    first_blood: bool,
    at: Micros,
) -> Result<(), StorageError> {
    flag_captures::Entity::insert(flag_captures::ActiveModel {
        id: NotSet,
        flag_id: Set(flag.0),
        attendee_id: Set(attendee.0),
        points: Set(points),
        first_blood: Set(first_blood),
        created_at: Set(at),
    })
    .exec_without_returning(db)
    .await
    .map_err(|e| map_err("flag capture", e))?;
    add_score(db, attendee, points).await
}

async fn progress<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
    status: MeetingStatus,
    position: u32,
    states: &[(ActivityId, ActivityState)],
) -> Result<(), StorageError> {
    let position = i32::try_from(position).map_err(|_| {
        StorageError::Database(sea_orm::DbErr::Custom(format!(
            "position {position} is out of range"
        )))
    })?;
    let updated = meetings::Entity::update_many()
        .col_expr(meetings::Column::Status, Expr::value(status.code()))
        .col_expr(meetings::Column::Position, Expr::value(position))
        .filter(meetings::Column::Id.eq(meeting.0))
        .exec(db)
        .await
        .map_err(|e| map_err("progress", e))?;
    if updated.rows_affected == 0 {
        return Err(StorageError::NotFound);
    }
    if status == MeetingStatus::After {
        // The meeting ended: its participants' sessions end 30 days from now. Written on the
        // session rows, so checking one stays a single lookup.
        let expires = crate::model::now_micros() + crate::model::PARTICIPANT_GRACE;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::ExpiresAt, Expr::value(expires))
            .filter(sessions::Column::MeetingId.eq(meeting.0))
            .filter(sessions::Column::Kind.eq(sessions::KIND_PARTICIPANT))
            .exec(db)
            .await
            .map_err(|e| map_err("progress", e))?;
    }

    // Listing an activity twice means its last state wins, as if applied one by one.
    let mut last: HashMap<i64, ActivityState> = HashMap::new();
    for (id, state) in states {
        last.insert(id.0, *state);
    }
    let mut by_state: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    for (id, state) in last {
        by_state.entry(state.code()).or_default().push(id);
    }
    for (state, ids) in by_state {
        for chunk in ids.chunks(CHUNK) {
            let updated = activities::Entity::update_many()
                .col_expr(activities::Column::State, Expr::value(state))
                .filter(activities::Column::MeetingId.eq(meeting.0))
                .filter(activities::Column::Id.is_in(chunk.iter().copied()))
                .exec(db)
                .await
                .map_err(|e| map_err("progress", e))?;
            // An activity of another meeting, or none at all: the engine's state is off.
            if updated.rows_affected != chunk.len() as u64 {
                return Err(StorageError::NotFound);
            }
        }
    }
    Ok(())
}

/// The award's UPDATE of one chunk of voters. `+votes.activity_id` keeps that column out of
/// index choices, so the only fast plan is the one wanted: each row of `x` finds its voter's
/// few rows through `ix_votes_attendee`. Left free, the SQLite bundled since the votes index
/// gained `choice_id` (multi-select) scanned the quiz's votes for every row of `x`: 95 ms a
/// chunk, 2.8 s of a 10,000-vote reveal (docs/performance.md, issue 14).
fn award_votes_sql(values: &str, activity_param: &str) -> String {
    format!(
        "WITH x(attendee_id, points) AS (VALUES {values}) \
         UPDATE votes SET points = x.points FROM x \
         WHERE +votes.activity_id = {activity_param} AND votes.attendee_id = x.attendee_id"
    )
}

/// Attendees without a vote in the activity still get their points: the award is the
/// scoring event, the vote only records how it was earned.
async fn award<C: ConnectionTrait>(
    db: &C,
    activity: ActivityId,
    awards: &[(AttendeeId, i64)],
) -> Result<(), StorageError> {
    // Same result as applying the list one by one: the last award sets the vote's points,
    // every award adds to the score. Folding repeats here also matters for `UPDATE … FROM`,
    // which would pick an arbitrary one of two rows joining the same target row.
    let mut vote_points: BTreeMap<i64, i64> = BTreeMap::new();
    let mut score_delta: BTreeMap<i64, i64> = BTreeMap::new();
    for (attendee, points) in awards {
        vote_points.insert(attendee.0, *points);
        *score_delta.entry(attendee.0).or_default() += points;
    }

    let vote_points: Vec<(i64, i64)> = vote_points.into_iter().collect();
    for chunk in vote_points.chunks(AWARD_CHUNK) {
        let (values, mut params) = values_list(db.get_database_backend(), chunk, 1);
        params.push(activity.0.into());
        let activity_param = placeholder(db.get_database_backend(), params.len());
        let sql = award_votes_sql(&values, &activity_param);
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            params,
        ))
        .await
        .map_err(|e| map_err("award", e))?;
    }

    let score_delta: Vec<(i64, i64)> = score_delta.into_iter().filter(|(_, d)| *d != 0).collect();
    for chunk in score_delta.chunks(AWARD_CHUNK) {
        let (values, params) = values_list(db.get_database_backend(), chunk, 1);
        let sql = format!(
            "WITH x(attendee_id, delta) AS (VALUES {values}) \
             UPDATE attendees SET score = attendees.score + x.delta FROM x \
             WHERE attendees.id = x.attendee_id"
        );
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            params,
        ))
        .await
        .map_err(|e| map_err("score", e))?;
    }
    Ok(())
}

/// `(p1, p2), (p3, p4), …` for a VALUES list joined in an `UPDATE … FROM`: every row gets
/// its own value in one statement through a hash or index join (a CASE with hundreds of
/// branches is tested row by row, and was 10x slower). Kept as plain SQL, which reads the
/// same on PostgreSQL and SQLite (3.33+), rather than as a sea-query CTE builder chain.
fn values_list(backend: DbBackend, pairs: &[(i64, i64)], first: usize) -> (String, Vec<Value>) {
    let mut sql = String::with_capacity(pairs.len() * 16);
    let mut params = Vec::with_capacity(pairs.len() * 2);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let n = first + 2 * i;
        sql.push('(');
        sql.push_str(&placeholder(backend, n));
        sql.push_str(", ");
        sql.push_str(&placeholder(backend, n + 1));
        sql.push(')');
        params.push((*key).into());
        params.push((*value).into());
    }
    (sql, params)
}

/// The `n`th (1-based) bind parameter.
fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

async fn add_score<C: ConnectionTrait>(
    db: &C,
    attendee: AttendeeId,
    points: i64,
) -> Result<(), StorageError> {
    if points == 0 {
        return Ok(());
    }
    attendees::Entity::update_many()
        .col_expr(
            attendees::Column::Score,
            Expr::col(attendees::Column::Score).add(points),
        )
        .filter(attendees::Column::Id.eq(attendee.0))
        .exec(db)
        .await
        .map_err(|e| map_err("score", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The award's plan on the bundled SQLite, with the real schema and a whole chunk: one
    /// lookup per voter through `ix_votes_attendee`. Without `+votes.activity_id` it is
    /// "SEARCH votes (activity_id=?)" then "SCAN x": every vote of the quiz times every
    /// voter of the chunk. A plan, not a timing: the same on any machine.
    #[tokio::test]
    async fn awards_look_votes_up_by_attendee() {
        let store = crate::Store::connect("sqlite::memory:")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let db = store.connection();
        // A whole chunk, as a reveal writes it.
        let pairs: Vec<(i64, i64)> = (1..=AWARD_CHUNK as i64).map(|a| (a, 500)).collect();
        let (values, mut params) = values_list(DbBackend::Sqlite, &pairs, 1);
        params.push(7.into());
        let sql = format!("EXPLAIN QUERY PLAN {}", award_votes_sql(&values, "?"));
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                params,
            ))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<String>("", "detail").ok())
            .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("SEARCH votes USING INDEX ix_votes_attendee")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|p| p.starts_with("SCAN votes")),
            "{plan:?}"
        );
    }

    #[test]
    fn chunk_sizes_are_powers_of_two() {
        let cases = [
            (1, 1),
            (2, 2),
            (3, 2),
            (1000, 512),
            (1024, 1024),
            (1025, 1024),
        ];
        for (n, p) in cases {
            assert_eq!(power_of_two_at_most(n), p, "{n}");
        }
    }
}
