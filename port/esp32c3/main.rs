//! Isère firmware for the ESP32-C3 (RV32IMC at up to 160 MHz, 400 KiB SRAM,
//! flash behind a cache).
//!
//! The same core as the other ports (the JS task, the example functions
//! compiled to bytecode at build time and linked into flash) on FreeRTOS's
//! generic RISC-V port with a SYSTIMER tick (`freertos_port.c`). There is no
//! network on this board yet, so it does not serve HTTP: at boot it runs one
//! request (`GET /hello`) through the JS task and logs the outcome and the
//! heap figures on UART0, then idles.
//!
//! Built, linked and size-checked in CI; not yet run on hardware (see
//! `port/esp32c3/README.md`).

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../common/boot.rs"]
mod boot;
mod entropy;
#[path = "../common/hooks.rs"]
mod hooks;
mod start;
mod uart;
mod watchdog;

use alloc::boxed::Box;
use core::fmt::Write as _;

use isere::config::Config;
use isere::js::task::{JsConfig, resolve_functions};
use isere::rtos;

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration the board boots with: only the `hello` example. Each
/// function has its own JS context with the Web API glue: ~276 KB of heap
/// on RV32 (measured on QEMU's RISC-V `virt`; ~240 KB on mps2-an385, whose
/// heap_4 aligns blocks to 8 bytes where the RISC-V port's aligns to 16).
/// The C3's 360 KiB heap holds one, not the four of `handlers/isere.json`.
const DEFAULT_CONFIG: &str = include_str!("isere.json");

/// Task sizes on this board, in 32-bit words.
const JS_STACK_WORDS: usize = 6144;
const TASK_STACK_WORDS: usize = 1024;
/// Worker tasks for functions' I/O (started on first use).
const IO_WORKERS: usize = 1;
/// QuickJS's own stack limit: what the JS task's stack has, minus a margin
/// for the Rust frames below the engine.
const JS_STACK_LIMIT: usize = JS_STACK_WORDS * 4 - 6 * 1024;
/// The engine's allocation limit: the configured one, but never so much
/// that the kernel's own objects (task stacks, among them the JS task's
/// 24 KiB, queues, timers, messages) could no longer be allocated.
const JS_MEMORY_CEILING: usize = 304 * 1024;
/// Messages the JS task's queue holds (no connection tasks on this board).
const JS_QUEUE_LEN: usize = 16;
const JS_PRIORITY: u32 = 2;
const INIT_PRIORITY: u32 = 4;

/// Called by `_start` (start.rs) on the boot stack, with `tp`, `.bss` and
/// the vector table set up and interrupts masked.
#[unsafe(no_mangle)]
pub extern "C" fn isere_esp32c3_main() -> ! {
    watchdog::disable_all();
    uart::write(b"\r\n");
    isere::logger::init(&hooks::CONSOLE, log::LevelFilter::Info);
    log::info!(target: "board", "Isère {} on FreeRTOS (esp32c3, RV32IMC)", isere::VERSION);
    if rtos::spawn(c"init", TASK_STACK_WORDS, INIT_PRIORITY, init_task).is_err() {
        fail("cannot create the init task");
    }
    rtos::start_scheduler();
    fail("the scheduler returned");
}

fn init_task() {
    let config: &'static Config = match Config::parse(DEFAULT_CONFIG.as_bytes()) {
        Ok(c) => Box::leak(Box::new(c)),
        Err(e) => fail_fmt(format_args!("built-in configuration: {e}")),
    };
    isere::logger::set_level(config.log_level);
    // No flash driver for the ESP32-C3 yet (its flash sits behind the cache
    // and needs the ROM's SPI routines): no file system is installed, so a
    // static route answers 503 and a KV binding reports it is unavailable.
    log::info!(target: "board", "file system: not available on this board yet");
    // Function files need a file system, which this board has not yet.
    let no_files = |path: &str| {
        Err(alloc::format!(
            "{path}: this board has no file system yet; use a built-in function"
        ))
    };
    let functions = match resolve_functions(config, no_files) {
        Ok(f) => f,
        Err(e) => fail_fmt(format_args!("{e}")),
    };
    let js = boot::start_js(
        functions,
        JsConfig {
            memory_limit: config.server.js_memory_bytes.min(JS_MEMORY_CEILING),
            memory_ceiling: JS_MEMORY_CEILING,
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: JS_STACK_WORDS,
            priority: JS_PRIORITY,
            queue_len: JS_QUEUE_LEN,
            cpu_limit_ms: config.server.handler_timeout_ms,
            entropy: &entropy::ENTROPY,
            io_workers: IO_WORKERS,
            io_stack_words: TASK_STACK_WORDS,
        },
    );
    let ok = boot::self_test(&js, config);
    log::info!(
        target: "board",
        "selftest {}; no network on this board yet: not serving HTTP",
        if ok { "passed" } else { "FAILED" }
    );
    boot::report_heap_after_boot();
    // The JS task keeps running (its timers, its queue); this task ends.
}

/// Reports a fatal error on the console and stops the board.
fn fail(message: &str) -> ! {
    fail_fmt(format_args!("{message}"))
}

fn fail_fmt(args: core::fmt::Arguments<'_>) -> ! {
    let mut line = heapless::String::<256>::new();
    let _ = line.write_fmt(args);
    uart::write(b"FATAL: ");
    uart::write(line.as_bytes());
    uart::write(b"\r\n");
    halt()
}

/// Masks interrupts and waits forever (a debugger can still attach).
fn halt() -> ! {
    // SAFETY: clears mstatus.MIE; nothing runs after this.
    unsafe { core::arch::asm!("csrci mstatus, 8") };
    loop {
        // SAFETY: waits for an interrupt, which never comes.
        unsafe { core::arch::asm!("wfi") };
    }
}

/// An exception other than a yield (freertos_port.c): report it and stop.
#[unsafe(no_mangle)]
pub extern "C" fn isere_esp32c3_fault(cause: u32, pc: u32, value: u32) -> ! {
    fail_fmt(format_args!(
        "exception {cause} at pc {pc:#010x} (mtval {value:#010x})"
    ))
}

/// An interrupt on a line nobody enabled (freertos_port.c has masked it).
#[unsafe(no_mangle)]
pub extern "C" fn isere_esp32c3_unexpected_interrupt(cause: u32) {
    let mut line = heapless::String::<64>::new();
    let _ = write!(line, "[irq] unexpected interrupt, mcause {cause:#010x}\r\n");
    uart::write(line.as_bytes());
}

/// Called by picolibc's `_exit` (after `abort`, a failed C `assert`).
#[unsafe(no_mangle)]
pub extern "C" fn isere_board_exit(status: i32) -> ! {
    fail_fmt(format_args!("C code exited with status {status}"))
}

/// Raw console output, for the shared hooks.
fn console_bytes(bytes: &[u8]) {
    uart::write(bytes);
}
