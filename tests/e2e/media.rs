//! The media store (`/api/media`, `/media/{id}`): files are accepted by their content, not
//! their name (a renamed executable or script is refused, and never written), within
//! `LIBREKAST_MEDIA_MAX_BYTES` whether the client declares its size or not (nothing stored
//! when refused), within the body timeout; they are served with their type, byte ranges and
//! headers that keep them from acting as pages; only staff upload, list and delete (an
//! organizer their own files), and a cross-site page cannot upload with the cookie.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use librekast_tests::*;
use librekast_web::Config;
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------- fixtures

/// A real 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// A WebM file's EBML header (DocType `webm`) and the start of its segment, padded.
fn webm(len: usize) -> Vec<u8> {
    let mut f = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02\x18\x53\x80\x67".to_vec();
    f.resize(len.max(f.len()), 0xec);
    f
}

/// The same header saying `matroska`: not WebM, refused.
fn matroska() -> Vec<u8> {
    let mut f = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x88matroska\x42\x87\x81\x04\x42\x85\x81\x02\x18\x53\x80\x67".to_vec();
    f.resize(2000, 0);
    f
}

/// An MP4 `ftyp` box (isom, avc1) and padding.
fn mp4(len: usize) -> Vec<u8> {
    let mut f = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41\0\0\0\x08free".to_vec();
    f.resize(len.max(f.len()), 0);
    f
}

/// `len` bytes that start as a PNG (the store looks at the first bytes only).
fn png_of(len: usize) -> Vec<u8> {
    let mut f = PNG.to_vec();
    f.resize(len.max(f.len()), 7);
    // Every byte position distinguishable, for range checks.
    for (i, b) in f.iter_mut().enumerate().skip(PNG.len()) {
        *b = (i % 251) as u8;
    }
    f
}

/// An ELF executable's first bytes, padded past the sniffing window.
fn elf() -> Vec<u8> {
    let mut f = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    f.resize(4096, 0x90);
    f
}

const SCRIPT: &[u8] = b"#!/bin/sh\necho pwned > /tmp/pwned\n";

fn data_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "librekast-media-{tag}-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ))
}

/// A server with its own data directory (so the media folder holds this test's files only).
async fn server(
    tag: &str,
    database_url: String,
    max_bytes: Option<u64>,
) -> anyhow::Result<(TestServer, PathBuf)> {
    let dir = data_dir(tag);
    let mut config =
        Config::for_tests(&database_url).with_data_dir(Some(&dir.to_string_lossy()))?;
    if let Some(max) = max_bytes {
        config = config.with_media_max_bytes(max)?;
    }
    Ok((TestServer::start_with(config).await?, dir))
}

