//! The JS task's loop: take one message, run it, run the promise jobs it
//! queued, then answer every request whose handler promise has settled.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicUsize, Ordering};

use super::messages::{
    ActivationError, Exchange, FunctionChange, LoadError, LoadedFunction, Message, Reply,
    ToConnection,
};
use crate::http::response::final_status;
use crate::js::context::{ContextSlot, TaskContext, Transit};
use crate::js::engine::{Ctx, PromiseState, Runtime, RuntimeLimits, Thrown, Value};
use crate::js::io::Completion;
use crate::js::natives;
use crate::rtos::{self, Queue, Rendezvous, TickType, WAIT_FOREVER};
use crate::running::{FunctionId, Limits};

pub(super) const TAG: &str = "js";

/// What the JS task is started with.
pub(super) struct Start {
    pub functions: Vec<(FunctionId, LoadedFunction)>,
    pub config: super::JsConfig,
    pub task: &'static TaskContext,
    pub limits: &'static Limits,
    /// Answered once every function is loaded, or with the first error.
    pub started: Rendezvous<Result<(), ActivationError>>,
}

/// A loaded context (see `activation.rs`).
pub(super) use super::activation::Function;

struct InFlight {
    /// The context the request runs in.
    slot: ContextSlot,
    promise: crate::js::engine::Persistent,
    seq: u32,
    reply_to: &'static Queue<ToConnection>,
    /// After this tick nobody waits for the answer any more.
    give_up: TickType,
    /// The request body's transit, when it is read in pieces (closed with
    /// the exchange).
    incoming: Option<u32>,
}

/// Growth of the engine's heap that makes an idle JS task collect cycles.
const GC_SLACK: usize = 16 * 1024;

pub(super) struct EventLoop {
    pub(super) task: &'static TaskContext,
    pub(super) limits: &'static Limits,
    /// Engine bytes after the last cycle collection.
    collected_at: usize,
    /// The loaded contexts and their slots. A slot emptied by an
    /// activation is reused only after the other slots, so a timer event
    /// still queued for a freed context does not reach its successor. Only
    /// the loaded ones are kept: the memory follows the contexts alive, not
    /// the slots ever used.
    pub(super) contexts: Vec<(ContextSlot, Function)>,
    /// Function -> the slot of its active version.
    pub(super) active: Vec<Option<ContextSlot>>,
    /// Slots of replaced versions, freed when their last request is answered.
    pub(super) retired: Vec<ContextSlot>,
    /// Where the last slot search stopped.
    pub(super) last_slot: usize,
    in_flight: Vec<InFlight>,
    pub(super) deadline: Rc<Cell<TickType>>,
    /// The CPU limit (ms, 0: the device's) of the function whose event is
    /// being run: its handler and the promise jobs that follow run under it.
    event_limit_ms: Cell<u32>,
}

