//! ECDSA over NIST P-256 (FIPS 186-5, SEC 1): keys in the formats WebCrypto
//! imports and exports (raw SEC 1 points, SPKI, PKCS #8, JWK coordinates)
//! and signatures in WebCrypto's fixed-size `r || s` form.
//!
//! Signing is deterministic (RFC 6979, HMAC-SHA-256 nonces), so a board needs
//! no randomness to sign; keys are generated from caller-supplied random
//! bytes.

use alloc::vec::Vec;

use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};

use super::InvalidKey;
use super::hash::{self, HashAlg};

/// Bytes of a coordinate or of the private scalar.
pub const FIELD_LEN: usize = 32;
/// Bytes of a signature (`r || s`).
pub const SIGNATURE_LEN: usize = 64;

/// SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (65 bytes, no unused bits) }.
const SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// PKCS #8 PrivateKeyInfo up to the scalar: version 0, the same algorithm
/// identifier, and an OCTET STRING holding an ECPrivateKey (version 1,
/// 32-byte key) ...
const PKCS8_PREFIX: [u8; 36] = [
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];
/// ... followed by `[1] publicKey BIT STRING` (65 bytes), as browsers write it.
const PKCS8_PUBLIC_TAG: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];

/// A P-256 private key (zeroed when dropped).
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

/// A P-256 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PrivateKey {
    /// A new key from `random`, which is asked for 32 bytes until they form
    /// a valid scalar (all but about 2^-32 of draws do).
    pub fn generate<E>(
        mut random: impl FnMut(&mut [u8; FIELD_LEN]) -> Result<(), E>,
    ) -> Result<PrivateKey, E> {
        let mut bytes = [0u8; FIELD_LEN];
        loop {
            random(&mut bytes)?;
            let key = SigningKey::from_slice(&bytes);
            bytes.fill(0);
            if let Ok(key) = key {
                return Ok(PrivateKey(key));
            }
        }
    }

    /// The key with scalar `d` (32 big-endian bytes, as in a JWK's `d`),
    /// checked against the public point `(x, y)` when given.
    pub fn from_scalar(d: &[u8], public: Option<&PublicKey>) -> Result<PrivateKey, InvalidKey> {
        if d.len() != FIELD_LEN {
            return Err(InvalidKey);
        }
        let key = PrivateKey(SigningKey::from_slice(d).map_err(|_| InvalidKey)?);
        match public {
            Some(p) if *p != key.public_key() => Err(InvalidKey),
            _ => Ok(key),
        }
    }

    /// A key from a DER PKCS #8 PrivateKeyInfo for id-ecPublicKey on P-256.
    pub fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, InvalidKey> {
        SigningKey::from_pkcs8_der(der)
            .map(PrivateKey)
            .map_err(|_| InvalidKey)
    }

    /// DER PKCS #8 with the public key included, as browsers export it.
    pub fn to_pkcs8(&self) -> Vec<u8> {
        let mut der =
            Vec::with_capacity(PKCS8_PREFIX.len() + FIELD_LEN + PKCS8_PUBLIC_TAG.len() + 65);
        der.extend_from_slice(&PKCS8_PREFIX);
        der.extend_from_slice(&self.0.to_bytes());
        der.extend_from_slice(&PKCS8_PUBLIC_TAG);
        der.extend_from_slice(&self.public_key().to_sec1());
        der
    }

    /// The private scalar (a JWK's `d`).
    pub fn scalar(&self) -> [u8; FIELD_LEN] {
        self.0.to_bytes().into()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// Signs the hash of `message` under `alg`: `r || s`.
    pub fn sign(&self, alg: HashAlg, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let prehash = hash::digest(alg, message);
        // Every hash here is at least 20 bytes, above the half-field minimum
        // the ECDSA crate requires of a prehash, so this does not fail; the
        // zero fallback is never a valid signature and keeps this total.
        let signature: Result<Signature, _> = self.0.sign_prehash(&prehash);
        signature
            .map(|s| s.to_bytes().into())
            .unwrap_or([0; SIGNATURE_LEN])
    }
}

