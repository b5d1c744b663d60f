//! What every board firmware needs, the same on each: the log console and
//! the clock over the board's raw console and kernel tick, and the kernel and
//! runtime hooks (a failed `configASSERT`, a failed kernel allocation, a
//! stack overflow, a Rust panic, a Cortex-M hard fault, console output from
//! the C library).
//!
//! A board's `main.rs` includes this file (`#[path = "../common/hooks.rs"]
//! mod hooks;`) and provides `crate::fail_fmt` (report and stop: exit QEMU
//! or reset) and `crate::console_bytes` (raw console output).

/// A hard fault on a Cortex-M board: report where, and stop.
#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    crate::fail_fmt(format_args!(
        "hard fault at pc {:#010x}, lr {:#010x}",
        frame.pc(),
        frame.lr()
    ))
}

/// A Rust panic is a firmware bug: report it and stop.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::fail_fmt(format_args!("panic: {info}"))
}

/// Called by the C library's `write` to the console (stdout, stderr).
///
/// # Safety
/// `data` must point to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn isere_board_console_write(data: *const u8, len: usize) {
    // SAFETY: per the contract.
    crate::console_bytes(unsafe { core::slice::from_raw_parts(data, len) });
}

/// `configASSERT` failed: a firmware bug.
///
/// # Safety
/// `file` must be a NUL-terminated string (the kernel passes `__FILE__`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vIsereAssertFailed(
    file: *const core::ffi::c_char,
    line: core::ffi::c_ulong,
) {
    // SAFETY: per the contract.
    let file = unsafe { core::ffi::CStr::from_ptr(file) }
        .to_str()
        .unwrap_or("?");
    crate::fail_fmt(format_args!("FreeRTOS assertion failed at {file}:{line}"))
}

/// `pvPortMalloc` returned NULL; the caller handles it, we make it visible
/// (without formatting: that would allocate from the exhausted heap).
#[unsafe(no_mangle)]
pub extern "C" fn vApplicationMallocFailedHook() {
    crate::console_bytes(b"[heap] FreeRTOS heap exhausted: an allocation failed\r\n");
}

/// A task overflowed its stack: memory is already corrupt, stop.
///
/// # Safety
/// `name` must be the task's NUL-terminated name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vApplicationStackOverflowHook(
    _task: *mut core::ffi::c_void,
    name: *const core::ffi::c_char,
) {
    // SAFETY: per the contract.
    let name = unsafe { core::ffi::CStr::from_ptr(name) }
        .to_str()
        .unwrap_or("?");
    crate::fail_fmt(format_args!("stack overflow in task '{name}'"))
}

/// The log console: one line at a time over the board's raw console. The
/// scheduler is suspended while a line drains (a line at 115200 baud takes
/// milliseconds), so lines of different tasks never interleave while
/// interrupts keep being served.
pub struct LineConsole;

impl isere::port::Console for LineConsole {
    fn write_line(&self, line: &str) {
        isere::rtos::without_task_switches(|| {
            crate::console_bytes(line.as_bytes());
            crate::console_bytes(b"\r\n");
        });
    }
}

/// The board's log console.
pub static CONSOLE: LineConsole = LineConsole;

/// The board's log sink: the console, and the ring of recent lines once
/// over-the-air deploys enable it.
pub static LOGGER: isere::logger::Logger = isere::logger::Logger::new(&CONSOLE);

/// The boards have no battery-backed clock: time counts from the build time.
pub struct TickClock;

impl isere::port::Clock for TickClock {
    fn unix_time(&self) -> u64 {
        self.unix_millis() / 1000
    }

    /// As newlib's `_gettimeofday` (port/common/newlib.c), which `Date.now()`
    /// reads.
    fn unix_millis(&self) -> u64 {
        BUILD_EPOCH * 1000 + isere::rtos::ticks_to_ms(isere::rtos::tick_count())
    }
}

/// Seconds since the Unix epoch when the firmware was built (build.rs).
const BUILD_EPOCH: u64 = match u64::from_str_radix(env!("ISERE_BUILD_EPOCH"), 10) {
    Ok(v) => v,
    Err(_) => 0,
};
