//! Staff accounts from the browser (docs/api.md, "Users and sessions"):
//!
//! - `/api/users…`: the users page. Admins list, add, re-role, reset and remove staff
//!   accounts; anyone else gets `403 forbidden`. The last admin is never removed or
//!   demoted (`409 last_admin`).
//! - `/api/me/sessions…`: every staff member sees their own sessions and ends them.
//! - `/api/setup`: whether anyone ever logged in, so the login form can say where the first
//!   admin password is.
//!
//! Whatever ends sessions here also closes their open WebSockets at once (4001 `session
//! revoked`), through [`crate::sessions::Sessions::revoke_stored`]; the rules are those of
//! the CLI (`librekast user …`) and docs/security.md, "Sessions and tokens".

use librekast_engine::{Action, Principal, text};
use librekast_storage::queries::sessions::session_id;
use librekast_storage::queries::users::UserChange;
use librekast_storage::{Role, UserId, rfc3339, token_hash};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::account::MIN_PASSWORD_CHARS;
use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::input::{json_body, with_app};
use crate::principal;
use crate::site::Refused;
use crate::{WebError, auth};

/// Longest user name, in characters (the rule of `librekast user add`).
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest password accepted, in characters (argon2 would take more; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// What the login form says until someone logged in for the first time.
pub const FIRST_RUN_HINT: &str = "The admin password was printed in the server log at first start (search for 'admin password'); or set one with `librekast user passwd admin --password-stdin`.";

/// The routes of this module, boxed: one chain of every route is too deep a type.
pub fn routes(app: App) -> BoxedFilter<(Response,)> {
    let body = || json_body(app.config.body_timeout);
    let list = warp::path!("api" / "users")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(list_users);
    let add = warp::path!("api" / "users")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(add_user);
    let set_role = warp::path!("api" / "users" / String)
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(set_role);
    let remove = warp::path!("api" / "users" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(remove_user);
    let reset = warp::path!("api" / "users" / String / "password")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(reset_password);
    let sessions = warp::path!("api" / "me" / "sessions")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(my_sessions);
    let end_one = warp::path!("api" / "me" / "sessions" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(end_session);
    let end_others = warp::path!("api" / "me" / "sessions")
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(end_other_sessions);
    let setup = warp::path!("api" / "setup")
        .and(warp::get())
        .and(with_app(app))
        .then(setup);
    list.or(add)
        .unify()
        .or(set_role)
        .unify()
        .or(remove)
        .unify()
        .or(reset)
        .unify()
        .or(sessions)
        .unify()
        .or(end_one)
        .unify()
        .or(end_others)
        .unify()
        .or(setup)
        .unify()
        .boxed()
}

/// A user name as the CLI takes it: trimmed, 1 to 64 characters, and already what the
/// shared text rule makes of it (no control or invisible characters, no runs of spaces).
pub fn valid_username(raw: &str) -> Option<&str> {
    let name = raw.trim();
    (text::clean(name, MAX_USERNAME_CHARS).as_deref() == Some(name)).then_some(name)
}

/// Letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A random password meant to be read out and typed: four groups of four, like
/// `k7dm-q2xe-9rfa-hw3p` (31 symbols, 16 of them: about 79 bits).
pub fn generate_password() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..4)
                .map(|_| {
                    char::from(PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())])
                })
                .collect()
        })
        .collect();
    groups.join("-")
}

/// The path segment as text (`%XX` escapes decoded); `None` when it is not UTF-8.
fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = segment.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Answers a handler written with `?`: its error is the refusal to send.
fn answer(result: Result<Response, Response>) -> Response {
    result.unwrap_or_else(|refusal| refusal)
}

/// The admin behind the request: `401` without a staff session, `403` for an organizer.
async fn admin(app: &App, headers: &HeaderMap) -> Result<Principal, Response> {
    principal::staff_may(
        app,
        headers,
        Action::ManageUsers,
        "only admins manage users",
    )
    .await
}

