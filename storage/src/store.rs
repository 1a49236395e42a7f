//! [`Store`]: the database handle and every query the engine and web layer need.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{OnConflict, Query, SelectStatement};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, IsolationLevel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, MutexGuard};

use crate::entities::{
    activities, attendees, choices, flag_attempts, flag_captures, flags, meetings, sessions, users,
    votes, words,
};
use crate::migrations::Migrator;
use crate::model::*;
use crate::{ActivityFile, ChoiceFile, FlagFile, MeetingFile, StorageError, batch, convert};

const URL_HELP: &str =
    "use sqlite://librekast.db?mode=rwc, sqlite::memory: or postgres://user:pass@host/db";

/// A writer waiting longer than this for another process's SQLite lock gets SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL lets these read while one connection writes; writes from this process queue on
/// [`Store::write_lock`] instead of spinning in SQLite's busy handler.
const SQLITE_FILE_POOL: u32 = 4;

/// `recent_attempts` in [`LoadedMeeting`].
const RECENT_ATTEMPTS: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// SQLite allows one writer at a time; taking this first makes writers of this process
    /// wait in FIFO order rather than in the busy handler's sleep-and-retry loop.
    write_lock: Arc<Mutex<()>>,
}

impl Store {
    /// Connects, applies pending migrations, and for SQLite creates the file if missing and
    /// turns on WAL, foreign keys and a busy timeout. Accepts `sqlite://path?mode=rwc`,
    /// `sqlite::memory:` and `postgres://…`/`postgresql://…`.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        let backend = backend_of(url)?;
        let mut opts = ConnectOptions::new(url);
        // Statement logging at info would log every vote.
        opts.sqlx_logging(false);
        match backend {
            Backend::Sqlite => configure_sqlite(&mut opts, url)?,
            Backend::Postgres => {
                // Parsed here only to report a malformed URL as BadUrl rather than as a
                // connection failure; sqlx's message names the bad part, not the password.
                url.parse::<PgConnectOptions>()
                    .map_err(|e| StorageError::BadUrl(format!("{e}: {URL_HELP}")))?;
            }
        }
        let db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        tracing::debug!(backend = ?backend, "storage connected and migrated");
        Ok(Store {
            db,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    // --- meetings
    /// Validates and inserts a meeting (status before, position 0, every activity pending).
    pub async fn import_meeting(&self, file: &MeetingFile) -> Result<MeetingId, StorageError> {
        file.validate()?;
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = insert_meeting(&txn, file).await;
        finish(txn, result).await
    }
    /// The file that imports back into an identical meeting.
    pub async fn export_meeting(&self, id: MeetingId) -> Result<MeetingFile, StorageError> {
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

    // --- attendees
    /// Finds the attendee keyed by (meeting, platform, platform_user_id) or creates it with
    /// score 0; an existing attendee's name is updated.
    pub async fn upsert_attendee(
        &self,
        meeting: MeetingId,
        name: &str,
        platform: Platform,
        platform_user_id: &str,
    ) -> Result<AttendeeRecord, StorageError> {
        let find = || {
            attendees::Entity::find()
                .filter(attendees::Column::MeetingId.eq(meeting.0))
                .filter(attendees::Column::Platform.eq(platform.code()))
                .filter(attendees::Column::PlatformUserId.eq(platform_user_id))
        };
        // Most calls are for someone already known under the same name: no write needed.
        if let Some(existing) = find().one(&self.db).await?
            && existing.name == name
        {
            return convert::attendee(existing);
        }

        // ON CONFLICT (in upsert_attendees) rather than insert-or-update in two steps: two
        // connections may meet the same new chat user at once.
        let viewer = [(platform_user_id.to_owned(), name.to_owned())];
        self.upsert_attendees(meeting, platform, &viewer)
            .await?
            .pop()
            .ok_or(StorageError::NotFound)
    }

    /// Finds or creates many attendees of one platform at once (chat viewers), in one
    /// transaction; names of known ones are updated. Returns them in no particular order.
    pub async fn upsert_attendees(
        &self,
        meeting: MeetingId,
        platform: Platform,
        viewers: &[(String, String)],
    ) -> Result<Vec<AttendeeRecord>, StorageError> {
        // 7 parameters a row: 500 rows stay far below every backend's parameter limit.
        const CHUNK: usize = 500;
        if viewers.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let now = now_micros();
            let mut out = Vec::with_capacity(viewers.len());
            for chunk in viewers.chunks(CHUNK) {
                let rows = chunk.iter().map(|(user_id, name)| attendees::ActiveModel {
                    id: NotSet,
                    meeting_id: Set(meeting.0),
                    name: Set(name.clone()),
                    platform: Set(platform.code().to_owned()),
                    platform_user_id: Set(user_id.clone()),
                    score: Set(0),
                    created_at: Set(now),
                });
                attendees::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::columns([
                            attendees::Column::MeetingId,
                            attendees::Column::Platform,
                            attendees::Column::PlatformUserId,
                        ])
                        .update_column(attendees::Column::Name)
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| match e.sql_err() {
                        Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
                        _ => map_err("attendees", e),
                    })?;
                let ids = chunk.iter().map(|(user_id, _)| user_id.clone());
                for row in attendees::Entity::find()
                    .filter(attendees::Column::MeetingId.eq(meeting.0))
                    .filter(attendees::Column::Platform.eq(platform.code()))
                    .filter(attendees::Column::PlatformUserId.is_in(ids))
                    .all(&txn)
                    .await?
                {
                    out.push(convert::attendee(row)?);
                }
            }
            Ok(out)
        }
        .await;
        finish(txn, result).await
    }

    pub async fn attendee(&self, id: AttendeeId) -> Result<Option<AttendeeRecord>, StorageError> {
        attendees::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(convert::attendee)
            .transpose()
    }

    // --- staff users and sessions
    /// Creates the user, or replaces the password hash of an existing one.
    pub async fn put_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserId, StorageError> {
        let _guard = self.write_guard().await;
        users::Entity::insert(users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(now_micros()),
        })
        .on_conflict(
            OnConflict::column(users::Column::Username)
                .update_column(users::Column::PasswordHash)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| map_err("user", e))?;
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok(UserId(user.id))
    }
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        Ok(user.map(|u| UserRecord {
            id: UserId(u.id),
            username: u.username,
            password_hash: u.password_hash,
        }))
    }
    pub async fn user_count(&self) -> Result<u64, StorageError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }
    pub async fn create_session(
        &self,
        token: &str,
        subject: &SessionSubject,
    ) -> Result<(), StorageError> {
        // Staff sessions keep only the user id: the username is read at lookup, so a renamed
        // or deleted user is never served from a stale copy.
        let (kind, user_id, meeting_id, attendee_id) = match subject {
            SessionSubject::Staff { user_id, .. } => {
                (sessions::KIND_STAFF, Some(user_id.0), None, None)
            }
            SessionSubject::Participant {
                meeting_id,
                attendee_id,
            } => (
                sessions::KIND_PARTICIPANT,
                None,
                Some(meeting_id.0),
                Some(attendee_id.0),
            ),
        };
        let _guard = self.write_guard().await;
        sessions::Entity::insert(sessions::ActiveModel {
            token: Set(token.to_owned()),
            kind: Set(kind.to_owned()),
            user_id: Set(user_id),
            meeting_id: Set(meeting_id),
            attendee_id: Set(attendee_id),
            created_at: Set(now_micros()),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
            _ => map_err("session", e),
        })?;
        Ok(())
    }
    /// Ends a session (logout). Unknown tokens are fine: the outcome is the same.
    pub async fn delete_session(&self, token: &str) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        sessions::Entity::delete_by_id(token.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }
    pub async fn find_session(&self, token: &str) -> Result<Option<SessionSubject>, StorageError> {
        let Some(session) = sessions::Entity::find_by_id(token.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        match (
            session.kind.as_str(),
            session.user_id,
            session.meeting_id,
            session.attendee_id,
        ) {
            (sessions::KIND_STAFF, Some(user_id), _, _) => {
                let user = users::Entity::find_by_id(user_id).one(&self.db).await?;
                Ok(user.map(|u| SessionSubject::Staff {
                    user_id: UserId(u.id),
                    username: u.username,
                }))
            }
            (sessions::KIND_PARTICIPANT, _, Some(meeting_id), Some(attendee_id)) => {
                Ok(Some(SessionSubject::Participant {
                    meeting_id: MeetingId(meeting_id),
                    attendee_id: AttendeeId(attendee_id),
                }))
            }
            (kind, ..) => Err(convert::corrupt(format!(
                "a session of kind {kind:?} lacks its ids"
            ))),
        }
    }

    // --- writes from meeting actors
    /// Applies every op in one transaction: all or nothing. A unique-index refusal is
    /// `StorageError::Duplicate`.
    pub async fn apply(&self, ops: &[WriteOp]) -> Result<(), StorageError> {
        if ops.is_empty() {
            return Ok(());
        }
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = batch::apply_ops(&txn, ops).await;
        finish(txn, result).await
    }

    async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    async fn begin_write(&self) -> Result<DatabaseTransaction, StorageError> {
        let txn = match self.backend {
            // IMMEDIATE takes the write lock up front (waiting up to the busy timeout). A
            // deferred transaction that reads before writing can instead fail at once with
            // SQLITE_BUSY when another connection committed in between.
            Backend::Sqlite => {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            Backend::Postgres => self.db.begin().await,
        };
        Ok(txn?)
    }

    /// One snapshot for multi-query reads, so a batch committed half-way through cannot show
    /// a vote whose attendee is missing.
    async fn begin_read(&self) -> Result<DatabaseTransaction, StorageError> {
        let txn = match self.backend {
            // A deferred SQLite transaction reads from one WAL snapshot.
            Backend::Sqlite => self.db.begin().await,
            Backend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await
            }
        };
        Ok(txn?)
    }
}

