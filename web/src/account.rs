//! Sessions and links: the staff session (`/api/me`, logout), a participant's seat in a
//! meeting, the meeting's invitation (join link with its code, and the QR code the presenter
//! screen shows) and its display links (a presenter screen or OBS source without a login).

use std::collections::HashMap;
use std::net::SocketAddr;

use librekast_engine::{Action, Event, Principal};
use librekast_storage::{MeetingId, SessionSubject};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde_json::json;
use warp::Reply;

use warp::http::{HeaderMap, header};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::net::Remote;
use crate::principal::{self, Caller};
use crate::{auth, site};

/// `GET /api/me`: `{"username","role"}` for a staff session (cookie or bearer token), else
/// `401 unauthorized`.
pub async fn me(headers: HeaderMap, app: App) -> Response {
    match principal::staff(&app, &headers).await {
        Ok(Principal::Staff { username, role, .. }) => {
            warp::reply::json(&json!({"username": username, "role": role.code()})).into_response()
        }
        Ok(_) => ApiError::Unauthorized.reply(Some("log in as staff first")),
        Err(r) => r,
    }
}

/// `GET /api/meetings/{id}/seat`: the participant behind the `lk_participant` cookie, if it
/// belongs to this meeting (`{"attendee_id","name"}`), else `401 unauthorized`. Pages use it
/// to tell "not joined" from "server restarting" when a WebSocket is refused.
pub async fn seat(id: i64, cookie: Option<String>, app: App) -> Response {
    let token = cookie
        .as_deref()
        .and_then(|c| auth::cookie_value(c, auth::PARTICIPANT_COOKIE));
    let caller = match token {
        Some(t) => match principal::from_token(&app, t).await {
            Ok(c) => c,
            Err(r) => return r,
        },
        None => None,
    };
    let Some(Caller {
        principal: p @ Principal::Participant { .. },
        attendee: Some(a),
    }) = caller
    else {
        return not_joined();
    };
    match principal::authorize(&app, &p, Action::Watch, MeetingId(id)).await {
        Ok(_) => warp::reply::json(&json!({"attendee_id": a.id, "name": a.name})).into_response(),
        Err(_) => not_joined(),
    }
}

fn not_joined() -> Response {
    ApiError::Unauthorized.reply(Some("join this meeting first"))
}

/// `POST /api/logout`: ends the staff session (cookie or bearer token, if any), closes its
/// open WebSockets (4001 `session revoked`) and clears its cookie. Always `200`.
pub async fn logout(headers: HeaderMap, remote: Remote, app: App) -> Response {
    if let Some(token) = principal::staff_token(&headers) {
        if let Err(e) = app.engine.store().delete_session(token).await {
            return internal(e);
        }
        app.sessions.revoke(token);
    }
    let reply = warp::reply::json(&json!({}));
    warp::reply::with_header(
        reply,
        header::SET_COOKIE,
        auth::clear_cookie(auth::STAFF_COOKIE, remote.https),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct PasswordBody {
    current: String,
    new: String,
}

/// Shortest new password accepted from the web app.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// `POST /api/me/password` `{"current","new"}`: a staff member changes their own password.
/// Every other session of the account ends (their WebSockets close with 4001); this one
/// stays. `{"ended": n}`.
pub async fn change_password(headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let Ok(body) = serde_json::from_slice::<PasswordBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"current\",\"new\"}"));
    };
    let Some(token) = principal::staff_token(&headers).map(str::to_owned) else {
        return ApiError::Unauthorized.reply(Some("log in as staff first"));
    };
    let user = match principal::staff(&app, &headers).await {
        Ok(Principal::Staff { user, .. }) => user,
        Ok(_) => return ApiError::Unauthorized.reply(Some("log in as staff first")),
        Err(r) => return r,
    };
    if body.new.chars().count() < MIN_PASSWORD_CHARS {
        return ApiError::BadRequest.reply(Some("the new password needs at least 8 characters"));
    }
    let store = app.engine.store();
    let record = match store.user(user).await {
        Ok(Some(u)) => u,
        Ok(None) => return ApiError::Unauthorized.reply(Some("log in as staff first")),
        Err(e) => return internal(e),
    };
    match app
        .passwords
        .verify(body.current, record.password_hash)
        .await
    {
        Some(true) => {}
        Some(false) => {
            return ApiError::WrongCredentials.reply(Some("the current password is wrong"));
        }
        None => return ApiError::Busy.reply(Some("too many password checks at once, try again")),
    }
    let hash = match auth::hash_password(&body.new) {
        Ok(h) => h,
        Err(e) => return internal(e),
    };
    match store.reset_password(user, &hash, Some(&token)).await {
        Ok(librekast_storage::queries::users::UserChange::Done { ended }) => {
            // The other sessions' open sockets close now (4001), not at the next sweep.
            for stored in &ended {
                app.sessions.revoke_stored(stored);
            }
            tracing::info!(user = %record.username, ended = ended.len(), "password changed; other sessions ended");
            warp::reply::json(&json!({"ended": ended.len()})).into_response()
        }
        Ok(_) => ApiError::Unauthorized.reply(Some("log in as staff first")),
        Err(e) => internal(e),
    }
}

/// The join link: the public address, the meeting and its code (the QR code opens the join
/// form filled in).
struct Invitation {
    base: String,
    url: String,
    code: String,
}

