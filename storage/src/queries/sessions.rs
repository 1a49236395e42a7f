//! Sessions: the tokens of staff, participants and display links. Only a token's SHA-256 is
//! stored ([`crate::token_hash`]): a copy of the database opens no session. A staff session
//! ends after its idle or absolute limit ([`SessionLimits`]), a participant session
//! [`PARTICIPANT_GRACE`] after its meeting ended (its `expires_at`, written when the meeting
//! ends), a display link when revoked. Checking any of them is one lookup by primary key.
//!
//! A staff member sees their own sessions ([`Store::staff_sessions`], with where each was
//! opened: [`SessionDetails`]) and ends them one by one or all but the current one. A
//! session is named there by [`session_id`], a prefix of its stored hash: never the token.

use std::collections::HashSet;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr};

use crate::entities::{session_details, sessions, users};
use crate::model::*;
use crate::store::{Store, map_err};
use crate::tokens::token_hash;
use crate::{StorageError, convert};

/// Where a staff session was opened, as the login saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDetails {
    /// The browser's `User-Agent` (cut to [`MAX_USER_AGENT`] characters).
    pub user_agent: Option<String>,
    /// The client address.
    pub address: Option<String>,
}

/// One of a staff member's sessions, as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    /// [`session_id`]: names the session in the API without giving it away.
    pub id: String,
    /// The stored hash (for closing the session's sockets); never sent.
    pub hash: String,
    pub created_at: Micros,
    pub last_seen_at: Micros,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

/// Longest `User-Agent` kept, in characters.
pub const MAX_USER_AGENT: usize = 256;
/// Length of a [`session_id`], in hex digits.
pub const SESSION_ID_CHARS: usize = 16;

/// The public name of a session: the first 16 hex digits of its stored hash, itself the
/// SHA-256 of the token. It cannot be turned back into the token, and 64 bits tell one
/// user's sessions apart.
pub fn session_id(stored_hash: &str) -> &str {
    stored_hash.get(..SESSION_ID_CHARS).unwrap_or(stored_hash)
}

fn cut_user_agent(ua: &str) -> String {
    ua.chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT)
        .collect()
}

impl Store {
    pub async fn create_session(
        &self,
        token: &str,
        subject: &SessionSubject,
    ) -> Result<(), StorageError> {
        self.create_session_with(token, subject, None).await
    }