/// A unique-index refusal becomes [`StorageError::Duplicate`] naming what was written.
/// `DbErr::sql_err` reads the SQLSTATE (PostgreSQL 23505) or the extended result code
/// (SQLite 2067 for UNIQUE, 1555 for a primary key).
pub(crate) fn map_err(what: &str, err: DbErr) -> StorageError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => {
            StorageError::Duplicate(format!("{what}: {msg}"))
        }
        _ => StorageError::Database(err),
    }
}

/// Commits on success; on error rolls back and returns the original error.
async fn finish<T>(
    txn: DatabaseTransaction,
    result: Result<T, StorageError>,
) -> Result<T, StorageError> {
    match result {
        Ok(value) => {
            txn.commit().await.map_err(|e| map_err("commit", e))?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                // The first error says what went wrong; a failed rollback only adds noise.
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

fn backend_of(url: &str) -> Result<Backend, StorageError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.trim().is_empty() {
        Err(StorageError::BadUrl(format!(
            "the database URL is empty: {URL_HELP}"
        )))
    } else {
        // Only the scheme is echoed: the rest may hold a password.
        let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
        Err(StorageError::BadUrl(format!(
            "unsupported scheme {scheme:?}: {URL_HELP}"
        )))
    }
}

fn configure_sqlite(opts: &mut ConnectOptions, url: &str) -> Result<(), StorageError> {
    // Parsed here only to report a malformed URL as BadUrl; sea-orm parses it again.
    url.parse::<SqliteConnectOptions>()
        .map_err(|e| StorageError::BadUrl(format!("{e}: {URL_HELP}")))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    // `sqlite:path` without a mode should create the file, like `mode=rwc`; an explicit
    // mode (rw, ro) is respected.
    let create = !url.contains("mode=");

    if in_memory {
        // An in-memory database lives as long as its last connection and is private to it:
        // one connection that is never recycled keeps every caller on the same database.
        opts.min_connections(1)
            .max_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>);
    } else {
        opts.max_connections(SQLITE_FILE_POOL);
    }
    opts.map_sqlx_sqlite_opts(move |o| {
        let o = o.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT);
        let o = if create { o.create_if_missing(true) } else { o };
        if in_memory {
            o
        } else {
            // WAL lets readers run beside the writer. synchronous=FULL fsyncs every commit,
            // so an acknowledged answer survives a power loss too, not only a killed process;
            // the engine's group commit makes that one fsync per batch, not per answer.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
        }
    });
    Ok(())
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
    }
    .insert(db)
    .await
    .map_err(|e| map_err("meeting", e))?;

    for (position, activity) in file.activities.iter().enumerate() {
        let row = activities::ActiveModel {
            id: NotSet,
            meeting_id: Set(meeting.id),
            position: Set(convert::to_i32(position, "activity position")?),
            kind: Set(activity.kind.code().to_owned()),
            title: Set(activity.title.clone()),
            description: Set(activity.description.clone()),
            word_limit: Set(convert::to_i32(activity.word_limit, "word_limit")?),
            state: Set(ActivityState::Pending.code().to_owned()),
        }
        .insert(db)
        .await
        .map_err(|e| map_err("activity", e))?;

        let choice_rows = activity
            .choices
            .iter()
            .enumerate()
            .map(|(position, choice)| {
                Ok(choices::ActiveModel {
                    id: NotSet,
                    activity_id: Set(row.id),
                    position: Set(convert::to_i32(position, "choice position")?),
                    text: Set(choice.text.clone()),
                    slug: Set(choice.slug.clone()),
                    correct: Set(choice.correct),
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        choices::Entity::insert_many(choice_rows)
            .exec_without_returning(db)
            .await
            .map_err(|e| map_err("choice", e))?;
    }

    let flag_rows = file
        .flags
        .iter()
        .enumerate()
        .map(|(position, flag)| {
            Ok(flags::ActiveModel {
                id: NotSet,
                meeting_id: Set(meeting.id),
                name: Set(flag.name.clone()),
                code: Set(flag.code.clone()),
                points: Set(flag.points),
                first_blood: Set(flag.first_blood),
                position: Set(convert::to_i32(position, "flag position")?),
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    flags::Entity::insert_many(flag_rows)
        .exec_without_returning(db)
        .await
        .map_err(|e| map_err("flag", e))?;

    Ok(MeetingId(meeting.id))
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
        let kind = convert::activity_kind(&row)?;
        let word_limit =
            convert::to_u32(row.word_limit, || format!("activity {} word_limit", row.id))?;
        let choices = choices_by_activity
            .remove(&row.id)
            .unwrap_or_default()
            .into_iter()
            .map(|c| ChoiceFile {
                text: c.text,
                slug: c.slug,
                correct: c.correct,
            })
            .collect();
        activities.push(ActivityFile {
            kind,
            title: row.title,
            description: row.description,
            choices,
            word_limit,
        });
    }
    let flags = meeting_flags(db, id)
        .await?
        .into_iter()
        .map(|f| FlagFile {
            name: f.name,
            code: f.code,
            points: f.points,
            first_blood: f.first_blood,
        })
        .collect();
    Ok(MeetingFile {
        title: meeting.title,
        code: meeting.code,
        reward_fastest: meeting.reward_fastest,
        flag_prefix: meeting.flag_prefix,
        activities,
        flags,
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

    let mut choices_by_activity = meeting_choices(db, id).await?;
    let activities = meeting_activities(db, id)
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
        .collect::<Result<Vec<_>, _>>()?;

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

    let flags = meeting_flags(db, id)
        .await?
        .into_iter()
        .map(convert::flag)
        .collect();

    let captures = flag_captures::Entity::find()
        .filter(
            flag_captures::Column::FlagId.in_subquery(
                Query::select()
                    .column(flags::Column::Id)
                    .from(flags::Entity)
                    .and_where(flags::Column::MeetingId.eq(id.0))
                    .to_owned(),
            ),
        )
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
        flags,
        captures,
        recent_attempts,
    })
}

fn activity_ids_of(meeting: MeetingId) -> SelectStatement {
    Query::select()
        .column(activities::Column::Id)
        .from(activities::Entity)
        .and_where(activities::Column::MeetingId.eq(meeting.0))
        .to_owned()
}

async fn meeting_activities<C: ConnectionTrait>(
    db: &C,
    meeting: MeetingId,
) -> Result<Vec<activities::Model>, StorageError> {
    Ok(activities::Entity::find()
        .filter(activities::Column::MeetingId.eq(meeting.0))
        .order_by_asc(activities::Column::Position)
        .all(db)
        .await?)
}

/// Each activity's choices in file order.
async fn meeting_choices<C: ConnectionTrait>(
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

async fn meeting_flags<C: ConnectionTrait>(
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
