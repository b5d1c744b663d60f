//! Entropy on the emulated mps2-an385: the host's `/dev/urandom`, read
//! through semihosting.
//!
//! The board QEMU models has no TRNG, and its timers are deterministic
//! functions of the emulation, so nothing on the "chip" is unpredictable.
//! The host's generator is a real source, reachable because this firmware
//! only runs under QEMU with semihosting on (it reads its arguments that
//! way too). Acceptable only for the emulator: on real hardware semihosting
//! is a debugger channel, and a board without a TRNG would need another
//! source. The core only seeds an HMAC_DRBG from it (`isere::crypto::random`),
//! so the (slow) host call happens once per context and at reseeds.

use isere::port::{Entropy, EntropyError};

use crate::semihosting;

/// The host's entropy through semihosting.
pub struct HostEntropy;

/// The board's entropy source, for the JS task's configuration.
pub static ENTROPY: HostEntropy = HostEntropy;

impl Entropy for HostEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        semihosting::read_exact("/dev/urandom", buf).map_err(|_| EntropyError)
    }
}