impl PublicKey {
    /// A key from a SEC 1 point: uncompressed (65 bytes, what WebCrypto's
    /// `raw` format holds) or compressed (33 bytes).
    pub fn from_sec1(bytes: &[u8]) -> Result<PublicKey, InvalidKey> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| InvalidKey)
    }

    /// A key from its affine coordinates (a JWK's `x` and `y`).
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<PublicKey, InvalidKey> {
        if x.len() != FIELD_LEN || y.len() != FIELD_LEN {
            return Err(InvalidKey);
        }
        let mut point = [0u8; 65];
        point[0] = 0x04;
        point[1..33].copy_from_slice(x);
        point[33..].copy_from_slice(y);
        PublicKey::from_sec1(&point)
    }

    /// A key from a DER SubjectPublicKeyInfo for id-ecPublicKey on P-256.
    pub fn from_spki(der: &[u8]) -> Result<PublicKey, InvalidKey> {
        VerifyingKey::from_public_key_der(der)
            .map(PublicKey)
            .map_err(|_| InvalidKey)
    }

    /// The uncompressed SEC 1 point (WebCrypto's `raw` export).
    pub fn to_sec1(&self) -> [u8; 65] {
        let point = self.0.to_encoded_point(false);
        let mut out = [0u8; 65];
        // An uncompressed encoding of a valid key is always 65 bytes.
        if point.as_bytes().len() == out.len() {
            out.copy_from_slice(point.as_bytes());
        }
        out
    }

    /// DER SubjectPublicKeyInfo.
    pub fn to_spki(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(SPKI_PREFIX.len() + 65);
        der.extend_from_slice(&SPKI_PREFIX);
        der.extend_from_slice(&self.to_sec1());
        der
    }

    /// The affine coordinates `(x, y)` (a JWK's `x` and `y`).
    pub fn coordinates(&self) -> ([u8; FIELD_LEN], [u8; FIELD_LEN]) {
        let point = self.to_sec1();
        let (mut x, mut y) = ([0u8; FIELD_LEN], [0u8; FIELD_LEN]);
        x.copy_from_slice(&point[1..33]);
        y.copy_from_slice(&point[33..]);
        (x, y)
    }

    /// Whether `signature` (`r || s`) signs the hash of `message` under
    /// `alg`. A signature of the wrong length is simply not valid.
    pub fn verify(&self, alg: HashAlg, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        let prehash = hash::digest(alg, message);
        self.0.verify_prehash(&prehash, &signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    const D: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    const UX: &str = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
    const UY: &str = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

    /// RFC 6979 A.2.5: the P-256 key, and its deterministic signature of
    /// "sample" with SHA-256 (our nonces are RFC 6979's, so signing must
    /// give exactly this).
    #[test]
    fn rfc6979_known_answer() {
        let key = PrivateKey::from_scalar(&hex(D), None).unwrap();
        let public = key.public_key();
        assert_eq!(
            public,
            PublicKey::from_coordinates(&hex(UX), &hex(UY)).unwrap()
        );
        let want = hex(
            "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716\
             f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
        );
        assert_eq!(key.sign(HashAlg::Sha256, b"sample").to_vec(), want);
        assert!(public.verify(HashAlg::Sha256, b"sample", &want));
        assert!(!public.verify(HashAlg::Sha256, b"samplf", &want));
        assert!(!public.verify(HashAlg::Sha384, b"sample", &want));
        assert!(!public.verify(HashAlg::Sha256, b"sample", &want[..63]));
        // The RFC's SHA-384 signature (its nonce came from HMAC-SHA-384).
        let sha384 = hex(
            "0eafea039b20e9b42309fb1d89e213057cbf973dc0cfc8f129edddc800ef7719\
             4861f0491e6998b9455193e34e7b0d284ddd7149a74b95b9261f13abde940954",
        );
        assert!(public.verify(HashAlg::Sha384, b"sample", &sha384));
    }

    #[test]
    fn generate_sign_verify_round_trip() {
        let mut counter = 0u8;
        let key = PrivateKey::generate(|b: &mut [u8; 32]| {
            counter += 1;
            b.fill(counter);
            Ok::<(), ()>(())
        })
        .unwrap();
        for alg in [
            HashAlg::Sha1,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
        ] {
            let sig = key.sign(alg, b"hello");
            assert!(key.public_key().verify(alg, b"hello", &sig), "{alg:?}");
        }
        // All-zero and all-ones scalars are out of range and are redrawn.
        let mut draws = [[0u8; 32], [0xff; 32], [1; 32]].into_iter();
        let key = PrivateKey::generate(|b: &mut [u8; 32]| {
            *b = draws.next().ok_or(())?;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(key.scalar(), [1; 32]);
    }

    #[test]
    fn formats_round_trip() {
        let key = PrivateKey::from_scalar(&hex(D), None).unwrap();
        let public = key.public_key();
        let pkcs8 = key.to_pkcs8();
        assert_eq!(
            PrivateKey::from_pkcs8(&pkcs8).unwrap().scalar(),
            key.scalar()
        );
        assert_eq!(PublicKey::from_spki(&public.to_spki()).unwrap(), public);
        assert_eq!(PublicKey::from_sec1(&public.to_sec1()).unwrap(), public);
        let (x, y) = public.coordinates();
        assert_eq!((x.to_vec(), y.to_vec()), (hex(UX), hex(UY)));
        // Compressed points import too.
        let mut compressed = [0u8; 33];
        compressed[0] = 0x02 | (y[31] & 1);
        compressed[1..].copy_from_slice(&x);
        assert_eq!(PublicKey::from_sec1(&compressed).unwrap(), public);
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(PublicKey::from_sec1(&[4; 65]).is_err());
        assert!(PublicKey::from_coordinates(&hex(UX), &hex(UX)).is_err());
        assert!(PublicKey::from_coordinates(&hex(UX)[1..], &hex(UY)).is_err());
        assert!(PrivateKey::from_scalar(&[0; 32], None).is_err());
        assert!(PrivateKey::from_scalar(&[1; 31], None).is_err());
        let other = PrivateKey::from_scalar(&[1; 32], None)
            .unwrap()
            .public_key();
        assert!(PrivateKey::from_scalar(&hex(D), Some(&other)).is_err());
        assert!(PrivateKey::from_pkcs8(b"\x30\x00").is_err());
        assert!(PublicKey::from_spki(&[0x30, 0x59]).is_err());
        // An Ed25519 SPKI is not a P-256 key.
        let ed = hex(
            "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        );
        assert!(PublicKey::from_spki(&ed).is_err());
    }
}
