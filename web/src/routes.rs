//! HTTP routes. Every error answer is JSON `{"error": CODE}` (plus a human `message` where it
//! helps); causes from the database are logged, never sent.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;

use librekast_storage::{MeetingId, SessionSubject};
use serde::Deserialize;
use serde_json::json;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::api_error::ApiError;
use crate::app::{App, engine_error, internal};
use crate::input::{clean_name, json_body, remote, with_app};
use crate::net::Remote;
use crate::site::Refused;
use crate::{account, assets, auth, streams, users, ws};

pub fn routes(app: App) -> warp::filters::BoxedFilter<(Response,)> {
    let join = warp::path!("api" / "meetings" / i64 / "join")
        .and(warp::post())
        .and(warp::header::optional::<String>("cookie"))
        .and(remote())
        .and(json_body(app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(join);
    let login = warp::path!("api" / "login")
        .and(warp::post())
        .and(remote())
        .and(warp::header::optional::<String>("user-agent"))
        .and(json_body(app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(login);
    let password = warp::path!("api" / "me" / "password")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(json_body(app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(account::change_password);
    let meeting = warp::path!("api" / "meetings" / i64)
        .and(warp::get())
        .and(with_app(app.clone()))
        .then(meeting_info);
    let me = warp::path!("api" / "me")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(account::me);
    let seat = warp::path!("api" / "meetings" / i64 / "seat")
        .and(warp::get())
        .and(warp::header::optional::<String>("cookie"))
        .and(with_app(app.clone()))
        .then(account::seat);
    let logout = warp::path!("api" / "logout")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(remote())
        .and(with_app(app.clone()))
        .then(account::logout);
    let invite = warp::path!("api" / "meetings" / i64 / "invite")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::ext::optional::<SocketAddr>())
        .and(with_app(app.clone()))
        .then(account::invite);
    let qr = warp::path!("api" / "meetings" / i64 / "qr.svg")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::ext::optional::<SocketAddr>())
        .and(with_app(app.clone()))
        .then(account::qr_svg);
    let create_display = warp::path!("api" / "meetings" / i64 / "display")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        // `{"scope": "prompter"}`, or no body at all (a display link, as before).
        .and(
            json_body(app.config.body_timeout)
                .or(warp::any().map(bytes::Bytes::new))
                .unify(),
        )
        .and(warp::ext::optional::<SocketAddr>())
        .and(with_app(app.clone()))
        .then(account::create_display);
    let revoke_displays = warp::path!("api" / "meetings" / i64 / "display")
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(account::revoke_displays);
    let sources = warp::path!("api" / "meetings" / i64 / "sources")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(streams::get_sources);
    let put_sources = warp::path!("api" / "meetings" / i64 / "sources")
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(json_body(app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(streams::put_sources);
    let post_chat = warp::path!("api" / "meetings" / i64 / "chat")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(json_body(app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(streams::post_chat);
    let accounts = warp::path!("api" / "accounts")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(streams::get_accounts);
    let start_device = warp::path!("api" / "accounts" / "twitch" / "device")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(streams::start_twitch_device);
    let device = warp::path!("api" / "accounts" / "twitch" / "device")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(streams::twitch_device);
    let delete_account = warp::path!("api" / "accounts" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(streams::delete_account);
    let youtube_start = warp::path!("oauth" / "youtube" / "start")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .then(streams::youtube_start);
    let youtube_callback = warp::path!("oauth" / "youtube" / "callback")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .then(streams::youtube_callback);
    // Boxed on their own: one chain of every route is a type too deep for the trait solver.
    let streams_routes = sources
        .or(put_sources)
        .unify()
        .or(post_chat)
        .unify()
        .or(accounts)
        .unify()
        .or(start_device)
        .unify()
        .or(device)
        .unify()
        .or(delete_account)
        .unify()
        .or(youtube_start)
        .unify()
        .or(youtube_callback)
        .unify()
        .boxed();
    let health = warp::path!("healthz")
        .and(warp::get())
        .map(|| warp::reply().into_response());
    let websocket = warp::path!("ws" / "meetings" / i64)
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::ext::optional::<ws::UpgradeSlot>())
        .and(warp::ext::optional::<crate::net::HeldSlot>())
        .and(warp::ext::optional::<SocketAddr>())
        .and(with_app(app.clone()))
        .then(ws::upgrade);
    let static_files = warp::get()
        .and(warp::path::tail())
        .map(|tail: warp::path::Tail| assets::serve(tail.as_str()));
    join.or(login)
        .unify()
        .or(password)
        .unify()
        .or(meeting)
        .unify()
        .or(me)
        .unify()
        .or(seat)
        .unify()
        .or(logout)
        .unify()
        .or(invite)
        .unify()
        .or(qr)
        .unify()
        .or(create_display)
        .unify()
        .or(revoke_displays)
        .unify()
        .or(streams_routes)
        .unify()
        .or(crate::results::routes(app.clone()))
        .unify()
        .or(users::routes(app.clone()))
        .unify()
        .or(crate::operations::routes(app.clone()))
        .unify()
        .or(crate::editor::routes(app.clone()))
        .unify()
        .or(crate::moderation::routes(app.clone()))
        .unify()
        .or(crate::flagsheet::routes(app.clone()))
        .unify()
        .or(crate::bots::routes(app.clone()))
        .unify()
        .or(crate::media::routes(app.clone()))
        .unify()
        .or(health)
        .unify()
        .or(websocket)
        .unify()
        .or(static_files)
        .unify()
        .recover(recover)
        .unify()
        .boxed()
}

async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let response = if let Some(Refused(error, message)) = rejection.find::<Refused>() {
        error.reply(Some(message))
    } else if rejection.is_not_found() {
        ApiError::NotFound.reply(None)
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::BadRequest.reply(Some("Content-Length required"))
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::TooLarge.reply(Some(
            "body too large: 16 KiB at most (meeting files, GIFT text and previews: 1 MiB)",
        ))
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::MethodNotAllowed.reply(Some("method not allowed"))
    } else {
        ApiError::BadRequest.reply(None)
    };
    Ok(response)
}

#[derive(Deserialize)]
struct JoinBody {
    code: String,
    name: String,
}

async fn join(
    id: i64,
    cookie: Option<String>,
    remote: Remote,
    body: bytes::Bytes,
    app: App,
) -> Response {
    let Ok(body) = serde_json::from_slice::<JoinBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"code\",\"name\"}"));
    };
    let now = std::time::Instant::now();
    if let Err(wait) = app.wrong_codes.check(&remote.ip, now) {
        return ApiError::RateLimited.reply_retry(Some("too many wrong join codes, wait"), wait);
    }
    let store = app.engine.store();
    let meeting_id = MeetingId(id);
    // A meeting that is not in memory is looked up first: a wrong id costs one read instead
    // of a place in the start queue.
    if app.engine.running(meeting_id).is_none() {
        match store.meeting(meeting_id).await {
            Ok(Some(_)) => {}
            Ok(None) => return ApiError::NotFound.reply(Some("no such meeting")),
            Err(e) => return internal(e),
        }
    }
    let handle = match app.engine.meeting(meeting_id).await {
        Ok(h) => h,
        Err(e) => return engine_error(e),
    };
    if !handle.code_matches(&body.code) {
        app.wrong_codes.spend(&remote.ip, now);
        return ApiError::WrongCode.reply(Some("wrong join code"));
    }
    let Some(name) = clean_name(&body.name) else {
        return ApiError::BadRequest.reply(Some(
            "the name must be 1 to 40 characters, without control or invisible characters",
        ));
    };
    match handle.name_blocked(&name).await {
        Ok(false) => {}
        Ok(true) => {
            return ApiError::BlockedWord.reply(Some(
                "this name is not allowed in this meeting: choose another one",
            ));
        }
        Err(e) => return engine_error(e),
    }
    // A browser that already joined this meeting keeps its seat (and score).
    let mut kept = None;
    if let Some(token) = cookie
        .as_deref()
        .and_then(|c| auth::cookie_value(c, auth::PARTICIPANT_COOKIE))
        && let Ok(Some(SessionSubject::Participant {
            meeting_id: m,
            attendee_id,
        })) = store.find_session(token).await
        && m == meeting_id
        && let Ok(Some(a)) = store.attendee(attendee_id).await
        && !a.removed
    {
        kept = Some(a);
    }
    let platform_user_id = auth::new_token()[..16].to_string();
    let token = auth::new_token();
    let attendee = match app
        .engine
        .join(&handle, name, kept, platform_user_id, &token)
        .await
    {
        Ok(a) => a,
        Err(e) => return engine_error(e),
    };
    let body = json!({"attendee_id": attendee.id, "token": token, "name": attendee.name, "meeting_id": meeting_id});
    let reply = warp::reply::json(&body);
    warp::reply::with_header(
        reply,
        "set-cookie",
        auth::set_cookie(auth::PARTICIPANT_COOKIE, &token, remote.https),
    )
    .into_response()
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    remote: Remote,
    user_agent: Option<String>,
    body: bytes::Bytes,
    app: App,
) -> Response {
    let Ok(body) = serde_json::from_slice::<LoginBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"username\",\"password\"}"));
    };
    // Throttled by address and by (account, address), checked before any password work:
    // refusals cost nothing, and nobody can lock an account out from elsewhere.
    let username = body.username.trim().to_string();
    let account_key = (username.to_lowercase(), remote.ip);
    let now = std::time::Instant::now();
    let throttled = app
        .login_by_ip
        .check(&remote.ip, now)
        .and_then(|()| app.login_by_account.check(&account_key, now));
    if let Err(wait) = throttled {
        return ApiError::RateLimited.reply_retry(Some("too many failed logins, wait"), wait);
    }
    let Some(_entered) = app.logins_in_flight.enter(&remote.ip) else {
        return ApiError::RateLimited.reply_retry(
            Some("too many logins at once from this address, wait"),
            std::time::Duration::from_secs(1),
        );
    };
    let store = app.engine.store();
    let user = match store.find_user(&username).await {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    // Hash even for an unknown user so timing does not reveal which usernames exist.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let Some(valid) = app.passwords.verify(body.password, hash).await else {
        return ApiError::Busy.reply(Some("too many logins at once, try again"));
    };
    let Some(user) = user.filter(|_| valid) else {
        let now = std::time::Instant::now();
        let by_ip = app.login_by_ip.fail(&remote.ip, now);
        let by_account = app.login_by_account.fail(&account_key, now);
        if by_ip.is_some() || by_account.is_some() {
            tracing::warn!(ip = %remote.ip, user = %username, "failed logins: throttling");
        }
        return ApiError::WrongCredentials.reply(Some("wrong username or password"));
    };
    app.login_by_account.succeed(&account_key);
    let token = auth::new_token();
    let subject = SessionSubject::Staff {
        user_id: user.id,
        username: user.username.clone(),
        role: user.role,
    };
    // Where the session was opened, for the account page's list of sessions.
    let details = librekast_storage::queries::sessions::SessionDetails {
        user_agent,
        address: Some(remote.ip.to_string()),
    };
    if let Err(e) = store
        .create_session_with(&token, &subject, Some(&details))
        .await
    {
        return internal(e);
    }
    if let Err(e) = store.record_login(user.id).await {
        tracing::warn!(error = %e, "could not record the login time");
    }
    let reply = warp::reply::json(
        &json!({"token": token, "username": user.username, "role": user.role.code()}),
    );
    warp::reply::with_header(
        reply,
        "set-cookie",
        auth::set_cookie(auth::STAFF_COOKIE, &token, remote.https),
    )
    .into_response()
}

/// An argon2id hash of a random string, verified against for unknown users.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1hVbRPrWKyyhmBhn4Ncg6TkOM6ZPcX38qzNhbXa6rNM";

async fn meeting_info(id: i64, app: App) -> Response {
    match app.engine.store().meeting(MeetingId(id)).await {
        Ok(Some(m)) => {
            warp::reply::json(&json!({"id": m.id, "title": m.title, "status": m.status.wire()}))
                .into_response()
        }
        Ok(None) => ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(clean_name("  Ada   Lovelace "), Some("Ada Lovelace".into()));
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name(&"x".repeat(41)), None);
        assert!(clean_name(&"é".repeat(40)).is_some());
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(!auth::verify_password("x", DUMMY_HASH));
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
