//! The device's services, built once by each binary's composition root
//! (`sim/main.rs`, `port/<board>/main.rs`) and handed down to what uses
//! them: the HTTP server, the JS task (and through it the bindings), the
//! over-the-air layer.
//!
//! Nothing in the core looks a service up: a part that needs the network,
//! the clock, entropy or the file system is given this value (or the one
//! service it needs) when it is made. That keeps start-up order explicit (a
//! service exists before anything that uses it is started) and lets the
//! orchestrators run over in-memory implementations in unit tests.

use crate::fs::Storage;
use crate::logger::Logger;
use crate::port::{Clock, Entropy, Network};

/// What the port provides, as `'static` references (the composition root
/// owns them for the firmware's life).
#[derive(Clone, Copy)]
pub struct Services {
    /// TCP (and name resolution where the port has it).
    pub net: &'static dyn Network,
    /// Wall clock.
    pub clock: &'static dyn Clock,
    /// Unpredictable bytes, seeding the core's random generator and the
    /// PostgreSQL SCRAM nonce.
    pub entropy: &'static dyn Entropy,
    /// The device's file system, where the port mounted one (static routes,
    /// KV, the bundle store).
    pub storage: Option<&'static Storage>,
    /// The log sink (its ring of recent lines serves `GET /_isere/logs`).
    pub log: &'static Logger,
    /// Nanoseconds the CPU has spent awake since boot, where the port can
    /// tell (reported by `GET /_isere/stats`).
    pub cpu_busy_ns: Option<fn() -> u64>,
}