    /// [`Store::create_session`], remembering where a staff session was opened (a login
    /// from the web app): one more row, written in the same transaction.
    pub async fn create_session_with(
        &self,
        token: &str,
        subject: &SessionSubject,
        details: Option<&SessionDetails>,
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
            SessionSubject::Display {
                meeting_id,
                prompter,
            } => {
                let kind = if *prompter {
                    sessions::KIND_PROMPTER
                } else {
                    sessions::KIND_DISPLAY
                };
                (kind, None, Some(meeting_id.0), None)
            }
        };
        let now = now_micros();
        let hash = token_hash(token);
        let row = sessions::ActiveModel {
            token: Set(hash.clone()),
            kind: Set(kind.to_owned()),
            user_id: Set(user_id),
            meeting_id: Set(meeting_id),
            attendee_id: Set(attendee_id),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(None),
        };
        let refused = |e: sea_orm::DbErr| match e.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
            _ => map_err("session", e),
        };
        let _guard = self.write_guard().await;
        let Some(details) = details.filter(|d| d.user_agent.is_some() || d.address.is_some())
        else {
            sessions::Entity::insert(row)
                .exec_without_returning(&self.db)
                .await
                .map_err(refused)?;
            return Ok(());
        };
        let txn = self.begin_write().await?;
        let result = async {
            sessions::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .map_err(refused)?;
            session_details::Entity::insert(session_details::ActiveModel {
                token: Set(hash),
                user_agent: Set(details.user_agent.as_deref().map(cut_user_agent)),
                address: Set(details.address.clone()),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(|e| map_err("session details", e))?;
            Ok(())
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// The user's staff sessions still valid, the most recently used first.
    pub async fn staff_sessions(&self, user: UserId) -> Result<Vec<StaffSession>, StorageError> {
        let now = now_micros();
        let rows: Vec<_> = sessions::Entity::find()
            .filter(sessions::Column::Kind.eq(sessions::KIND_STAFF))
            .filter(sessions::Column::UserId.eq(user.0))
            .order_by_desc(sessions::Column::LastSeenAt)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|s| self.staff_session_valid(s, now))
            .collect();
        let mut details: std::collections::HashMap<String, session_details::Model> =
            std::collections::HashMap::new();
        for chunk in rows.chunks(500) {
            for d in session_details::Entity::find()
                .filter(session_details::Column::Token.is_in(chunk.iter().map(|s| s.token.clone())))
                .all(&self.db)
                .await?
            {
                details.insert(d.token.clone(), d);
            }
        }
        Ok(rows
            .into_iter()
            .map(|s| {
                let d = details.remove(&s.token);
                StaffSession {
                    id: session_id(&s.token).to_owned(),
                    hash: s.token,
                    created_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                    user_agent: d.as_ref().and_then(|d| d.user_agent.clone()),
                    address: d.and_then(|d| d.address),
                }
            })
            .collect())
    }

    /// Ends the user's staff session named `id` ([`session_id`]); its stored hash (to close
    /// its sockets), or `None` when the user has no such session.
    pub async fn end_staff_session(
        &self,
        user: UserId,
        id: &str,
    ) -> Result<Option<String>, StorageError> {
        if id.len() != SESSION_ID_CHARS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let _guard = self.write_guard().await;
        let hash = sessions::Entity::find()
            .filter(sessions::Column::Kind.eq(sessions::KIND_STAFF))
            .filter(sessions::Column::UserId.eq(user.0))
            .filter(sessions::Column::Token.starts_with(id.to_ascii_lowercase()))
            .one(&self.db)
            .await?
            .map(|s| s.token);
        if let Some(hash) = &hash {
            sessions::Entity::delete_by_id(hash.clone())
                .exec(&self.db)
                .await?;
        }
        Ok(hash)
    }

    /// Ends every staff session of the user but the one of `keep` (the caller's own); the
    /// stored hashes of those ended.
    pub async fn end_other_staff_sessions(
        &self,
        user: UserId,
        keep: &str,
    ) -> Result<Vec<String>, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let ended = sessions::Entity::find()
                .filter(sessions::Column::Kind.eq(sessions::KIND_STAFF))
                .filter(sessions::Column::UserId.eq(user.0))
                .filter(sessions::Column::Token.ne(token_hash(keep)))
                .all(&txn)
                .await?
                .into_iter()
                .map(|s| s.token)
                .collect::<Vec<_>>();
            if !ended.is_empty() {
                sessions::Entity::delete_many()
                    .filter(sessions::Column::Token.is_in(ended.iter().cloned()))
                    .exec(&txn)
                    .await?;
            }
            Ok(ended)
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// Ends a session (logout). Unknown tokens are fine: the outcome is the same.
    pub async fn delete_session(&self, token: &str) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        sessions::Entity::delete_by_id(token_hash(token))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Revokes every display link of a meeting; returns how many there were.
    pub async fn delete_display_sessions(&self, meeting: MeetingId) -> Result<u64, StorageError> {
        let _guard = self.write_guard().await;
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::Kind.is_in([sessions::KIND_DISPLAY, sessions::KIND_PROMPTER]))
            .filter(sessions::Column::MeetingId.eq(meeting.0))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }

    /// Who a token stands for, if its session is still valid; use refreshes a staff
    /// session's idle limit (written at most once per [`TOUCH_EVERY`]).
    pub async fn find_session(&self, token: &str) -> Result<Option<SessionSubject>, StorageError> {
        let hash = token_hash(token);
        let Some(session) = sessions::Entity::find_by_id(hash.clone())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now = now_micros();
        match (
            session.kind.as_str(),
            session.user_id,
            session.meeting_id,
            session.attendee_id,
        ) {
            (sessions::KIND_STAFF, Some(user_id), _, _) => {
                if !self.staff_session_valid(&session, now) {
                    self.delete_session_hash(&hash).await?;
                    return Ok(None);
                }
                if now - session.last_seen_at >= TOUCH_EVERY {
                    self.touch_sessions(std::slice::from_ref(&hash), now)
                        .await?;
                }
                let user = users::Entity::find_by_id(user_id).one(&self.db).await?;
                let user = user.map(super::users::user_record).transpose()?;
                Ok(user.map(|u| SessionSubject::Staff {
                    user_id: u.id,
                    username: u.username,
                    role: u.role,
                }))
            }
            (kind @ (sessions::KIND_DISPLAY | sessions::KIND_PROMPTER), _, Some(meeting_id), _) => {
                Ok(Some(SessionSubject::Display {
                    meeting_id: MeetingId(meeting_id),
                    prompter: kind == sessions::KIND_PROMPTER,
                }))
            }
            (sessions::KIND_PARTICIPANT, _, Some(meeting_id), Some(attendee_id)) => {
                if session.expires_at.is_some_and(|at| now > at) {
                    return Ok(None);
                }
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

    /// Of these token hashes (open staff connections), the ones whose session is still
    /// valid; those are refreshed (an open dashboard is use), the others deleted.
    pub async fn live_staff_sessions(
        &self,
        hashes: &[String],
    ) -> Result<HashSet<String>, StorageError> {
        let mut live = HashSet::new();
        if hashes.is_empty() {
            return Ok(live);
        }
        let now = now_micros();
        let mut stale_touch = Vec::new();
        let mut expired = Vec::new();
        for chunk in hashes.chunks(500) {
            let rows = sessions::Entity::find()
                .filter(sessions::Column::Token.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?;
            for s in rows {
                if s.kind != sessions::KIND_STAFF {
                    live.insert(s.token);
                } else if self.staff_session_valid(&s, now) {
                    if now - s.last_seen_at >= TOUCH_EVERY {
                        stale_touch.push(s.token.clone());
                    }
                    live.insert(s.token);
                } else {
                    expired.push(s.token);
                }
            }
        }
        if !stale_touch.is_empty() {
            self.touch_sessions(&stale_touch, now).await?;
        }
        for hash in expired {
            self.delete_session_hash(&hash).await?;
        }
        Ok(live)
    }

    /// The hash a connection registers under (the same as stored).
    pub fn session_key(token: &str) -> String {
        token_hash(token)
    }

    fn staff_session_valid(&self, s: &sessions::Model, now: Micros) -> bool {
        let limits = self.session_limits();
        now - s.created_at <= limits.staff_max && now - s.last_seen_at <= limits.staff_idle
    }

    async fn touch_sessions(&self, hashes: &[String], now: Micros) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
            .filter(sessions::Column::Token.is_in(hashes.iter().cloned()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn delete_session_hash(&self, hash: &str) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        sessions::Entity::delete_by_id(hash.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Test seam: ages a session as if it had been created `created_ago` and last used
    /// `seen_ago` microseconds ago.
    #[doc(hidden)]
    pub async fn age_session(
        &self,
        token: &str,
        created_ago: Micros,
        seen_ago: Micros,
    ) -> Result<(), StorageError> {
        let now = now_micros();
        let _guard = self.write_guard().await;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::CreatedAt, Expr::value(now - created_ago))
            .col_expr(sessions::Column::LastSeenAt, Expr::value(now - seen_ago))
            .filter(sessions::Column::Token.eq(token_hash(token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
