//! The meeting editor's API (docs/api.md, "Meetings and their plan"): meetings a staff
//! member may see, create, the plan with its ids (read and replace, what the meeting
//! reached locked), duplicate, reset, delete, sharing, the Markdown preview and GIFT import.
//! Bodies are meeting files (docs/meeting-file.md), up to [`MAX_PLAN_BODY`].

use std::collections::HashMap;

use librekast_engine::{Action, Principal, markup};
use librekast_storage::{
    MeetingFile, MeetingId, MeetingListing, MeetingStatus, Role, StorageError, UserId, parse_gift,
    rfc3339,
};
use serde::Deserialize;
use serde_json::{Value, json};
use warp::Reply;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, engine_error, internal, storage_error};
use crate::input::{json_body_up_to, percent_decode, with_app};
use crate::principal;

/// Largest meeting file, GIFT text or preview accepted.
pub const MAX_PLAN_BODY: u64 = 1024 * 1024;

/// What `?status=` selects.
fn status_filter(status: &str) -> Option<fn(MeetingStatus) -> bool> {
    match status {
        "all" => Some(|_| true),
        "upcoming" => Some(|s| s == MeetingStatus::Before),
        "running" => Some(|s| !matches!(s, MeetingStatus::Before | MeetingStatus::After)),
        "finished" => Some(|s| s == MeetingStatus::After),
        _ => None,
    }
}

/// `GET /api/meetings?status=all|upcoming|running|finished` (staff): the meetings the caller
/// may see (admins: all; organizers: their own and those shared with them), newest first.
pub async fn list(headers: HeaderMap, status: String, app: App) -> Response {
    let Some(keep) = status_filter(&status) else {
        return ApiError::BadRequest
            .reply(Some("status must be all, upcoming, running or finished"));
    };
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (user, admin) = match &staff {
        Principal::Staff { user, role, .. } => (*user, *role == Role::Admin),
        _ => return ApiError::Unauthorized.reply(Some("log in as staff first")),
    };
    let store = app.engine.store();
    let (listing, names) = match tokio::try_join!(store.meeting_listing(), usernames(&app)) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let rows: Vec<Value> = listing
        .into_iter()
        .filter(|m| admin || m.owner == Some(user) || m.shared_with.contains(&user))
        .filter(|m| keep(m.status))
        .map(|m| listing_json(&m, &names, user, admin))
        .collect();
    warp::reply::json(&rows).into_response()
}

async fn usernames(app: &App) -> Result<HashMap<UserId, String>, StorageError> {
    Ok(app
        .engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect())
}

fn listing_json(
    m: &MeetingListing,
    names: &HashMap<UserId, String>,
    user: UserId,
    admin: bool,
) -> Value {
    let name = |u: &UserId| names.get(u).cloned();
    json!({
        "id": m.id,
        "title": m.title,
        "status": m.status.wire(),
        "position": m.position,
        "created_at": rfc3339(m.created_at),
        "owner": m.owner.as_ref().and_then(name),
        "shared_with": m.shared_with.iter().filter_map(name).collect::<Vec<_>>(),
        "activities": m.activities,
        "attendees": m.attendees,
        "can_manage": admin || m.owner == Some(user),
    })
}

/// The `400` for a body that is not a meeting file at all.
fn not_a_meeting_file(e: serde_json::Error) -> Response {
    ApiError::BadRequest.reply(Some(&format!(
        "the body is not a meeting file (docs/meeting-file.md): {e}"
    )))
}

fn user_of(p: &Principal) -> Option<UserId> {
    match p {
        Principal::Staff { user, .. } => Some(*user),
        _ => None,
    }
}

fn name_of(p: &Principal) -> &str {
    match p {
        Principal::Staff { username, .. } => username,
        _ => "",
    }
}

/// `POST /api/meetings` (staff; body: a meeting file) → `201 {"id"}`, owned by the caller.
pub async fn create(headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut file = match serde_json::from_slice::<MeetingFile>(&body) {
        Ok(f) => f.without_ids(),
        Err(e) => return not_a_meeting_file(e),
    };
    file.fill_slugs();
    let mut problems = file.problems();
    problems.extend(crate::media::images::image_problems(app.engine.store(), &file).await);
    if !problems.is_empty() {
        return storage_error(StorageError::InvalidPlan(problems));
    }
    match app
        .engine
        .store()
        .create_meeting(&file, user_of(&staff))
        .await
    {
        Ok(id) => {
            tracing::info!(meeting_id = %id, by = name_of(&staff), "meeting created");
            created(id)
        }
        Err(e) => storage_error(e),
    }
}

