//! The start-up every board firmware shares, behind one [`Board`] trait
//! (what a board provides, as embassy's driver traits say what a driver
//! provides): mount the file system, pick the configuration (one pushed
//! over the air wins), build the services, bring the network up, then
//! [`isere::device::start`] runs the rest (the running configuration, the
//! JS task, over-the-air deploys, the server).
//!
//! A board's `main.rs` includes this file (`#[path = "../common/boot.rs"]
//! mod boot;`) next to `hooks.rs`, implements [`Board`], and its init task
//! calls [`run`]. `port/template/` shows a new board everything it must
//! provide.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use isere::config::Config;
use isere::device::{Boot, Device};
use isere::fs::{Fs, Storage};
use isere::http::server::TaskSizes;
use isere::js::Exchange;
use isere::js::task::ToConnection;
use isere::js::task::{JsConfig, resolve_functions};
use isere::logger::Logger;
use isere::port::{Clock, Entropy, Listener, Network};
use isere::rtos::{self, Queue};
use isere::running::{Ceilings, Resolved};
use isere::services::Services;

/// Compiles a function file and the files it imports (name and bytecode
/// of each, the entry first), where a board can read files.
pub type FileCompiler = fn(&str) -> Result<Vec<(String, Vec<u8>)>, String>;

/// The sizes of a board's tasks and what it affords.
pub struct Sizes {
    /// The JS task.
    pub js: JsConfig,
    /// The connection tasks.
    pub server: TaskSizes,
    /// The most connection tasks.
    pub max_connections: usize,
    /// Heap set aside for request bodies in flight, all connections
    /// together (the engine's ceiling is what is left after it).
    pub body_budget_bytes: usize,
    /// Log lines kept for `GET /_isere/logs`, from the heap (with
    /// over-the-air deploys and a store).
    #[cfg_attr(not(feature = "ota"), allow(dead_code))]
    pub log_ring_bytes: usize,
}

