//! What every route reads from a request: the app itself, JSON bodies within their size
//! and time limits, the caller's address, percent-encoded path segments and display names.
//! A leaf module: routes and handlers import it, it imports none of them.

use std::convert::Infallible;

use warp::{Filter, Rejection};

use crate::api_error::ApiError;
use crate::app::App;
use crate::net::Remote;
use crate::site::Refused;
use librekast_engine::text;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Largest JSON body accepted by the API.
pub const MAX_BODY: u64 = 16 * 1024;

pub fn with_app(app: App) -> impl Filter<Extract = (App,), Error = Infallible> + Clone {
    warp::any().map(move || app.clone())
}

/// A JSON body of at most [`MAX_BODY`] bytes that arrives within `body_timeout`
/// (`crate::config::BODY_TIMEOUT` by default).
pub fn json_body(
    timeout: std::time::Duration,
) -> impl Filter<Extract = (bytes::Bytes,), Error = Rejection> + Clone {
    json_body_up_to(MAX_BODY, timeout)
}

/// [`json_body`] with another size limit (meeting files: 1 MiB).
pub fn json_body_up_to(
    limit: u64,
    timeout: std::time::Duration,
) -> impl Filter<Extract = (bytes::Bytes,), Error = Rejection> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::stream())
        .and_then(move |stream| read_body(stream, timeout))
}

async fn read_body<S, B>(stream: S, timeout: std::time::Duration) -> Result<bytes::Bytes, Rejection>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: warp::Buf,
{
    use futures_util::StreamExt;
    let read = async move {
        let mut stream = std::pin::pin!(stream);
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let mut buf = chunk?;
            while buf.has_remaining() {
                let part = buf.chunk();
                body.extend_from_slice(part);
                let n = part.len();
                buf.advance(n);
            }
        }
        Ok::<_, warp::Error>(body)
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(body)) => Ok(bytes::Bytes::from(body)),
        Ok(Err(_)) => Err(warp::reject::custom(Refused(
            ApiError::BadRequest,
            "the body could not be read",
        ))),
        Err(_) => Err(warp::reject::custom(Refused(
            ApiError::Timeout,
            "the request body did not arrive in time",
        ))),
    }
}

/// Who is asking (client address behind trusted proxies, HTTPS or not), as the accept loop
/// worked it out; loopback when served without it.
pub fn remote() -> impl Filter<Extract = (Remote,), Error = Infallible> + Clone {
    warp::ext::optional::<Remote>().map(|r: Option<Remote>| {
        r.unwrap_or(Remote {
            ip: std::net::IpAddr::from([127, 0, 0, 1]),
            https: false,
            via_proxy: false,
        })
    })
}

/// Trims and collapses whitespace, applies the shared text rule ([`text::clean`]); `None`
/// when empty, over [`MAX_NAME_CHARS`] or refused by the rule.
pub fn clean_name(raw: &str) -> Option<String> {
    text::clean(raw, MAX_NAME_CHARS)
}

/// A path segment as sent (`ren%C3%A9`) made text again; malformed escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments() {
        assert_eq!(percent_decode("ren%C3%A9"), "rené");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