/// The JS task's body: create the runtime, load the functions, serve.
pub(super) fn run_task(start: Start) {
    let Start {
        functions,
        config,
        task,
        limits,
        started,
    } = start;
    let memory_used = &task.memory_used;
    let Some(mut rt) = Runtime::new(RuntimeLimits {
        memory: limits.js_memory_bytes(),
        stack: config.stack_limit,
        heap: crate::js::heap::EngineHeap::Kernel,
    }) else {
        started.answer(Err(ActivationError::LoadFailed(LoadError::OutOfMemory)));
        return;
    };
    rt.set_module_host(&crate::js::modules::HOST);
    let deadline = Rc::new(Cell::new(TickType::MAX));
    let check = deadline.clone();
    rt.set_interrupt(Some(Box::new(move || rtos::tick_count() > check.get())));
    let mut ev = EventLoop {
        task,
        limits,
        collected_at: 0,
        contexts: Vec::new(),
        active: Vec::new(),
        retired: Vec::new(),
        last_slot: 0,
        in_flight: Vec::new(),
        deadline,
        event_limit_ms: Cell::new(0),
    };
    let loaded = functions.len();
    let changes = functions
        .into_iter()
        .map(|(function, load)| FunctionChange {
            function,
            load: Some(load),
            init_limit_ms: 0,
        })
        .collect();
    if let Err(e) = ev.apply_changes(&rt, changes) {
        ev.free_all();
        rt.free();
        started.answer(Err(e));
        return;
    }
    // What loading left for the cycle collector goes now, not at the first
    // idle moment after 16 KiB more: what the device holds after boot is
    // what its functions hold.
    rt.gc();
    ev.collected_at = rt.allocated();
    memory_used.store(rt.allocated(), Ordering::Relaxed);
    log::info!(
        target: TAG,
        "{loaded} function(s) loaded: engine {} bytes; heap in use {} bytes",
        rt.allocated(),
        rtos::heap_stats().used
    );
    started.answer(Ok(()));
    ev.run(&rt, memory_used);
    ev.free_all();
    match rt.free() {
        Some(0) => log::info!(target: TAG, "runtime freed: leak check passed (0 live objects)"),
        Some(live) => {
            log::error!(target: TAG, "runtime freed with {live} live object(s): leak check failed")
        }
        None => log::info!(target: TAG, "runtime freed"),
    }
    rtos::end_scheduler();
}

impl EventLoop {
    fn run(&mut self, rt: &Runtime, memory_used: &AtomicUsize) {
        let q = self.task.queue;
        loop {
            let Some(msg) = q.receive(WAIT_FOREVER) else {
                continue;
            };
            self.apply_memory_limit(rt);
            match *msg {
                Message::Request(ex) => self.dispatch(ex),
                Message::Activate { changes, done } => {
                    let outcome = self.apply_changes(rt, changes);
                    self.free_retired();
                    // A freed context's objects wait for the cycle collector
                    // (they refer to each other, and to it), as does what the
                    // new modules' top levels left: collect now, before the
                    // answer, so that a device answering a deploy holds only
                    // what its functions hold.
                    rt.gc();
                    self.collected_at = rt.allocated();
                    if let Err(e) = &outcome {
                        log::error!(target: TAG, "activation refused: {e}");
                    }
                    done.answer(outcome);
                }
                Message::Timer { slot, id } => self.fire_timer(slot, id),
                Message::Io {
                    slot,
                    id,
                    completion,
                } => self.finish_io(slot, id, completion),
                Message::Shutdown => return,
            }
            // Answering may start a streamed body's pump, whose first
            // steps are jobs of their own.
            loop {
                self.arm();
                rt.run_jobs(|e| log::error!(target: TAG, "uncaught error in a promise job: {e}"));
                self.disarm();
                self.event_limit_ms.set(0);
                if !self.answer_settled() {
                    break;
                }
            }
            self.collect_when_idle(rt, q);
            memory_used.store(rt.allocated(), Ordering::Relaxed);
        }
    }

    /// Makes the runtime's memory limit the running one, and says so.
    fn apply_memory_limit(&self, rt: &Runtime) {
        let want = self.limits.js_memory_bytes();
        let old = rt.memory_limit();
        if want == old {
            return;
        }
        rt.set_memory_limit(want);
        let used = rt.allocated();
        let below = if want != 0 && used > want {
            ": out of memory until enough is freed"
        } else {
            ""
        };
        log::warn!(target: TAG, "engine memory limit {old} -> {want} bytes ({used} in use){below}");
    }

    /// Runs the cycle collector when the task has nothing else to do and the
    /// engine grew by [`GC_SLACK`] since the last run. QuickJS frees most
    /// garbage at once by reference counting, but cycles (a request and its
    /// headers, closures) wait for a collection; collecting while idle keeps a
    /// board's heap flat without a pause in the middle of a request.
    fn collect_when_idle(&mut self, rt: &Runtime, q: &Queue<Message>) {
        if q.is_empty()
            && self.in_flight.is_empty()
            && rt.allocated() > self.collected_at + GC_SLACK
        {
            rt.gc();
            self.collected_at = rt.allocated();
        }
    }