/// The files in the media folder, temporary ones included.
fn stored_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("media"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `POST /api/media` with a bearer token: status and JSON answer.
async fn upload(
    ts: &TestServer,
    token: &str,
    bytes: &[u8],
    content_type: &str,
    name: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    let res = ts
        .http
        .post(ts.url("/api/media"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .header("x-filename", name)
        .body(bytes.to_vec())
        .send()
        .await?;
    let status = res.status();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

async fn uploaded(
    ts: &TestServer,
    token: &str,
    bytes: &[u8],
    name: &str,
) -> anyhow::Result<String> {
    let (status, body) = upload(ts, token, bytes, "application/octet-stream", name).await?;
    ensure!(status == StatusCode::CREATED, "{status} {body}");
    body["id"].as_str().map(str::to_owned).context("no id")
}

async fn listed(ts: &TestServer, token: &str) -> anyhow::Result<Vec<Value>> {
    let (status, body) = ts.bearer(Method::GET, "/api/media", token).await?;
    ensure!(status == StatusCode::OK, "{status} {body}");
    Ok(body["media"].as_array().cloned().unwrap_or_default())
}

/// A GET of `/media/{id}` with extra headers: status, headers, body.
async fn fetch(
    ts: &TestServer,
    method: Method,
    id: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, HeaderMap, Vec<u8>)> {
    let mut req = ts.http.request(method, ts.url(&format!("/media/{id}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await?;
    let status = res.status();
    let headers = res.headers().clone();
    Ok((status, headers, res.bytes().await?.to_vec()))
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// One raw HTTP/1.1 exchange: writes `head` then `body` parts, reads until the server
/// closes or the answer is complete enough to carry a status line; returns the status.
async fn raw_status(ts: &TestServer, head: &str, body: &[&[u8]]) -> anyhow::Result<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(ts.server.addr).await?;
    stream.write_all(head.as_bytes()).await?;
    for part in body {
        // The server may answer (and stop reading) before everything is sent.
        if stream.write_all(part).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    ensure!(read.is_ok(), "no answer in time");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status line in {answer:?}"))?;
    Ok((status, answer))
}

// ---------------------------------------------------------------- scenarios

/// Accepted formats get their type from their content; executables, scripts and Matroska
/// do not get in, whatever they are called or claim to be, and are never written.
async fn accepted_by_content(ts: &TestServer, dir: &Path) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    let gif = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;".to_vec();
    let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9".to_vec();
    let webp = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0"
        .to_vec();
    let cases: [(&str, Vec<u8>, &str, &str); 6] = [
        ("logo.png", PNG.to_vec(), "image/png", "image/png"),
        ("hype.webm", webm(3000), "video/webm", "video/webm"),
        // Named and sent as something else: the content decides.
        ("clip.mov", mp4(5000), "video/quicktime", "video/mp4"),
        ("party.gif", gif, "image/gif", "image/gif"),
        ("photo.jpg", jpeg, "application/octet-stream", "image/jpeg"),
        ("sticker.webp", webp, "image/webp", "image/webp"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, sent_as, expected) in &cases {
        let (status, body) = upload(ts, &admin, bytes, sent_as, name).await?;
        ensure!(status == StatusCode::CREATED, "{name}: {status} {body}");
        ensure!(body["content_type"] == *expected, "{name}: {body}");
        ensure!(body["size"] == bytes.len(), "{name}: {body}");
        ensure!(body["name"] == *name, "{name}: {body}");
        let id = body["id"].as_str().context("id")?.to_string();
        ensure!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "an id of 128 random bits: {id}"
        );
        ensure!(body["url"] == format!("/media/{id}"), "{body}");
        let (status, headers, served) = fetch(ts, Method::GET, &id, &[]).await?;
        ensure!(status == StatusCode::OK, "{name}: {status}");
        ensure!(
            text(&headers, "content-type") == *expected,
            "{name}: {headers:?}"
        );
        ensure!(served == *bytes, "{name}: the bytes come back as sent");
        ids.push(id);
    }
    let before = stored_files(dir);
    ensure!(before.len() == cases.len(), "{before:?}");
    // Refused: a renamed executable, a shell script, Matroska, an empty body.
    for (name, bytes, sent_as) in [
        ("cat.png", elf(), "image/png"),
        ("cute.png", SCRIPT.to_vec(), "image/png"),
        ("movie.webm", matroska(), "video/webm"),
        ("empty.png", Vec::new(), "image/png"),
    ] {
        let (status, body) = upload(ts, &admin, &bytes, sent_as, name).await?;
        ensure!(
            status == StatusCode::UNSUPPORTED_MEDIA_TYPE && body["error"] == "unsupported_media",
            "{name}: {status} {body}"
        );
    }
    ensure!(
        stored_files(dir) == before,
        "nothing refused was written: {:?}",
        stored_files(dir)
    );
    let list = listed(ts, &admin).await?;
    ensure!(list.len() == cases.len(), "{list:?}");
    // Newest first, with what the dashboard shows.
    let newest = &list[0];
    ensure!(newest["id"] == ids[ids.len() - 1].as_str(), "{list:?}");
    ensure!(
        newest["content_type"] == "image/webp" && newest["name"] == "sticker.webp",
        "{newest}"
    );
    ensure!(
        newest["uploaded_by"] == "admin" && newest["can_delete"] == true,
        "{newest}"
    );
    ensure!(
        newest["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{newest}"
    );
    Ok(())
}

/// Byte ranges, conditional requests, HEAD, and the headers that keep a file a file.
async fn served_with_ranges(ts: &TestServer) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    let bytes = png_of(1000);
    let id = uploaded(ts, &admin, &bytes, "ranges.png").await?;

    let (status, h, body) = fetch(ts, Method::GET, &id, &[]).await?;
    ensure!(status == StatusCode::OK && body == bytes, "{status}");
    ensure!(text(&h, "content-length") == "1000", "{h:?}");
    ensure!(text(&h, "accept-ranges") == "bytes", "{h:?}");
    ensure!(text(&h, "x-content-type-options") == "nosniff", "{h:?}");
    let csp = text(&h, "content-security-policy");
    ensure!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    ensure!(text(&h, "cache-control").contains("immutable"), "{h:?}");
    let etag = text(&h, "etag").to_string();
    ensure!(etag == format!("\"{id}\""), "{etag}");

    for (range, start, end) in [
        ("bytes=0-99", 0, 99),
        ("bytes=900-", 900, 999),
        ("bytes=-10", 990, 999),
        ("bytes=990-5000", 990, 999),
    ] {
        let (status, h, body) = fetch(ts, Method::GET, &id, &[("range", range)]).await?;
        ensure!(status == StatusCode::PARTIAL_CONTENT, "{range}: {status}");
        ensure!(
            text(&h, "content-range") == format!("bytes {start}-{end}/1000"),
            "{range}: {h:?}"
        );
        ensure!(body == bytes[start..=end], "{range}: the right bytes");
        ensure!(text(&h, "content-type") == "image/png", "{range}: {h:?}");
    }
    let (status, h, body) = fetch(ts, Method::GET, &id, &[("range", "bytes=1000-")]).await?;
    ensure!(status == StatusCode::RANGE_NOT_SATISFIABLE, "{status}");
    ensure!(
        text(&h, "content-range") == "bytes */1000" && body.is_empty(),
        "{h:?}"
    );
    // Several ranges, or a range for another version: everything, with 200.
    for extra in [
        vec![("range", "bytes=0-1,5-6")],
        vec![("range", "bytes=0-1"), ("if-range", "\"other\"")],
    ] {
        let (status, _, body) = fetch(ts, Method::GET, &id, &extra).await?;
        ensure!(
            status == StatusCode::OK && body == bytes,
            "{extra:?}: {status}"
        );
    }
    let (status, _, body) = fetch(
        ts,
        Method::GET,
        &id,
        &[("range", "bytes=0-1"), ("if-range", &etag)],
    )
    .await?;
    ensure!(
        status == StatusCode::PARTIAL_CONTENT && body == bytes[..2],
        "{status}"
    );
    let (status, _, body) = fetch(ts, Method::GET, &id, &[("if-none-match", &etag)]).await?;
    ensure!(
        status == StatusCode::NOT_MODIFIED && body.is_empty(),
        "{status}"
    );

    // HEAD: the type and size, no body (overlays ask before choosing <img> or <video>).
    let (status, h, body) = fetch(ts, Method::HEAD, &id, &[]).await?;
    ensure!(status == StatusCode::OK && body.is_empty(), "{status}");
    ensure!(text(&h, "content-type") == "image/png", "{h:?}");
    ensure!(text(&h, "content-length") == "1000", "{h:?}");

    // Unknown and malformed ids: 404, never a path outside the folder.
    let unknown = "0123456789abcdef0123456789abcdef";
    for bad in [
        unknown,
        "..%2F..%2Fetc%2Fpasswd",
        "ABCDEF",
        &id.to_uppercase(),
    ] {
        let (status, _, _) = fetch(ts, Method::GET, bad, &[]).await?;
        ensure!(status == StatusCode::NOT_FOUND, "{bad}: {status}");
    }
    // A large file streams whole and in ranges across chunk boundaries.
    let big = png_of(300_000);
    let big_id = uploaded(ts, &admin, &big, "big.png").await?;
    let (status, _, body) = fetch(ts, Method::GET, &big_id, &[]).await?;
    ensure!(status == StatusCode::OK && body == big, "{status}");
    let (status, _, body) =
        fetch(ts, Method::GET, &big_id, &[("range", "bytes=65530-200000")]).await?;
    ensure!(
        status == StatusCode::PARTIAL_CONTENT && body == big[65530..=200000],
        "{status}"
    );
    Ok(())
}

/// Only staff upload and list; participants, display links and strangers get `401`; a
/// cross-site page cannot use the cookie, nor send a form; an organizer deletes their own
/// files only, an admin any; a deleted file is gone from the list, the disk and the URL.
async fn who_may(ts: &TestServer, dir: &Path) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    let meeting = ts.demo_meeting().await?;
    let (_, participant) = ts.join(meeting, "Pour1nf0", "Pat").await?;
    let display = ts.display_token(meeting).await?;

    // Strangers, participants and display links: no upload, no list.
    let res = ts
        .http
        .post(ts.url("/api/media"))
        .header(header::CONTENT_TYPE, "image/png")
        .body(PNG.to_vec())
        .send()
        .await?;
    ensure!(res.status() == StatusCode::UNAUTHORIZED, "{}", res.status());
    for token in [&participant, &display] {
        let (status, body) = upload(ts, token, PNG, "image/png", "x.png").await?;
        ensure!(status == StatusCode::UNAUTHORIZED, "{status} {body}");
        let (status, _) = ts.bearer(Method::GET, "/api/media", token).await?;
        ensure!(status == StatusCode::UNAUTHORIZED, "{status}");
    }
    let (status, _) = ts
        .http
        .get(ts.url("/api/media"))
        .send()
        .await
        .map(|r| (r.status(), ()))?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status}");

    // The staff cookie from another site's page: refused; from our own: fine.
    let cookie = format!("lk_staff={admin}");
    let own = format!("http://{}", ts.server.addr);
    let post = |origin: &str, content_type: &str| {
        ts.http
            .post(ts.url("/api/media"))
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, content_type)
            .body(PNG.to_vec())
    };
    let res = post("http://127.0.0.1:1", "image/png").send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    ensure!(
        status == StatusCode::FORBIDDEN && body["error"] == "forbidden_origin",
        "{status} {body}"
    );
    // A form's body type is refused even from our own page (a form needs no preflight).
    for form in [
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "text/plain",
    ] {
        let res = post(&own, form).send().await?;
        let status = res.status();
        let body: Value = res.json().await?;
        ensure!(
            status == StatusCode::UNSUPPORTED_MEDIA_TYPE
                && body["error"] == "unsupported_media_type",
            "{form}: {status} {body}"
        );
    }
    let res = post(&own, "image/png").send().await?;
    ensure!(res.status() == StatusCode::CREATED, "{}", res.status());
    ensure!(!listed(ts, &admin).await?.is_empty(), "listed");

    // An organizer uploads, sees every file, deletes their own but not the admin's.
    let (status, body) = ts
        .call(
            Method::POST,
            "/api/users",
            &admin,
            Some(json!({"username": "olga", "role": "organizer", "password": "organizer-pass"})),
        )
        .await?;
    ensure!(status == StatusCode::CREATED, "{status} {body}");
    let olga = ts.login("olga", "organizer-pass").await?;
    let admins = uploaded(ts, &admin, &webm(2000), "admin.webm").await?;
    let hers = uploaded(ts, &olga, &mp4(2000), "olga.mp4").await?;
    let list = listed(ts, &olga).await?;
    let entry = |id: &str| {
        list.iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    ensure!(
        entry(&hers)["can_delete"] == true && entry(&hers)["uploaded_by"] == "olga",
        "{list:?}"
    );
    ensure!(entry(&admins)["can_delete"] == false, "{list:?}");
    let (status, body) = ts
        .bearer(Method::DELETE, &format!("/api/media/{admins}"), &olga)
        .await?;
    ensure!(
        status == StatusCode::FORBIDDEN && body["error"] == "forbidden",
        "{status} {body}"
    );
    ensure!(stored_files(dir).contains(&admins), "still stored");
    let (status, _) = ts
        .bearer(Method::DELETE, &format!("/api/media/{hers}"), &olga)
        .await?;
    ensure!(status == StatusCode::NO_CONTENT, "{status}");
    let (status, _) = ts
        .bearer(
            Method::DELETE,
            &format!("/api/media/{admins}"),
            &participant,
        )
        .await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status}");
    // The admin deletes anyone's.
    let theirs = uploaded(ts, &olga, PNG, "again.png").await?;
    for id in [&admins, &theirs] {
        let (status, _) = ts
            .bearer(Method::DELETE, &format!("/api/media/{id}"), &admin)
            .await?;
        ensure!(status == StatusCode::NO_CONTENT, "{status}");
    }
    for id in [&admins, &hers, &theirs] {
        ensure!(!stored_files(dir).contains(id), "{id} removed from disk");
        let (status, _, _) = fetch(ts, Method::GET, id, &[]).await?;
        ensure!(status == StatusCode::NOT_FOUND, "{id}: {status}");
        let (status, _) = ts
            .bearer(Method::DELETE, &format!("/api/media/{id}"), &admin)
            .await?;
        ensure!(status == StatusCode::NOT_FOUND, "deleted twice: {status}");
    }
    let list = listed(ts, &admin).await?;
    ensure!(list.len() == 1, "only the cookie upload is left: {list:?}");
    Ok(())
}

// ---------------------------------------------------------------- runs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_accepted_by_content_not_name() -> anyhow::Result<()> {
    let (ts, dir) = server("content", temp_sqlite_url("media-content"), None).await?;
    let outcome = accepted_by_content(&ts, &dir).await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_is_served_with_ranges() -> anyhow::Result<()> {
    let (ts, dir) = server("ranges", temp_sqlite_url("media-ranges"), None).await?;
    let outcome = served_with_ranges(&ts).await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_staff_upload_list_and_delete() -> anyhow::Result<()> {
    let (ts, dir) = server("who", temp_sqlite_url("media-who"), None).await?;
    let outcome = who_may(&ts, &dir).await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// Over the limit is refused, declared (`Content-Length`) or not (chunked, counted while
/// it streams), and nothing is kept; exactly the limit is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_are_refused() -> anyhow::Result<()> {
    let (ts, dir) = server("size", temp_sqlite_url("media-size"), Some(4096)).await?;
    let outcome = async {
        let admin = ts.admin_token().await?;
        let (status, body) = upload(&ts, &admin, &png_of(4097), "image/png", "big.png").await?;
        ensure!(
            status == StatusCode::PAYLOAD_TOO_LARGE && body["error"] == "too_large" && body["max_bytes"] == 4096,
            "{status} {body}"
        );
        // Chunked: no size up front, so the server counts.
        let chunk = png_of(3000);
        let head = format!(
            "POST /api/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            ts.server.addr
        );
        let size = format!("{:x}\r\n", chunk.len());
        let parts: Vec<&[u8]> = vec![
            size.as_bytes(), &chunk, b"\r\n",
            size.as_bytes(), &chunk, b"\r\n",
            b"0\r\n\r\n",
        ];
        let (status, answer) = raw_status(&ts, &head, &parts).await?;
        ensure!(status == 413 && answer.contains("too_large"), "{answer}");
        ensure!(stored_files(&dir).is_empty(), "nothing kept: {:?}", stored_files(&dir));
        ensure!(listed(&ts, &admin).await?.is_empty(), "nothing listed");
        // A renamed executable over the limit is refused too.
        let mut exe = elf();
        exe.resize(10_000, 0);
        let (status, _) = upload(&ts, &admin, &exe, "image/png", "cat.png").await?;
        ensure!(status == StatusCode::PAYLOAD_TOO_LARGE, "{status}");
        // Exactly the limit, chunked: accepted.
        let (status, answer) = raw_status(&ts, &head, &[
            b"800\r\n", &png_of(2048), b"\r\n", b"800\r\n", &[9u8; 2048], b"\r\n", b"0\r\n\r\n",
        ]).await?;
        ensure!(status == 201, "{answer}");
        ensure!(listed(&ts, &admin).await?.len() == 1, "one stored");
        ensure!(stored_files(&dir).len() == 1, "{:?}", stored_files(&dir));
        Ok(())
    }
    .await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// A body that stops coming gets `408` after the body timeout, and leaves no file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_times_out() -> anyhow::Result<()> {
    let dir = data_dir("stall");
    let mut config = Config::for_tests(&temp_sqlite_url("media-stall"))
        .with_data_dir(Some(&dir.to_string_lossy()))?;
    config.body_timeout = std::time::Duration::from_millis(300);
    let ts = TestServer::start_with(config).await?;
    let outcome = async {
        let admin = ts.admin_token().await?;
        let head = format!(
            "POST /api/media HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {admin}\r\nContent-Type: image/png\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
            ts.server.addr
        );
        let (status, answer) = raw_status(&ts, &head, &[&png_of(20_000)]).await?;
        ensure!(status == 408 && answer.contains("timeout"), "{answer}");
        let leftovers: Vec<String> = stored_files(&dir);
        ensure!(leftovers.is_empty(), "the partial file is removed: {leftovers:?}");
        Ok(())
    }
    .await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// The scenarios again on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_on_postgres() -> anyhow::Result<()> {
    for name in ["content", "ranges", "who"] {
        let Some(pg) = PgDatabase::create(&format!("media_{name}")).await? else {
            return Ok(());
        };
        let (ts, dir) = server(name, pg.url.clone(), None).await?;
        let outcome = match name {
            "content" => accepted_by_content(&ts, &dir).await,
            "ranges" => served_with_ranges(&ts).await,
            _ => who_may(&ts, &dir).await,
        };
        ts.server.shutdown().await;
        pg.drop_database().await?;
        let _ = std::fs::remove_dir_all(&dir);
        outcome.with_context(|| format!("{name} on PostgreSQL"))?;
    }
    Ok(())
}
