//! The random generator behind `crypto.getRandomValues`, key generation and
//! `randomBytes`: HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, §10.1.2),
//! seeded and periodically reseeded from the port's [`Entropy`].
//!
//! Why a generator over the port's source instead of the source itself: the
//! boards' sources are slow (the RP2040 yields one raw bit per read of its
//! ring oscillator) and not uniformly distributed; the DRBG turns a short
//! seed into any amount of output and its instantiate step conditions the
//! seed through HMAC, so a biased source costs nothing but seed length.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use super::hash::keyed;
use crate::port::{Entropy, EntropyError};

/// Bytes of seed taken from the port at instantiation and at each reseed:
/// 256 bits of entropy plus the 128-bit nonce SP 800-90A asks for.
pub const SEED_LEN: usize = 48;
/// Most bytes one generate call may return (SP 800-90A: 2^19 bits).
pub const MAX_REQUEST: usize = 65536;
/// Generate calls between two reseeds. SP 800-90A allows 2^48; a small
/// interval bounds how much output a leaked state predicts.
pub const RESEED_INTERVAL: u32 = 1024;

/// HMAC_DRBG over SHA-256. The key is kept as a keyed HMAC state, so each
/// 32-byte output block costs two SHA-256 compressions, not four.
pub struct Drbg {
    key: Hmac<Sha256>,
    v: [u8; 32],
    generated: u32,
}

impl Drbg {
    /// A generator seeded with [`SEED_LEN`] bytes from `entropy`.
    pub fn new(entropy: &dyn Entropy) -> Result<Drbg, EntropyError> {
        let mut seed = [0u8; SEED_LEN];
        entropy.fill(&mut seed)?;
        let drbg = Drbg::from_seed(&seed);
        seed.fill(0);
        Ok(drbg)
    }

    /// Instantiate with `seed` (entropy input, nonce and personalisation
    /// string, concatenated) as the seed material: deterministic, for tests
    /// and known-answer checks.
    pub fn from_seed(seed: &[u8]) -> Drbg {
        let mut drbg = Drbg {
            key: keyed(&[0u8; 32]),
            v: [1u8; 32],
            generated: 0,
        };
        drbg.update(seed);
        drbg
    }

    /// Fills `out` with random bytes, reseeding from `entropy` first when
    /// [`RESEED_INTERVAL`] generate calls have passed. Any length: requests
    /// over [`MAX_REQUEST`] are split into several generate calls.
    pub fn fill(&mut self, entropy: &dyn Entropy, out: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in out.chunks_mut(MAX_REQUEST) {
            if self.generated >= RESEED_INTERVAL {
                let mut seed = [0u8; SEED_LEN];
                entropy.fill(&mut seed)?;
                self.reseed(&seed);
                seed.fill(0);
            }
            self.generate(chunk);
        }
        Ok(())
    }

    /// Mixes fresh entropy into the state (SP 800-90A reseed, no
    /// additional input).
    pub fn reseed(&mut self, seed: &[u8]) {
        self.update(seed);
        self.generated = 0;
    }

    /// One generate call without additional input: `out` of at most
    /// [`MAX_REQUEST`] bytes (longer requests are the caller's to split).
    pub fn generate(&mut self, out: &mut [u8]) {
        for block in out.chunks_mut(32) {
            self.v = self.mac_v(&[]);
            block.copy_from_slice(&self.v[..block.len()]);
        }
        self.update(&[]);
        self.generated = self.generated.saturating_add(1);
    }

    /// HMAC(K, V || suffix).
    fn mac_v(&self, suffix: &[&[u8]]) -> [u8; 32] {
        let mut m = self.key.clone();
        m.update(&self.v);
        for part in suffix {
            m.update(part);
        }
        m.finalize().into_bytes().into()
    }

    /// The HMAC_DRBG update function with `provided` data.
    fn update(&mut self, provided: &[u8]) {
        let k = self.mac_v(&[&[0x00], provided]);
        self.key = keyed(&k);
        self.v = self.mac_v(&[]);
        if provided.is_empty() {
            return;
        }
        let k = self.mac_v(&[&[0x01], provided]);
        self.key = keyed(&k);
        self.v = self.mac_v(&[]);
    }
}

/// A version 4 (random) UUID from 16 random bytes, in the lowercase
/// `8-4-4-4-12` form of RFC 9562.
pub fn uuid_v4(mut bytes: [u8; 16]) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10xx
    let mut out = [b'-'; 36];
    let mut pos = 0;
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            pos += 1;
        }
        out[pos] = HEX[usize::from(b >> 4)];
        out[pos + 1] = HEX[usize::from(b & 0x0f)];
        pos += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;
    use core::sync::atomic::{AtomicU32, Ordering};

    /// A source that counts how often it is asked and returns a fixed byte.
    struct Counting(AtomicU32);
    impl Entropy for Counting {
        fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            buf.fill(0x5a);
            Ok(())
        }
    }

    struct Broken;
    impl Entropy for Broken {
        fn fill(&self, _buf: &mut [u8]) -> Result<(), EntropyError> {
            Err(EntropyError)
        }
    }

    /// NIST CAVP HMAC_DRBG, SHA-256, no prediction resistance, no
    /// personalisation string, count 0: instantiate with entropy || nonce,
    /// generate 1024 bits twice; the second output is the answer.
    #[test]
    fn hmac_drbg_cavp() {
        let mut seed = hex("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488");
        seed.extend(hex("659ba96c601dc69fc902940805ec0ca8"));
        let mut drbg = Drbg::from_seed(&seed);
        let mut out = [0u8; 128];
        drbg.generate(&mut out);
        drbg.generate(&mut out);
        let want = "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89\
                    d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1\
                    07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668\
                    961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8";
        assert_eq!(out.to_vec(), hex(want));
    }

    #[test]
    fn reseeds_after_the_interval() {
        let source = Counting(AtomicU32::new(0));
        let mut drbg = Drbg::new(&source).unwrap();
        assert_eq!(source.0.load(Ordering::Relaxed), 1);
        let mut out = [0u8; 8];
        for _ in 0..RESEED_INTERVAL {
            drbg.fill(&source, &mut out).unwrap();
        }
        assert_eq!(source.0.load(Ordering::Relaxed), 1);
        drbg.fill(&source, &mut out).unwrap();
        assert_eq!(source.0.load(Ordering::Relaxed), 2);
        // Long requests are split into generate calls of MAX_REQUEST bytes.
        let mut long = alloc::vec![0u8; MAX_REQUEST * 2 + 1];
        let before = drbg.generated;
        drbg.fill(&source, &mut long).unwrap();
        assert_eq!(drbg.generated, before + 3);
        assert!(Drbg::new(&Broken).is_err());
    }

    #[test]
    fn successive_outputs_differ() {
        let mut drbg = Drbg::from_seed(&[7; SEED_LEN]);
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        drbg.generate(&mut a);
        drbg.generate(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn uuid_layout() {
        let uuid = uuid_v4([0xff; 16]);
        assert_eq!(&uuid, b"ffffffff-ffff-4fff-bfff-ffffffffffff");
        let uuid = uuid_v4([0; 16]);
        assert_eq!(&uuid, b"00000000-0000-4000-8000-000000000000");
    }
}