fn created(id: MeetingId) -> Response {
    warp::reply::with_status(warp::reply::json(&json!({"id": id})), StatusCode::CREATED)
        .into_response()
}

/// `GET /api/meetings/{id}/plan` (staff who may control it): the meeting file with the ids
/// of its activities, choices and flags.
pub async fn get_plan(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    match app.engine.store().plan(meeting).await {
        Ok(plan) => warp::reply::json(&plan).into_response(),
        Err(e) => storage_error(e),
    }
}

/// `GET /api/meetings/{id}/editing` (staff who may control it): what the editor needs
/// besides the plan: `{"id","title","status","reached","owner","shared_with",
/// "can_manage","captured_flags"}`; the first `reached` activities can no longer be
/// changed, nor the code and points of the flags in `captured_flags` (their ids).
pub async fn editing(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let store = app.engine.store();
    let (record, access, names) = match tokio::try_join!(
        store.meeting(meeting),
        store.meeting_access(meeting),
        usernames(&app)
    ) {
        Ok((Some(r), Some(a), n)) => (r, a, n),
        Ok(_) => return ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => return internal(e),
    };
    let reached = match reached(&app, meeting).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let captured_flags = match store.captured_flags(meeting).await {
        Ok(ids) => ids,
        Err(e) => return internal(e),
    };
    let can_manage = staff.can(
        Action::Manage,
        Some(librekast_engine::MeetingRef {
            id: meeting,
            access: &access,
        }),
    );
    warp::reply::json(&json!({
        "id": meeting,
        "title": record.title,
        "status": record.status.wire(),
        "reached": reached,
        "owner": access.owner.and_then(|u| names.get(&u).cloned()),
        "shared_with": access.shared_with.iter().filter_map(|u| names.get(u).cloned()).collect::<Vec<_>>(),
        "can_manage": can_manage,
        "captured_flags": captured_flags,
    }))
    .into_response()
}

/// How many leading activities the meeting reached: from its actor when it runs (memory is
/// ahead of storage), else from storage.
async fn reached(app: &App, meeting: MeetingId) -> Result<usize, Response> {
    if let Some(handle) = app.engine.running(meeting) {
        return handle.reached().await.map_err(engine_error);
    }
    app.engine
        .store()
        .reached_activities(meeting)
        .await
        .map_err(storage_error)
}

/// `PUT /api/meetings/{id}/plan` (staff who may control it; body: a meeting file with ids):
/// items with an `id` update that item, items without one are new, stored items left out
/// are deleted. The stored plan comes back. A running meeting takes it at once.
pub async fn put_plan(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let file = match serde_json::from_slice::<MeetingFile>(&body) {
        Ok(f) => f,
        Err(e) => return not_a_meeting_file(e),
    };
    let store = app.engine.store();
    let images = crate::media::images::image_problems(store, &file).await;
    if !images.is_empty() {
        return storage_error(StorageError::InvalidPlan(images));
    }
    let before = match store.meeting(meeting).await {
        Ok(Some(m)) => m,
        Ok(None) => return ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => return internal(e),
    };
    let editor = user_of(&staff);
    let result = match app.engine.running(meeting) {
        Some(handle) => match handle.edit_plan(file, editor).await {
            Ok(r) => r,
            Err(e) => return engine_error(e),
        },
        None => {
            let reached = match reached(&app, meeting).await {
                Ok(n) => n,
                Err(r) => return r,
            };
            let result = store.replace_plan(meeting, &file, reached, editor).await;
            // A meeting that started meanwhile loaded the old plan: it takes the new one.
            if result.is_ok()
                && let Some(handle) = app.engine.running(meeting)
            {
                handle.reload_plan();
            }
            result
        }
    };
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => return storage_error(e),
    };
    if let Some(handle) = app.engine.running(meeting) {
        handle.set_code(&plan.code);
        handle.set_title(&plan.title);
        if before.bots != plan.bots {
            handle.set_bots(plan.bots.clone());
        }
        let sources: Vec<_> = before.sources.into_iter().map(|s| s.source).collect();
        if sources != plan.sources || before.chat != plan.chat {
            handle.reload_streams();
        }
    }
    tracing::info!(meeting_id = %meeting, by = name_of(&staff), activities = plan.activities.len(), "plan saved");
    warp::reply::json(&plan).into_response()
}

