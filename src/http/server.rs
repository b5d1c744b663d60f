//! The HTTP/1.1 server: one acceptor task and a bounded pool of connection
//! tasks.
//!
//! The pool is created at start (its size is `server.max_connections`, at
//! most the port's [`TaskSizes::max_connections`]); each connection task
//! serves one accepted connection at a time, for as long as the client keeps
//! it alive. When every task is busy the acceptor answers the extra
//! connection itself with `503 Service Unavailable` and closes it, so a
//! client is told rather than dropped.
//!
//! The pool changes size while the server runs ([`set_max_connections`], a
//! configuration pushed over the air): growing spawns the missing tasks at
//! once; shrinking retires idle tasks at once and busy ones when their
//! connection ends (never in the middle of a request). A retired task's
//! reply queue is kept for the next task spawned (a late reply from the JS
//! task may still arrive in it), so resizing back and forth does not leak.
//!
//! A connection's life (RFC 9112 §9): read a request head within
//! `header_timeout_ms` (408 if a started head stalls; an idle kept-alive
//! connection is closed quietly after `keep_alive_timeout_ms`), read its body
//! (`Content-Length` or chunked, `100 Continue` when asked), route it, hand it
//! to the JS task, write the reply, and go on with the next (possibly already
//! pipelined) request unless either side asked to close. Every protocol error
//! maps to one status and closes the connection, since after it the framing
//! of what follows cannot be trusted.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use super::chunked::ChunkedDecoder;
use super::request::{self, BodyFraming, Limits, RequestHead};
use super::response::{self, ResponseFraming};
use super::static_files::{self, Conditions};
use crate::config::{Config, RouteTarget, ServerLimits};
use crate::fs::{FileKind, FsError};
use crate::js::{Exchange, JsTask, Reply};
use crate::port::{self, Listener, NetError, Port, Socket};
use crate::rtos::{self, Queue, TickType, WAIT_FOREVER};

const TAG: &str = "http";

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 4096;

/// How much longer than `handler_timeout_ms` a connection waits for its
/// reply, so that a handler interrupted by the JS task at that limit is
/// answered with its 500 rather than a 504.
const HANDLER_GRACE_MS: u64 = 500;

/// Stack of the task an admin call that changes something runs on, in
/// words (see `serve_admin_call`): 12 KiB on the 32-bit boards.
#[cfg(feature = "ota")]
const ADMIN_STACK_WORDS: usize = 3072;

/// Sizes of the server's tasks.
#[derive(Clone, Copy, Debug)]
pub struct TaskSizes {
    /// Stack of each connection task and of the acceptor, in words.
    pub stack_words: usize,
    /// Their priority (the port chooses it relative to the JS task).
    pub priority: u32,
    /// The most connection tasks the port can afford (their stacks come
    /// from its heap): `server.max_connections` above it is clamped, at
    /// start and when a configuration is pushed.
    pub max_connections: usize,
}

/// The server limits that a configuration pushed over the air changes at
/// once (`max_connections` resizes the pool: see [`set_max_connections`]).
/// Each is its own atomic: a request that reads them during a change may
/// see old and new values mixed, never a torn one.
pub struct LiveLimits {
    max_request_line: AtomicUsize,
    max_header_bytes: AtomicUsize,
    max_headers: AtomicUsize,
    max_body_bytes: AtomicUsize,
    max_bundle_bytes: AtomicUsize,
    header_timeout_ms: AtomicU32,
    keep_alive_timeout_ms: AtomicU32,
    handler_timeout_ms: AtomicU32,
}

impl LiveLimits {
    fn new(s: &ServerLimits, max_bundle_bytes: u64) -> LiveLimits {
        let live = LiveLimits {
            max_request_line: AtomicUsize::new(0),
            max_header_bytes: AtomicUsize::new(0),
            max_headers: AtomicUsize::new(0),
            max_body_bytes: AtomicUsize::new(0),
            max_bundle_bytes: AtomicUsize::new(0),
            header_timeout_ms: AtomicU32::new(0),
            keep_alive_timeout_ms: AtomicU32::new(0),
            handler_timeout_ms: AtomicU32::new(0),
        };
        live.set(s, max_bundle_bytes);
        live
    }

    fn set(&self, s: &ServerLimits, max_bundle_bytes: u64) {
        let r = Ordering::Relaxed;
        self.max_request_line.store(s.max_request_line, r);
        self.max_header_bytes.store(s.max_header_bytes, r);
        self.max_headers.store(s.max_headers, r);
        self.max_body_bytes.store(s.max_body_bytes, r);
        self.max_bundle_bytes
            .store(usize::try_from(max_bundle_bytes).unwrap_or(usize::MAX), r);
        self.header_timeout_ms.store(s.header_timeout_ms, r);
        self.keep_alive_timeout_ms.store(s.keep_alive_timeout_ms, r);
        self.handler_timeout_ms.store(s.handler_timeout_ms, r);
    }

    /// The limits of a request head. Bundle uploads stream past the body
    /// limit of functions, which `serve` applies to every other request.
    fn request(&self) -> Limits {
        let r = Ordering::Relaxed;
        Limits {
            max_request_line: self.max_request_line.load(r),
            max_header_bytes: self.max_header_bytes.load(r),
            max_headers: self.max_headers.load(r),
            max_body: self.max_body_bytes().max(self.max_bundle_bytes.load(r)),
        }
    }

