//! Start-up steps every board firmware shares: starting the JS task with a
//! report of what it costs, the self-test that sends one request through
//! it without the network, and over-the-air deploys on the file system.
//!
//! A board's `main.rs` includes this file (`#[path = "../common/boot.rs"]
//! mod boot;`) next to `hooks.rs`, whose `crate::fail_fmt` it uses.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use isere::config::Config;
use isere::js::task::{JsConfig, JsTask, LoadedFunction};
use isere::js::{Exchange, Reply};
#[cfg(feature = "ota")]
use isere::ota::fs_store::{DEFAULT_ROOT, FsStore};
#[cfg(feature = "ota")]
use isere::ota::store::BundleStore;
#[cfg(feature = "ota")]
use isere::ota::{self, Ota};
use isere::rtos::{self, Queue};

/// Starts the JS task with `functions` and logs the heap it took; a
/// function that fails to load stops the board.
pub fn start_js(functions: Vec<LoadedFunction>, config: JsConfig) -> JsTask {
    let before = rtos::heap_stats();
    let js = match JsTask::start(functions, config) {
        Ok(js) => js,
        Err(e) => crate::fail_fmt(format_args!("{e}")),
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
    js
}

/// Sends `GET /hello` through the JS task and logs the reply, its time and
/// the heap it took; returns whether it answered 200.
#[cfg_attr(
    feature = "board-rp2040",
    allow(dead_code, reason = "the RP2040 has no way to ask for it")
)]
pub fn self_test(js: &JsTask, config: &Config) -> bool {
    let Some(function) = config.route("/hello").and_then(|r| r.function()) else {
        log::error!(target: "board", "selftest: no function serves /hello");
        return false;
    };
    let replies: &'static Queue<Reply> = match Queue::new(1) {
        Ok(q) => Box::leak(Box::new(q)),
        Err(_) => crate::fail_fmt(format_args!("selftest: out of memory")),
    };
    rtos::reset_heap_peak();
    let before = rtos::heap_stats();
    let started = rtos::tick_count();
    let exchange = Box::new(Exchange {
        seq: 1,
        function,
        method: String::from("GET"),
        url: String::from("http://board/hello"),
        headers: alloc::vec![(String::from("host"), b"board".to_vec())],
        body: None,
        reply_to: replies,
    });
    if js.submit(exchange).is_err() {
        log::error!(target: "board", "selftest: JS queue full");
        return false;
    }
    let Some(reply) = replies.receive(rtos::ms_to_ticks(10_000)) else {
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
/// (`/.isere`), if the board mounted one.
#[cfg(feature = "ota")]
pub fn open_store() -> Option<&'static dyn BundleStore> {
    let storage = isere::fs::installed()?;
    match FsStore::open(storage, DEFAULT_ROOT) {
        Ok(store) => Some(Box::leak(Box::new(store))),
        Err(e) => {
            log::error!(target: "board", "bundle store: {e}; over-the-air deploys are off");
            None
        }
    }
}

/// The configuration pushed over the air before this boot, which wins over
/// the built-in one: its text, if there is one and it parses.
#[cfg(feature = "ota")]
pub fn pushed_config(store: Option<&dyn BundleStore>) -> Option<(Config, Vec<u8>)> {
    let text = match store?.read_config() {
        Ok(text) => text?,
        Err(e) => {
            log::error!(target: "board", "stored configuration: {e}");
            return None;
        }
    };
    match Config::parse(&text) {
        Ok(config) => Some((config, text)),
        Err(e) => {
            log::error!(target: "board", "stored configuration ignored: {e}");
            None
        }
    }
}

/// Turns over-the-air deploys on: the admin state (credentials from
/// `config`, whose text is `config_json`) and a log ring of
/// `log_ring_bytes` for `GET /_isere/logs`. Call before the JS task starts,
/// so that the engine's memory limit is computed from what is left; then
/// [`restore_deployed`] once it runs.
#[cfg(feature = "ota")]
pub fn start_ota(
    store: &'static dyn BundleStore,
    config: &Config,
    config_json: Vec<u8>,
    log_ring_bytes: usize,
) -> Option<&'static Ota> {
    isere::logger::enable_ring(log_ring_bytes);
    match Ota::new(store, config, config_json) {
        Ok(o) => {
            let o: &'static Ota = Box::leak(Box::new(o));
            ota::install(o);
            Some(o)
        }
        Err(e) => {
            log::error!(target: "board", "over-the-air deploys are off: {e}");
            None
        }
    }
}

/// Loads the functions deployed before this boot into the running `js`.
#[cfg(feature = "ota")]
pub fn restore_deployed(ota: &Ota, js: JsTask) {
    ota.restore_into(js);
}

/// Logs the heap once boot is over: a moment after the init task (which
/// calls this last) has ended and the kernel has freed its stack, which is
/// what a board has for requests.
pub fn report_heap_after_boot() {
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
