//! UART0 as the console, transmit only.
//!
//! The ROM configured UART0 (GPIO21 TX / GPIO20 RX on the usual modules,
//! 115200 8N1) for its own messages and the bootloader leaves it so; this
//! driver only feeds the transmit FIFO, polling its fill level. Registers
//! (TRM "UART Controller"): `UART_FIFO_REG` at +0x00 takes one byte per
//! write, `UART_STATUS_REG` at +0x1C holds `UART_TXFIFO_CNT` in bits 16..25;
//! the FIFO holds 128 bytes. Unverified on hardware.

use core::ptr::{read_volatile, write_volatile};

const BASE: usize = 0x6000_0000;
const FIFO: usize = BASE;
const STATUS: usize = BASE + 0x1C;
const TXFIFO_CNT_SHIFT: u32 = 16;
const TXFIFO_CNT_MASK: u32 = 0x3FF;
const FIFO_BYTES: u32 = 128;

/// Writes bytes, waiting while the transmit FIFO is full (about 87 µs per
/// byte at 115200 baud once it is).
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: UART0's MMIO registers; only this module touches them,
        // and a FIFO write is a single store.
        unsafe {
            while (read_volatile(STATUS as *const u32) >> TXFIFO_CNT_SHIFT) & TXFIFO_CNT_MASK
                >= FIFO_BYTES
            {}
            write_volatile(FIFO as *mut u32, u32::from(b));
        }
    }
}
