//! New API keys and their digests.
//!
//! A key is `fxk_` and 64 hex digits: 256 bits from the operating system's CSPRNG. The
//! store keeps only its SHA-256 digest. A salted slow hash (argon2, bcrypt) protects
//! low-entropy passwords from guessing; a 256-bit random key cannot be guessed, so one
//! SHA-256 is enough, and it lets a request's key be looked up by its digest directly.

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What every key starts with, so a leaked one is recognisable (e.g. by secret scanners).
pub const KEY_PREFIX: &str = "fxk_";
/// Characters of a key shown in lists: the marker and 6 hex digits.
const SHOWN: usize = KEY_PREFIX.len() + 6;

/// A freshly generated key: shown to its creator once, then only its digest is kept.
pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub digest: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("prefix", &self.prefix)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Generates a key.
pub fn generate() -> NewKey {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let key = format!("{KEY_PREFIX}{}", hex(&bytes));
    NewKey {
        prefix: key[..SHOWN].to_owned(),
        digest: digest(&key),
        key,
    }
}

/// The stored form of `key`: lowercase hex SHA-256 of its UTF-8 bytes.
pub fn digest(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_random_and_stored_as_their_sha256() {
        let (one, two) = (generate(), generate());
        assert_ne!(one.key, two.key);
        assert!(one.key.starts_with(KEY_PREFIX));
        assert_eq!(one.key.len(), KEY_PREFIX.len() + 64);
        assert!(one.key.starts_with(&one.prefix));
        assert_eq!(one.prefix.len(), 10);
        assert_eq!(one.digest, digest(&one.key));
        assert_ne!(one.digest, one.key);
        // An independent SHA-256: `printf %s fxk_abc | sha256sum`.
        assert_eq!(
            digest("fxk_abc"),
            "6f51a6b671edf424efee4ef13423155cb8acceb6986d01909175ef011657ee15"
        );
        assert!(
            !format!("{one:?}").contains(&one.key),
            "Debug never shows the key"
        );
    }
}
