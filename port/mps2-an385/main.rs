//! Isère firmware for QEMU's `mps2-an385` (Cortex-M3, 25 MHz, LAN9118).
//!
//! The same core as the simulator: connection tasks, the JS task, the
//! example functions compiled to bytecode at build time and linked into
//! flash. This file brings the board up (UART console, heap, kernel hooks,
//! fault handlers) and starts the tasks.
//!
//! Run it with `make qemu`. Arguments come through semihosting
//! (`-semihosting-config enable=on,target=native,arg=...`):
//! `selftest` runs one request through the JS task without the network,
//! prints the heap figures and exits QEMU with the result.

#![no_std]
#![no_main]

extern crate alloc;

mod semihosting;
mod uart;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use cortex_m_rt::{ExceptionFrame, entry, exception};
use isere::config::{Config, FunctionSource};
use isere::js::task::{JsConfig, JsTask, LoadedFunction};
use isere::js::{Exchange, Reply};
use isere::port::Console;
use isere::rtos::{self, Queue};

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration the board boots with: the example functions.
const DEFAULT_CONFIG: &str = include_str!("../../handlers/isere.json");

/// Task sizes on this board, in 32-bit words.
const JS_STACK_WORDS: usize = 8192;
const TASK_STACK_WORDS: usize = 2048;
/// QuickJS's own stack limit: what the JS task's stack has, minus a margin
/// for the Rust frames below the engine.
const JS_STACK_LIMIT: usize = JS_STACK_WORDS * 4 - 6 * 1024;
const JS_PRIORITY: u32 = 2;
const INIT_PRIORITY: u32 = 4;

/// The UART as the log console.
struct UartConsole;

impl Console for UartConsole {
    fn write_line(&self, line: &str) {
        rtos::critical(|| {
            uart::write(line.as_bytes());
            uart::write(b"\r\n");
        });
    }
}

static CONSOLE: UartConsole = UartConsole;

#[entry]
fn main() -> ! {
    uart::init();
    isere::logger::init(&CONSOLE, log::LevelFilter::Info, true);
    log::info!(target: "board", "Isère {} on FreeRTOS (mps2-an385, Cortex-M3)", isere::VERSION);
    let mut buf = [0u8; 256];
    let args = String::from(semihosting::command_line(&mut buf).unwrap_or(""));
    let selftest = args.split_ascii_whitespace().any(|a| a == "selftest");
    if rtos::spawn(c"init", TASK_STACK_WORDS, INIT_PRIORITY, move || {
        init_task(selftest)
    })
    .is_err()
    {
        fail("cannot create the init task");
    }
    rtos::start_scheduler();
    fail("the scheduler returned");
}

fn init_task(selftest: bool) {
    let config: &'static Config = match Config::parse(DEFAULT_CONFIG.as_bytes()) {
        Ok(c) => Box::leak(Box::new(c)),
        Err(e) => fail_fmt(format_args!("built-in configuration: {e}")),
    };
    isere::logger::set_level(config.log_level);
    let functions: Vec<LoadedFunction> = config
        .functions
        .iter()
        .filter_map(|f| match &f.source {
            FunctionSource::Builtin(name) => isere::js::builtin::function(name).map(|bc| LoadedFunction {
                name: f.name.clone(),
                bytecode: bc.to_vec(),
                env: f.env.clone(),
            }),
            FunctionSource::Path(p) => {
                log::error!(target: "board", "function '{}': files ({p}) need a file system, which this board has not yet", f.name);
                None
            }
        })
        .collect();
    let before = rtos::heap_stats();
    let js = match JsTask::start(
        functions,
        JsConfig {
            memory_limit: config.server.js_memory_bytes,
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: JS_STACK_WORDS,
            priority: JS_PRIORITY,
            queue_len: 16 + 2 * config.server.max_connections,
            cpu_limit_ms: config.server.handler_timeout_ms,
        },
    ) {
        Ok(js) => js,
        Err(e) => fail_fmt(format_args!("{e}")),
    };
    let loaded = rtos::heap_stats();
    log::info!(
        target: "board",
        "heap: {} bytes used ({} by the JS runtime and its functions), {} peak, {} free",
        loaded.used,
        loaded.used - before.used,
        loaded.peak,
        loaded.free
    );
    if selftest {
        self_test(js, config);
    }
    log::error!(target: "board", "networking is not implemented on this board yet");
    semihosting::exit(1);
}

