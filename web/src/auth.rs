//! Staff passwords (argon2id), session tokens and cookies.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;

use crate::WebError;

/// Participant session cookie (one meeting at a time per browser).
pub const PARTICIPANT_COOKIE: &str = "lk_participant";
/// Staff session cookie.
pub const STAFF_COOKIE: &str = "lk_staff";
const COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;

/// 32 random bytes, hex: unguessable and safe in URLs and cookies.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A readable random password for the first `admin` account.
pub fn new_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_password(password: &str) -> Result<String, WebError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| WebError::Password(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// `secure`: the request came over HTTPS (through a trusted proxy), so the cookie must
/// never travel in clear.
pub fn set_cookie(name: &str, token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE}{secure}")
}

/// Tells the browser to forget a cookie.
pub fn clear_cookie(name: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The value of one cookie in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Password checks on a fixed set of threads (one per core) behind a bounded queue. Each
/// argon2id check takes 19 MiB: on the blocking pool a burst of logins spread them over new
/// threads whose memory was never returned (seen: 59 → 300 MB). Here the same few threads
/// reuse theirs, and a full queue answers `busy` at once instead of delaying everyone.
pub struct PasswordChecker {
    jobs: std::sync::mpsc::SyncSender<PasswordJob>,
}

struct PasswordJob {
    password: String,
    hash: String,
    reply: tokio::sync::oneshot::Sender<bool>,
}

/// Checks waiting for a thread at most; beyond it, `busy`.
pub const PASSWORD_QUEUE: usize = 64;

impl PasswordChecker {
    pub fn start(threads: usize) -> PasswordChecker {
        let (jobs, rx) = std::sync::mpsc::sync_channel::<PasswordJob>(PASSWORD_QUEUE);
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = job.reply.send(verify_password(&job.password, &job.hash));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-check thread");
            }
        }
        PasswordChecker { jobs }
    }

    /// `None` when the queue is full (answer `busy`).
    pub async fn verify(&self, password: String, hash: String) -> Option<bool> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(PasswordJob {
                password,
                hash,
                reply,
            })
            .ok()?;
        rx.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let hash = hash_password("s3cret").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("s3cret", "garbage"));
    }

    #[test]
    fn cookies() {
        let h = "a=1; lk_staff=abc; lk_participant=def";
        assert_eq!(cookie_value(h, STAFF_COOKIE), Some("abc"));
        assert_eq!(cookie_value(h, PARTICIPANT_COOKIE), Some("def"));
        assert_eq!(cookie_value(h, "zz"), None);
        assert_eq!(new_token().len(), 64);
    }
}
