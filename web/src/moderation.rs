//! Moderation during a meeting (staff who may control it; docs/api.md, "Moderation"): the
//! participant list, rename or remove a participant, hide a word from a cloud, the blocked
//! words. Each call is one command to the meeting's actor: applied, logged, seen on every
//! screen, answered once stored.

use librekast_engine::{AckResult, Action, Command, ErrorCode, Moderation, Principal};
use librekast_storage::{ActivityId, AttendeeId, MeetingFile, MeetingId};
use serde::Deserialize;
use serde_json::json;
use warp::Reply;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, engine_error};
use crate::input::{clean_name, percent_decode};
use crate::principal;

/// The staff member and the running meeting, or the refusal to send.
async fn moderator(
    app: &App,
    headers: &HeaderMap,
    id: i64,
) -> Result<(Principal, std::sync::Arc<librekast_engine::MeetingHandle>), Response> {
    let meeting = MeetingId(id);
    let staff = principal::staff_allowed(app, headers, Action::Control, meeting).await?;
    let handle = app.engine.meeting(meeting).await.map_err(engine_error)?;
    Ok((staff, handle))
}

/// An ack as an HTTP answer.
fn answer(result: AckResult, ok: serde_json::Value) -> Response {
    match result {
        Ok(_) => warp::reply::json(&ok).into_response(),
        Err(code) => {
            let status = match code {
                ErrorCode::NotFound => StatusCode::NOT_FOUND,
                ErrorCode::Removed => StatusCode::GONE,
                ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::BAD_REQUEST,
            };
            let message = match code {
                ErrorCode::NotFound => "no such participant or activity in this meeting",
                ErrorCode::Removed => "this participant was already removed",
                ErrorCode::BlockedWord => "the name holds one of the meeting's blocked words",
                ErrorCode::Unavailable => "the change could not be stored; try again",
                _ => "not possible",
            };
            warp::reply::with_status(
                warp::reply::json(&json!({"error": code.as_str(), "message": message})),
                status,
            )
            .into_response()
        }
    }
}

/// `GET /api/meetings/{id}/participants`: `[{"attendee_id","name","platform","score",
/// "rank","online"}]` in scoreboard order; `online` is `null` for chat viewers (a chat has
/// no connection to watch).
pub async fn list(id: i64, headers: HeaderMap, app: App) -> Response {
    let (_, handle) = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match handle.participants().await {
        Ok(rows) => {
            let rows: Vec<_> = rows
                .into_iter()
                .map(|p| {
                    let online = (p.platform == librekast_storage::Platform::Room)
                        .then(|| handle.is_online(p.attendee_id));
                    json!({
                        "attendee_id": p.attendee_id,
                        "name": p.name,
                        "platform": p.platform,
                        "score": p.score,
                        "rank": p.rank,
                        "online": online,
                    })
                })
                .collect();
            warp::reply::json(&rows).into_response()
        }
        Err(e) => engine_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameBody {
    name: String,
}

/// `PUT /api/meetings/{id}/participants/{attendee_id} {"name"}`: renames a participant
/// (the name rules of joining apply, and the blocked words).
pub async fn rename(
    id: i64,
    attendee: i64,
    headers: HeaderMap,
    body: bytes::Bytes,
    app: App,
) -> Response {
    let (staff, handle) = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<RenameBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"name\"}"));
    };
    let Some(name) = clean_name(&body.name) else {
        return ApiError::BadRequest.reply(Some(
            "the name must be 1 to 40 characters, without control or invisible characters",
        ));
    };
    let command = Command::Moderate(Moderation::Rename {
        attendee: AttendeeId(attendee),
        name: name.clone(),
    });
    answer(
        handle.command(staff, command).await,
        json!({"attendee_id": attendee, "name": name}),
    )
}

/// `DELETE /api/meetings/{id}/participants/{attendee_id}`: removes a participant: off the
/// scoreboard, their answers no longer counted, their connections closed (4003), their
/// session ended (joining again makes a new seat).
pub async fn remove(id: i64, attendee: i64, headers: HeaderMap, app: App) -> Response {
    let (staff, handle) = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let command = Command::Moderate(Moderation::Remove {
        attendee: AttendeeId(attendee),
    });
    answer(
        handle.command(staff, command).await,
        json!({"removed": attendee}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordBody {
    word: String,
}

/// `GET /api/meetings/{id}/activities/{activity_id}/hidden_words` → `{"words": [...]}`.
pub async fn hidden(id: i64, activity: i64, headers: HeaderMap, app: App) -> Response {
    let (_, handle) = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match handle.hidden_words(ActivityId(activity)).await {
        Ok(Some(words)) => warp::reply::json(&json!({"words": words})).into_response(),
        Ok(None) => ApiError::NotFound.reply(Some("no such activity in this meeting")),
        Err(e) => engine_error(e),
    }
}

/// `POST /api/meetings/{id}/activities/{activity_id}/hidden_words {"word"}`: hides a word
/// (and its other spellings) from the activity's cloud on every screen.
pub async fn hide(
    id: i64,
    activity: i64,
    headers: HeaderMap,
    body: bytes::Bytes,
    app: App,
) -> Response {
    // Who asks first: a caller without the right gets 401/403 whatever the body.
    let caller = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<WordBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"word\"}"));
    };
    hide_or_show(caller, activity, body.word, true).await
}

