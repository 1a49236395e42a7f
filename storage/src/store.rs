//! [`Store`]: the database handle and every query the engine and web layer need.

use sea_orm::DatabaseConnection;

use crate::model::*;
use crate::{MeetingFile, StorageError};

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
}

impl Store {
    /// Connects, applies pending migrations, and for SQLite creates the file if missing and
    /// turns on WAL, foreign keys and a busy timeout. Accepts `sqlite://path?mode=rwc`,
    /// `sqlite::memory:` and `postgres://…`/`postgresql://…`.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        todo!()
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
        todo!()
    }
    /// The file that imports back into an identical meeting.
    pub async fn export_meeting(&self, id: MeetingId) -> Result<MeetingFile, StorageError> {
        todo!()
    }
    pub async fn meeting(&self, id: MeetingId) -> Result<Option<MeetingRecord>, StorageError> {
        todo!()
    }
    pub async fn meeting_count(&self) -> Result<u64, StorageError> {
        todo!()
    }
    /// Newest first.
    pub async fn list_meetings(&self) -> Result<Vec<MeetingSummary>, StorageError> {
        todo!()
    }
    /// Meetings a restarted server must resume: status waiting, ongoing, results or scoreboard.
    pub async fn running_meeting_ids(&self) -> Result<Vec<MeetingId>, StorageError> {
        todo!()
    }
    pub async fn load_meeting(&self, id: MeetingId) -> Result<LoadedMeeting, StorageError> {
        todo!()
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
        todo!()
    }

    pub async fn attendee(&self, id: AttendeeId) -> Result<Option<AttendeeRecord>, StorageError> {
        todo!()
    }

    // --- staff users and sessions
    /// Creates the user, or replaces the password hash of an existing one.
    pub async fn put_user(&self, username: &str, password_hash: &str) -> Result<UserId, StorageError> {
        todo!()
    }
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        todo!()
    }
    pub async fn user_count(&self) -> Result<u64, StorageError> {
        todo!()
    }
    pub async fn create_session(&self, token: &str, subject: &SessionSubject) -> Result<(), StorageError> {
        todo!()
    }
    pub async fn find_session(&self, token: &str) -> Result<Option<SessionSubject>, StorageError> {
        todo!()
    }

    // --- writes from meeting actors
    /// Applies every op in one transaction: all or nothing. A unique-index refusal is
    /// `StorageError::Duplicate`.
    pub async fn apply(&self, ops: &[WriteOp]) -> Result<(), StorageError> {
        todo!()
    }
}
