//! The `assets/` folder, embedded in the binary and served with a small filter of our own
//! (rust-embed's warp integration targets warp 0.3).

use rust_embed::RustEmbed;
use warp::Reply;
use warp::http::{StatusCode, header};
use warp::reply::Response;

#[derive(RustEmbed)]
#[folder = "../assets/"]
#[exclude = "*.md"]
#[exclude = "demo/*"]
pub struct Assets;

/// `path` is the request path without its leading slash; `""` serves `index.html`.
pub fn serve(path: &str) -> Response {
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    match Assets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_string();
            let cache = if path.ends_with(".html") {
                "no-cache"
            } else {
                "public, max-age=300"
            };
            let body = file.data.into_owned();
            let reply = warp::reply::with_header(body, header::CONTENT_TYPE, mime);
            let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, cache);
            let reply = warp::reply::with_header(reply, "x-content-type-options", "nosniff");
            warp::reply::with_header(reply, "content-security-policy", CSP).into_response()
        }
        None => crate::routes::error(StatusCode::NOT_FOUND, "not_found", None),
    }
}

/// Only our own scripts and styles run: an injected `<script>` or `onerror=` does nothing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

/// The demo meeting imported on first start. Embedded apart from the served files: it holds
/// the join code and the flag codes.
pub const DEMO_MEETING: &str = include_str!("../../assets/demo/meeting.json");
