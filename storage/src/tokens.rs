//! Session tokens are stored as their SHA-256 only: a copy of the database (a backup, a
//! stolen disk) opens no session. A token is 32 random bytes, so a plain hash is enough; a
//! slow password hash would only slow every request.

use sha2::Digest;

/// The SHA-256 of a session token, hex: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_hex() {
        assert_eq!(
            super::token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