    fn max_body_bytes(&self) -> usize {
        self.max_body_bytes.load(Ordering::Relaxed)
    }

    fn header_timeout(&self) -> TickType {
        rtos::ms_to_ticks(self.header_timeout_ms.load(Ordering::Relaxed) as u64)
    }

    fn keep_alive_timeout(&self) -> TickType {
        rtos::ms_to_ticks(self.keep_alive_timeout_ms.load(Ordering::Relaxed) as u64)
    }

    fn handler_timeout_ms(&self) -> u64 {
        self.handler_timeout_ms.load(Ordering::Relaxed) as u64
    }
}

static LIVE: AtomicPtr<LiveLimits> = AtomicPtr::new(core::ptr::null_mut());
static SERVER: AtomicPtr<Shared> = AtomicPtr::new(core::ptr::null_mut());

fn running() -> Option<&'static Shared> {
    // SAFETY: set once in `start` from a leaked box, never freed.
    unsafe { SERVER.load(Ordering::Acquire).as_ref() }
}

/// What `max_connections` a port can run: `wanted`, clamped to the running
/// server's ceiling ([`TaskSizes::max_connections`]; unchanged before the
/// server starts).
pub fn clamp_max_connections(wanted: usize) -> usize {
    match running() {
        Some(shared) => wanted.min(shared.sizes.max_connections),
        None => wanted,
    }
}

/// Resizes the running server's pool of connection tasks to `wanted`
/// (clamped, see [`clamp_max_connections`]); returns the size it goes to.
/// Growing spawns tasks at once (as many as memory allows: see
/// [`pool_counts`]); shrinking retires idle tasks at once and busy ones
/// when their connection ends.
pub fn set_max_connections(wanted: usize) -> usize {
    let target = clamp_max_connections(wanted).max(1);
    if let Some(shared) = running() {
        shared.resize(target);
    }
    target
}

/// The pool's counts now, if the server runs.
pub fn pool_counts() -> Option<PoolCounts> {
    running().map(|s| s.pool(|p| *p))
}

/// Applies new server limits (all but `max_connections`) and the largest
/// bundle accepted to the running server, from the next request on.
pub fn apply_limits(s: &ServerLimits, max_bundle_bytes: u64) {
    // SAFETY: set once in `start` from a leaked box, never freed.
    if let Some(live) = unsafe { LIVE.load(Ordering::Acquire).as_ref() } {
        live.set(s, max_bundle_bytes);
    }
}

/// What a connection task is handed.
enum Job {
    /// Serve this accepted connection.
    Serve(Socket),
    /// The pool shrank: end.
    Retire,
}

/// The pool's counts, changed together inside kernel critical sections.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolCounts {
    /// Connection tasks alive.
    pub tasks: usize,
    /// Those waiting for a connection.
    pub idle: usize,
    /// The size the pool is going to (`max_connections` now).
    pub target: usize,
}

struct Shared {
    port: &'static Port,
    config: &'static Config,
    js: JsTask,
    sizes: TaskSizes,
    live: &'static LiveLimits,
    /// Sized for the port's ceiling: a job is sent only to a claimed idle
    /// task, so it never holds more than the pool has tasks.
    work: Queue<Job>,
    pool: core::cell::UnsafeCell<PoolCounts>,
    /// Reply queues of retired tasks and their last sequence numbers, in
    /// kernel critical sections. Its capacity is the ceiling: pushing never
    /// allocates.
    spare_replies: core::cell::UnsafeCell<Vec<(&'static Queue<Reply>, u32)>>,
    listen_host: String,
}

// SAFETY: `pool` and `spare_replies` are only touched inside kernel critical
// sections; the rest is immutable or kernel-synchronised.
unsafe impl Sync for Shared {}

impl Shared {
    /// Runs `f` on the pool's counts inside a critical section.
    fn pool<R>(&self, f: impl FnOnce(&mut PoolCounts) -> R) -> R {
        // SAFETY: exclusive inside the critical section.
        rtos::critical(|| f(unsafe { &mut *self.pool.get() }))
    }

    /// Claims an idle connection task, if any.
    fn claim_idle(&self) -> bool {
        self.pool(|p| {
            if p.idle > 0 {
                p.idle -= 1;
                true
            } else {
                false
            }
        })
    }

    fn release_idle(&self) {
        self.pool(|p| p.idle += 1);
    }

    /// Whether the calling task, between connections, should end because
    /// the pool is over its size (it is then no longer counted).
    fn retire_if_surplus(&self) -> bool {
        self.pool(|p| {
            if p.tasks > p.target {
                p.tasks -= 1;
                true
            } else {
                false
            }
        })
    }