/// Staff who may invite to this meeting, or its display link (`?token=`), may read the
/// invitation.
async fn invitation(
    id: i64,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    query: &HashMap<String, String>,
    app: &App,
) -> Result<Invitation, Response> {
    let caller = match query.get("token") {
        Some(token) => match principal::from_token(app, token).await? {
            Some(Caller { principal, .. }) => principal,
            None => return Err(ApiError::Unauthorized.reply(Some("this link is no longer valid"))),
        },
        None => principal::staff(app, headers).await?,
    };
    principal::authorize(app, &caller, Action::Invite, MeetingId(id)).await?;
    let meeting = match app.engine.store().meeting(MeetingId(id)).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(ApiError::NotFound.reply(Some("no such meeting")));
        }
        Err(e) => return Err(internal(e)),
    };
    let base = public_base(headers, peer, app).await?;
    let url = format!(
        "{base}/?meeting={id}&code={}",
        percent_encode(&meeting.code)
    );
    Ok(Invitation {
        base,
        url,
        code: meeting.code,
    })
}

/// The address browsers should open: `LIBREKAST_PUBLIC_URL`, else the request's own, else
/// (a hostile, missing or not allowed `Host`) a `400` to send. Also the flag sheet's links.
pub(crate) async fn public_base(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    app: &App,
) -> Result<String, Response> {
    // Forwarded headers count only from a trusted proxy.
    let remote = app.remote(peer, headers);
    site::base_url(app, headers, &remote).ok_or_else(|| {
        ApiError::BadRequest.reply(Some(
            "no usable Host header (or one not in LIBREKAST_ALLOWED_HOSTS): set LIBREKAST_PUBLIC_URL",
        ))
    })
}

/// `text` as one URL query value (unreserved characters kept, every other byte `%XX`).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /api/meetings/{id}/invite` (staff, or `?token=` a display link of the meeting):
/// `{"base","url","code"}`.
pub async fn invite(
    id: i64,
    headers: HeaderMap,
    query: HashMap<String, String>,
    peer: Option<SocketAddr>,
    app: App,
) -> Response {
    match invitation(id, &headers, peer, &query, &app).await {
        Ok(i) => warp::reply::json(&json!({"base": i.base, "url": i.url, "code": i.code}))
            .into_response(),
        Err(r) => r,
    }
}

/// `GET /api/meetings/{id}/qr.svg` (staff, or a display link): the join link as a QR code.
pub async fn qr_svg(
    id: i64,
    headers: HeaderMap,
    query: HashMap<String, String>,
    peer: Option<SocketAddr>,
    app: App,
) -> Response {
    let invitation = match invitation(id, &headers, peer, &query, &app).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    match qr_code(&invitation.url) {
        Some(svg) => {
            let reply = warp::reply::with_header(svg, header::CONTENT_TYPE, "image/svg+xml");
            let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store");
            reply.into_response()
        }
        None => ApiError::BadRequest.reply(Some("the join link is too long for a QR code")),
    }
}

/// `POST /api/meetings/{id}/display` (staff who may control the meeting): a new read-only
/// display link, `{"token","url"}`; the URL opens the presenter screen with it, no login.
pub async fn create_display(
    id: i64,
    headers: HeaderMap,
    body: bytes::Bytes,
    peer: Option<SocketAddr>,
    app: App,
) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        scope: Option<String>,
    }
    let prompter = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        match serde_json::from_slice::<Body>(&body) {
            Ok(Body { scope: None }) => false,
            Ok(Body { scope: Some(s) }) if s == "display" => false,
            Ok(Body { scope: Some(s) }) if s == "prompter" => true,
            _ => {
                return ApiError::BadRequest.reply(Some(
                    r#"send {"scope": "display"} or {"scope": "prompter"}, or no body"#,
                ));
            }
        }
    };
    let meeting = MeetingId(id);
    let staff =
        match principal::staff_allowed(&app, &headers, Action::ManageDisplays, meeting).await {
            Ok(p) => p,
            Err(r) => return r,
        };
    let base = match public_base(&headers, peer, &app).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = auth::new_token();
    let subject = SessionSubject::Display {
        meeting_id: meeting,
        prompter,
    };
    if let Err(e) = app.engine.store().create_session(&token, &subject).await {
        return internal(e);
    }
    tracing::info!(meeting_id = %meeting, by = ?staff_name(&staff), prompter, "display link created");
    let page = if prompter {
        "overlay/prompter.html"
    } else {
        "present.html"
    };
    let url = format!("{base}/{page}?meeting={id}&token={token}");
    warp::reply::json(&json!({"token": token, "url": url})).into_response()
}

/// `DELETE /api/meetings/{id}/display`: revokes every display link of the meeting; open
/// display connections are closed with 4001. `{"revoked": n}`.
pub async fn revoke_displays(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff =
        match principal::staff_allowed(&app, &headers, Action::ManageDisplays, meeting).await {
            Ok(p) => p,
            Err(r) => return r,
        };
    let revoked = match app.engine.store().delete_display_sessions(meeting).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    if let Some(handle) = app.engine.running(meeting) {
        handle.publish(Event::DisplaysRevoked);
    }
    tracing::info!(meeting_id = %meeting, by = ?staff_name(&staff), revoked, "display links revoked");
    warp::reply::json(&json!({"revoked": revoked})).into_response()
}

fn staff_name(p: &Principal) -> Option<&str> {
    match p {
        Principal::Staff { username, .. } => Some(username),
        _ => None,
    }
}

/// Medium error correction: still scans from the back of a room when the projector washes
/// out a few modules.
pub fn qr_code(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_links() {
        assert_eq!(percent_encode("Pour1nf0"), "Pour1nf0");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn qr_codes_are_svg() {
        let svg = qr_code("http://127.0.0.1:8000/?meeting=1&code=Pour1nf0").unwrap_or_default();
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
