//! Entropy from the RP2040's ring oscillator: `ROSC.RANDOMBIT` samples the
//! free-running ROSC (left running by the clock setup), one raw bit per read.
//!
//! Raw ROSC bits are biased and correlated when read back to back, so each
//! output bit is the parity of [`FOLD`] von Neumann-debiased pairs of reads.
//! The core conditions the result further (it only seeds an HMAC_DRBG, see
//! `isere::crypto::random`). A source stuck at one value (a stopped ROSC, or
//! an emulator that does not model it) fails instead of spinning forever.

use isere::port::{Entropy, EntropyError};
use rp2040_hal::pac;

/// Debiased bits folded into each output bit.
const FOLD: u32 = 4;
/// Raw pairs tried for one debiased bit before the source counts as stuck.
const MAX_PAIRS: u32 = 1024;

/// The ring-oscillator entropy source.
pub struct RoscEntropy;

/// The board's entropy source, for the JS task's configuration.
pub static ENTROPY: RoscEntropy = RoscEntropy;

fn raw_bit() -> bool {
    // SAFETY: a read-only status register; reading it has no side effect
    // that other code relies on.
    unsafe { (*pac::ROSC::ptr()).randombit().read().randombit().bit() }
}

/// One von Neumann-debiased bit: the first of a pair of unequal raw bits.
fn debiased_bit() -> Result<bool, EntropyError> {
    for _ in 0..MAX_PAIRS {
        let (a, b) = (raw_bit(), raw_bit());
        if a != b {
            return Ok(a);
        }
    }
    Err(EntropyError)
}

impl Entropy for RoscEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for byte in buf.iter_mut() {
            let mut value = 0u8;
            for _ in 0..8 {
                let mut bit = false;
                for _ in 0..FOLD {
                    bit ^= debiased_bit()?;
                }
                value = (value << 1) | u8::from(bit);
            }
            *byte = value;
        }
        Ok(())
    }
}