    /// Keeps the reply queue of a retired task (`Some`), or takes one back.
    fn spare_reply(
        &self,
        keep: Option<(&'static Queue<Reply>, u32)>,
    ) -> Option<(&'static Queue<Reply>, u32)> {
        rtos::critical(|| {
            // SAFETY: exclusive inside the critical section.
            let spares = unsafe { &mut *self.spare_replies.get() };
            match keep {
                // Full only after a retire raced a spawn: the queue stays
                // allocated (a late reply may still arrive), unused.
                Some(spare) if spares.len() < spares.capacity() => {
                    spares.push(spare);
                    None
                }
                Some(_) => None,
                None => spares.pop(),
            }
        })
    }

    /// Spawns one connection task (already counted in `pool.tasks`).
    fn spawn_worker(&'static self) -> Result<(), rtos::OutOfMemory> {
        let (replies, seq) = match self.spare_reply(None) {
            Some(spare) => spare,
            None => (&*Box::leak(Box::new(Queue::new(2)?)), 0),
        };
        let worker = Worker {
            shared: self,
            replies,
            seq,
            buf: Vec::new(),
        };
        let spawned = rtos::spawn(
            c"http-conn",
            self.sizes.stack_words,
            self.sizes.priority,
            move || connection_task(worker),
        );
        if spawned.is_err() {
            // The closure, and the worker in it, were dropped: keep the queue.
            self.spare_reply(Some((replies, seq)));
        }
        spawned.map(|_| ())
    }

    /// Grows or shrinks the pool towards `target` (see the module docs).
    fn resize(&'static self, target: usize) {
        self.pool(|p| p.target = target);
        loop {
            let grow = self.pool(|p| {
                let grow = p.tasks < p.target;
                if grow {
                    p.tasks += 1;
                }
                grow
            });
            if !grow {
                break;
            }
            if self.spawn_worker().is_err() {
                let tasks = self.pool(|p| {
                    p.tasks -= 1;
                    p.tasks
                });
                log::warn!(target: TAG, "out of memory for connection tasks: {tasks} of {target}");
                break;
            }
        }
        loop {
            let retire = self.pool(|p| {
                let retire = p.tasks > p.target && p.idle > 0;
                if retire {
                    p.idle -= 1;
                    p.tasks -= 1;
                }
                retire
            });
            if !retire {
                break;
            }
            // Room is certain: the queue holds one job per claimed idle task.
            if self.work.send(Box::new(Job::Retire), WAIT_FOREVER).is_err() {
                self.pool(|p| {
                    p.idle += 1;
                    p.tasks += 1;
                });
                break;
            }
        }
    }

    fn date(&self) -> [u8; 29] {
        response::http_date(self.port.clock.unix_time())
    }
}

/// Starts the acceptor and the connection tasks on `listener`.
pub fn start(
    port: &'static Port,
    config: &'static Config,
    js: JsTask,
    listener: Listener,
    sizes: TaskSizes,
) -> Result<(), rtos::OutOfMemory> {
    // The database bindings open their connections through the same port.
    crate::port::install(port);
    let s = &config.server;
    let live: &'static LiveLimits =
        Box::leak(Box::new(LiveLimits::new(s, config.admin.max_bundle_bytes)));
    LIVE.store((live as *const LiveLimits).cast_mut(), Ordering::Release);
    let ceiling = sizes.max_connections.max(1);
    let tasks = s.max_connections.clamp(1, ceiling);
    if tasks < s.max_connections {
        log::warn!(target: TAG, "max_connections clamped to {tasks}, this port's most");
    }
    let shared: &'static Shared = Box::leak(Box::new(Shared {
        port,
        config,
        js,
        sizes,
        live,
        work: Queue::new(ceiling)?,
        pool: core::cell::UnsafeCell::new(PoolCounts {
            tasks,
            idle: 0,
            target: tasks,
        }),
        spare_replies: core::cell::UnsafeCell::new(Vec::with_capacity(ceiling)),
        listen_host: alloc::format!("localhost:{}", port.net.local_port(listener)),
    }));
    for _ in 0..tasks {
        shared.spawn_worker()?;
    }
    SERVER.store((shared as *const Shared).cast_mut(), Ordering::Release);
    rtos::spawn(
        c"http-accept",
        ACCEPT_STACK_BYTES / core::mem::size_of::<usize>(),
        sizes.priority,
        move || acceptor_task(shared, listener),
    )?;
    Ok(())
}

/// The acceptor's stack: it only waits for connections and queues them
/// (~0.8 KiB used on the QEMU board across the HTTP suites, reported by
/// `GET /_isere/stats`).
const ACCEPT_STACK_BYTES: usize = 1536;

fn acceptor_task(shared: &'static Shared, listener: Listener) -> ! {
    let net = shared.port.net;
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
        if shared.claim_idle() {
            if let Err(job) = shared.work.send(Box::new(Job::Serve(socket)), WAIT_FOREVER)
                && let Job::Serve(s) = *job
            {
                net.close(s);
            }
        } else {
            reject_busy(shared, socket);
        }
    }
}

/// Answers a connection the pool cannot take with 503 and closes it.
fn reject_busy(shared: &Shared, socket: Socket) {
    let net = shared.port.net;
    let tasks = shared.pool(|p| p.tasks);
    log::warn!(target: TAG, "all {tasks} connection tasks busy: 503");
    // Read what the client already sent so that closing does not reset the
    // connection before it reads the answer.
    let mut scratch = [0u8; 512];
    let _ = net.recv(socket, &mut scratch, rtos::ms_to_ticks(20));
    let mut out = Vec::new();
    response::simple_response(&mut out, 503, true, &shared.date(), &[("retry-after", "1")]);
    let _ = port::send_all(net, socket, &out, rtos::ms_to_ticks(1000));
    net.close(socket);
}