    /// The device's CPU limit per event.
    pub(super) fn cpu_limit(&self) -> TickType {
        rtos::ms_to_ticks(u64::from(self.limits.handler_timeout_ms()))
    }

    /// Starts the CPU deadline: the device's limit, or the current event's
    /// function's own when that is lower.
    fn arm(&self) {
        let limit = match self.event_limit_ms.get() {
            0 => self.cpu_limit(),
            ms => self
                .cpu_limit()
                .min(rtos::ms_to_ticks(u64::from(ms)).max(1)),
        };
        self.deadline.set(rtos::tick_count().saturating_add(limit));
    }

    pub(super) fn disarm(&self) {
        self.deadline.set(TickType::MAX);
    }

    /// The context in `slot`, if loaded.
    pub(super) fn context(&self, slot: ContextSlot) -> Option<&Function> {
        loaded(&self.contexts, slot)
    }

    /// Whether a request still runs in `slot`.
    pub(super) fn has_requests_in(&self, slot: ContextSlot) -> bool {
        self.in_flight.iter().any(|fl| fl.slot == slot)
    }

    fn dispatch(&mut self, mut ex: Box<Exchange>) {
        let give_up = rtos::tick_count().saturating_add(self.cpu_limit().saturating_mul(2));
        let slot = self.active.get(ex.function.index()).copied().flatten();
        let contexts = &self.contexts;
        let Some((slot, f)) = slot.and_then(|s| Some((s, loaded(contexts, s)?))) else {
            reply_error(&ex, 404);
            return;
        };
        let ctx: &Ctx = &f.ctx;
        self.event_limit_ms.set(f.cpu_limit_ms);
        self.arm();
        let mut incoming = None;
        let started = request_args(ctx, f, &mut ex, &mut incoming)
            .and_then(|args| f.dispatch.get(ctx).call(&ctx.undefined(), &args));
        self.disarm();
        match started {
            Ok(promise) => {
                let fl = InFlight {
                    slot,
                    promise: crate::js::engine::Persistent::new(promise),
                    seq: ex.seq,
                    reply_to: ex.reply_to,
                    give_up,
                    incoming,
                };
                self.in_flight.push(fl)
            }
            Err(Thrown) => {
                let e = ctx.take_exception();
                log::error!(target: TAG, "[{}] request could not be dispatched: {e}", f.state.name);
                if let Some(token) = incoming {
                    f.state.close_transit(token);
                }
                reply_error(&ex, 500);
            }
        }
    }

    fn fire_timer(&mut self, slot: ContextSlot, id: u32) {
        let Some(f) = self.context(slot) else {
            return;
        };
        if !f.state.timer_fired(id) {
            return; // cancelled after it fired
        }
        let ctx: &Ctx = &f.ctx;
        self.event_limit_ms.set(f.cpu_limit_ms);
        self.arm();
        // Timers exist only once the timers glue has run, so this never loads it.
        let internal = f.state.internal(ctx).ok();
        let r = match internal {
            Some(internal) => internal
                .get(c"fireTimer")
                .and_then(|fire| fire.call(&ctx.undefined(), &[ctx.number(id as f64)])),
            None => {
                let _ = ctx.take_exception();
                Ok(ctx.undefined())
            }
        };
        self.disarm();
        if r.is_err() {
            let e = ctx.take_exception();
            log::error!(target: TAG, "[{}] timer {id}: {e}", f.state.name);
        }
    }