/// `POST /api/meetings/{id}/duplicate` (staff who may control it) → `201 {"id"}`: a copy of
/// the plan and settings (no attendees, answers or sharing), owned by the caller.
pub async fn duplicate(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let store = app.engine.store();
    let mut file = match store.export_meeting(meeting).await {
        Ok(f) => f,
        Err(e) => return storage_error(e),
    };
    file.title = copy_title(&file.title);
    match store.create_meeting(&file, user_of(&staff)).await {
        Ok(copy) => {
            tracing::info!(meeting_id = %copy, from = %meeting, by = name_of(&staff), "meeting duplicated");
            created(copy)
        }
        Err(e) => storage_error(e),
    }
}

/// "Title (copy)", within the title limit.
fn copy_title(title: &str) -> String {
    const SUFFIX: &str = " (copy)";
    let room = 200 - SUFFIX.chars().count();
    let base: String = title.chars().take(room).collect();
    format!("{}{SUFFIX}", base.trim_end())
}

/// `POST /api/meetings/{id}/reset` (staff who may control it): attendees, answers, scores
/// and chat ids are cleared, the plan stays, the status goes back to `before`. A running
/// meeting stops first (connections close with "try again" and come back to it new).
pub async fn reset(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let _paused = match app.engine.stop_meeting(meeting).await {
        Ok(p) => p,
        Err(e) => return engine_error(e),
    };
    match app.engine.store().reset_meeting(meeting).await {
        Ok(()) => {
            tracing::info!(meeting_id = %meeting, by = name_of(&staff), "meeting reset");
            warp::reply::json(&json!({"id": meeting, "status": "before"})).into_response()
        }
        Err(e) => storage_error(e),
    }
}

/// `DELETE /api/meetings/{id}` (its owner or an admin): the meeting and everything in it.
pub async fn delete(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Manage, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let _paused = match app.engine.stop_meeting(meeting).await {
        Ok(p) => p,
        Err(e) => return engine_error(e),
    };
    match app.engine.store().delete_meeting(meeting).await {
        Ok(()) => {
            tracing::info!(meeting_id = %meeting, by = name_of(&staff), "meeting deleted");
            warp::reply::json(&json!({"deleted": meeting})).into_response()
        }
        Err(e) => storage_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareBody {
    username: String,
}

/// `POST /api/meetings/{id}/staff {"username"}` (owner or admin): shares the meeting with
/// another staff member; `{"shared_with": [...]}`.
pub async fn share(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Manage, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(body) = serde_json::from_slice::<ShareBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"username\"}"));
    };
    let store = app.engine.store();
    let user = match store.find_user(body.username.trim()).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return ApiError::NotFound.reply(Some(&format!(
                "no staff user {:?}: an admin adds them on the users page",
                body.username.trim()
            )));
        }
        Err(e) => return internal(e),
    };
    if let Err(e) = store.share_meeting(meeting, user.id).await {
        return storage_error(e);
    }
    tracing::info!(meeting_id = %meeting, by = name_of(&staff), with = %user.username, "meeting shared");
    shared_with(&app, meeting).await
}

/// `DELETE /api/meetings/{id}/staff/{username}` (owner or admin): stops sharing.
pub async fn unshare(id: i64, username: String, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Manage, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let username = percent_decode(&username);
    let store = app.engine.store();
    let user = match store.find_user(&username).await {
        Ok(Some(u)) => u,
        Ok(None) => return ApiError::NotFound.reply(Some("no such staff user")),
        Err(e) => return internal(e),
    };
    match store.unshare_meeting(meeting, user.id).await {
        Ok(true) => {}
        Ok(false) => {
            return ApiError::NotFound.reply(Some("the meeting is not shared with this user"));
        }
        Err(e) => return storage_error(e),
    }
    tracing::info!(meeting_id = %meeting, by = name_of(&staff), with = %user.username, "meeting no longer shared");
    shared_with(&app, meeting).await
}

