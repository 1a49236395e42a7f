//! The HTTP API's error answers: one enum, one status and one stable `error` code per variant,
//! each documented in docs/protocol.md's HTTP table (a test keeps the two in step).

use serde_json::json;
use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// Body is not the expected JSON, an invalid name, not a WebSocket upgrade, any other
    /// malformed request.
    BadRequest,
    /// Login: wrong username or password.
    WrongCredentials,
    /// No valid session for what was asked.
    Unauthorized,
    /// Join: wrong join code.
    WrongCode,
    /// A valid session that may not do this (another organizer's meeting, a display link
    /// asking to control, an organizer managing users).
    Forbidden,
    /// No such meeting; unknown path.
    NotFound,
    /// Wrong method on an API path (code `bad_request`, as before this enum existed).
    MethodNotAllowed,
    /// Request body over the limit (code `bad_request`, as before this enum existed).
    TooLarge,
    /// Database or meeting temporarily unavailable: retry later.
    Unavailable,
    /// WebSocket: no connection slot left.
    ServerFull,
    /// Login: every password-check slot stayed taken.
    Busy,
    /// Too many failed logins or wrong join codes from this client, or too many open
    /// WebSockets for one session: sent with `Retry-After`.
    RateLimited,
    /// A cross-site request riding a cookie, or setting or clearing one.
    ForbiddenOrigin,
    /// A JSON API body that is not `Content-Type: application/json`.
    UnsupportedMediaType,
    /// The request body did not arrive in time.
    Timeout,
    /// The server is not set up for this (a platform's OAuth client, the secret key); the
    /// message names the setting.
    NotConfigured,
    /// Users page: a staff account has this name already.
    Conflict,
    /// Users page: removing or demoting the last admin would leave nobody to manage users.
    LastAdmin,
    /// Join or rename: the name holds one of the meeting's blocked words.
    BlockedWord,
    /// Media upload: the file is over `LIBREKAST_MEDIA_MAX_BYTES`.
    MediaTooLarge,
    /// Media upload: not MP4, WebM, GIF, PNG, JPEG or WebP by its content.
    UnsupportedMedia,
}

impl ApiError {
    pub const ALL: [ApiError; 21] = [
        ApiError::BadRequest,
        ApiError::WrongCredentials,
        ApiError::Unauthorized,
        ApiError::WrongCode,
        ApiError::Forbidden,
        ApiError::NotFound,
        ApiError::MethodNotAllowed,
        ApiError::TooLarge,
        ApiError::Unavailable,
        ApiError::ServerFull,
        ApiError::Busy,
        ApiError::RateLimited,
        ApiError::ForbiddenOrigin,
        ApiError::UnsupportedMediaType,
        ApiError::Timeout,
        ApiError::NotConfigured,
        ApiError::Conflict,
        ApiError::LastAdmin,
        ApiError::BlockedWord,
        ApiError::MediaTooLarge,
        ApiError::UnsupportedMedia,
    ];

    pub fn status(self) -> StatusCode {
        match self {
            ApiError::BadRequest | ApiError::BlockedWord => StatusCode::BAD_REQUEST,
            ApiError::WrongCredentials | ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::WrongCode | ApiError::Forbidden | ApiError::ForbiddenOrigin => {
                StatusCode::FORBIDDEN
            }
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType | ApiError::UnsupportedMedia => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotConfigured => StatusCode::NOT_IMPLEMENTED,
            ApiError::Conflict | ApiError::LastAdmin => StatusCode::CONFLICT,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge | ApiError::MediaTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable | ApiError::ServerFull | ApiError::Busy => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The stable snake_case code clients match on.
    pub fn code(self) -> &'static str {
        match self {
            ApiError::BadRequest | ApiError::MethodNotAllowed | ApiError::TooLarge => "bad_request",
            ApiError::WrongCredentials => "wrong_credentials",
            ApiError::Unauthorized => "unauthorized",
            ApiError::WrongCode => "wrong_code",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Unavailable => "unavailable",
            ApiError::ServerFull => "server_full",
            ApiError::Busy => "busy",
            ApiError::RateLimited => "rate_limited",
            ApiError::ForbiddenOrigin => "forbidden_origin",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Timeout => "timeout",
            ApiError::NotConfigured => "not_configured",
            ApiError::Conflict => "conflict",
            ApiError::LastAdmin => "last_admin",
            ApiError::BlockedWord => "blocked_word",
            ApiError::MediaTooLarge => "too_large",
            ApiError::UnsupportedMedia => "unsupported_media",
        }
    }

    /// `{"error": CODE}`, plus a human `message` when one helps.
    pub fn reply(self, message: Option<&str>) -> Response {
        let body = match message {
            Some(m) => json!({"error": self.code(), "message": m}),
            None => json!({"error": self.code()}),
        };
        warp::reply::with_status(warp::reply::json(&body), self.status()).into_response()
    }

    /// A refusal that says when to come back (`Retry-After`, whole seconds).
    pub fn reply_retry(self, message: Option<&str>, wait: std::time::Duration) -> Response {
        let secs = crate::throttle::retry_after_secs(wait);
        warp::reply::with_header(self.reply(message), "retry-after", secs.to_string())
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_with_its_status() {
        let doc = include_str!("../../docs/protocol.md");
        for e in ApiError::ALL {
            let row = format!("| {} | `{}` |", e.status().as_u16(), e.code());
            assert!(
                doc.contains(&row),
                "docs/protocol.md lacks the row {row:?} for {e:?}"
            );
        }
    }
}
