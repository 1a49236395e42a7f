//! Who is asking, for every route and WebSocket: a session token (cookie, `?token=`, or
//! `Authorization: Bearer`) becomes an engine [`Principal`], and [`authorize`] applies the one
//! permission check, [`Principal::can`], to a meeting.

use librekast_engine::{Action, MeetingRef, Principal};
use librekast_storage::{AttendeeRecord, MeetingAccess, MeetingId, SessionSubject};
use warp::http::{HeaderMap, header};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::auth;

/// A principal and, for a participant, their attendee record (name, platform).
pub struct Caller {
    pub principal: Principal,
    pub attendee: Option<AttendeeRecord>,
}

/// The principal a token stands for, if any.
pub async fn from_token(app: &App, token: &str) -> Result<Option<Caller>, Response> {
    let store = app.engine.store();
    let caller = match store.find_session(token).await.map_err(internal)? {
        None => None,
        Some(SessionSubject::Staff {
            user_id,
            username,
            role,
        }) => Some(Caller {
            principal: Principal::Staff {
                user: user_id,
                username,
                role,
            },
            attendee: None,
        }),
        Some(SessionSubject::Display {
            meeting_id,
            prompter,
        }) => Some(Caller {
            principal: Principal::Display {
                meeting: meeting_id,
                prompter,
            },
            attendee: None,
        }),
        Some(SessionSubject::Participant {
            meeting_id,
            attendee_id,
        }) => store
            .attendee(attendee_id)
            .await
            .map_err(internal)?
            .map(|a| Caller {
                principal: Principal::Participant {
                    meeting: meeting_id,
                    attendee: a.id,
                    name: a.name.clone(),
                    platform: a.platform,
                },
                attendee: Some(a),
            }),
    };
    Ok(caller)
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Authorization: Bearer TOKEN`, for scripts.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header(headers, header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The staff token a request carries: `Authorization: Bearer` first, else the `lk_staff`
/// cookie.
pub fn staff_token(headers: &HeaderMap) -> Option<&str> {
    bearer(headers).or_else(|| {
        header(headers, header::COOKIE).and_then(|c| auth::cookie_value(c, auth::STAFF_COOKIE))
    })
}

/// The staff principal behind the request, or `401 unauthorized`.
pub async fn staff(app: &App, headers: &HeaderMap) -> Result<Principal, Response> {
    let unauthorized = || ApiError::Unauthorized.reply(Some("log in as staff first"));
    let token = staff_token(headers).ok_or_else(unauthorized)?;
    match from_token(app, token).await? {
        Some(Caller {
            principal: p @ Principal::Staff { .. },
            ..
        }) => Ok(p),
        _ => Err(unauthorized()),
    }
}

/// The staff principal behind the request, if it may do `action`, one that concerns no
/// meeting (admins' pages): `401` without a staff session, `403 forbidden` with `refusal`.
pub async fn staff_may(
    app: &App,
    headers: &HeaderMap,
    action: Action,
    refusal: &str,
) -> Result<Principal, Response> {
    let staff = staff(app, headers).await?;
    if staff.can(action, None) {
        Ok(staff)
    } else {
        Err(ApiError::Forbidden.reply(Some(refusal)))
    }
}

/// The staff principal behind the request, if it may do `action` in `meeting`.
pub async fn staff_allowed(
    app: &App,
    headers: &HeaderMap,
    action: Action,
    meeting: MeetingId,
) -> Result<Principal, Response> {
    let staff = staff(app, headers).await?;
    authorize(app, &staff, action, meeting).await?;
    Ok(staff)
}

/// Checks that `principal` may do `action` on the meeting: `404 not_found` when there is no
/// such meeting, `403 forbidden` when the principal may not.
pub async fn authorize(
    app: &App,
    principal: &Principal,
    action: Action,
    meeting: MeetingId,
) -> Result<MeetingAccess, Response> {
    // Participants and displays are bound to one meeting by their session (which the
    // database deletes with the meeting): who owns it changes nothing for them, so the
    // 10,000 connections of a keynote skip the ownership query. Staff rights depend on it.
    let access = match principal {
        Principal::Participant { .. } | Principal::Display { .. } => MeetingAccess::default(),
        Principal::Staff { .. } => app
            .engine
            .store()
            .meeting_access(meeting)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::NotFound.reply(Some("no such meeting")))?,
    };
    let target = MeetingRef {
        id: meeting,
        access: &access,
    };
    if principal.can(action, Some(target)) {
        Ok(access)
    } else {
        Err(ApiError::Forbidden.reply(Some("this account may not do that in this meeting")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            "Bearer abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&h), Some("abc"));
        assert_eq!(staff_token(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            "Basic abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&h), None);
        h.insert(
            header::COOKIE,
            "lk_staff=def".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(staff_token(&h), Some("def"));
    }
}
