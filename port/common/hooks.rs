//! The kernel and runtime hooks every board firmware needs, the same on each:
//! a failed `configASSERT`, a failed kernel allocation, a stack overflow, a
//! Rust panic, and console output from the C library.
//!
//! A board's `main.rs` includes this file (`#[path = "../common/hooks.rs"]
//! mod hooks;`) and provides `crate::fail_fmt` (report and stop: exit QEMU
//! or reset) and `crate::console_bytes` (raw console output).

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
