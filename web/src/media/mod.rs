//! The media store (docs/api.md, "Media"): every file the app holds (alert and revolution
//! videos, images; image slides later), under ids nobody can guess.
//!
//! - `POST /api/media` (staff): the raw file as the body, at most
//!   `LIBREKAST_MEDIA_MAX_BYTES`; accepted by its content ([`sniff`]), never by its name or
//!   claimed type; `201 {"id","content_type","size","name","url"}`.
//! - `GET /api/media` (staff): every file, the newest first, and the size limit.
//! - `DELETE /api/media/{id}`: an organizer deletes their own uploads, an admin any.
//! - `GET`/`HEAD /media/{id}` (no login: overlays, displays and phones load it; the id is
//!   the secret): the bytes with their stored type, byte ranges ([`range`]) for seeking
//!   video, cached for good (a file never changes under its id), and headers that keep an
//!   uploaded file from ever acting as a page.
//!
//! The bytes live in `{LIBREKAST_DATA_DIR}/media/{id}` ([`files`]); the database holds one
//! row per file. The file is written (and flushed) before its row, and the row deleted
//! before its file, so every listed id has its bytes.

pub mod files;
pub mod images;
pub mod range;
pub mod sniff;

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use librekast_engine::{Principal, text};
use librekast_storage::queries::media::{MediaRecord, NewMedia};
use librekast_storage::{Role, now_micros, rfc3339};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncSeekExt, ReadBuf};
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, HeaderValue, StatusCode, header};
use warp::reply::Response;
use warp::{Buf, Filter, Reply};

use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::input::{percent_decode, with_app};
use crate::principal;
use files::{MediaDir, valid_id};
use range::Ranged;
use sniff::{SNIFF_BYTES, sniff};

pub use crate::site::UPLOAD_PATH;
/// Longest original file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Files are read and sent in chunks of this size.
const CHUNK: usize = 64 * 1024;
/// A file never changes under its id: browsers and proxies may keep it for a year.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// An uploaded file is shown, never run: no scripts, no plugins, no same-origin rights,
/// even when someone opens its address directly.
const MEDIA_CSP: &str =
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

pub fn routes(app: App) -> BoxedFilter<(Response,)> {
    let upload = warp::path!("api" / "media")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::body::stream())
        .and(with_app(app.clone()))
        .then(upload);
    let list = warp::path!("api" / "media")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(list);
    let delete = warp::path!("api" / "media" / String)
        .and(warp::delete())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(delete);
    let get = warp::path!("media" / String)
        .and(
            warp::get()
                .map(|| false)
                .or(warp::head().map(|| true))
                .unify(),
        )
        .and(warp::header::headers_cloned())
        .and(with_app(app))
        .then(serve);
    upload
        .or(list)
        .unify()
        .or(delete)
        .unify()
        .or(get)
        .unify()
        .boxed()
}

fn media_dir(app: &App) -> Option<MediaDir> {
    app.config.data_dir.as_deref().map(MediaDir::new)
}

fn url(id: &str) -> String {
    format!("/media/{id}")
}

fn too_large(app: &App) -> Response {
    let max = app.config.media_max_bytes;
    let body = json!({
        "error": ApiError::MediaTooLarge.code(),
        "message": format!("the file is over {} (LIBREKAST_MEDIA_MAX_BYTES)", human_size(max)),
        "max_bytes": max,
    });
    warp::reply::with_status(warp::reply::json(&body), ApiError::MediaTooLarge.status())
        .into_response()
}

fn unsupported() -> Response {
    ApiError::UnsupportedMedia.reply(Some(
        "not a file the media store accepts: MP4, WebM, GIF, PNG, JPEG or WebP (recognised by content, not by name)",
    ))
}

