//! Key derivation: PBKDF2 (RFC 8018 §5.2) and HKDF (RFC 5869), each over
//! HMAC with any [`HashAlg`].

use hkdf::Hkdf;
use hmac::Hmac;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use super::hash::HashAlg;

/// Why a derivation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfError {
    /// PBKDF2 with zero iterations (RFC 8018 requires a positive count).
    ZeroIterations,
    /// HKDF asked for more than 255 hash lengths of output.
    OutputTooLong,
}

impl core::fmt::Display for KdfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KdfError::ZeroIterations => f.write_str("PBKDF2 needs at least one iteration"),
            KdfError::OutputTooLong => {
                f.write_str("HKDF can derive at most 255 times the hash length")
            }
        }
    }
}

/// PBKDF2-HMAC: fills `out` from `password`, `salt` and `iterations`.
///
/// Costs `iterations * ceil(out.len() / hash length)` HMACs: on a Cortex-M
/// that is seconds for a few thousand iterations, so callers choose the count.
pub fn pbkdf2(
    alg: HashAlg,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<(), KdfError> {
    if iterations == 0 {
        return Err(KdfError::ZeroIterations);
    }
    // `pbkdf2` fails only for keys an HMAC cannot take, and HMAC takes any.
    let done = match alg {
        HashAlg::Sha1 => pbkdf2::pbkdf2::<Hmac<Sha1>>(password, salt, iterations, out),
        HashAlg::Sha256 => pbkdf2::pbkdf2::<Hmac<Sha256>>(password, salt, iterations, out),
        HashAlg::Sha384 => pbkdf2::pbkdf2::<Hmac<Sha384>>(password, salt, iterations, out),
        HashAlg::Sha512 => pbkdf2::pbkdf2::<Hmac<Sha512>>(password, salt, iterations, out),
    };
    debug_assert!(done.is_ok());
    Ok(())
}

/// HKDF (extract then expand): fills `out` from the input keying material
/// `ikm`, `salt` (empty means a string of zeros, as RFC 5869 says) and
/// `info`.
pub fn hkdf(
    alg: HashAlg,
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), KdfError> {
    let salt = (!salt.is_empty()).then_some(salt);
    let expanded = match alg {
        HashAlg::Sha1 => Hkdf::<Sha1>::new(salt, ikm).expand(info, out),
        HashAlg::Sha256 => Hkdf::<Sha256>::new(salt, ikm).expand(info, out),
        HashAlg::Sha384 => Hkdf::<Sha384>::new(salt, ikm).expand(info, out),
        HashAlg::Sha512 => Hkdf::<Sha512>::new(salt, ikm).expand(info, out),
    };
    expanded.map_err(|_| KdfError::OutputTooLong)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;
    use alloc::vec;

    fn pbkdf2_vec(
        alg: HashAlg,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        len: usize,
    ) -> alloc::vec::Vec<u8> {
        let mut out = vec![0; len];
        pbkdf2(alg, password, salt, iterations, &mut out).unwrap();
        out
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1), the cases that run in test time.
    #[test]
    fn pbkdf2_sha1_rfc6070() {
        let cases: [(&[u8], &[u8], u32, &str); 5] = [
            (
                b"password",
                b"salt",
                1,
                "0c60c80f961f0e71f3a9b524af6012062fe037a6",
            ),
            (
                b"password",
                b"salt",
                2,
                "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
            ),
            (
                b"password",
                b"salt",
                4096,
                "4b007901b765489abead49d926f721d065a429c1",
            ),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
            ),
            (
                b"pass\0word",
                b"sa\0lt",
                4096,
                "56fa6aa75548099dcc37d7f03425e0c3",
            ),
        ];
        for (password, salt, iterations, want) in cases {
            let want = hex(want);
            assert_eq!(
                pbkdf2_vec(HashAlg::Sha1, password, salt, iterations, want.len()),
                want
            );
        }
    }

    /// The RFC 6070 inputs with HMAC-SHA-256 (the answers published for
    /// them, e.g. in RFC 7914's PBKDF2-HMAC-SHA-256 section for the first).
    #[test]
    fn pbkdf2_sha256() {
        let cases: [(&[u8], &[u8], u32, &str); 4] = [
            (
                b"password",
                b"salt",
                1,
                "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
            ),
            (
                b"password",
                b"salt",
                2,
                "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43",
            ),
            (
                b"password",
                b"salt",
                4096,
                "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
            ),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9",
            ),
        ];
        for (password, salt, iterations, want) in cases {
            let want = hex(want);
            assert_eq!(
                pbkdf2_vec(HashAlg::Sha256, password, salt, iterations, want.len()),
                want
            );
        }
        let mut out = [0; 8];
        assert_eq!(
            pbkdf2(HashAlg::Sha256, b"p", b"s", 0, &mut out),
            Err(KdfError::ZeroIterations)
        );
    }

    /// RFC 5869 test cases 1, 3 (empty salt and info) and 4 (SHA-1).
    #[test]
    fn hkdf_rfc5869() {
        let ikm = [0x0b; 22];
        let mut okm = [0; 42];
        hkdf(
            HashAlg::Sha256,
            &ikm,
            &hex("000102030405060708090a0b0c"),
            &hex("f0f1f2f3f4f5f6f7f8f9"),
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            okm.to_vec(),
            hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
        hkdf(HashAlg::Sha256, &ikm, b"", b"", &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            hex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
            )
        );
        let ikm11 = [0x0b; 11];
        hkdf(
            HashAlg::Sha1,
            &ikm11,
            &hex("000102030405060708090a0b0c"),
            &hex("f0f1f2f3f4f5f6f7f8f9"),
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            okm.to_vec(),
            hex(
                "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896"
            )
        );
        let mut too_long = vec![0; 255 * 32 + 1];
        assert_eq!(
            hkdf(HashAlg::Sha256, &ikm, b"", b"", &mut too_long),
            Err(KdfError::OutputTooLong)
        );
    }
}
