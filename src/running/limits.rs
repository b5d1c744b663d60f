//! The limits a running device enforces, changed at once by a pushed
//! configuration.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::config::ServerLimits;

/// The most a port can afford, fixed by the composition root: a
/// configuration asking for more is clamped to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ceilings {
    /// Connection tasks (their stacks come from the heap).
    pub max_connections: usize,
    /// The engine's memory limit.
    pub js_memory_bytes: usize,
    /// Heap set aside for request bodies, shared by all connections (see
    /// [`crate::budget`]); apart from the engine's.
    pub body_bytes: usize,
    /// Unless the configuration says otherwise, one client address may
    /// hold all but one of the pool's connections (the last is left for
    /// others); without it, no cap.
    pub cap_clients_by_default: bool,
}

impl Ceilings {
    /// No ceiling (tests, tools).
    pub const fn none() -> Ceilings {
        Ceilings {
            max_connections: usize::MAX,
            js_memory_bytes: usize::MAX,
            body_bytes: usize::MAX,
            cap_clients_by_default: false,
        }
    }
}

/// The server's and the JS task's limits. Each is its own atomic (loads
/// and stores only: the RP2040 has no atomic read-modify-write): a request
/// that reads them during a change may see old and new values mixed, never
/// a torn one.
pub struct Limits {
    ceilings: Ceilings,
    max_connections: AtomicUsize,
    max_request_line: AtomicUsize,
    max_header_bytes: AtomicUsize,
    max_headers: AtomicUsize,
    max_body_bytes: AtomicUsize,
    max_bundle_bytes: AtomicUsize,
    header_timeout_ms: AtomicU32,
    keep_alive_timeout_ms: AtomicU32,
    min_bytes_per_second: AtomicU32,
    max_connections_per_client: AtomicUsize,
    handler_timeout_ms: AtomicU32,
    js_memory_bytes: AtomicUsize,
}

const R: Ordering = Ordering::Relaxed;

impl Limits {
    /// `server`'s limits, clamped to `ceilings`.
    pub fn new(server: &ServerLimits, max_bundle_bytes: u64, ceilings: Ceilings) -> Limits {
        let limits = Limits {
            ceilings,
            max_connections: AtomicUsize::new(0),
            max_request_line: AtomicUsize::new(0),
            max_header_bytes: AtomicUsize::new(0),
            max_headers: AtomicUsize::new(0),
            max_body_bytes: AtomicUsize::new(0),
            max_bundle_bytes: AtomicUsize::new(0),
            header_timeout_ms: AtomicU32::new(0),
            keep_alive_timeout_ms: AtomicU32::new(0),
            min_bytes_per_second: AtomicU32::new(0),
            max_connections_per_client: AtomicUsize::new(0),
            handler_timeout_ms: AtomicU32::new(0),
            js_memory_bytes: AtomicUsize::new(0),
        };
        limits.set(server, max_bundle_bytes);
        limits
    }

    /// Replaces every limit; returns what applies after clamping.
    pub fn set(&self, s: &ServerLimits, max_bundle_bytes: u64) -> super::Applied {
        let connections = s
            .max_connections
            .clamp(1, self.ceilings.max_connections.max(1));
        let memory = s.js_memory_bytes.min(self.ceilings.js_memory_bytes);
        self.max_connections.store(connections, R);
        self.max_request_line.store(s.max_request_line, R);
        self.max_header_bytes.store(s.max_header_bytes, R);
        self.max_headers.store(s.max_headers, R);
        self.max_body_bytes.store(s.max_body_bytes, R);
        self.max_bundle_bytes
            .store(usize::try_from(max_bundle_bytes).unwrap_or(usize::MAX), R);
        self.header_timeout_ms.store(s.header_timeout_ms, R);
        self.keep_alive_timeout_ms.store(s.keep_alive_timeout_ms, R);
        self.min_bytes_per_second
            .store(s.min_bytes_per_second.max(1), R);
        let port_default = match self.ceilings.cap_clients_by_default {
            true => connections.saturating_sub(1).max(1),
            false => 0,
        };
        self.max_connections_per_client
            .store(s.max_connections_per_client.unwrap_or(port_default), R);
        self.handler_timeout_ms
            .store(s.handler_timeout_ms.max(1), R);
        self.js_memory_bytes.store(memory, R);
        super::Applied {
            max_connections: connections,
            js_memory_bytes: memory,
            clamped: connections != s.max_connections || memory != s.js_memory_bytes,
        }
    }

    /// The port's ceilings.
    pub fn ceilings(&self) -> Ceilings {
        self.ceilings
    }

    /// The connection pool's size.
    pub fn max_connections(&self) -> usize {
        self.max_connections.load(R)
    }

    /// Longest request line.
    pub fn max_request_line(&self) -> usize {
        self.max_request_line.load(R)
    }

    /// Longest request head.
    pub fn max_header_bytes(&self) -> usize {
        self.max_header_bytes.load(R)
    }

    /// Most header fields.
    pub fn max_headers(&self) -> usize {
        self.max_headers.load(R)
    }

    /// Largest body a function gets.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes.load(R)
    }

    /// Largest bundle upload.
    pub fn max_bundle_bytes(&self) -> usize {
        self.max_bundle_bytes.load(R)
    }

    /// Longest a request head may take from its first byte (and a new
    /// connection to send one); the grace of every transfer's pace.
    pub fn header_timeout_ms(&self) -> u32 {
        self.header_timeout_ms.load(R)
    }

    /// Longest an idle kept-alive connection stays open.
    pub fn keep_alive_timeout_ms(&self) -> u32 {
        self.keep_alive_timeout_ms.load(R)
    }

    /// Slowest transfer rate allowed after the grace of
    /// [`Limits::header_timeout_ms`] (at least 1).
    pub fn min_bytes_per_second(&self) -> u32 {
        self.min_bytes_per_second.load(R)
    }

    /// Most connections one client address may hold (0: no cap).
    pub fn max_connections_per_client(&self) -> usize {
        self.max_connections_per_client.load(R)
    }

    /// Longest a handler may run without yielding (at least 1).
    pub fn handler_timeout_ms(&self) -> u32 {
        self.handler_timeout_ms.load(R)
    }

    /// The engine's memory limit (0: none).
    pub fn js_memory_bytes(&self) -> usize {
        self.js_memory_bytes.load(R)
    }
}