/// `20 MiB`, `512 KiB`, `100 bytes`: for messages.
fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The name the file had (`X-Filename`, percent-encoded as scripts and the web app send it,
/// or `?name=`): its last path segment, cleaned of control and invisible characters, cut
/// to [`MAX_NAME_CHARS`]. Shown on the dashboard only; it decides nothing.
fn original_name(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    let raw = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .or_else(|| query.get("name").cloned())?;
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(&raw);
    // Refused characters (controls, bidi overrides) are dropped rather than refusing the
    // upload: the name is a label, not something the uploader chose for others to read.
    let spaced = last.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = spaced
        .chars()
        .filter(|c| !text::refused(*c))
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// Why an upload's body was not taken.
enum BodyError {
    TooLarge,
    Unsupported,
    Timeout,
    Unreadable,
    Disk(std::io::Error),
}

/// `POST /api/media`.
async fn upload<S, B>(
    headers: HeaderMap,
    query: HashMap<String, String>,
    body: S,
    app: App,
) -> Response
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Principal::Staff { user, .. } = staff else {
        return ApiError::Unauthorized.reply(Some("log in as staff first"));
    };
    let Some(dir) = media_dir(&app) else {
        return ApiError::NotConfigured.reply(Some(
            "set LIBREKAST_DATA_DIR: the media store keeps its files there",
        ));
    };
    // An honest client says its size: refused before a byte is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.config.media_max_bytes) {
        return too_large(&app);
    }
    let name = original_name(&headers, &query);
    let (upload, format, size) = match receive(body, &dir, &app).await {
        Ok(done) => done,
        Err(BodyError::TooLarge) => return too_large(&app),
        Err(BodyError::Unsupported) => return unsupported(),
        Err(BodyError::Timeout) => {
            return ApiError::Timeout.reply(Some("the file did not arrive in time"));
        }
        Err(BodyError::Unreadable) => {
            return ApiError::BadRequest.reply(Some("the body could not be read"));
        }
        Err(BodyError::Disk(e)) => return internal(format!("media upload: {e}")),
    };
    let id = files::new_id();
    if let Err(e) = upload.finish(&dir.path(&id)).await {
        return internal(format!("media upload: {e}"));
    }
    let content_type = format.content_type();
    let record = NewMedia {
        id: &id,
        content_type,
        size,
        name: name.as_deref(),
        uploaded_by: Some(user),
        created_at: now_micros(),
    };
    if let Err(e) = app.engine.store().insert_media(&record).await {
        if let Err(e) = dir.remove(&id).await {
            tracing::warn!(error = %e, media = %id, "could not remove an unrecorded media file");
        }
        return internal(e);
    }
    tracing::info!(media = %id, content_type, size, by = user.0, "media uploaded");
    let body = json!({
        "id": id,
        "content_type": content_type,
        "size": size,
        "name": name,
        "url": url(&id),
    });
    warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response()
}

/// Reads the body into a temporary file: its first bytes decide whether it is accepted at
/// all (a refused file is never written), the count stops it at the size limit (never more
/// than that is held or written), and it must keep coming: no gap longer than the body
/// timeout, and all of it within the media timeout.
async fn receive<S, B>(
    body: S,
    dir: &MediaDir,
    app: &App,
) -> Result<(files::Upload, sniff::Format, u64), BodyError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let max = app.config.media_max_bytes;
    let gap = app.config.body_timeout;
    let end = Instant::now() + app.config.media_timeout;
    let mut body = std::pin::pin!(body);
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut upload: Option<(files::Upload, sniff::Format)> = None;
    let mut refused = false;
    let mut size: u64 = 0;
    loop {
        let deadline = (Instant::now() + gap).min(end);
        let chunk = match tokio::time::timeout_at(deadline.into(), body.next()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
            Ok(Some(Ok(chunk))) => chunk,
        };
        let mut chunk = chunk;
        while chunk.has_remaining() {
            let part = chunk.chunk();
            let n = part.len();
            size = size.saturating_add(n as u64);
            if size > max {
                return Err(if refused {
                    BodyError::Unsupported
                } else {
                    BodyError::TooLarge
                });
            }
            if refused {
                // Read to the end (within the limit) so the client sees the answer
                // instead of a connection reset in the middle of sending.
            } else if let Some((file, _)) = upload.as_mut() {
                file.write(part).await.map_err(BodyError::Disk)?;
            } else {
                head.extend_from_slice(part);
                if head.len() >= SNIFF_BYTES {
                    match sniff(&head) {
                        None => refused = true,
                        Some(format) => {
                            let mut file = dir.start_upload().await.map_err(BodyError::Disk)?;
                            file.write(&head).await.map_err(BodyError::Disk)?;
                            upload = Some((file, format));
                        }
                    }
                    head = Vec::new();
                }
            }
            chunk.advance(n);
        }
    }
    if refused {
        return Err(BodyError::Unsupported);
    }
    if let Some((file, format)) = upload {
        return Ok((file, format, size));
    }
    // A file shorter than the sniffing window: all of it is in `head`.
    let format = sniff(&head).ok_or(BodyError::Unsupported)?;
    let mut file = dir.start_upload().await.map_err(BodyError::Disk)?;
    file.write(&head).await.map_err(BodyError::Disk)?;
    Ok((file, format, size))
}

/// Who may delete `record`: admins any file; an organizer the files they uploaded.
fn may_delete(principal: &Principal, record: &MediaRecord) -> bool {
    match principal {
        Principal::Staff {
            role: Role::Admin, ..
        } => true,
        Principal::Staff { user, .. } => record.uploaded_by == Some(*user),
        _ => false,
    }
}