struct Worker {
    shared: &'static Shared,
    replies: &'static Queue<Reply>,
    seq: u32,
    buf: Vec<u8>,
}

/// A connection task: serves one connection after another until the pool
/// shrinks below it.
fn connection_task(mut worker: Worker) {
    let shared = worker.shared;
    loop {
        if shared.retire_if_surplus() {
            break;
        }
        shared.release_idle();
        let Some(job) = shared.work.receive(WAIT_FOREVER) else {
            continue;
        };
        let Job::Serve(socket) = *job else {
            // Counted out by `resize`, which sent this.
            break;
        };
        worker.serve(socket);
        shared.port.net.close(socket);
        worker.buf.clear();
        if worker.buf.capacity() > 2 * READ_CHUNK {
            worker.buf = Vec::new();
        }
    }
    shared.spare_reply(Some((worker.replies, worker.seq)));
}

/// How reading a request head ended without a request.
enum HeadOutcome {
    Request(RequestHead, usize),
    /// Peer closed or idle timeout before any byte of a request: close quietly.
    Quiet,
    /// Answer with this status and close.
    Fail(u16),
}

impl Worker {
    fn net(&self) -> &'static dyn port::Network {
        self.shared.port.net
    }

    fn serve(&mut self, socket: Socket) {
        loop {
            let (mut head, consumed) = match self.read_head(socket) {
                HeadOutcome::Request(h, c) => (h, c),
                HeadOutcome::Quiet => return,
                HeadOutcome::Fail(status) => {
                    self.send_error(socket, status, true, &[]);
                    return;
                }
            };
            self.buf.drain(..consumed);
            #[cfg(feature = "ota")]
            if let Some((admin, query)) = admin_call(&head.target) {
                let (admin, query) = (String::from(admin), String::from(query));
                if !self.serve_admin_call(socket, &mut head, &admin, &query) {
                    return;
                }
                continue;
            }
            if matches!(head.framing, BodyFraming::Length(n) if n > self.shared.live.max_body_bytes())
            {
                self.send_error(socket, 413, true, &[]);
                return;
            }
            let body = match self.read_body(socket, &head) {
                Ok(b) => b,
                Err(status) => {
                    self.send_error(socket, status, true, &[]);
                    return;
                }
            };
            let keep_alive = head.keep_alive;
            if !self.respond(socket, &mut head, body) || !keep_alive {
                return;
            }
        }
    }

    /// Reads until a complete request head is buffered.
    fn read_head(&mut self, socket: Socket) -> HeadOutcome {
        let idle_wait = self.shared.live.keep_alive_timeout();
        let head_wait = self.shared.live.header_timeout();
        let limits = self.shared.live.request();
        let mut head_deadline: Option<TickType> = None;
        loop {
            if !self.buf.is_empty() {
                match request::parse_head(&self.buf, &limits) {
                    Ok(Some((head, consumed))) => return HeadOutcome::Request(head, consumed),
                    Ok(None) => {}
                    Err(e) => {
                        log::debug!(target: TAG, "bad request: {e}");
                        return HeadOutcome::Fail(e.status());
                    }
                }
            }
            let started = !self.buf.iter().all(|&b| b == b'\r' || b == b'\n');
            let timeout = if started {
                let deadline = *head_deadline
                    .get_or_insert_with(|| rtos::tick_count().saturating_add(head_wait));
                deadline.saturating_sub(rtos::tick_count())
            } else {
                idle_wait
            };
            if started && timeout == 0 {
                return HeadOutcome::Fail(408);
            }
            match self.fill(socket, timeout) {
                Ok(0) => return HeadOutcome::Quiet,
                Ok(_) => {}
                Err(NetError::TimedOut) if started => return HeadOutcome::Fail(408),
                Err(_) => return HeadOutcome::Quiet,
            }
        }
    }

    /// Appends what the socket has to `buf`; `Ok(0)` on end of stream.
    fn fill(&mut self, socket: Socket, timeout: TickType) -> Result<usize, NetError> {
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let r = self.net().recv(socket, &mut self.buf[len..], timeout);
        self.buf.truncate(len + *r.as_ref().unwrap_or(&0));
        r
    }

    /// Reads the body the head announced (what is already buffered first).
    fn read_body(&mut self, socket: Socket, head: &RequestHead) -> Result<Option<Vec<u8>>, u16> {
        let wait = self.shared.live.header_timeout();
        let announced = !matches!(head.framing, BodyFraming::None);
        if head.expect_continue && announced && self.buf.is_empty() {
            let _ = port::send_all(self.net(), socket, b"HTTP/1.1 100 Continue\r\n\r\n", wait);
        }
        match head.framing {
            BodyFraming::None => Ok(None),
            BodyFraming::Length(n) => {
                while self.buf.len() < n {
                    match self.fill(socket, wait) {
                        Ok(0) => return Err(400),
                        Ok(_) => {}
                        Err(NetError::TimedOut) => return Err(408),
                        Err(_) => return Err(400),
                    }
                }
                let rest = self.buf.split_off(n);
                Ok(Some(core::mem::replace(&mut self.buf, rest)))
            }
            BodyFraming::Chunked => {
                let mut decoder = ChunkedDecoder::new(self.shared.live.max_body_bytes());
                let mut body = Vec::new();
                loop {
                    match decoder.decode(&self.buf, &mut body) {
                        Ok((used, done)) => {
                            self.buf.drain(..used);
                            if done {
                                return Ok(Some(body));
                            }
                        }
                        Err(e) => return Err(e.status()),
                    }
                    match self.fill(socket, wait) {
                        Ok(0) => return Err(400),
                        Ok(_) => {}
                        Err(NetError::TimedOut) => return Err(408),
                        Err(_) => return Err(400),
                    }
                }
            }
        }
    }

    /// Routes the request, runs its function and writes the response;
    /// returns whether the connection may stay open.
    fn respond(&mut self, socket: Socket, head: &mut RequestHead, body: Option<Vec<u8>>) -> bool {
        let started = rtos::tick_count();
        let Some(path) = request_path(&head.target) else {
            self.send_error(socket, 400, true, &[]);
            return false;
        };
        if let Some(admin) = path.strip_prefix("/_isere/") {
            return self.serve_admin(socket, head, admin);
        }
        #[cfg(feature = "ota")]
        if head.method == "GET" || head.method == "HEAD" {
            let asset = crate::ota::installed().and_then(|o| Some((o, o.asset(path)?)));
            if let Some((ota, asset)) = asset {
                return self.send_asset(socket, head, ota, &asset);
            }
        }
        // With over-the-air deploys, the routes of deployed functions and
        // those of a pushed configuration are in the OTA state.
        #[cfg(feature = "ota")]
        let deployed;
        #[cfg(feature = "ota")]
        let routed = match crate::ota::installed() {
            Some(ota) => {
                deployed = ota.route(path, &self.shared.config.routes);
                deployed.as_ref()
            }
            None => self.shared.config.route(path),
        };
        #[cfg(not(feature = "ota"))]
        let routed = self.shared.config.route(path);
        let Some(route) = routed else {
            return self.send_error(socket, 404, !head.keep_alive, &[]);
        };
        if let Some(methods) = &route.methods
            && !methods.contains(&head.method)
        {
            let allow = methods.join(", ");
            return self.send_error(socket, 405, !head.keep_alive, &[("allow", &allow)]);
        }
        let function = match &route.target {
            RouteTarget::Function(f) => *f,
            RouteTarget::Static(dir) => {
                let prefix = route.prefix.strip_suffix('/').unwrap_or(&route.prefix);
                let rest = path.get(prefix.len()..).unwrap_or("");
                return self.serve_static(socket, head, dir, path, rest);
            }
        };
        self.seq = self.seq.wrapping_add(1);
        let host = head
            .header("host")
            .and_then(|h| core::str::from_utf8(h).ok())
            .filter(|h| !h.is_empty())
            .unwrap_or(&self.shared.listen_host);
        let url = if head.target.starts_with('/') {
            alloc::format!("http://{host}{}", head.target)
        } else {
            head.target.clone()
        };
        let exchange = Box::new(Exchange {
            seq: self.seq,
            function,
            method: head.method.clone(),
            url,
            // The head keeps what the reply needs; the fields go to JS.
            headers: core::mem::take(&mut head.headers),
            body,
            reply_to: self.replies,
        });
        if self.shared.js.submit(exchange).is_err() {
            log::warn!(target: TAG, "JS queue full: 503");
            return self.send_error(socket, 503, !head.keep_alive, &[("retry-after", "1")]);
        }
        let Some(reply) = self.wait_reply() else {
            log::warn!(target: TAG, "{} {}: handler timed out", head.method, head.target);
            return self.send_error(socket, 504, true, &[]);
        };
        let ok = self.write_reply(socket, head, &reply);
        log::debug!(
            target: TAG,
            "{} {} -> {} ({} ms)",
            head.method,
            head.target,
            reply.status,
            rtos::ticks_to_ms(rtos::tick_count().saturating_sub(started))
        );
        ok
    }

    /// Serves a file of the static directory `dir` (see [`static_files`]);
    /// `path` is the request path, `rest` its part below the route's
    /// prefix. Returns whether the connection may stay open.
    fn serve_static(
        &self,
        socket: Socket,
        head: &RequestHead,
        dir: &str,
        path: &str,
        rest: &str,
    ) -> bool {
        let close = !head.keep_alive;
        if head.method != "GET" && head.method != "HEAD" {
            return self.send_error(socket, 405, close, &[("allow", "GET, HEAD")]);
        }
        let Some(storage) = crate::fs::installed() else {
            log::warn!(target: TAG, "{path}: static route, but this device has no file system");
            return self.send_error(socket, 503, close, &[]);
        };
        let resolved = match static_files::resolve(dir, rest) {
            Ok(r) => r,
            Err(status) => {
                log::debug!(target: TAG, "{path}: refused static path");
                return self.send_error(socket, status, close, &[]);
            }
        };
        let mut file_path = resolved.path;
        match storage.with(|fs| fs.stat(&file_path)) {
            Ok(m) if m.kind == FileKind::Dir => {
                if !resolved.trailing_slash {
                    let query = head.target.find('?').map_or("", |i| &head.target[i..]);
                    let location = alloc::format!("{path}/{query}");
                    return self.send_error(socket, 301, close, &[("location", &location)]);
                }
                if !file_path.ends_with('/') {
                    file_path.push('/');
                }
                file_path.push_str("index.html");
            }
            Ok(_) if resolved.trailing_slash => return self.send_error(socket, 404, close, &[]),
            Ok(_) => {}
            Err(FsError::NotFound | FsError::NotADirectory) => {
                return self.send_error(socket, 404, close, &[]);
            }
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        }
        let file = match storage.open_shared(&file_path) {
            Ok(f) => f,
            Err(FsError::NotFound | FsError::IsADirectory | FsError::NotADirectory) => {
                return self.send_error(socket, 404, close, &[]);
            }
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        };
        let (size, stamp) = match file.size().and_then(|n| Ok((n, file.stamp()?))) {
            Ok(v) => v,
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        };
        let text = |name| head.header(name).and_then(|v| core::str::from_utf8(v).ok());
        let plan = static_files::plan(
            &file_path,
            size,
            &stamp,
            &Conditions {
                if_none_match: text("if-none-match"),
                if_modified_since: text("if-modified-since"),
                range: text("range"),
                if_range: text("if-range"),
            },
        );
        let framing = if plan.status == 304 {
            ResponseFraming::None
        } else {
            ResponseFraming::Length(plan.len as usize)
        };
        let mut out = Vec::with_capacity(256);
        response::write_head(
            &mut out,
            head.version,
            plan.status,
            "",
            &plan.headers,
            framing,
            head.keep_alive,
            &self.shared.date(),
        );
        let wait = self.shared.live.header_timeout();
        if port::send_all(self.net(), socket, &out, wait).is_err() {
            return false;
        }
        log::debug!(target: TAG, "{} {path} -> {} ({file_path}, {} bytes)", head.method, plan.status, plan.len);
        if head.method == "HEAD" || plan.len == 0 {
            return head.keep_alive;
        }
        // Stream: the lock is held for each read only, never while sending.
        let mut buf = alloc::vec![0u8; static_files::CHUNK.min(plan.len as usize)];
        let end = plan.first + plan.len;
        let mut offset = plan.first;
        while offset < end {
            let want = ((end - offset) as usize).min(buf.len());
            match file.read_at(offset, &mut buf[..want]) {
                Ok(0) => {
                    log::warn!(target: TAG, "{file_path}: shorter than announced; closing");
                    return false;
                }
                Ok(n) => {
                    if port::send_all(self.net(), socket, &buf[..n], wait).is_err() {
                        return false;
                    }
                    offset += n as u32;
                }
                Err(e) => {
                    log::error!(target: TAG, "{file_path}: read failed mid-response: {e}");
                    return false;
                }
            }
        }
        head.keep_alive
    }

    /// The device's own endpoints under `/_isere/`: `GET /_isere/stats`.
    fn serve_admin(&self, socket: Socket, head: &RequestHead, what: &str) -> bool {
        if what != "stats" {
            return self.send_error(socket, 404, !head.keep_alive, &[]);
        }
        if head.method != "GET" && head.method != "HEAD" {
            return self.send_error(socket, 405, !head.keep_alive, &[("allow", "GET, HEAD")]);
        }
        let heap = rtos::heap_stats();
        let busy = match self.shared.port.cpu_busy_ns {
            Some(f) => alloc::format!("{}", f()),
            None => String::from("null"),
        };
        let pool = self.shared.pool(|p| *p);
        let (js_limit, js_used, js_ceiling) = crate::js::task::memory_stats();
        let body = alloc::format!(
            "{{\"version\":\"{}\",\"uptime_ms\":{},\"cpu_busy_ns\":{busy},\"heap\":{{\"total\":{},\"used\":{},\"peak\":{},\"free\":{}}},\"stacks\":{},\"max_connections\":{},\"connections\":{{\"tasks\":{},\"idle\":{},\"ceiling\":{}}},\"js_memory\":{{\"limit\":{},\"used\":{},\"ceiling\":{}}}}}\n",
            crate::VERSION,
            rtos::ticks_to_ms(rtos::tick_count()),
            heap.total,
            heap.used,
            heap.peak,
            heap.free,
            stacks_json(),
            pool.target,
            pool.tasks,
            pool.idle,
            self.shared.sizes.max_connections,
            js_limit,
            js_used,
            js_ceiling
        );
        let reply = Reply {
            seq: self.seq,
            status: 200,
            status_text: String::new(),
            headers: alloc::vec![
                (
                    String::from("content-type"),
                    String::from("application/json")
                ),
                (String::from("cache-control"), String::from("no-store")),
            ],
            body: Some(body.into_bytes()),
        };
        self.write_reply(socket, head, &reply)
    }

    /// Sends a deployed function's static file, read from the store in
    /// pieces (never whole in RAM); returns whether the connection may stay
    /// open.
    #[cfg(feature = "ota")]
    fn send_asset(
        &self,
        socket: Socket,
        head: &RequestHead,
        ota: &crate::ota::Ota,
        asset: &crate::ota::Asset,
    ) -> bool {
        let len = asset.range.len as usize;
        let mut out = Vec::with_capacity(256);
        let headers = [
            (
                String::from("content-type"),
                String::from(asset.content_type),
            ),
            (String::from("cache-control"), String::from("no-cache")),
        ];
        response::write_head(
            &mut out,
            head.version,
            200,
            "",
            &headers,
            ResponseFraming::Length(len),
            head.keep_alive,
            &self.shared.date(),
        );
        let wait = self.shared.live.header_timeout();
        if port::send_all(self.net(), socket, &out, wait).is_err() {
            return false;
        }
        if head.method == "HEAD" {
            return head.keep_alive;
        }
        let mut buf = alloc::vec![0u8; READ_CHUNK.min(len.max(1))];
        let mut at = 0usize;
        while at < len {
            let n = buf.len().min(len - at);
            let read = ota.store().read(
                &asset.name,
                &asset.version,
                asset.range.offset + at as u64,
                &mut buf[..n],
            );
            if let Err(e) = read {
                // The head promised bytes that cannot come: close.
                log::error!(target: TAG, "{}: static file unreadable: {e}", asset.name);
                return false;
            }
            if port::send_all(self.net(), socket, &buf[..n], wait).is_err() {
                return false;
            }
            at += n;
        }
        head.keep_alive
    }

    /// Answers an admin call other than `stats` (see [`crate::ota::admin`]),
    /// streaming its body; returns whether the connection may stay open.
    #[cfg(feature = "ota")]
    fn serve_admin_call(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        path: &str,
        query: &str,
    ) -> bool {
        let announced = !matches!(head.framing, BodyFraming::None);
        if head.expect_continue && announced && self.buf.is_empty() {
            let wait = self.shared.live.header_timeout();
            let _ = port::send_all(self.net(), socket, b"HTTP/1.1 100 Continue\r\n\r\n", wait);
        }
        let framing = match head.framing {
            BodyFraming::None => AdminBody::Done,
            BodyFraming::Length(n) => AdminBody::Length(n),
            BodyFraming::Chunked => AdminBody::Chunked(ChunkedDecoder::new(usize::MAX)),
        };
        let method = head.method.clone();
        let authorization = head.header("authorization").map(<[u8]>::to_vec);
        let request = crate::ota::admin::AdminRequest {
            method: &method,
            path,
            query,
            authorization: authorization.as_deref(),
        };
        let priority = self.shared.sizes.priority;
        let mut link = AdminLink {
            worker: self,
            socket,
            body: framing,
        };
        // Calls that change something check signatures (Ed25519 wants a few
        // KiB of stack): they run on a task of their own, with the stack a
        // connection task does not keep for good.
        let response = if request.method == "GET" || request.method == "HEAD" {
            crate::ota::admin::handle(&request, &mut link)
        } else {
            rtos::run_on_new_task(c"http-admin", ADMIN_STACK_WORDS, priority, || {
                crate::ota::admin::handle(&request, &mut link)
            })
            .unwrap_or_else(|_| {
                crate::ota::admin::AdminResponse::error(
                    503,
                    "not enough memory for an admin call now; try again",
                )
            })
        };
        if !matches!(link.body, AdminBody::Done) {
            // The body was left unread: its framing is lost, so close.
            head.keep_alive = false;
        }
        let reply = Reply {
            seq: self.seq,
            status: response.status,
            status_text: String::new(),
            headers: [
                (
                    String::from("content-type"),
                    String::from(response.content_type),
                ),
                (String::from("cache-control"), String::from("no-store")),
            ]
            .into_iter()
            .chain(response.headers)
            .collect(),
            body: Some(response.body),
        };
        self.write_reply(socket, head, &reply) && head.keep_alive
    }

    /// Waits for the reply to the current request, dropping stale ones.
    fn wait_reply(&self) -> Option<Box<Reply>> {
        let wait = rtos::ms_to_ticks(self.shared.live.handler_timeout_ms() + HANDLER_GRACE_MS);
        let deadline = rtos::tick_count().saturating_add(wait);
        loop {
            let left = deadline.saturating_sub(rtos::tick_count());
            if left == 0 {
                return None;
            }
            let reply = self.replies.receive(left)?;
            if reply.seq == self.seq {
                return Some(reply);
            }
        }
    }

    fn write_reply(&self, socket: Socket, head: &RequestHead, reply: &Reply) -> bool {
        let body = reply.body.as_deref().unwrap_or(&[]);
        let no_body_status = matches!(reply.status, 100..=199 | 204 | 304);
        let framing = if no_body_status {
            ResponseFraming::None
        } else {
            ResponseFraming::Length(body.len())
        };
        let mut out = Vec::with_capacity(256 + body.len());
        let sent = response::write_head(
            &mut out,
            head.version,
            reply.status,
            &reply.status_text,
            &reply.headers,
            framing,
            head.keep_alive,
            &self.shared.date(),
        );
        if head.method != "HEAD" && !matches!(sent, ResponseFraming::None) {
            out.extend_from_slice(body);
        }
        let wait = self.shared.live.header_timeout();
        port::send_all(self.net(), socket, &out, wait).is_ok()
    }

    /// Sends a server-generated error; returns whether the connection may stay open.
    fn send_error(&self, socket: Socket, status: u16, close: bool, extra: &[(&str, &str)]) -> bool {
        let mut out = Vec::new();
        response::simple_response(&mut out, status, close, &self.shared.date(), extra);
        let wait = self.shared.live.header_timeout();
        port::send_all(self.net(), socket, &out, wait).is_ok() && !close
    }
}