/// The staff member behind the request (id, name) and their token.
async fn staff_with_token(
    app: &App,
    headers: &HeaderMap,
) -> Result<(UserId, String, String), Response> {
    let unauthorized = || ApiError::Unauthorized.reply(Some("log in as staff first"));
    let token = principal::staff_token(headers)
        .map(str::to_owned)
        .ok_or_else(unauthorized)?;
    match principal::staff(app, headers).await? {
        Principal::Staff { user, username, .. } => Ok((user, username, token)),
        _ => Err(unauthorized()),
    }
}

fn name_of(p: &Principal) -> &str {
    match p {
        Principal::Staff { username, .. } => username,
        _ => "",
    }
}

fn user_id_of(p: &Principal) -> Option<UserId> {
    match p {
        Principal::Staff { user, .. } => Some(*user),
        _ => None,
    }
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8], expected: &'static str) -> Result<T, Refused> {
    serde_json::from_slice(body).map_err(|_| Refused(ApiError::BadRequest, expected))
}

fn parse_role(code: &str) -> Result<Role, Refused> {
    Role::from_code(code).ok_or(Refused(
        ApiError::BadRequest,
        "role must be \"admin\" or \"organizer\"",
    ))
}

/// The user named by a path segment; a name no account can have is no such user.
fn target_name(segment: &str) -> Result<String, Refused> {
    decode_segment(segment)
        .as_deref()
        .and_then(valid_username)
        .map(str::to_owned)
        .ok_or(NO_SUCH_USER)
}

/// The password given (checked for length), or a new one.
fn password_or_generated(given: Option<String>) -> Result<String, Refused> {
    match given {
        None => Ok(generate_password()),
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => Err(Refused(
            ApiError::BadRequest,
            "the password needs at least 8 characters",
        )),
        Some(p) if p.chars().count() > MAX_PASSWORD_CHARS => Err(Refused(
            ApiError::BadRequest,
            "the password is over 1024 characters",
        )),
        Some(p) => Ok(p),
    }
}

/// argon2id takes tens of milliseconds of CPU: off the async threads.
async fn hash(password: &str) -> Result<String, Response> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| WebError::Password(e.to_string()))
        .and_then(|r| r)
        .map_err(internal)
}

/// Closes the open sockets of the ended sessions (4001) and says how many ended.
fn close_sockets(app: &App, ended: &[String]) -> usize {
    for stored in ended {
        app.sessions.revoke_stored(stored);
    }
    ended.len()
}

const NO_SUCH_USER: Refused = Refused(ApiError::NotFound, "no such user");
const LAST_ADMIN: Refused = Refused(
    ApiError::LastAdmin,
    "this is the last admin: make another account admin first",
);

/// The sessions a change ended, or why it did not happen.
fn done(change: UserChange) -> Result<Vec<String>, Refused> {
    match change {
        UserChange::Done { ended } => Ok(ended),
        UserChange::NotFound => Err(NO_SUCH_USER),
        UserChange::LastAdmin => Err(LAST_ADMIN),
    }
}

fn json_response(value: &Value) -> Response {
    warp::reply::json(value).into_response()
}

