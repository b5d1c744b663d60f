//! Ed25519 (RFC 8032): keys as WebCrypto imports and exports them (raw
//! 32-byte public keys, SPKI, PKCS #8, JWK `x`/`d`) and 64-byte signatures.
//!
//! Verification is strict (ed25519-dalek's `verify_strict`): it refuses
//! small-order keys and `R` values and non-canonical encodings, which the
//! WebCrypto Secure Curves draft asks of implementations.

use alloc::vec::Vec;

use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use super::InvalidKey;

/// Bytes of a key (public, or the private seed).
pub const KEY_LEN: usize = 32;
/// Bytes of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// SubjectPublicKeyInfo up to the key: SEQUENCE { SEQUENCE { id-Ed25519 },
/// BIT STRING (32 bytes, no unused bits) } (RFC 8410).
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// OneAsymmetricKey version 0 up to the seed: id-Ed25519, then an OCTET
/// STRING holding the CurvePrivateKey OCTET STRING (RFC 8410 §7).
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An Ed25519 private key (zeroed when dropped).
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

/// An Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PrivateKey {
    /// The key with the 32-byte private seed `seed` (a JWK's `d`),
    /// checked against `public` when given.
    pub fn from_seed(seed: &[u8], public: Option<&PublicKey>) -> Result<PrivateKey, InvalidKey> {
        let seed: &[u8; KEY_LEN] = seed.try_into().map_err(|_| InvalidKey)?;
        let key = PrivateKey(SigningKey::from_bytes(seed));
        match public {
            Some(p) if *p != key.public_key() => Err(InvalidKey),
            _ => Ok(key),
        }
    }

    /// A key from a DER PKCS #8 (v1, or v2 with the public key) for id-Ed25519.
    pub fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, InvalidKey> {
        SigningKey::from_pkcs8_der(der)
            .map(PrivateKey)
            .map_err(|_| InvalidKey)
    }

    /// DER PKCS #8 v1, as browsers export it.
    pub fn to_pkcs8(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(PKCS8_PREFIX.len() + KEY_LEN);
        der.extend_from_slice(&PKCS8_PREFIX);
        der.extend_from_slice(self.0.as_bytes());
        der
    }

    /// The private seed (a JWK's `d`).
    pub fn seed(&self) -> [u8; KEY_LEN] {
        self.0.to_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

impl PublicKey {
    /// A key from its 32-byte encoding (WebCrypto's `raw` format, a JWK's `x`).
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, InvalidKey> {
        let bytes: &[u8; KEY_LEN] = bytes.try_into().map_err(|_| InvalidKey)?;
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| InvalidKey)
    }

    /// A key from a DER SubjectPublicKeyInfo for id-Ed25519.
    pub fn from_spki(der: &[u8]) -> Result<PublicKey, InvalidKey> {
        VerifyingKey::from_public_key_der(der)
            .map(PublicKey)
            .map_err(|_| InvalidKey)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.0.to_bytes()
    }

    /// DER SubjectPublicKeyInfo.
    pub fn to_spki(&self) -> Vec<u8> {
        let mut der = Vec::with_capacity(SPKI_PREFIX.len() + KEY_LEN);
        der.extend_from_slice(&SPKI_PREFIX);
        der.extend_from_slice(self.0.as_bytes());
        der
    }

    /// Whether `signature` signs `message`. A signature of the wrong length
    /// is simply not valid.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    /// RFC 8032 §7.1 tests 1 (empty message), 2 (one byte) and 3 (two bytes).
    #[test]
    fn rfc8032_known_answers() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                 5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                 085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
                 18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (seed, public, message, signature) in cases {
            let key = PrivateKey::from_seed(&hex(seed), None).unwrap();
            let public = PublicKey::from_bytes(&hex(public)).unwrap();
            assert_eq!(key.public_key(), public);
            let message = hex(message);
            assert_eq!(key.sign(&message).to_vec(), hex(signature));
            assert!(public.verify(&message, &hex(signature)));
            let mut tampered = hex(signature);
            tampered[5] ^= 1;
            assert!(!public.verify(&message, &tampered));
            assert!(!public.verify(&message, &tampered[..63]));
        }
    }

    #[test]
    fn formats_round_trip() {
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = PrivateKey::from_seed(&seed, None).unwrap();
        assert_eq!(
            PrivateKey::from_pkcs8(&key.to_pkcs8())
                .unwrap()
                .seed()
                .to_vec(),
            seed
        );
        let public = key.public_key();
        assert_eq!(PublicKey::from_spki(&public.to_spki()).unwrap(), public);
        assert_eq!(PublicKey::from_bytes(&public.to_bytes()).unwrap(), public);
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(PrivateKey::from_seed(&[1; 31], None).is_err());
        let other = PrivateKey::from_seed(&[2; 32], None).unwrap().public_key();
        assert!(PrivateKey::from_seed(&[1; 32], Some(&other)).is_err());
        assert!(PublicKey::from_bytes(&[1; 33]).is_err());
        assert!(PrivateKey::from_pkcs8(b"\x30\x00").is_err());
        // A P-256 SPKI is not an Ed25519 key.
        let mut p256 = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
        p256.extend([4; 65]);
        assert!(PublicKey::from_spki(&p256).is_err());
    }
}