/// How much of an admin call's body is left.
#[cfg(feature = "ota")]
enum AdminBody {
    Done,
    Length(usize),
    Chunked(ChunkedDecoder),
}

/// The connection side of an admin call: its body, streamed, and the way
/// to the JS task.
#[cfg(feature = "ota")]
struct AdminLink<'w> {
    worker: &'w mut Worker,
    socket: Socket,
    body: AdminBody,
}

#[cfg(feature = "ota")]
impl crate::ota::admin::Link for AdminLink<'_> {
    fn body_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, u16> {
        out.clear();
        let wait = self.worker.shared.live.header_timeout();
        loop {
            match &mut self.body {
                AdminBody::Done => return Ok(false),
                AdminBody::Length(0) => {
                    self.body = AdminBody::Done;
                    return Ok(false);
                }
                AdminBody::Length(left) => {
                    if !self.worker.buf.is_empty() {
                        let n = (*left).min(self.worker.buf.len());
                        out.extend(self.worker.buf.drain(..n));
                        *left -= n;
                        return Ok(true);
                    }
                }
                AdminBody::Chunked(decoder) => match decoder.decode(&self.worker.buf, out) {
                    Ok((used, done)) => {
                        self.worker.buf.drain(..used);
                        if done {
                            self.body = AdminBody::Done;
                            return Ok(!out.is_empty());
                        }
                        if !out.is_empty() {
                            return Ok(true);
                        }
                    }
                    Err(e) => return Err(e.status()),
                },
            }
            match self.worker.fill(self.socket, wait) {
                Ok(0) => return Err(400),
                Ok(_) => {}
                Err(NetError::TimedOut) => return Err(408),
                Err(_) => return Err(400),
            }
        }
    }

    fn activate(&mut self, changes: Vec<crate::js::task::FunctionChange>) -> Result<(), String> {
        self.worker.seq = self.worker.seq.wrapping_add(1);
        let mut activation = Box::new(crate::js::task::Activation {
            seq: self.worker.seq,
            changes,
            reply_to: self.worker.replies,
        });
        // The queue is full only under a burst of requests: wait it out.
        let mut tries = 0;
        loop {
            match self.worker.shared.js.activate(activation) {
                Ok(()) => break,
                Err(a) if tries < 50 => {
                    activation = a;
                    tries += 1;
                    rtos::delay(rtos::ms_to_ticks(20));
                }
                Err(_) => return Err(String::from("the JS task is too busy; try again")),
            }
        }
        let Some(reply) = self.worker.wait_reply() else {
            return Err(String::from("the JS task did not answer in time"));
        };
        if reply.status == 200 {
            Ok(())
        } else {
            let body = reply.body.as_deref().unwrap_or(&[]);
            Err(String::from_utf8_lossy(body).into_owned())
        }
    }
}

