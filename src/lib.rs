//! Isère: serverless JavaScript on microcontrollers.
//!
//! A function in the Workers style (`export default { async fetch(request,
//! env, ctx) { ... } }`) runs on FreeRTOS under QuickJS-NG and answers HTTP.
//! This crate is the portable core, `no_std` + `alloc`; everything that knows
//! an operating system or a board lives in `port/<port>/` behind the traits
//! of [`port`].
//!
//! Data flows one way:
//!
//! ```text
//! socket -> connection task (http: httparse, limits) -> Exchange -> JS task queue
//!        -> JS task (js: QuickJS runtime, event loop: handler, jobs, timers)
//!        -> response -> connection task -> socket (keep-alive: next request)
//! ```
//!
//! Layers, each using only those below it:
//!
//! * [`rtos`]: our FFI layer over the FreeRTOS kernel; [`heap`]: the global
//!   allocator over its heap; [`port`]: the port boundary (TCP, clock,
//!   entropy, flash, console).
//! * [`services`]: what a port provides, built once by each binary's
//!   composition root and handed down; [`logger`]: the log sink; [`fs`]:
//!   LittleFS over the port's flash, [`kv`]: the Workers-KV-style store on
//!   it; [`net`]: outgoing connections; [`crypto`], [`db`] (the PostgreSQL
//!   and Redis clients), [`config`], [`json`].
//! * [`running`]: the running configuration (limits, routes, function
//!   ids), its one owner.
//! * [`http`]: the HTTP/1.1 wire format, the outgoing client and the server
//!   (acceptor, bounded pool of connection tasks); [`js`]: the engine layer,
//!   the Web API glue and the JS task.
//! * [`ota`]: over-the-air deploys (signed bundles, their store, the admin
//!   API, a route target of the server behind a narrow control).
//! * [`device`]: the composition every binary starts the device with.

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

/// Fails the build when two of the given features are on together: each
/// port brings its own kernel port, critical section and entry point.
macro_rules! at_most_one_port {
    ($first:literal $(, $rest:literal)*) => {
        $(
            #[cfg(all(feature = $first, feature = $rest))]
            compile_error!(concat!("features `", $first, "` and `", $rest, "` exclude each other: build one port at a time"));
        )*
        at_most_one_port!($($rest),*);
    };
    () => {};
}
at_most_one_port!(
    "port-posix",
    "board-mps2-an385",
    "board-rp2040",
    "board-esp32c3"
);

#[cfg(feature = "port-posix")]
extern crate std;

pub mod budget;
pub mod config;
pub mod crypto;
pub mod db;
pub mod device;
pub mod fs;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod heap;
pub mod http;
pub mod js;
pub mod json;
pub mod kv;
pub mod logger;
pub mod net;
#[cfg(feature = "net-smoltcp")]
pub mod netstack;
#[cfg(feature = "ota")]
pub mod ota;
pub mod port;
pub mod rtos;
pub mod running;
pub mod services;

/// The FreeRTOS POSIX port: the simulator's sockets, clock and console.
#[cfg(feature = "port-posix")]
#[path = "../port/posix/mod.rs"]
pub mod posix;

/// The version of this firmware.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
