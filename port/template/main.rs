//! BOARD: one line naming the board and what it shows.
//!
//! The template of a board firmware (see README.md): not built. Every
//! `BOARD:` comment marks what the new board must fill in.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../common/boot.rs"]
mod boot;
#[path = "../common/hooks.rs"]
mod hooks;
// BOARD: the board's own parts.
mod entropy;
mod flash;
mod uart;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use isere::config::Config;
use isere::device::Device;
use isere::http::server::TaskSizes;
use isere::js::task::JsConfig;
use isere::port::{Listener, Network};
use isere::rtos;

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration the board boots with (BOARD: its own, sized for its RAM).
const BOARD_CONFIG: &str = include_str!("isere.json");

/// BOARD: the reset entry of the chip's runtime crate.
fn main() -> ! {
    // BOARD: clocks, the console.
    uart::init();
    isere::logger::register(&hooks::LOGGER, log::LevelFilter::Info);
    // 16 KiB: at boot the init task checks the signatures of a pushed
    // configuration and of deployed bundles again (Ed25519: ~13.5 KiB of
    // stack in ARMv6-M code, measured on the RP2040).
    if rtos::spawn(c"init", 4096, 4, || boot::run(Template)).is_err() {
        fail_fmt(format_args!("cannot create the init task"));
    }
    rtos::start_scheduler();
    fail_fmt(format_args!("the scheduler returned"))
}

/// This board, for the shared start-up.
struct Template;

impl boot::Board for Template {
    // BOARD: sizes measured on the board (`GET /_isere/stats` reports the
    // stacks' high-water marks; `make size-<board>` the heap).
    const SIZES: boot::Sizes = boot::Sizes {
        js: JsConfig {
            stack_limit: 16 * 1024 - 6 * 1024,
            task_stack_words: 4096,
            priority: 2,
            queue_len: 16,
            io_workers: 1,
            io_stack_words: 1280,
        },
        server: TaskSizes {
            stack_words: 1280,
            priority: 2,
        },
        max_connections: 4,
        // What request bodies in flight may take, all connections together.
        body_budget_bytes: 32 * 1024,
        log_ring_bytes: 2 * 1024,
    };




    fn mount(&mut self) -> Option<isere::fs::Fs> {
        // BOARD: the flash partition (see port/rp2040/flash.rs).
        isere::fs::Fs::mount_or_format(Box::new(flash::Partition::new())).ok()
    }

    fn config(&mut self, pushed: Option<(Config, Vec<u8>)>) -> Result<(Config, Vec<u8>), String> {
        if let Some(pushed) = pushed {
            return Ok(pushed);
        }
        let config = Config::parse(BOARD_CONFIG.as_bytes()).map_err(|e| alloc::format!("{e}"))?;
        Ok((config, BOARD_CONFIG.as_bytes().to_vec()))
    }

    fn js_memory_ceiling(&self, free_heap: usize) -> usize {
        // BOARD: leave the network and the connection tasks their share.
        free_heap.saturating_sub(64 * 1024)
    }

    fn start_network(&mut self) -> (&'static dyn Network, Option<Listener>) {
        // BOARD: the NIC driver under `isere::netstack::NetStack`, its
        // network task and interrupt (see port/mps2-an385/main.rs).
        (&isere::port::NoNetwork, None)
    }

    fn started(&mut self, _device: &Device) {
        log::info!(target: "board", "BOARD: serving");
    }

    fn fail(&self, message: core::fmt::Arguments<'_>) -> ! {
        fail_fmt(message)
    }
}

/// Reports a fatal error on the console and stops (BOARD: reset, or exit
/// the emulator).
fn fail_fmt(args: core::fmt::Arguments<'_>) -> ! {
    use core::fmt::Write as _;
    let mut line = heapless::String::<256>::new();
    let _ = line.write_fmt(args);
    uart::write(b"FATAL: ");
    uart::write(line.as_bytes());
    loop {}
}

/// Raw console output, for the shared hooks.
fn console_bytes(bytes: &[u8]) {
    uart::write(bytes);
}
