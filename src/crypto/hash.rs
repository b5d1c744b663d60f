//! The SHA family (FIPS 180-4) and HMAC over it (RFC 2104), one-shot and
//! incremental, behind one [`HashAlg`] so that callers name an algorithm by
//! value instead of by type.

use alloc::vec::Vec;

use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// A hash function of the SHA family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-1 (legacy: fine for HMAC and PBKDF2, not for signatures).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The algorithm a WebCrypto name (`"SHA-256"`, any case) or a Node.js
    /// name (`"sha256"`, any case) stands for.
    pub fn from_name(name: &str) -> Option<HashAlg> {
        const NAMES: [(&str, &str, HashAlg); 4] = [
            ("SHA-1", "sha1", HashAlg::Sha1),
            ("SHA-256", "sha256", HashAlg::Sha256),
            ("SHA-384", "sha384", HashAlg::Sha384),
            ("SHA-512", "sha512", HashAlg::Sha512),
        ];
        NAMES
            .iter()
            .find(|(web, node, _)| {
                name.eq_ignore_ascii_case(web) || name.eq_ignore_ascii_case(node)
            })
            .map(|&(_, _, alg)| alg)
    }

    /// The WebCrypto name (`"SHA-256"`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    /// Bytes of output.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// Bytes of one input block (the default HMAC key length in WebCrypto).
    pub fn block_len(self) -> usize {
        match self {
            HashAlg::Sha1 | HashAlg::Sha256 => 64,
            HashAlg::Sha384 | HashAlg::Sha512 => 128,
        }
    }
}

/// The hash of `data`.
pub fn digest(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    let mut h = Hasher::new(alg);
    h.update(data);
    h.finalize()
}

/// An incremental hash.
#[derive(Clone)]
pub enum Hasher {
    /// SHA-1 state.
    Sha1(Sha1),
    /// SHA-256 state.
    Sha256(Sha256),
    /// SHA-384 state.
    Sha384(Sha384),
    /// SHA-512 state.
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh state for `alg`.
    pub fn new(alg: HashAlg) -> Hasher {
        match alg {
            HashAlg::Sha1 => Hasher::Sha1(Sha1::new()),
            HashAlg::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlg::Sha384 => Hasher::Sha384(Sha384::new()),
            HashAlg::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// The hash of everything fed.
    pub fn finalize(self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// An incremental HMAC.
#[derive(Clone)]
pub enum Mac {
    /// HMAC-SHA-1 state.
    Sha1(Hmac<Sha1>),
    /// HMAC-SHA-256 state.
    Sha256(Hmac<Sha256>),
    /// HMAC-SHA-384 state.
    Sha384(Hmac<Sha384>),
    /// HMAC-SHA-512 state.
    Sha512(Hmac<Sha512>),
}

impl Mac {
    /// A state keyed with `key` (any length: longer keys are hashed, as
    /// RFC 2104 says).
    pub fn new(alg: HashAlg, key: &[u8]) -> Mac {
        // `new_from_slice` fails only for fixed-length keys; HMAC takes any.
        match alg {
            HashAlg::Sha1 => Mac::Sha1(keyed(key)),
            HashAlg::Sha256 => Mac::Sha256(keyed(key)),
            HashAlg::Sha384 => Mac::Sha384(keyed(key)),
            HashAlg::Sha512 => Mac::Sha512(keyed(key)),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Mac::Sha1(m) => m.update(data),
            Mac::Sha256(m) => m.update(data),
            Mac::Sha384(m) => m.update(data),
            Mac::Sha512(m) => m.update(data),
        }
    }

    /// The tag of everything fed.
    pub fn finalize(self) -> Vec<u8> {
        match self {
            Mac::Sha1(m) => m.finalize().into_bytes().to_vec(),
            Mac::Sha256(m) => m.finalize().into_bytes().to_vec(),
            Mac::Sha384(m) => m.finalize().into_bytes().to_vec(),
            Mac::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Whether `tag` is the tag of everything fed, compared in constant time.
    pub fn verify(self, tag: &[u8]) -> bool {
        constant_time_eq(&self.finalize(), tag)
    }
}

/// An HMAC state keyed with `key`.
pub(crate) fn keyed<M: hmac::digest::KeyInit>(key: &[u8]) -> M {
    // HMAC accepts keys of every length, so this never falls back; the
    // fallback keeps the function total without a panic path.
    M::new_from_slice(key).unwrap_or_else(|_| M::new(&Default::default()))
}

/// The HMAC of `data` under `key`.
pub fn hmac(alg: HashAlg, key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Mac::new(alg, key);
    m.update(data);
    m.finalize()
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    /// FIPS 180 examples: "abc" and the two-block message.
    #[test]
    fn sha_known_answers() {
        let two_block = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        let cases: [(HashAlg, &[u8], &str); 6] = [
            (
                HashAlg::Sha1,
                b"abc",
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                HashAlg::Sha1,
                two_block,
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
            ),
            (
                HashAlg::Sha256,
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                HashAlg::Sha256,
                two_block,
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                HashAlg::Sha384,
                b"abc",
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
                 8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                HashAlg::Sha512,
                b"abc",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (alg, msg, want) in cases {
            assert_eq!(digest(alg, msg), hex(want), "{alg:?}");
        }
        // Incremental feeding gives the same answer as one-shot.
        let mut h = Hasher::new(HashAlg::Sha256);
        for chunk in two_block.chunks(7) {
            h.update(chunk);
        }
        assert_eq!(h.finalize(), digest(HashAlg::Sha256, two_block));
    }

    #[test]
    fn names() {
        assert_eq!(HashAlg::from_name("sha-256"), Some(HashAlg::Sha256));
        assert_eq!(HashAlg::from_name("SHA512"), Some(HashAlg::Sha512));
        assert_eq!(HashAlg::from_name("sha1"), Some(HashAlg::Sha1));
        assert_eq!(HashAlg::from_name("md5"), None);
        assert_eq!(
            HashAlg::from_name("SHA-384").map(HashAlg::name),
            Some("SHA-384")
        );
    }

    /// RFC 4231 test cases 1, 2, 6 and 7 (test case 5 is about truncation).
    #[test]
    fn hmac_rfc4231() {
        let key20 = [0x0b; 20];
        let key131 = [0xaa; 131];
        let long_msg = b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";
        let cases: [(&[u8], &[u8], [&str; 3]); 4] = [
            (
                &key20,
                b"Hi There",
                [
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                     faea9ea9076ede7f4af152e8b2fa9cb6",
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                ],
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                [
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                     8e2240ca5e69e2c78b3239ecfab21649",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                ],
            ),
            (
                &key131,
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                [
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                     0c2ef6ab4030fe8296248df163f44952",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                ],
            ),
            (
                &key131,
                long_msg,
                [
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5\
                     a678cc31e799176d3860e6110c46523e",
                    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944\
                     b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
                ],
            ),
        ];
        for (key, msg, [want256, want384, want512]) in cases {
            assert_eq!(hmac(HashAlg::Sha256, key, msg), hex(want256));
            assert_eq!(hmac(HashAlg::Sha384, key, msg), hex(want384));
            assert_eq!(hmac(HashAlg::Sha512, key, msg), hex(want512));
            let mut m = Mac::new(HashAlg::Sha256, key);
            m.update(msg);
            assert!(m.clone().verify(&hex(want256)));
            assert!(!m.verify(&hex(want384)));
        }
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