/// The tasks' stacks for `GET /_isere/stats`: `[{"task", "count", "size",
/// "least_free"}]` in bytes, `least_free` null where the port cannot tell.
fn stacks_json() -> String {
    use core::fmt::Write;
    let mut out = String::from("[");
    for (i, u) in rtos::stack_use().iter().enumerate() {
        let least = u
            .least_free
            .map_or(String::from("null"), |b| alloc::format!("{b}"));
        let _ = write!(
            out,
            "{}{{\"task\":\"{}\",\"count\":{},\"size\":{},\"least_free\":{least}}}",
            if i == 0 { "" } else { "," },
            u.name.to_str().unwrap_or("?"),
            u.tasks,
            u.size
        );
    }
    out.push(']');
    out
}

/// The admin path (after `/_isere/`) and query of a target, for every admin
/// call but `stats` (answered with the requests, as before OTA existed).
#[cfg(feature = "ota")]
fn admin_call(target: &str) -> Option<(&str, &str)> {
    let path = request_path(target)?;
    let admin = path.strip_prefix("/_isere/")?;
    if admin == "stats" {
        return None;
    }
    let query = target
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .unwrap_or("");
    Some((admin, query))
}

/// The path of an origin-form (`/a?b`) or absolute-form (`http://h/a?b`) target.
fn request_path(target: &str) -> Option<&str> {
    let path_and_query = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
    };
    let end = path_and_query
        .find(['?', '#'])
        .unwrap_or(path_and_query.len());
    Some(&path_and_query[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths() {
        assert_eq!(request_path("/a/b?x=1"), Some("/a/b"));
        assert_eq!(request_path("/"), Some("/"));
        assert_eq!(request_path("http://h:1/a?b"), Some("/a"));
        assert_eq!(request_path("http://h"), Some("/"));
        assert_eq!(request_path("*"), None);
        assert_eq!(request_path("example.com:443"), None);
    }
}