/// `GET /api/media`: `{"media": [...], "max_bytes": N}`, the newest first.
async fn list(headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let records = match app.engine.store().list_media().await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let media: Vec<_> = records
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "content_type": m.content_type,
                "size": m.size,
                "name": m.name,
                "uploaded_by": m.uploader,
                "created_at": rfc3339(m.created_at),
                "url": url(&m.id),
                "can_delete": may_delete(&staff, m),
            })
        })
        .collect();
    let body = json!({"media": media, "max_bytes": app.config.media_max_bytes});
    let mut response = warp::reply::json(&body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `DELETE /api/media/{id}`: `204`; `404` unknown, `403` someone else's file for an
/// organizer.
async fn delete(id: String, headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let not_found = || ApiError::NotFound.reply(Some("no such media file"));
    if !valid_id(&id) {
        return not_found();
    }
    let store = app.engine.store();
    let record = match store.media(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    if !may_delete(&staff, &record) {
        return ApiError::Forbidden.reply(Some(
            "an organizer deletes only the files they uploaded; ask an admin",
        ));
    }
    match store.delete_media(&id).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return internal(e),
    }
    // The row is gone, so the id is no longer served; a file left behind is only space.
    if let Some(dir) = media_dir(&app)
        && let Err(e) = dir.remove(&id).await
    {
        tracing::warn!(error = %e, media = %id, "could not remove a deleted media file");
    }
    if let Principal::Staff { user, .. } = &staff {
        tracing::info!(media = %id, by = user.0, "media deleted");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `GET`/`HEAD /media/{id}`.
async fn serve(id: String, head: bool, headers: HeaderMap, app: App) -> Response {
    let not_found = || ApiError::NotFound.reply(Some("no such media file"));
    let Some(dir) = media_dir(&app).filter(|_| valid_id(&id)) else {
        return not_found();
    };
    let record = match app.engine.store().media(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    let mut file = match tokio::fs::File::open(dir.path(&id)).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(media = %id, "a recorded media file is missing from the data directory");
            return not_found();
        }
        Err(e) => return internal(format!("media {id}: {e}")),
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => return internal(format!("media {id}: {e}")),
    };
    let etag = format!("\"{id}\"");
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let mut response = Response::default();
    {
        let h = response.headers_mut();
        let ct = HeaderValue::from_str(&record.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        h.insert(header::CONTENT_TYPE, ct);
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_FOREVER),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(MEDIA_CSP),
        );
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
    }
    if text(header::IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    // A range is for the version the client already holds; ours never changes, but a
    // validator that is not ours means "send everything".
    let range_header =
        text(header::RANGE).filter(|_| text(header::IF_RANGE).is_none_or(|v| v.trim() == etag));
    let (start, count) = match range::parse(range_header, len) {
        Ranged::Full => (0, len),
        Ranged::Part { start, end } => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let value = format!("bytes {start}-{end}/{len}");
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            (start, end - start + 1)
        }
        Ranged::Unsatisfiable => {
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(0u64));
            return response;
        }
    };
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if head || count == 0 {
        return response;
    }
    if start > 0
        && let Err(e) = file.seek(std::io::SeekFrom::Start(start)).await
    {
        return internal(format!("media {id}: {e}"));
    }
    let (parts, _) = response.into_parts();
    let body = warp::reply::stream(FileChunks {
        file,
        left: count,
        buf: vec![0; CHUNK].into_boxed_slice(),
    })
    .into_response()
    .into_body();
    Response::from_parts(parts, body)
}

/// `left` bytes of a file as a stream of chunks, read as the client takes them: a large
/// video is never held in memory.
struct FileChunks {
    file: tokio::fs::File,
    left: u64,
    buf: Box<[u8]>,
}

impl Stream for FileChunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.left == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.left).map_or(this.buf.len(), |l| l.min(this.buf.len()));
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => {
                this.left = 0;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(Ok(())) => {
                let filled = read.filled();
                if filled.is_empty() {
                    // Shorter than when we measured it: end the response as broken rather
                    // than with fewer bytes than its Content-Length promised.
                    this.left = 0;
                    return Poll::Ready(Some(Err(std::io::ErrorKind::UnexpectedEof.into())));
                }
                this.left -= filled.len() as u64;
                Poll::Ready(Some(Ok(Bytes::copy_from_slice(filled))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        let mut h = HeaderMap::new();
        let q = HashMap::new();
        assert_eq!(original_name(&h, &q), None);
        h.insert(
            "x-filename",
            HeaderValue::from_static("C%3A%5Cclips%5Chype%20train.webm"),
        );
        assert_eq!(original_name(&h, &q).as_deref(), Some("hype train.webm"));
        h.insert(
            "x-filename",
            HeaderValue::from_static("..%2F..%2F%E2%80%AEgnp.exe"),
        );
        assert_eq!(original_name(&h, &q).as_deref(), Some("gnp.exe"));
        let q = HashMap::from([("name".to_string(), "a/b/c.png".to_string())]);
        assert_eq!(
            original_name(&HeaderMap::new(), &q).as_deref(),
            Some("c.png")
        );
        let long = HashMap::from([("name".to_string(), "x".repeat(500))]);
        assert_eq!(
            original_name(&HeaderMap::new(), &long).map(|n| n.chars().count()),
            Some(MAX_NAME_CHARS)
        );
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(20 * 1024 * 1024), "20 MiB");
        assert_eq!(human_size(512 * 1024), "512 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
