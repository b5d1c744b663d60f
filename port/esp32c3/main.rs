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

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use isere::config::Config;
use isere::device::Device;
use isere::http::server::TaskSizes;
use isere::js::task::JsConfig;
use isere::port::{Listener, Network};
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
    isere::logger::register(&hooks::LOGGER, log::LevelFilter::Info);
    log::info!(target: "board", "Isère {} on FreeRTOS (esp32c3, RV32IMC)", isere::VERSION);
    if rtos::spawn(c"init", TASK_STACK_WORDS, INIT_PRIORITY, || {
        boot::run(Esp32c3)
    })
    .is_err()
    {
        fail("cannot create the init task");
    }
    rtos::start_scheduler();
    fail("the scheduler returned");
}

/// This board, for the shared start-up (`port/common/boot.rs`).
struct Esp32c3;

impl boot::Board for Esp32c3 {
    const SIZES: boot::Sizes = boot::Sizes {
        js: JsConfig {
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: JS_STACK_WORDS,
            priority: JS_PRIORITY,
            queue_len: JS_QUEUE_LEN,
            io_workers: IO_WORKERS,
            io_stack_words: TASK_STACK_WORDS,
        },
        // No connection tasks: the board does not serve yet.
        server: TaskSizes {
            stack_words: TASK_STACK_WORDS,
            priority: JS_PRIORITY,
        },
        max_connections: 1,
        body_budget_bytes: 0,
        log_ring_bytes: 0,
    };

    /// No flash driver for the ESP32-C3 yet (its flash sits behind the
    /// cache and needs the ROM's SPI routines): a static route answers 503
    /// and a KV binding reports it is unavailable.
    fn mount(&mut self) -> Option<isere::fs::Fs> {
        log::info!(target: "board", "file system: not available on this board yet");
        None
    }

    fn config(&mut self, _pushed: Option<(Config, Vec<u8>)>) -> Result<(Config, Vec<u8>), String> {
        let config = Config::parse(DEFAULT_CONFIG.as_bytes())
            .map_err(|e| alloc::format!("built-in configuration: {e}"))?;
        isere::logger::set_level(config.log_level);
        Ok((config, DEFAULT_CONFIG.as_bytes().to_vec()))
    }

    fn js_memory_ceiling(&self, _free_heap: usize) -> usize {
        JS_MEMORY_CEILING
    }

    /// The Wi-Fi needs Espressif's binary blobs: no network yet.
    fn start_network(&mut self) -> (&'static dyn Network, Option<Listener>) {
        (&isere::port::NoNetwork, None)
    }

    fn started(&mut self, device: &Device) {
        let ok = boot::self_test(device);
        log::info!(
            target: "board",
            "selftest {}; no network on this board yet: not serving HTTP",
            if ok { "passed" } else { "FAILED" }
        );
        // The JS task keeps running (its timers, its queue); the init task ends.
    }

    fn fail(&self, message: core::fmt::Arguments<'_>) -> ! {
        fail_fmt(message)
    }
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
