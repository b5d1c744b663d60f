//! The CMSDK APB UART0 of the AN385 image (0x4000_4000): the console.
//!
//! Transmit only, polled: a line is written inside a critical section so
//! lines from different tasks never interleave. QEMU drains the FIFO
//! instantly; on hardware a long line would hold interrupts off for its
//! transmission time.

use core::ptr::{read_volatile, write_volatile};

const BASE: usize = 0x4000_4000;
const DATA: usize = BASE;
const STATE: usize = BASE + 0x4;
const CTRL: usize = BASE + 0x8;
const BAUDDIV: usize = BASE + 0x10;
const STATE_TX_FULL: u32 = 1;
const CTRL_TX_ENABLE: u32 = 1;

/// Enables the transmitter.
pub fn init() {
    // SAFETY: MMIO registers of the UART, which only this module touches.
    unsafe {
        write_volatile(BAUDDIV as *mut u32, 16);
        write_volatile(CTRL as *mut u32, CTRL_TX_ENABLE);
    }
}

/// Writes bytes, waiting while the transmit buffer is full.
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: as in `init`.
        unsafe {
            while read_volatile(STATE as *const u32) & STATE_TX_FULL != 0 {}
            write_volatile(DATA as *mut u32, b as u32);
        }
    }
}