    /// Settles the promise of I/O job `id` with its completion's outcome.
    fn finish_io(&mut self, slot: ContextSlot, id: u32, completion: Completion) {
        let Some(f) = self.context(slot) else {
            return;
        };
        let Some((resolve, reject)) = f.state.take_pending_io(id) else {
            return;
        };
        let ctx: &Ctx = &f.ctx;
        self.event_limit_ms.set(f.cpu_limit_ms);
        self.arm();
        let (settle, value) = match completion(ctx) {
            Ok(v) => (resolve.get(ctx), v),
            Err(Thrown) => (reject.get(ctx), ctx.catch()),
        };
        if settle.call(&ctx.undefined(), &[value]).is_err() {
            let e = ctx.take_exception();
            log::error!(target: TAG, "[{}] I/O result {id}: {e}", f.state.name);
        }
        self.disarm();
        drop(settle);
        resolve.free(ctx);
        reject.free(ctx);
    }

    /// Answers the requests whose handlers settled; whether that ran JS
    /// (a streamed body's pump started).
    fn answer_settled(&mut self) -> bool {
        let mut pumped = false;
        let mut i = 0;
        while i < self.in_flight.len() {
            let fl = &self.in_flight[i];
            let Some(f) = loaded(&self.contexts, fl.slot) else {
                // Cannot happen: a slot is freed only without requests in flight.
                self.in_flight.swap_remove(i);
                continue;
            };
            let ctx: &Ctx = &f.ctx;
            let promise = fl.promise.get(ctx);
            let state = ctx.promise_state(&promise);
            if state == PromiseState::Pending {
                if rtos::tick_count() > fl.give_up {
                    // Its connection answered 504 long ago: stop tracking it.
                    log::warn!(target: TAG, "[{}] request {} never settled; forgotten", f.state.name, fl.seq);
                    drop(promise);
                    let fl = self.in_flight.swap_remove(i);
                    if let Some(token) = fl.incoming {
                        f.state.close_transit(token);
                    }
                    fl.promise.free(&f.ctx);
                } else {
                    i += 1;
                }
                continue;
            }
            let (reply, stream) = match state {
                PromiseState::Fulfilled => {
                    match reply_from_result(ctx, &ctx.promise_result(&promise), fl.seq) {
                        Some((reply, stream)) => (Some(reply), stream),
                        None => (None, None),
                    }
                }
                _ => {
                    let e = ctx.error_from_value(&ctx.promise_result(&promise));
                    log::error!(target: TAG, "[{}] dispatch failed: {e}", f.state.name);
                    (None, None)
                }
            };
            drop(promise);
            let fl = self.in_flight.swap_remove(i);
            // A streamed answer may still read the request body: its
            // transit ends with the answer's.
            if let (Some(token), None) = (fl.incoming, &stream) {
                f.state.close_transit(token);
            }
            let reply = reply.unwrap_or_else(|| error_reply(fl.seq, 500));
            fl.promise.free(&f.ctx);
            let (seq, reply_to) = (fl.seq, fl.reply_to);
            let incoming = fl.incoming;
            if reply_to
                .send(Box::new(ToConnection::Reply(reply)), 0)
                .is_err()
            {
                log::warn!(target: TAG, "reply {seq} dropped: its connection no longer waits");
                if let Some(token) = incoming {
                    f.state.close_transit(token);
                }
                continue;
            }
            if let Some(stream) = stream {
                pumped = true;
                self.arm();
                let token = f.state.open_transit(Transit {
                    reply_to,
                    seq,
                    with: incoming,
                });
                let pump = f.state.internal(ctx).and_then(|internal| {
                    let args = [stream, ctx.number(f64::from(token))];
                    internal.get(c"pumpBody")?.call(&internal, &args)
                });
                self.disarm();
                if pump.is_err() {
                    let e = ctx.take_exception();
                    log::error!(target: TAG, "[{}] streamed answer {seq}: {e}", f.state.name);
                    f.state.close_transit(token);
                    if let Some(token) = incoming {
                        f.state.close_transit(token);
                    }
                    let end = ToConnection::End { seq, ok: false };
                    let _ = reply_to.send(Box::new(end), 0);
                }
            }
        }
        if !self.retired.is_empty() {
            self.free_retired();
        }
        pumped
    }

