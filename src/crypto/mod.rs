//! Cryptography for the platform APIs (`crypto.subtle`, `node:crypto`), in
//! pure Rust over RustCrypto and dalek crates: nothing here knows JavaScript,
//! so every algorithm is unit-tested against its standard's known answers.
//!
//! * [`hash`]: SHA-1/256/384/512 (FIPS 180-4) and HMAC (RFC 2104);
//! * [`kdf`]: PBKDF2 (RFC 8018) and HKDF (RFC 5869);
//! * [`p256`]: ECDSA over P-256 with SPKI/PKCS #8/SEC 1 encodings;
//! * [`ed25519`]: Ed25519 (RFC 8032) with SPKI/PKCS #8 encodings;
//! * [`random`]: HMAC_DRBG (SP 800-90A) seeded from the port's entropy.
//!
//! Nothing here panics on input: malformed keys are [`InvalidKey`], bad
//! parameters are each module's error.
//!
//! Flash: all of it costs what `make size` reports; the crates build for
//! thumbv6m with default features off and without precomputed tables.

pub mod ed25519;
pub mod hash;
pub mod kdf;
pub mod p256;
pub mod password;
pub mod random;

/// Key bytes that do not form a valid key of the expected kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidKey;

impl core::fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("invalid key data")
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use alloc::vec::Vec;

    /// Bytes from a hex string (test vectors; whitespace is skipped).
    pub fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => panic!("not a hex digit: {b}"),
            })
            .collect();
        assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
        digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
    }
}
