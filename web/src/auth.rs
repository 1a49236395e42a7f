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

pub fn set_cookie(name: &str, token: &str) -> String {
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE}")
}

/// Tells the browser to forget a cookie.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The value of one cookie in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
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