/// `GET /api/users` (admins): `[{"username","role","last_login","sessions"}]` by name.
async fn list_users(headers: HeaderMap, app: App) -> Response {
    answer(
        async {
            admin(&app, &headers).await?;
            let mut list = app
                .engine
                .store()
                .users_overview()
                .await
                .map_err(internal)?;
            // By name as people read it: "ada", "Bob", "zoé" (the database sorts bytes).
            list.sort_by_cached_key(|o| o.user.username.to_lowercase());
            let rows: Vec<Value> = list
                .into_iter()
                .map(|o| {
                    json!({
                        "username": o.user.username,
                        "role": o.user.role.code(),
                        "last_login": o.user.last_login_at.map(rfc3339),
                        "sessions": o.sessions,
                    })
                })
                .collect();
            Ok(json_response(&Value::Array(rows)))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct NewUser {
    username: String,
    role: String,
    password: Option<String>,
}

/// `POST /api/users` (admins) `{"username","role","password"?}` →
/// `201 {"username","role","password"}`; the password is generated when not given, and
/// shown only in this answer.
async fn add_user(headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    answer(
        async {
            let by = admin(&app, &headers).await?;
            let body: NewUser = parse(&body, "expected {\"username\",\"role\",\"password\"?}")
                .map_err(|r| r.reply())?;
            let username = valid_username(&body.username).ok_or_else(|| {
                ApiError::BadRequest.reply(Some(
                    "the user name must be 1 to 64 visible characters, without runs of spaces",
                ))
            })?;
            let role = parse_role(&body.role).map_err(|r| r.reply())?;
            let password = password_or_generated(body.password).map_err(|r| r.reply())?;
            let hashed = hash(&password).await?;
            let created = app
                .engine
                .store()
                .create_user(username, &hashed, role)
                .await
                .map_err(internal)?;
            if created.is_none() {
                return Err(ApiError::Conflict.reply(Some("a staff account has this name already")));
            }
            tracing::info!(
                by = name_of(&by),
                user = username,
                role = role.code(),
                "staff account created"
            );
            let reply = warp::reply::json(
                &json!({"username": username, "role": role.code(), "password": password}),
            );
            Ok(warp::reply::with_status(reply, StatusCode::CREATED).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

/// `PUT /api/users/{username}` (admins) `{"role"}` → `{"username","role","ended"}`.
/// Demoting an admin ends their sessions; the last admin stays one.
async fn set_role(segment: String, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    answer(async {
        let by = admin(&app, &headers).await?;
        let body: RoleBody = parse(&body, "expected {\"role\"}").map_err(|r| r.reply())?;
        let username = target_name(&segment).map_err(|r| r.reply())?;
        let role = parse_role(&body.role).map_err(|r| r.reply())?;
        let change = app
            .engine
            .store()
            .set_role(&username, role)
            .await
            .map_err(internal)?;
        let ended = close_sockets(&app, &done(change).map_err(|r| r.reply())?);
        tracing::info!(by = name_of(&by), user = %username, role = role.code(), ended, "role changed");
        Ok(json_response(
            &json!({"username": username, "role": role.code(), "ended": ended}),
        ))
    }
    .await)
}

#[derive(Deserialize, Default)]
struct PasswordBody {
    password: Option<String>,
}

/// `POST /api/users/{username}/password` (admins) `{"password"?}` →
/// `{"username","password","ended"}`: a new password (generated when not given); every
/// session of that user ends, except the caller's own when they reset themselves.
async fn reset_password(
    segment: String,
    headers: HeaderMap,
    body: bytes::Bytes,
    app: App,
) -> Response {
    answer(async {
        let by = admin(&app, &headers).await?;
        // An empty body counts as `{}`.
        let body: PasswordBody = if body.iter().all(u8::is_ascii_whitespace) {
            PasswordBody::default()
        } else {
            parse(&body, "expected {\"password\"?}").map_err(|r| r.reply())?
        };
        let username = target_name(&segment).map_err(|r| r.reply())?;
        let password = password_or_generated(body.password).map_err(|r| r.reply())?;
        let store = app.engine.store();
        let user = store
            .find_user(&username)
            .await
            .map_err(internal)?
            .ok_or_else(|| NO_SUCH_USER.reply())?;
        let hashed = hash(&password).await?;
        let keep = (user_id_of(&by) == Some(user.id))
            .then(|| principal::staff_token(&headers))
            .flatten();
        let change = store
            .reset_password(user.id, &hashed, keep)
            .await
            .map_err(internal)?;
        let ended = close_sockets(&app, &done(change).map_err(|r| r.reply())?);
        tracing::info!(by = name_of(&by), user = %username, ended, "password reset; sessions ended");
        Ok(json_response(
            &json!({"username": username, "password": password, "ended": ended}),
        ))
    }
    .await)
}

/// `DELETE /api/users/{username}` (admins) → `{"username","ended"}`: the account goes with
/// its sessions; its meetings become admins-only. The last admin stays.
async fn remove_user(segment: String, headers: HeaderMap, app: App) -> Response {
    answer(
        async {
            let by = admin(&app, &headers).await?;
            let username = target_name(&segment).map_err(|r| r.reply())?;
            let change = app
                .engine
                .store()
                .remove_user_checked(&username)
                .await
                .map_err(internal)?;
            let ended = close_sockets(&app, &done(change).map_err(|r| r.reply())?);
            tracing::info!(by = name_of(&by), user = %username, ended, "staff account removed");
            Ok(json_response(
                &json!({"username": username, "ended": ended}),
            ))
        }
        .await,
    )
}

/// `GET /api/me/sessions` (staff): the caller's sessions, the most recently used first:
/// `[{"id","created_at","last_seen_at","current","user_agent"?,"address"?}]`.
async fn my_sessions(headers: HeaderMap, app: App) -> Response {
    answer(
        async {
            let (user, _, token) = staff_with_token(&app, &headers).await?;
            let current = token_hash(&token);
            let list = app
                .engine
                .store()
                .staff_sessions(user)
                .await
                .map_err(internal)?;
            let rows: Vec<Value> = list
                .into_iter()
                .map(|s| {
                    let mut row = json!({
                        "id": s.id,
                        "created_at": rfc3339(s.created_at),
                        "last_seen_at": rfc3339(s.last_seen_at),
                        "current": s.hash == current,
                    });
                    if let Some(ua) = s.user_agent {
                        row["user_agent"] = Value::String(ua);
                    }
                    if let Some(address) = s.address {
                        row["address"] = Value::String(address);
                    }
                    row
                })
                .collect();
            Ok(json_response(&Value::Array(rows)))
        }
        .await,
    )
}

/// `DELETE /api/me/sessions/{id}` (staff): ends one of the caller's sessions →
/// `{"ended":1,"current":bool}`; `404` when the caller has no session of that id.
async fn end_session(id: String, headers: HeaderMap, app: App) -> Response {
    answer(async {
        let (user, username, token) = staff_with_token(&app, &headers).await?;
        let stored = app
            .engine
            .store()
            .end_staff_session(user, &id)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::NotFound.reply(Some("no such session")))?;
        close_sockets(&app, std::slice::from_ref(&stored));
        let current = token_hash(&token) == stored;
        tracing::info!(user = %username, session = session_id(&stored), "staff session ended by its owner");
        Ok(json_response(&json!({"ended": 1, "current": current})))
    }
    .await)
}

/// `DELETE /api/me/sessions` (staff): ends every session of the caller but this one →
/// `{"ended": n}`.
async fn end_other_sessions(headers: HeaderMap, app: App) -> Response {
    answer(
        async {
            let (user, username, token) = staff_with_token(&app, &headers).await?;
            let ended = app
                .engine
                .store()
                .end_other_staff_sessions(user, &token)
                .await
                .map_err(internal)?;
            let ended = close_sockets(&app, &ended);
            tracing::info!(user = %username, ended, "other staff sessions ended by their owner");
            Ok(json_response(&json!({"ended": ended})))
        }
        .await,
    )
}

/// `GET /api/setup` (no login): `{"first_run": true, "hint": …}` until a staff account
/// logged in for the first time, then `{"first_run": false, "hint": null}`.
async fn setup(app: App) -> Response {
    match app.engine.store().anyone_logged_in().await {
        Ok(logged_in) => json_response(&json!({
            "first_run": !logged_in,
            "hint": (!logged_in).then_some(FIRST_RUN_HINT),
        })),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_cli_rule() {
        assert_eq!(valid_username("  olga "), Some("olga"));
        assert_eq!(valid_username("Ada Lovelace"), Some("Ada Lovelace"));
        assert_eq!(valid_username("Ada  Lovelace"), None, "a run of spaces");
        assert_eq!(valid_username(""), None);
        assert_eq!(valid_username("bad\u{202e}name"), None);
        assert_eq!(valid_username(&"x".repeat(65)), None);
        assert!(valid_username(&"é".repeat(64)).is_some());
    }

    #[test]
    fn generated_passwords_are_readable_and_random() {
        let a = generate_password();
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        assert!(
            a.bytes()
                .all(|b| b == b'-' || PASSWORD_ALPHABET.contains(&b))
        );
        assert!(a.chars().count() >= MIN_PASSWORD_CHARS);
        assert_ne!(a, generate_password());
    }

    #[test]
    fn path_segments_are_decoded() {
        assert_eq!(decode_segment("olga").as_deref(), Some("olga"));
        assert_eq!(decode_segment("Ada%20L").as_deref(), Some("Ada L"));
        assert_eq!(decode_segment("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode_segment("100%").as_deref(), Some("100%"));
        assert_eq!(decode_segment("%FF"), None);
    }
}
