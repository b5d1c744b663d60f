//! The watchdogs the boot chain leaves running.
//!
//! The ESP-IDF bootloader starts the RTC watchdog (by default 9 s) for the
//! application to take over, and the ROM may leave the main-system watchdogs
//! of the two timer groups armed; the super watchdog resets the chip unless
//! fed. This firmware has no watchdog task yet, so it turns them off and
//! lets the super watchdog feed itself, as ESP-IDF's and esp-hal's start-up
//! do. Registers (TRM "Watchdog Timers", "Timer Group", "Low-power
//! Management"): unverified on hardware.

use core::ptr::{read_volatile, write_volatile};

/// Unlocks the RTC and timer-group watchdog registers.
const WDT_WRITE_KEY: u32 = 0x50D8_3AA1;
/// Unlocks the super watchdog's register.
const SWD_WRITE_KEY: u32 = 0x8F1D_312A;

const RTC_CNTL: usize = 0x6000_8000;
const RTC_WDTCONFIG0: usize = RTC_CNTL + 0x90;
const RTC_WDTWPROTECT: usize = RTC_CNTL + 0xA8;
const RTC_SWD_CONF: usize = RTC_CNTL + 0xAC;
const RTC_SWD_WPROTECT: usize = RTC_CNTL + 0xB0;
const SWD_AUTO_FEED_EN: u32 = 1 << 31;

const TIMG0: usize = 0x6001_F000;
const TIMG1: usize = 0x6002_0000;
const TIMG_WDTCONFIG0: usize = 0x48;
const TIMG_WDTWPROTECT: usize = 0x64;
/// Latches a new configuration into the timer group's watchdog.
const TIMG_WDT_CONF_UPDATE_EN: u32 = 1 << 22;

/// Disables the RTC and timer-group watchdogs; the super watchdog feeds
/// itself from now on.
pub fn disable_all() {
    // SAFETY: the watchdogs' MMIO registers, touched only here, before the
    // scheduler starts (nothing else runs).
    unsafe {
        write_volatile(RTC_WDTWPROTECT as *mut u32, WDT_WRITE_KEY);
        write_volatile(RTC_WDTCONFIG0 as *mut u32, 0);
        write_volatile(RTC_WDTWPROTECT as *mut u32, 0);

        write_volatile(RTC_SWD_WPROTECT as *mut u32, SWD_WRITE_KEY);
        let swd = read_volatile(RTC_SWD_CONF as *const u32);
        write_volatile(RTC_SWD_CONF as *mut u32, swd | SWD_AUTO_FEED_EN);
        write_volatile(RTC_SWD_WPROTECT as *mut u32, 0);

        for timg in [TIMG0, TIMG1] {
            write_volatile((timg + TIMG_WDTWPROTECT) as *mut u32, WDT_WRITE_KEY);
            write_volatile((timg + TIMG_WDTCONFIG0) as *mut u32, 0);
            write_volatile(
                (timg + TIMG_WDTCONFIG0) as *mut u32,
                TIMG_WDT_CONF_UPDATE_EN,
            );
            write_volatile((timg + TIMG_WDTWPROTECT) as *mut u32, 0);
        }
    }
}
