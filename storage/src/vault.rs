//! Secrets at rest: platform tokens are sealed with XChaCha20-Poly1305 under the server's
//! secret key before they reach the database, so a copied database (a backup, a stolen
//! disk) does not hand out anybody's Twitch or YouTube account.
//!
//! The key comes from `LIBREKAST_SECRET_KEY` (64 hex digits), or on SQLite from
//! `secret.key` in the data directory, generated `0600` by the first command that needs it.
//! PostgreSQL requires the variable: several nodes share one database and must share the key.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Generate, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::StorageError;

/// The file name of a generated key in the data directory.
pub const KEY_FILE: &str = "secret.key";
/// Sealed values start with this, so a future scheme can be told apart.
const SCHEME: &str = "v1:";
const NONCE_LEN: usize = 24;

/// Where the key came from (the server logs it; never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
}

#[derive(Clone)]
pub struct SecretKey(XChaCha20Poly1305);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

fn key_error(msg: impl Into<String>) -> StorageError {
    StorageError::SecretKey(msg.into())
}

impl SecretKey {
    /// 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`.
    pub fn from_hex(text: &str) -> Result<SecretKey, StorageError> {
        let bytes = hex::decode(text.trim()).map_err(|_| {
            key_error("LIBREKAST_SECRET_KEY is not hexadecimal: use 64 hex digits, e.g. the output of `openssl rand -hex 32`")
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            key_error(format!(
                "LIBREKAST_SECRET_KEY has {} hex digits: use 64 (32 bytes), e.g. the output of `openssl rand -hex 32`",
                b.len() * 2
            ))
        })?;
        Ok(SecretKey(XChaCha20Poly1305::new(&Key::from(bytes))))
    }

    /// The key from the environment value if given, else (SQLite only) from the data
    /// directory's key file, created on first use.
    pub fn load(
        env: Option<&str>,
        data_dir: Option<&Path>,
        postgres: bool,
    ) -> Result<(SecretKey, KeySource), StorageError> {
        if let Some(text) = env.filter(|t| !t.trim().is_empty()) {
            return Ok((SecretKey::from_hex(text)?, KeySource::Environment));
        }
        if postgres {
            return Err(key_error(
                "LIBREKAST_SECRET_KEY is required with PostgreSQL (every node sharing the database needs the same key): set it to 64 hex digits, e.g. from `openssl rand -hex 32`",
            ));
        }
        let dir = data_dir.ok_or_else(|| {
            key_error("no data directory for the secret key: set LIBREKAST_DATA_DIR or LIBREKAST_SECRET_KEY")
        })?;
        let path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = SecretKey::from_hex(&text).map_err(|_| {
                    key_error(format!(
                        "{} is not a key (64 hex digits): restore it from a backup, or remove it and connect the platform accounts again",
                        path.display()
                    ))
                })?;
                Ok((key, KeySource::File(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                crate::files::create_private_dir(dir)
                    .map_err(|e| key_error(format!("cannot create {}: {e}", dir.display())))?;
                let bytes: [u8; 32] = rand::random();
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(|e| key_error(format!("cannot create {}: {e}", path.display())))?;
                file.write_all(hex::encode(bytes).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| key_error(format!("cannot write {}: {e}", path.display())))?;
                Ok((
                    SecretKey(XChaCha20Poly1305::new(&Key::from(bytes))),
                    KeySource::Generated(path),
                ))
            }
            Err(e) => Err(key_error(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// `v1:` + hex(nonce ‖ ciphertext ‖ tag), a fresh random nonce each time.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, StorageError> {
        let nonce = XNonce::generate();
        let sealed = self
            .0
            .encrypt(&nonce, plaintext)
            .map_err(|_| key_error("could not encrypt"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        Ok(format!("{SCHEME}{}", hex::encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, StorageError> {
        let unreadable = || {
            key_error(
                "stored platform tokens cannot be read with this secret key (LIBREKAST_SECRET_KEY or secret.key changed since they were written): connect the account again",
            )
        };
        let bytes = sealed
            .strip_prefix(SCHEME)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(unreadable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| unreadable())?;
        self.0.decrypt(&nonce, body).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn seal_open_and_refuse_another_key() {
        let a = SecretKey::from_hex(&"11".repeat(32)).unwrap();
        let b = SecretKey::from_hex(&"22".repeat(32)).unwrap();
        let one = a.seal(b"token").unwrap();
        let two = a.seal(b"token").unwrap();
        assert_ne!(one, two, "a fresh nonce each time");
        assert!(!one.contains(&hex::encode(b"token")));
        assert_eq!(a.open(&one).unwrap(), b"token");
        assert!(
            b.open(&one)
                .unwrap_err()
                .to_string()
                .contains("connect the account again")
        );
        assert!(a.open("v1:00").is_err());
        assert!(
            SecretKey::from_hex("abc")
                .unwrap_err()
                .to_string()
                .contains("64")
        );
        assert!(
            SecretKey::from_hex(&"1".repeat(62))
                .unwrap_err()
                .to_string()
                .contains("62")
        );
    }

    #[test]
    fn a_key_file_is_generated_once_and_private() {
        let dir = std::env::temp_dir().join(format!("librekast-vault-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (k1, s1) = SecretKey::load(None, Some(&dir), false).unwrap();
        assert!(matches!(s1, KeySource::Generated(_)));
        let mode = std::fs::metadata(dir.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (k2, s2) = SecretKey::load(None, Some(&dir), false).unwrap();
        assert!(matches!(s2, KeySource::File(_)));
        assert_eq!(k2.open(&k1.seal(b"x").unwrap()).unwrap(), b"x");
        let e = SecretKey::load(None, Some(&dir), true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("required with PostgreSQL"));
        let (_, s3) = SecretKey::load(Some(&"ab".repeat(32)), Some(&dir), true).unwrap();
        assert_eq!(s3, KeySource::Environment);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