async fn shared_with(app: &App, meeting: MeetingId) -> Response {
    let store = app.engine.store();
    let (access, names) = match tokio::try_join!(store.meeting_access(meeting), usernames(app)) {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let Some(access) = access else {
        return ApiError::NotFound.reply(Some("no such meeting"));
    };
    let list: Vec<String> = access
        .shared_with
        .iter()
        .filter_map(|u| names.get(u).cloned())
        .collect();
    warp::reply::json(&json!({"shared_with": list})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    #[serde(default)]
    markup: librekast_storage::Markup,
    text: String,
}

/// `POST /api/markup/preview {"markup","text"}` (staff) → `{"html"}`: a description as every
/// screen will show it (rendered by the server only; raw HTML escaped).
pub async fn preview(headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    if let Err(r) = principal::staff(&app, &headers).await {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<PreviewBody>(&body) else {
        return ApiError::BadRequest.reply(Some(
            "expected {\"markup\": \"text\" | \"markdown\", \"text\"}",
        ));
    };
    let html = match body.markup {
        librekast_storage::Markup::Text => markup::description_html(&body.text),
        librekast_storage::Markup::Markdown => markup::markdown_html(&body.text),
    };
    warp::reply::json(&json!({"html": html})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GiftBody {
    text: String,
}

/// `POST /api/import/gift {"text"}` (staff) → `{"activities": [...], "skipped": [...]}`:
/// questions in Moodle's GIFT format as activities of a meeting file, and what was left out
/// (question types LibreKast has no kind for), each with its line.
pub async fn gift(headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    if let Err(r) = principal::staff(&app, &headers).await {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<GiftBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"text\": \"GIFT questions\"}"));
    };
    match parse_gift(&body.text) {
        Ok(import) => warp::reply::json(&json!({
            "activities": import.activities,
            "skipped": import.skipped.iter().map(|w| json!({"line": w.line, "message": w.message})).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => {
            let body = json!({
                "error": "invalid_gift",
                "line": e.line,
                "message": e.message,
            });
            warp::reply::with_status(warp::reply::json(&body), StatusCode::BAD_REQUEST)
                .into_response()
        }
    }
}

/// The editor's routes, boxed on their own (one chain of every route is too deep a type).
pub fn routes(app: App) -> warp::filters::BoxedFilter<(Response,)> {
    use warp::Filter;
    let body = || json_body_up_to(MAX_PLAN_BODY, app.config.body_timeout);
    let list = warp::path!("api" / "meetings")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app(app.clone()))
        .then(|headers, query: HashMap<String, String>, app| async move {
            match query.get("status") {
                Some(status) => list(headers, status.clone(), app).await,
                None => public_meetings(app).await,
            }
        });
    let create = warp::path!("api" / "meetings")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(create);
    let get_plan = warp::path!("api" / "meetings" / i64 / "plan")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(get_plan);
    let editing = warp::path!("api" / "meetings" / i64 / "editing")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(editing);
    let put_plan = warp::path!("api" / "meetings" / i64 / "plan")
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(put_plan);
    let duplicate = warp::path!("api" / "meetings" / i64 / "duplicate")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(duplicate);
    let reset = warp::path!("api" / "meetings" / i64 / "reset")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(reset);
    let delete = warp::path!("api" / "meetings" / i64)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(delete);
    let share = warp::path!("api" / "meetings" / i64 / "staff")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(json_body_up_to(16 * 1024, app.config.body_timeout))
        .and(with_app(app.clone()))
        .then(share);
    let unshare = warp::path!("api" / "meetings" / i64 / "staff" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(unshare);
    let preview = warp::path!("api" / "markup" / "preview")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(preview);
    let gift = warp::path!("api" / "import" / "gift")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app(app.clone()))
        .then(gift);
    list.or(create)
        .unify()
        .or(get_plan)
        .unify()
        .or(put_plan)
        .unify()
        .or(editing)
        .unify()
        .or(duplicate)
        .unify()
        .or(reset)
        .unify()
        .or(delete)
        .unify()
        .or(share)
        .unify()
        .or(unshare)
        .unify()
        .or(preview)
        .unify()
        .or(gift)
        .unify()
        .boxed()
}

/// `GET /api/meetings` without `?status=` (no authentication): what the join page lists.
async fn public_meetings(app: App) -> Response {
    match app.engine.store().list_meetings().await {
        Ok(list) => {
            let rows: Vec<_> = list
                .into_iter()
                .filter(|m| m.status != librekast_storage::MeetingStatus::After)
                .map(|m| json!({"id": m.id, "title": m.title, "status": m.status.wire()}))
                .collect();
            warp::reply::json(&rows).into_response()
        }
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_the_title_limit() {
        assert_eq!(copy_title("Quiz"), "Quiz (copy)");
        assert_eq!(copy_title(&"x".repeat(200)).chars().count(), 200);
    }
}
