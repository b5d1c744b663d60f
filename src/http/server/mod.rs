//! The HTTP/1.1 server: one acceptor task and a bounded pool of connection
//! tasks.
//!
//! * `pool.rs`: the pool of connection tasks, which grows and shrinks while
//!   the server runs ([`Server::resize`]);
//! * `connection.rs`: one connection's life, routing and replies;
//! * `exchange.rs`: a function's exchange with the JS task, bodies streamed
//!   both ways;
//! * `body.rs`: the one request-body reader (functions and uploads alike);
//! * `files.rs`: the one file streamer (static files and bundle assets);
//! * `pace.rs`: the overall allowance of a body or an answer in transit;
//! * `admin_call.rs`: the admin API's transport (a route target);
//! * `stats.rs`: `GET /_isere/stats`.
//!
//! The server is handed what it uses when it is made ([`Server::new`]):
//! the device's services, the running configuration (routes and limits,
//! read at every request), the JS task's handle and, optionally, the admin
//! API and the source of deployed static files. It never looks anything up.
//!
//! When every connection task is busy the acceptor answers the extra
//! connection itself with `503 Service Unavailable` and closes it, so a
//! client is told rather than dropped.
//!
//! A connection's life (RFC 9112 §9): read a request head within
//! `header_timeout_ms` of its first byte (408; a new connection that sends
//! nothing, or a kept-alive one idle for `keep_alive_timeout_ms`, is closed
//! quietly), read its body (`Content-Length` or chunked, `100 Continue` when
//! asked; whole from the shared body budget, or streamed to the handler),
//! route it, hand it to the JS task, write the reply, and go on with the
//! next (possibly already pipelined) request unless either side asked to
//! close. Every wait is a deadline over the whole head, body or answer,
//! never a timeout per read, and one client address holds at most
//! `max_connections_per_client` of the pool. Every protocol error
//! maps to one status and closes the connection, since after it the framing
//! of what follows cannot be trusted.

mod admin_call;
mod body;
mod connection;
mod exchange;
mod files;
mod pace;
mod pool;
mod stats;
#[cfg(all(test, feature = "port-posix"))]
mod tests;

pub use admin_call::ADMIN_STACK_WORDS;
pub use pool::PoolCounts;
use pool::Turned;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::admin::AdminApi;
use super::response;
use crate::budget::MemoryBudget;
use crate::js::JsTask;
use crate::js::task::ToConnection;
use crate::port::{self, Listener, NetError, Socket};
use crate::rtos::{self, Queue, WAIT_FOREVER};
use crate::running::{Asset, Running};
use crate::services::Services;

const TAG: &str = "http";

/// Sizes of the server's tasks.
#[derive(Clone, Copy, Debug)]
pub struct TaskSizes {
    /// Stack of each connection task, in words.
    pub stack_words: usize,
    /// Their priority (the port chooses it relative to the JS task).
    pub priority: u32,
}

/// Why reading a deployed static file failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetError(pub String);

/// Where deployed functions' static files are read from (the bundle store,
/// through the over-the-air layer).
pub trait AssetSource: Sync {
    /// Reads `buf.len()` bytes at `offset` of `asset`.
    fn read(&self, asset: &Asset, offset: u64, buf: &mut [u8]) -> Result<(), AssetError>;
}

/// What the server serves besides functions and static directories.
#[derive(Clone, Copy, Default)]
pub struct Extras {
    /// The admin API under `/_isere/` (without it: 501).
    pub admin: Option<&'static dyn AdminApi>,
    /// Deployed static files.
    pub assets: Option<&'static dyn AssetSource>,
}

/// What a connection task is handed.
enum Job {
    /// Serve this accepted connection (from this client address).
    Serve(Socket, Option<[u8; 4]>),
    /// The pool shrank: end.
    Retire,
}

/// The server: a cheap handle to what its tasks share.
#[derive(Clone, Copy)]
pub struct Server {
    shared: &'static Shared,
}

/// What the acceptor and the connection tasks share (made once, lives as
/// long as they do: for the firmware's life).
struct Shared {
    services: &'static Services,
    running: &'static Running,
    js: JsTask,
    sizes: TaskSizes,
    extras: Extras,
    pool: pool::Pool,
    /// Request bodies in flight, all connections together.
    bodies: MemoryBudget,
    listener: Listener,
    /// The `Host` of a request that sends none.
    listen_host: String,
}

