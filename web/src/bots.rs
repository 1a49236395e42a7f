//! A meeting's bots and alerts from the dashboard (staff who may control the meeting;
//! docs/api.md, "Bots and alerts"): read and replace the bots (applied live to a running
//! meeting, so turning one off is a `PUT` with its `enabled` changed), and raise a test
//! alert to try the overlays without a live stream.

use librekast_engine::{Action, AlertIn, AlertKind};
use librekast_storage::{Bot, MeetingId, Platform};
use serde::Deserialize;
use serde_json::json;
use warp::Reply;
use warp::http::HeaderMap;
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, engine_error, internal, storage_error};
use crate::principal;

/// `GET /api/meetings/{id}/bots` → `{"bots": […]}`.
pub async fn get_bots(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    match app.engine.store().meeting(meeting).await {
        Ok(Some(m)) => warp::reply::json(&json!({"bots": m.bots})).into_response(),
        Ok(None) => ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BotsBody {
    bots: Vec<Bot>,
}

/// `PUT /api/meetings/{id}/bots` `{"bots": […]}` → `{"bots": […]}`: stored, and taken by
/// the running meeting's bots at once (those that did not change keep their cooldowns and
/// counts). `400 invalid_plan` lists every problem under its `bots[i].field`.
pub async fn put_bots(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body: BotsBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::BadRequest.reply(Some(&format!(
                "send {{\"bots\": [...]}} with bots as in the meeting file (docs/meeting-file.md, \"Bots\"): {e}"
            )));
        }
    };
    if let Err(e) = app
        .engine
        .store()
        .set_meeting_bots(meeting, &body.bots)
        .await
    {
        return storage_error(e);
    }
    if let Some(handle) = app.engine.running(meeting) {
        handle.set_bots(body.bots.clone());
    }
    let by = match &staff {
        librekast_engine::Principal::Staff { username, .. } => username.as_str(),
        _ => "",
    };
    tracing::info!(meeting_id = %meeting, by, bots = body.bots.len(), enabled = body.bots.iter().filter(|b| b.is_enabled()).count(), "bots saved");
    warp::reply::json(&json!({"bots": body.bots})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestAlert {
    kind: String,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    media: Option<String>,
}

/// What a test alert of each kind looks like: what the platform would send.
fn sample(kind: AlertKind, user: Option<String>, media: Option<String>) -> AlertIn {
    let (platform, amount, currency, months, text) = match kind {
        AlertKind::Follow => (Some(Platform::Twitch), None, None, None, ""),
        AlertKind::Sub => (
            Some(Platform::Twitch),
            None,
            None,
            Some(7),
            "Seven months already!",
        ),
        AlertKind::Gift => (Some(Platform::Twitch), Some(5.0), None, None, ""),
        AlertKind::Raid => (Some(Platform::Twitch), Some(42.0), None, None, ""),
        AlertKind::Member => (Some(Platform::Youtube), None, None, Some(1), ""),
        AlertKind::Superchat => (
            Some(Platform::Youtube),
            Some(5.0),
            Some("EUR".to_string()),
            None,
            "Love the quiz!",
        ),
        AlertKind::Revolution => (None, None, None, None, "The chat started a revolution!"),
    };
    AlertIn {
        kind: Some(kind),
        platform,
        user: user.unwrap_or_else(|| match kind {
            AlertKind::Revolution => "!hype".to_string(),
            _ => "Test viewer".to_string(),
        }),
        amount,
        currency,
        months,
        media: media.filter(|m| !m.trim().is_empty()),
        text: text.to_string(),
        test: true,
    }
}

/// `POST /api/meetings/{id}/alerts/test` `{"kind": "follow"}` (optional `user`, `media`)
/// → `{"id"}`: a test alert (`"test": true`) for staff, displays and the alerts overlay.
/// Bots do not thank test alerts in chat.
pub async fn test_alert(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    let body: TestAlert = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::BadRequest
                .reply(Some(&format!("send {{\"kind\": \"follow\"}}: {e}")));
        }
    };
    let Some(kind) = AlertKind::parse(&body.kind) else {
        let kinds: Vec<&str> = AlertKind::ALL.iter().map(|k| k.code()).collect();
        return ApiError::BadRequest.reply(Some(&format!(
            "unknown alert kind {:?}: use one of {}",
            body.kind,
            kinds.join(", ")
        )));
    };
    let handle = match app.engine.meeting(meeting).await {
        Ok(h) => h,
        Err(e) => return engine_error(e),
    };
    match handle.alert(sample(kind, body.user, body.media)) {
        Some(alert) => warp::reply::json(&json!({"id": alert.id})).into_response(),
        None => ApiError::BadRequest.reply(Some("an alert needs a kind")),
    }
}

pub fn routes(app: App) -> warp::filters::BoxedFilter<(Response,)> {
    use warp::Filter;
    let body = || crate::input::json_body(app.config.body_timeout);
    let with_app = || crate::input::with_app(app.clone());
    let get = warp::path!("api" / "meetings" / i64 / "bots")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app())
        .then(get_bots);
    let put = warp::path!("api" / "meetings" / i64 / "bots")
        .and(warp::put())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app())
        .then(put_bots);
    let test = warp::path!("api" / "meetings" / i64 / "alerts" / "test")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(body())
        .and(with_app())
        .then(test_alert);
    get.or(put).unify().or(test).unify().boxed()
}
