//! Stored password hashes: `pbkdf2-sha256$ITERATIONS$SALT$HASH`, salt and
//! hash in standard base64 (RFC 4648 §4, padded). `handlers/login.js` checks
//! them with `crypto.subtle`; `isere-sim --hash-password` and `--add-user`
//! make them.

use alloc::string::String;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::hash::HashAlg;
use super::kdf::{KdfError, pbkdf2};

/// Bytes of the derived hash (one SHA-256 block: PBKDF2 costs one run).
pub const HASH_BYTES: usize = 32;
/// Bytes of a fresh salt.
pub const SALT_BYTES: usize = 16;

/// The stored form of `password` with `salt` and `iterations`.
pub fn hash_password(password: &str, salt: &[u8], iterations: u32) -> Result<String, KdfError> {
    let mut hash = [0u8; HASH_BYTES];
    pbkdf2(
        HashAlg::Sha256,
        password.as_bytes(),
        salt,
        iterations,
        &mut hash,
    )?;
    Ok(alloc::format!(
        "pbkdf2-sha256${iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(hash)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_carries_a_known_pbkdf2_sha256_answer() {
        // PBKDF2-HMAC-SHA256("password", "salt", 1, 32) =
        // 120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b.
        let stored = hash_password("password", b"salt", 1).unwrap();
        assert_eq!(
            stored,
            "pbkdf2-sha256$1$c2FsdA==$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="
        );
        assert!(hash_password("p", b"salt", 0).is_err(), "zero iterations");
    }
}