impl Server {
    /// A server on `listener` over `services` for the `running`
    /// configuration, handing requests to `js`; its tasks start with
    /// [`Server::start`].
    pub fn new(
        services: &'static Services,
        running: &'static Running,
        js: JsTask,
        sizes: TaskSizes,
        extras: Extras,
        listener: Listener,
    ) -> Result<Server, rtos::OutOfMemory> {
        let ceiling = running.limits().ceilings().max_connections.max(1);
        let port = services.net.local_port(listener);
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            services,
            running,
            js,
            sizes,
            extras,
            pool: pool::Pool::new(ceiling)?,
            bodies: MemoryBudget::new(running.limits().ceilings().body_bytes),
            listener,
            listen_host: alloc::format!("localhost:{port}"),
        }));
        Ok(Server { shared })
    }

    /// Starts the connection tasks (`max_connections` of the running
    /// limits) and the acceptor.
    pub fn start(self) -> Result<(), rtos::OutOfMemory> {
        let listener = self.shared.listener;
        let wanted = self.shared.running.limits().max_connections();
        if self.resize(wanted) == 0 {
            return Err(rtos::OutOfMemory);
        }
        let shared = self.shared;
        rtos::spawn(
            c"http-accept",
            ACCEPT_STACK_BYTES / core::mem::size_of::<usize>(),
            self.shared.sizes.priority,
            move || acceptor_task(shared, listener),
        )?;
        Ok(())
    }

    /// Resizes the pool of connection tasks to `wanted` (clamped to the
    /// port's ceiling, at least 1); returns the number of tasks it has
    /// then. Growing spawns tasks at once (as many as memory allows);
    /// shrinking retires idle tasks at once and busy ones when their
    /// connection ends.
    pub fn resize(&self, wanted: usize) -> usize {
        self.shared.resize(wanted)
    }

    /// The pool's counts now.
    pub fn pool_counts(&self) -> PoolCounts {
        self.shared.pool.counts()
    }
}

impl Shared {
    fn date(&self) -> [u8; 29] {
        response::http_date(self.services.clock.unix_time())
    }
}

/// The acceptor's stack: it only waits for connections and queues them
/// (~0.8 KiB used on the QEMU board across the HTTP suites, reported by
/// `GET /_isere/stats`).
const ACCEPT_STACK_BYTES: usize = 1536;

fn acceptor_task(shared: &'static Shared, listener: Listener) -> ! {
    let net = shared.services.net;
    loop {
        let socket = match net.accept(listener, WAIT_FOREVER) {
            Ok(s) => s,
            Err(NetError::TimedOut) => continue,
            Err(e) => {
                log::warn!(target: TAG, "accept failed: {e}");
                rtos::delay(rtos::ms_to_ticks(10));
                continue;
            }
        };
        if let Err(why) = shared.hand_over(socket) {
            reject_busy(shared, socket, why);
        }
    }
}

/// Answers a connection the pool cannot take with 503 and closes it.
fn reject_busy(shared: &Shared, socket: Socket, why: Turned) {
    let net = shared.services.net;
    match why {
        Turned::Busy => {
            let tasks = shared.pool.counts().tasks;
            log::warn!(target: TAG, "all {tasks} connection tasks busy: 503");
        }
        Turned::ClientCap => log::warn!(
            target: TAG,
            "a client holds {} connections already: 503",
            shared.running.limits().max_connections_per_client()
        ),
    }
    // Read what the client already sent so that closing does not reset the
    // connection before it reads the answer.
    let mut scratch = [0u8; 512];
    let _ = net.recv(socket, &mut scratch, rtos::ms_to_ticks(20));
    let mut out = Vec::new();
    response::simple_response(&mut out, 503, true, &shared.date(), &[("retry-after", "1")]);
    let _ = port::send_all(net, socket, &out, rtos::ms_to_ticks(1000));
    net.close(socket);
}

/// A connection task's reply queue and the sequence number of its last
/// request (a late reply to an earlier one is recognised by it).
struct ReplyQueue {
    queue: &'static Queue<ToConnection>,
    seq: u32,
}