/// Sends `GET /hello` through the JS task and exits QEMU with the outcome.
fn self_test(js: JsTask, config: &Config) -> ! {
    let Some(route) = config.route("/hello") else {
        fail("selftest: no /hello route");
    };
    let replies: &'static Queue<Reply> = match Queue::new(1) {
        Ok(q) => Box::leak(Box::new(q)),
        Err(_) => fail("selftest: out of memory"),
    };
    rtos::reset_heap_peak();
    let before = rtos::heap_stats();
    let started = rtos::tick_count();
    let exchange = Box::new(Exchange {
        seq: 1,
        function: route.function,
        method: String::from("GET"),
        url: String::from("http://board/hello"),
        headers: alloc::vec![(String::from("host"), b"board".to_vec())],
        body: None,
        reply_to: replies,
    });
    if js.submit(exchange).is_err() {
        fail("selftest: JS queue full");
    }
    let Some(reply) = replies.receive(rtos::ms_to_ticks(10_000)) else {
        fail("selftest: no reply within 10 s");
    };
    let after = rtos::heap_stats();
    let body = core::str::from_utf8(reply.body.as_deref().unwrap_or(&[])).unwrap_or("(not UTF-8)");
    log::info!(
        target: "board",
        "selftest: GET /hello -> {} {:?} in {} ms; request peak heap {} bytes above idle",
        reply.status,
        body.trim_end(),
        rtos::ticks_to_ms(rtos::tick_count() - started),
        after.peak - before.used
    );
    semihosting::exit(if reply.status == 200 { 0 } else { 1 });
}

/// Reports a fatal error on the console and ends the emulation.
fn fail(message: &str) -> ! {
    fail_fmt(format_args!("{message}"))
}

fn fail_fmt(args: core::fmt::Arguments<'_>) -> ! {
    let mut line = heapless::String::<256>::new();
    let _ = line.write_fmt(args);
    uart::write(b"FATAL: ");
    uart::write(line.as_bytes());
    uart::write(b"\r\n");
    semihosting::exit(70);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    fail_fmt(format_args!("panic: {info}"))
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    fail_fmt(format_args!(
        "hard fault at pc {:#010x}, lr {:#010x}",
        frame.pc(),
        frame.lr()
    ))
}

/// Called by newlib's `_write` (console output of the C side).
#[unsafe(no_mangle)]
pub extern "C" fn isere_board_console_write(data: *const u8, len: usize) {
    // SAFETY: newlib passes a buffer of `len` bytes.
    uart::write(unsafe { core::slice::from_raw_parts(data, len) });
}

/// Called by newlib's `_exit`.
#[unsafe(no_mangle)]
pub extern "C" fn isere_board_exit(status: i32) -> ! {
    semihosting::exit(status)
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
    fail_fmt(format_args!("FreeRTOS assertion failed at {file}:{line}"))
}

/// `pvPortMalloc` returned NULL; the caller handles it, we make it visible.
#[unsafe(no_mangle)]
pub extern "C" fn vApplicationMallocFailedHook() {
    uart::write(b"[heap] FreeRTOS heap exhausted: an allocation failed\r\n");
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
    fail_fmt(format_args!("stack overflow in task '{name}'"))
}

/// The AN385 image's interrupt vector (cortex-m-rt's `device` table).
#[repr(C)]
#[derive(Clone, Copy)]
pub union Vector {
    handler: unsafe extern "C" fn(),
    reserved: usize,
}

unsafe extern "C" {
    fn ETHERNET();
}

/// IRQ numbers of the AN385 image used here.
const IRQ_ETHERNET: usize = 13;

#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
#[used]
static __INTERRUPTS: [Vector; 32] = {
    let mut v = [Vector { reserved: 0 }; 32];
    v[IRQ_ETHERNET] = Vector { handler: ETHERNET };
    v
};