/// `DELETE /api/meetings/{id}/activities/{activity_id}/hidden_words/{word}`: shows it again.
pub async fn show(id: i64, activity: i64, word: String, headers: HeaderMap, app: App) -> Response {
    let caller = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    hide_or_show(caller, activity, percent_decode(&word), false).await
}

async fn hide_or_show(
    (staff, handle): (Principal, std::sync::Arc<librekast_engine::MeetingHandle>),
    activity: i64,
    word: String,
    hide: bool,
) -> Response {
    let command = Command::Moderate(Moderation::HideWord {
        activity: ActivityId(activity),
        word,
        hide,
    });
    let result = handle.command(staff, command).await;
    if result.is_err() {
        return answer(result, json!({}));
    }
    match handle.hidden_words(ActivityId(activity)).await {
        Ok(Some(words)) => warp::reply::json(&json!({"words": words})).into_response(),
        Ok(None) => ApiError::NotFound.reply(Some("no such activity in this meeting")),
        Err(e) => engine_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockedBody {
    words: Vec<String>,
}

/// `PUT /api/meetings/{id}/blocked_words {"words": [...]}`: the meeting's blocked words, for
/// names and words from now on (whole words, case-insensitive).
pub async fn blocked(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let (staff, handle) = match moderator(&app, &headers, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<BlockedBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"words\": [\"…\"]}"));
    };
    let words: Vec<String> = body
        .words
        .iter()
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect();
    // The meeting file's rules, checked on a file holding only these words.
    let probe = MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        title: "x".into(),
        code: "x".into(),
        reward_fastest: false,
        flag_prefix: "x".into(),
        activities: vec![],
        flags: vec![],
        sources: vec![],
        chat: Default::default(),
        blocked_words: words.clone(),
        bots: vec![],
    };
    let problems: Vec<_> = probe
        .problems()
        .into_iter()
        .filter(|p| p.field.starts_with("blocked_words"))
        .collect();
    if !problems.is_empty() {
        return crate::app::storage_error(librekast_storage::StorageError::InvalidPlan(problems));
    }
    let command = Command::Moderate(Moderation::BlockWords {
        words: words.clone(),
    });
    answer(
        handle.command(staff, command).await,
        json!({"words": words}),
    )
}

/// A full list of blocked words (1,000 of 40 characters, quoted) is about 45 KiB.
const BLOCKED_WORDS_BODY: u64 = 64 * 1024;

/// The moderation routes, boxed on their own.
pub fn routes(app: App) -> warp::filters::BoxedFilter<(Response,)> {
    use warp::Filter;
    let body = || crate::input::json_body(app.config.body_timeout);
    let with_app = || crate::input::with_app(app.clone());
    let list = warp::path!("api" / "meetings" / i64 / "participants")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app())
        .then(list);
    let rename = warp::path!("api" / "meetings" / i64 / "participants" / i64)
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app())
        .then(rename);
    let remove = warp::path!("api" / "meetings" / i64 / "participants" / i64)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app())
        .then(remove);
    let hidden = warp::path!("api" / "meetings" / i64 / "activities" / i64 / "hidden_words")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app())
        .then(hidden);
    let hide = warp::path!("api" / "meetings" / i64 / "activities" / i64 / "hidden_words")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app())
        .then(hide);
    let show = warp::path!("api" / "meetings" / i64 / "activities" / i64 / "hidden_words" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app())
        .then(show);
    let blocked = warp::path!("api" / "meetings" / i64 / "blocked_words")
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(crate::input::json_body_up_to(
            BLOCKED_WORDS_BODY,
            app.config.body_timeout,
        ))
        .and(with_app())
        .then(blocked);
    list.or(rename)
        .unify()
        .or(remove)
        .unify()
        .or(hidden)
        .unify()
        .or(hide)
        .unify()
        .or(show)
        .unify()
        .or(blocked)
        .unify()
        .boxed()
}
