//! This server's own address, and who may ride its cookies.
//!
//! - [`check`]: run on every request before the routes (by the accept loop): under `/api/`
//!   and `/ws/`, a request whose credential is a cookie, or that sets or clears one (join,
//!   login, logout), must come from our own origin, `LIBREKAST_PUBLIC_URL`'s or one in
//!   `LIBREKAST_ALLOWED_ORIGINS` (no `Origin`: a script, allowed); a JSON body must say
//!   `application/json` (an HTML form cannot), a media upload any type but a form's.
//! - [`base_url`]: `scheme://host` for links and QR codes, from `LIBREKAST_PUBLIC_URL` or the
//!   request (`X-Forwarded-Host`/`-Proto` only from a trusted proxy; `LIBREKAST_ALLOWED_HOSTS`
//!   when set).

use warp::http::{HeaderMap, Method, header};

use crate::api_error::ApiError;
use crate::app::App;
use crate::auth;
use crate::config::normalize_origin;
use crate::net::Remote;
use crate::principal;

/// The media upload route: its body is the raw file, not JSON. Named
/// here, where the body rule lives, so this guard depends on no handler module.
pub const UPLOAD_PATH: &str = "/api/media";

/// A refusal before or inside the routes (answered by the routes' `recover`, or directly by
/// the accept loop).
#[derive(Debug)]
pub struct Refused(pub ApiError, pub &'static str);

impl warp::reject::Reject for Refused {}

impl Refused {
    pub fn reply(&self) -> warp::reply::Response {
        self.0.reply(Some(self.1))
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A host name with an optional port, nothing else (it ends up in links and QR codes).
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

/// The host the client asked for: `X-Forwarded-Host` from a trusted proxy, else `Host`.
fn requested_host<'a>(headers: &'a HeaderMap, remote: &Remote) -> Option<&'a str> {
    let forwarded = remote
        .via_proxy
        .then(|| text(headers, "x-forwarded-host"))
        .flatten()
        .and_then(|h| h.split(',').next())
        .map(str::trim);
    forwarded
        .or_else(|| text(headers, header::HOST.as_str()))
        .filter(|h| valid_host(h))
}

fn host_allowed(app: &App, host: &str) -> bool {
    match &app.config.allowed_hosts {
        None => true,
        Some(list) => list.iter().any(|h| h.eq_ignore_ascii_case(host)),
    }
}

/// `scheme://host` browsers should open, or `None` when the request's host is unusable or
/// not allowed (then `LIBREKAST_PUBLIC_URL` is the fix).
pub fn base_url(app: &App, headers: &HeaderMap, remote: &Remote) -> Option<String> {
    if let Some(u) = app.public_url() {
        return Some(u.to_string());
    }
    let host = requested_host(headers, remote)?;
    host_allowed(app, host).then(|| {
        let scheme = if remote.https { "https" } else { "http" };
        format!("{scheme}://{}", host.to_ascii_lowercase())
    })
}

/// `host[:port]` of an origin with the scheme's default port dropped.
fn authority(origin: &str) -> Option<&str> {
    origin.split_once("://").map(|(_, rest)| rest)
}

/// Whether `origin` (the request's `Origin` header) may use this server's cookies.
pub fn origin_allowed(app: &App, headers: &HeaderMap, remote: &Remote, origin: &str) -> bool {
    let Some(origin) = normalize_origin(origin) else {
        return false; // "null" (sandboxed frames, file://) and junk
    };
    if app.config.allowed_origins.contains(&origin) {
        return true;
    }
    if let Some(public) = app.public_url().and_then(normalize_origin)
        && public == origin
    {
        return true;
    }
    // Our own origin. Behind a proxy we do not trust we cannot know the scheme the browser
    // used, so host and port must match; a page on another port is another origin.
    let Some(host) = requested_host(headers, remote) else {
        return false;
    };
    let scheme = if remote.https { "https" } else { "http" };
    let own = normalize_origin(&format!("{scheme}://{host}"));
    if remote.via_proxy {
        own.as_deref() == Some(origin.as_str())
    } else {
        let own = own.as_deref().and_then(authority);
        own.is_some() && own == authority(&origin)
    }
}

/// Join, login and logout set or clear a cookie: a cross-site page must not make them.
fn sets_cookie(path: &str) -> bool {
    path == "/api/login"
        || path == "/api/logout"
        || (path.starts_with("/api/meetings/") && path.ends_with("/join"))
}

/// Whether the request's credential would be a cookie: no bearer token, no `?token=`, and
/// one of our cookies present.
fn cookie_is_credential(headers: &HeaderMap, query: &str) -> bool {
    if principal::bearer(headers).is_some() || query.split('&').any(|p| p.starts_with("token=")) {
        return false;
    }
    text(headers, header::COOKIE.as_str()).is_some_and(|c| {
        auth::cookie_value(c, auth::STAFF_COOKIE).is_some()
            || auth::cookie_value(c, auth::PARTICIPANT_COOKIE).is_some()
    })
}

/// The body types a cross-site page can send without the browser asking us first (CORS's
/// "simple" content types).
fn form_type(essence: &str) -> bool {
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
    ]
    .iter()
    .any(|t| essence.eq_ignore_ascii_case(t))
}

/// The cross-site rules of the module, for one request; read straight from the request
/// (nothing copied) before it reaches the routes.
pub fn check(
    app: &App,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    remote: &Remote,
) -> Result<(), Refused> {
    if !(path.starts_with("/api/") || path.starts_with("/ws/")) {
        return Ok(());
    }
    if let Some(origin) = text(headers, header::ORIGIN.as_str())
        && (sets_cookie(path) || cookie_is_credential(headers, query))
        && !origin_allowed(app, headers, remote, origin)
    {
        tracing::info!(origin, path, "cross-site request refused");
        return Err(Refused(
            ApiError::ForbiddenOrigin,
            "requests from another site's page may not use this server's session",
        ));
    }
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || text(headers, header::CONTENT_LENGTH.as_str()).is_some_and(|l| l.trim() != "0");
    if *method != Method::GET && has_body {
        let essence = text(headers, header::CONTENT_TYPE.as_str())
            .and_then(|t| t.split(';').next())
            .map(str::trim);
        if path == UPLOAD_PATH {
            // A media upload is the raw file, so it cannot be JSON; it still may not be a
            // type an HTML form (or a fetch without preflight) can send.
            if essence.is_none_or(form_type) {
                return Err(Refused(
                    ApiError::UnsupportedMediaType,
                    "send the file as the body with its own Content-Type (or application/octet-stream), not as a form",
                ));
            }
            return Ok(());
        }
        let json = essence.is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Refused(
                ApiError::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            ));
        }
    }
    Ok(())
}