    pub(super) fn free_all(&mut self) {
        for fl in core::mem::take(&mut self.in_flight) {
            if let Some(f) = self.context(fl.slot) {
                fl.promise.free(&f.ctx);
            }
        }
        for (_, f) in self.contexts.drain(..) {
            f.free();
        }
    }
}

/// The context in `slot` of `contexts`, if loaded.
pub(super) fn loaded(contexts: &[(ContextSlot, Function)], slot: ContextSlot) -> Option<&Function> {
    contexts.iter().find(|(s, _)| *s == slot).map(|(_, f)| f)
}

/// `dispatch(ns, fnName, request, env)` arguments: the `Request` is built
/// natively from the exchange (taking its method, URL and body).
fn request_args<'c>(
    ctx: &'c Ctx,
    f: &Function,
    ex: &mut Exchange,
    incoming: &mut Option<u32>,
) -> Result<Vec<Value<'c>>, Thrown> {
    Ok(alloc::vec![
        f.namespace.get(ctx),
        f.name.get(ctx),
        natives::request::from_exchange(ctx, ex, incoming)?,
        f.env.get(ctx),
    ])
}

/// Reads what dispatch settled with: a `Response` (read natively), or
/// `[status, statusText, headersFlat, body]` from the glue, whose body may
/// be a stream (returned, to be pumped once the head is sent).
fn reply_from_result<'c>(
    ctx: &'c Ctx,
    v: &Value<'c>,
    seq: u32,
) -> Option<(Reply, Option<Value<'c>>)> {
    let read = || -> Result<(Reply, Option<Value<'c>>), Thrown> {
        if let Some(parts) = natives::response::reply_parts(ctx, v)? {
            let reply = Reply {
                seq,
                status: final_status(parts.status),
                status_text: parts.status_text,
                headers: parts.headers,
                body: parts.body,
                streamed: false,
            };
            return Ok((reply, None));
        }
        // `as` saturates (NaN is 0): anything out of range, or interim
        // (1xx), becomes 500.
        let status = final_status(v.get_index(0)?.to_f64()? as u16);
        let status_text = v.get_index(1)?.to_string()?;
        let headers = v.get_index(2)?.string_pairs()?;
        let body = v.get_index(3)?;
        let (bytes, stream) = if body.is_nullish() {
            (None, None)
        } else if let Some(b) = body.bytes() {
            // A copy out of the engine, beside what it holds: refused (a
            // 500) rather than aborting when the heap has no room for it.
            let mut copy = Vec::new();
            if copy.try_reserve_exact(b.len()).is_err() {
                return Err(ctx.throw_out_of_memory());
            }
            copy.extend_from_slice(b);
            (Some(copy), None)
        } else {
            (None, Some(body))
        };
        let reply = Reply {
            seq,
            status,
            status_text,
            headers,
            body: bytes,
            streamed: stream.is_some(),
        };
        Ok((reply, stream))
    };
    match read() {
        Ok(r) => Some(r),
        Err(Thrown) => {
            log::error!(target: TAG, "malformed response from the glue: {}", ctx.take_exception());
            None
        }
    }
}

fn error_reply(seq: u32, status: u16) -> Reply {
    Reply {
        seq,
        status,
        status_text: String::new(),
        headers: alloc::vec![(
            "content-type".to_string(),
            "text/plain;charset=UTF-8".to_string()
        )],
        body: Some(
            alloc::format!("{}\n", crate::http::response::reason_phrase(status)).into_bytes(),
        ),
        streamed: false,
    }
}

fn reply_error(ex: &Exchange, status: u16) {
    if ex
        .reply_to
        .send(
            Box::new(ToConnection::Reply(error_reply(ex.seq, status))),
            0,
        )
        .is_err()
    {
        log::warn!(target: TAG, "reply {} dropped: its connection no longer waits", ex.seq);
    }
}