/// What a board provides to the shared start-up.
pub trait Board {
    /// Its task sizes and ceilings.
    const SIZES: Sizes;
    /// The wall clock: the kernel tick from the build time, unless the
    /// board has a real-time clock.
    fn clock(&self) -> &'static dyn Clock {
        &crate::hooks::TickClock
    }
    /// The entropy source: the board's `entropy::ENTROPY`.
    fn entropy(&self) -> &'static dyn Entropy {
        &crate::entropy::ENTROPY
    }
    /// The log sink (registered by the board's `main`).
    fn log(&self) -> &'static Logger {
        &crate::hooks::LOGGER
    }
    /// Nanoseconds the CPU has been awake, where the board can tell.
    fn cpu_busy_ns(&self) -> Option<fn() -> u64> {
        None
    }
    /// Mounts the file system, if the board has one.
    fn mount(&mut self) -> Option<Fs>;
    /// The configuration to run (its text beside it), given the one pushed
    /// over the air before this boot, if any.
    fn config(&mut self, pushed: Option<(Config, Vec<u8>)>) -> Result<(Config, Vec<u8>), String>;
    /// How function files are compiled, where the board can read them.
    fn compile_file(&self) -> Option<FileCompiler> {
        None
    }
    /// The engine's memory ceiling, given the heap free before it starts.
    fn js_memory_ceiling(&self, free_heap: usize) -> usize;
    /// Brings the network up and listens for HTTP: the network, and the
    /// listener (`None`: the board does not serve). A board without a
    /// network answers `isere::port::NoNetwork` (so that one with a network
    /// does not carry it).
    fn start_network(&mut self) -> (&'static dyn Network, Option<Listener>);
    /// Called once the device serves (or, without a network, runs).
    fn started(&mut self, device: &Device);
    /// Reports a fatal start-up error and stops.
    fn fail(&self, message: core::fmt::Arguments<'_>) -> !;
}

/// The board's services, built once by [`run`] (a static of the
/// composition root rather than a heap allocation: they live as long as
/// the firmware).
static SERVICES: rtos::Once<Services> = rtos::Once::new();

/// Starts the device on `board` (call from the init task, which may end
/// afterwards).
pub fn run<B: Board>(mut board: B) {
    let storage = board.mount().and_then(|mut fs| {
        fs.set_clock(board.clock());
        if let Ok(u) = fs.usage() {
            log::info!(target: "board", "file system: {} of {} blocks used", u.blocks_used, u.block_count);
        }
        match Storage::new(fs) {
            Ok(storage) => Some(&*Box::leak(Box::new(storage))),
            Err(e) => {
                log::error!(target: "board", "file system: {e}");
                None
            }
        }
    });
    #[cfg(feature = "ota")]
    let store = storage.and_then(open_store);
    #[cfg(feature = "ota")]
    let pushed = pushed_config(store);
    #[cfg(not(feature = "ota"))]
    let pushed = None;
    let (config, config_json) = match board.config(pushed) {
        Ok(c) => c,
        Err(e) => board.fail(format_args!("{e}")),
    };
    let compile = board.compile_file();
    let compile_path = |path: &str| match compile {
        Some(c) => c(path),
        None => Err(alloc::format!(
            "{path}: this board does not compile function files; use a built-in function or deploy a bundle"
        )),
    };
    let functions = match resolve_functions(&config, compile_path) {
        Ok(f) => f,
        Err(e) => board.fail(format_args!("{e}")),
    };
    #[cfg(feature = "ota")]
    if store.is_some() {
        board.log().enable_ring(B::SIZES.log_ring_bytes);
    }
    let (net, listener) = board.start_network();
    SERVICES.set(Services {
        net,
        clock: board.clock(),
        entropy: board.entropy(),
        storage,
        log: board.log(),
        cpu_busy_ns: board.cpu_busy_ns(),
    });
    let Some(services) = SERVICES.get_ref() else {
        board.fail(format_args!("services set twice"));
    };
    let boot = Boot {
        ceilings: Ceilings {
            max_connections: B::SIZES.max_connections,
            js_memory_bytes: board.js_memory_ceiling(
                rtos::heap_stats()
                    .free
                    .saturating_sub(B::SIZES.body_budget_bytes),
            ),
            body_bytes: B::SIZES.body_budget_bytes,
            cap_clients_by_default: true,
        },
        config,
        config_json,
        functions,
        js: B::SIZES.js,
        server: B::SIZES.server,
        listener,
        #[cfg(feature = "ota")]
        store,
        #[cfg(feature = "ota")]
        compile_file: compile,
    };
    match isere::device::start(services, boot) {
        Ok(device) => {
            if let Some(server) = device.server {
                let heap = rtos::heap_stats();
                log::info!(
                    target: "board",
                    "{} connection tasks; heap: {} bytes used, {} peak, {} free",
                    server.pool_counts().tasks,
                    heap.used,
                    heap.peak,
                    heap.free
                );
            }
            board.started(&device);
        }
        Err(e) => board.fail(format_args!("{e}")),
    }
    report_heap_after_boot();
}

/// Sends `GET /hello` through the JS task and logs the reply, its time and
/// the heap it took; returns whether it answered 200.
#[cfg_attr(
    feature = "board-rp2040",
    allow(dead_code, reason = "the RP2040 has no way to ask for it")
)]
pub fn self_test(device: &Device) -> bool {
    let function = match device.running.resolve("/hello", "GET") {
        Some(Resolved::Function(f)) => f,
        _ => {
            log::error!(target: "board", "selftest: no function serves /hello");
            return false;
        }
    };
    let replies: &'static Queue<ToConnection> = match Queue::new(1) {
        // Once per boot, for the self-test's one answer.
        Ok(q) => Box::leak(Box::new(q)),
        Err(_) => {
            log::error!(target: "board", "selftest: out of memory");
            return false;
        }
    };
    rtos::reset_heap_peak();
    let before = rtos::heap_stats();
    let started = rtos::tick_count();
    let exchange = Box::new(Exchange {
        body_reservation: None,
        streamed_body: false,
        seq: 1,
        function,
        method: String::from("GET"),
        url: String::from("http://board/hello"),
        headers: alloc::vec![(String::from("host"), b"board".to_vec())],
        body: None,
        reply_to: replies,
    });
    if device.js.submit(exchange).is_err() {
        log::error!(target: "board", "selftest: JS queue full");
        return false;
    }
    let Some(reply) = isere::js::task::wait_reply(replies, 1, rtos::ms_to_ticks(10_000)) else {
        log::error!(target: "board", "selftest: no reply within 10 s");
        return false;
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
    reply.status == 200
}

/// The bundle store of over-the-air deploys in the device's file system
/// (`/.isere`).
#[cfg(feature = "ota")]
fn open_store(storage: &'static Storage) -> Option<&'static dyn isere::ota::store::BundleStore> {
    use isere::ota::fs_store::{DEFAULT_ROOT, FsStore};
    match FsStore::open(storage, DEFAULT_ROOT) {
        Ok(store) => Some(Box::leak(Box::new(store))),
        Err(e) => {
            log::error!(target: "board", "bundle store: {e}; over-the-air deploys are off");
            None
        }
    }
}

/// The configuration pushed over the air before this boot, which wins over
/// the built-in one: it and its JSON, if there is one and its signature
/// still verifies.
#[cfg(feature = "ota")]
fn pushed_config(
    store: Option<&'static dyn isere::ota::store::BundleStore>,
) -> Option<(Config, Vec<u8>)> {
    match isere::ota::admin::stored_config(store?) {
        Ok(pushed) => pushed,
        Err(e) => {
            log::error!(target: "board", "stored configuration ignored: {e}");
            None
        }
    }
}

/// Logs the heap once boot is over: a moment after the init task (which
/// calls this last) has ended and the kernel has freed its stack, which is
/// what a board has for requests.
fn report_heap_after_boot() {
    extern "C" fn report(_timer: *mut core::ffi::c_void) {
        let heap = rtos::heap_stats();
        log::info!(
            target: "board",
            "heap after boot: {} bytes used, {} free",
            heap.used,
            heap.free
        );
    }
    match rtos::Timer::new(c"boot-heap", rtos::ms_to_ticks(100), false, 0, report) {
        // One-shot and small: kept rather than deleted from its own callback.
        Ok(timer) if timer.start() => core::mem::forget(timer),
        _ => log::warn!(target: "board", "cannot report the heap after boot"),
    }
}
