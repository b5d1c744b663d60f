//! Entropy from the ESP32-C3's hardware random number generator
//! (`RNG_DATA_REG`, ESP32-C3 Technical Reference Manual, "Random Number
//! Generator"): 32 bits per read.
//!
//! The TRM's caveat: the generator mixes thermal noise from the RF and
//! SAR ADC subsystems; with neither running (this port starts no radio and
//! no ADC yet) its output has less entropy than a full TRNG. The core only
//! seeds an HMAC_DRBG from it (`isere::crypto::random`); enabling the SAR
//! ADC noise source at boot, as Espressif's bootloader can, is the next
//! step when the board gets its radio.

use isere::port::{Entropy, EntropyError};

/// `RNG_DATA_REG`.
const RNG_DATA: *const u32 = 0x6002_60B0 as *const u32;
/// CPU cycles to let pass between two reads, so that each word mixes in new
/// noise (the TRM asks for reads no faster than the generator refills).
const SPACING_SPINS: u32 = 64;

/// The hardware RNG entropy source.
pub struct HardwareRng;

/// The board's entropy source, for the JS task's configuration.
pub static ENTROPY: HardwareRng = HardwareRng;

impl Entropy for HardwareRng {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in buf.chunks_mut(4) {
            for _ in 0..SPACING_SPINS {
                core::hint::spin_loop();
            }
            // SAFETY: a read-only peripheral register, always readable.
            let word = unsafe { core::ptr::read_volatile(RNG_DATA) };
            chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}
