//! What each JS context carries (its [`ContextState`], reached by natives
//! through the context's opaque pointer) and what every context of the JS
//! task shares ([`TaskContext`]: the device's services, the I/O pool, the
//! way back into the JS task's queue).
//!
//! This module is below the natives, the module loader, the I/O pool and
//! the task's event loop, which all use it; it uses none of them.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use core::cell::{Cell, RefCell};
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, AtomicUsize};

use super::builtin;
use super::engine::{Ctx, Persistent, Thrown, Value};
use super::io::IoPool;
use super::task::messages::{Message, ToConnection};
use crate::rtos::{self, Mutex, Queue, Shared, Timer};
use crate::services::Services;

const TAG: &str = "js";

/// A context of the JS task: where one version of one function runs. Not
/// a [`crate::running::FunctionId`]: a function's new version gets a new
/// slot, and the old one lives on until its last request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContextSlot(pub u16);

impl ContextSlot {
    /// The slot as an index (the task's table of contexts).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// What every context of the JS task shares, made once when the task
/// starts and kept for its life.
pub struct TaskContext {
    /// The device's services (network, clock, entropy, file system).
    pub services: &'static Services,
    /// The worker tasks for I/O off the JS task.
    pub io: IoPool,
    /// The JS task's queue: timers and I/O completions come back through it.
    pub(crate) queue: &'static Queue<Message>,
    /// Bytes the engine held after the last message (for stats).
    pub(crate) memory_used: AtomicUsize,
    /// The shutdown message, allocated in advance (taken once).
    pub(crate) shutdown: AtomicPtr<Message>,
}

/// Per-context state, reachable from natives through the context opaque.
pub struct ContextState {
    /// The function's name.
    pub name: String,
    slot: ContextSlot,
    task: &'static TaskContext,
    timers: RefCell<BTreeMap<u32, (Timer, Box<TimerEvent>)>>,
    next_timer: Cell<u32>,
    /// The glue's `internal` object (freed with the context).
    pub(super) internal: RefCell<Option<Persistent>>,
    /// Bit i: glue file i has run in this context.
    glue_loaded: Cell<u64>,
    /// Bit i: native API i (`natives::LAZY_APIS`) is defined in this context.
    natives_loaded: Cell<u32>,
    /// The resolve and reject functions of promises waiting for I/O, by job id.
    pending_io: RefCell<BTreeMap<u32, (Persistent, Persistent)>>,
    next_io: Cell<u32>,
    /// Bodies in transit between this context and connection tasks (a
    /// request body read in pieces, an answer streamed), by token.
    transit: RefCell<BTreeMap<u32, Transit>>,
    next_transit: Cell<u32>,
    /// The function's own modules not imported yet (emptied once its entry
    /// has loaded, see [`super::modules`]).
    pub(super) modules: RefCell<Vec<(String, Vec<u8>)>>,
    /// The clients of the context's bindings (see
    /// [`super::natives::shared`]).
    clients: Clients,
}

/// The exchange a body in transit belongs to: where its connection task
/// listens, and which of its exchanges it is.
#[derive(Clone, Copy)]
pub struct Transit {
    /// The connection task's queue.
    pub reply_to: &'static Queue<ToConnection>,
    /// The exchange.
    pub seq: u32,
    /// Another transit of the same exchange that ends with this one (a
    /// request body an answer streams back).
    pub with: Option<u32>,
}

/// Timer ids stay below this, so that they are never 0 and wrap early.
const TIMER_ID_MASK: u32 = 0x00FF_FFFF;

/// What a timer's callback needs to tell the JS task it fired.
struct TimerEvent {
    queue: &'static Queue<Message>,
    slot: ContextSlot,
    id: u32,
    /// When a one-shot timer is due, by the clock `Date.now()` reads.
    due_ms: u64,
    /// It fired early once and waits for the rest: the next time it fires
    /// (so a clock that stands still cannot hold a timer back for ever).
    waited: bool,
}

impl ContextState {
    /// The state of a new context in `slot` for function `name`, whose own
    /// modules (besides its entry) are `modules`.
    pub fn new(
        name: String,
        slot: ContextSlot,
        task: &'static TaskContext,
        modules: Vec<(String, Vec<u8>)>,
    ) -> ContextState {
        ContextState {
            name,
            slot,
            task,
            timers: RefCell::new(BTreeMap::new()),
            next_timer: Cell::new(0),
            internal: RefCell::new(None),
            glue_loaded: Cell::new(0),
            natives_loaded: Cell::new(0),
            pending_io: RefCell::new(BTreeMap::new()),
            next_io: Cell::new(0),
            transit: RefCell::new(BTreeMap::new()),
            next_transit: Cell::new(0),
            modules: RefCell::new(modules),
            clients: Clients::new(),
        }
    }

    /// The state of the context `ctx` (every context of the JS task carries
    /// one), or a `TypeError`.
    pub fn of(ctx: &Ctx) -> Result<&ContextState, Thrown> {
        // SAFETY: every context the JS task creates carries its
        // ContextState, which outlives the context.
        unsafe { ctx.opaque::<ContextState>() }
            .ok_or_else(|| ctx.throw_type_error("no function state"))
    }

    /// Stops the context's timers, lets go of every JS value it holds and
    /// closes its binding clients (one an I/O job still uses closes when
    /// that job ends), before the context is freed.
    pub fn release(&self, ctx: &Ctx) {
        self.clients.clear();
        for (t, _) in core::mem::take(&mut *self.timers.borrow_mut()).into_values() {
            t.stop();
        }
        for (resolve, reject) in core::mem::take(&mut *self.pending_io.borrow_mut()).into_values() {
            resolve.free(ctx);
            reject.free(ctx);
        }
        if let Some(internal) = self.internal.borrow_mut().take() {
            internal.free(ctx);
        }
    }

    /// The clients of the context's bindings.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The context's slot.
    pub fn slot(&self) -> ContextSlot {
        self.slot
    }

    /// What the task's contexts share (the device's services among it).
    pub fn task(&self) -> &'static TaskContext {
        self.task
    }

    /// The device's services.
    pub fn services(&self) -> &'static Services {
        self.task.services
    }

    /// Hands over the bytecode of the function's own module `name` (each is
    /// loaded once per context).
    pub(super) fn take_module(&self, name: &str) -> Option<Vec<u8>> {
        let mut modules = self.modules.borrow_mut();
        let i = modules.iter().position(|(n, _)| n == name)?;
        Some(modules.swap_remove(i).1)
    }

    /// Remembers the settle functions of a promise waiting for I/O; returns
    /// the id its result will come back with.
    pub fn add_pending_io(&self, resolve: Value<'_>, reject: Value<'_>) -> u32 {
        let mut pending = self.pending_io.borrow_mut();
        let mut id = self.next_io.get();
        loop {
            id = id.wrapping_add(1);
            if !pending.contains_key(&id) {
                break;
            }
        }
        self.next_io.set(id);
        pending.insert(id, (Persistent::new(resolve), Persistent::new(reject)));
        id
    }

    /// Opens a body in transit for `exchange`; returns its token.
    pub fn open_transit(&self, exchange: Transit) -> u32 {
        let mut open = self.transit.borrow_mut();
        let mut token = self.next_transit.get();
        loop {
            token = token.wrapping_add(1);
            if !open.contains_key(&token) {
                break;
            }
        }
        self.next_transit.set(token);
        open.insert(token, exchange);
        token
    }

    /// The exchange of body `token`, while it is in transit.
    pub fn transit(&self, token: u32) -> Option<Transit> {
        self.transit.borrow().get(&token).copied()
    }

    /// Ends body `token`'s transit (its exchange is over).
    pub fn close_transit(&self, token: u32) {
        self.transit.borrow_mut().remove(&token);
    }

    /// Takes the settle functions of I/O job `id` (once).
    pub(super) fn take_pending_io(&self, id: u32) -> Option<(Persistent, Persistent)> {
        self.pending_io.borrow_mut().remove(&id)
    }

    /// Forgets a pending I/O promise (its job never started).
    pub fn drop_pending_io(&self, ctx: &Ctx, id: u32) {
        if let Some((resolve, reject)) = self.take_pending_io(id) {
            resolve.free(ctx);
            reject.free(ctx);
        }
    }

    /// The glue's `internal` object of this context.
    pub fn internal<'c>(&self, ctx: &'c Ctx) -> Result<Value<'c>, Thrown> {
        match self.internal.borrow().as_ref() {
            Some(i) => Ok(i.get(ctx)),
            None => Err(ctx.throw_type_error("glue is not set up")),
        }
    }

    /// Whether glue file `index` ran (or is running).
    pub(super) fn is_glue_loaded(&self, index: usize) -> bool {
        self.glue_loaded.get() & (1u64 << index) != 0
    }

    /// Whether native API `index` is defined (or being defined).
    pub(super) fn is_native_api_loaded(&self, index: usize) -> bool {
        self.natives_loaded.get() & (1u32 << index) != 0
    }

    /// Defines native API `index` (of `natives::LAZY_APIS`) in this
    /// context, once.
    pub fn load_native_api(&self, ctx: &Ctx, index: usize) -> Result<(), Thrown> {
        if self.is_native_api_loaded(index) {
            return Ok(());
        }
        let Some(api) = super::natives::LAZY_APIS.get(index) else {
            return Err(ctx.throw_range_error("no such native API"));
        };
        self.natives_loaded
            .set(self.natives_loaded.get() | (1u32 << index));
        (api.define)(ctx, &ctx.global(), &self.internal(ctx)?)
    }

    /// Runs glue file `index` (of `builtin::GLUE`) in this context, once.
    pub fn load_glue(&self, ctx: &Ctx, index: usize) -> Result<(), Thrown> {
        let bit = 1u64 << index;
        if self.is_glue_loaded(index) {
            return Ok(());
        }
        let Some(builtin::Glue { name, bytecode, .. }) = builtin::GLUE.get(index) else {
            return Err(ctx.throw_range_error("no such glue file"));
        };
        let internal = self.internal(ctx)?;
        self.glue_loaded.set(self.glue_loaded.get() | bit);
        let register = ctx.run_script(bytecode).map_err(|e| {
            log::error!(target: TAG, "[{}] glue {name}: {e}", self.name);
            ctx.throw_type_error("a glue file failed to load")
        })?;
        register.call(&ctx.undefined(), &[internal, ctx.global()])?;
        Ok(())
    }

    /// Starts a FreeRTOS timer for a JS timer; returns its id.
    pub fn start_timer(&self, delay_ms: u64, repeat: bool) -> Option<u32> {
        let mut timers = self.timers.borrow_mut();
        let mut id = self.next_timer.get();
        // Skip ids still in use after the counter wrapped.
        for _ in 0..=timers.len() {
            id = if id >= TIMER_ID_MASK { 1 } else { id + 1 };
            if !timers.contains_key(&id) {
                break;
            }
        }
        self.next_timer.set(id);
        let event = Box::new(TimerEvent {
            queue: self.task.queue,
            slot: self.slot,
            id,
            due_ms: self.services().clock.unix_millis().saturating_add(delay_ms),
            waited: false,
        });
        let timer = kernel_timer(&event, delay_ms, repeat)?;
        timers.insert(id, (timer, event));
        Some(id)
    }

    /// Takes a fired timer's entry: a one-shot timer is done once it fires
    /// (dropped here), a repeating one stays. `false` when it was
    /// cancelled meanwhile.
    ///
    /// A one-shot timer that fired before `Date.now()` reached its due time
    /// (the simulator's kernel ticks catch up in bursts after the host held
    /// the process back, so they can run ahead of the host's clock) waits
    /// for the rest and reports `false`.
    pub(super) fn timer_fired(&self, id: u32) -> bool {
        let mut timers = self.timers.borrow_mut();
        let Some((t, event)) = timers.get_mut(&id) else {
            return false;
        };
        if t.is_auto_reload() {
            return true;
        }
        let left = event
            .due_ms
            .saturating_sub(self.services().clock.unix_millis());
        if left > 0
            && !event.waited
            && let Some(rest) = kernel_timer(event, left, false)
        {
            event.waited = true;
            *t = rest;
            return false;
        }
        drop(timers.remove(&id));
        true
    }

    /// Stops and forgets a timer (unknown ids are ignored).
    pub fn cancel_timer(&self, id: u32) {
        if let Some((t, _)) = self.timers.borrow_mut().remove(&id) {
            t.stop();
        }
    }
}

/// A started kernel timer posting `event` after `delay_ms` (every
/// `delay_ms` if `repeat`).
fn kernel_timer(event: &TimerEvent, delay_ms: u64, repeat: bool) -> Option<Timer> {
    // A timer started mid-tick expires up to a tick early; a JS timer must
    // never fire before its delay, so one-shots wait one tick more.
    let period = rtos::ms_to_ticks(delay_ms) + if repeat { 0 } else { 1 };
    let tag = event as *const TimerEvent as usize;
    let timer = Timer::new(c"js-timer", period.max(1), repeat, tag, on_timer).ok()?;
    timer.start().then_some(timer)
}

extern "C" fn on_timer(handle: *mut c_void) {
    // SAFETY: the kernel passes the handle of the timer that fired; its ID
    // is the address of the boxed `TimerEvent` kept beside the timer. The
    // box is freed only by the JS task when it drops the timer, and the
    // kernel's timer task (which runs this) outranks every other task, so
    // the fields are copied out before the JS task can run again.
    let (queue, slot, id) = unsafe {
        let event = &*(Timer::id_of(handle) as *const TimerEvent);
        (event.queue, event.slot, event.id)
    };
    let msg = Box::new(Message::Timer { slot, id });
    if queue.send(msg, rtos::ms_to_ticks(1000)).is_err() {
        log::error!(target: TAG, "timer event dropped: the JS queue stayed full for 1 s");
    }
}

/// A client as the context and the I/O jobs hold it.
pub type ClientRef<T> = Shared<Mutex<T>>;

/// The binding clients of one context, in the order its bindings were made
/// (a binding object's index). Touched by the JS task only.
#[derive(Default)]
pub struct Clients {
    /// Each a [`ClientRef`] of its binding's client type.
    list: RefCell<Vec<Box<dyn Any>>>,
}

impl Clients {
    /// No clients yet.
    pub const fn new() -> Clients {
        Clients {
            list: RefCell::new(Vec::new()),
        }
    }

    /// Keeps `client`; returns its index.
    pub fn add<T: Send + 'static>(&self, client: T) -> Result<usize, &'static str> {
        let client = Mutex::new(client).map_err(|_| "out of memory for the client")?;
        let mut list = self.list.borrow_mut();
        list.push(Box::new(ClientRef::new(client)));
        Ok(list.len() - 1)
    }

    /// A new reference to the client at `index`, if it is a `T`.
    pub fn get<T: Send + 'static>(&self, index: usize) -> Option<ClientRef<T>> {
        let list = self.list.borrow();
        list.get(index)?.downcast_ref::<ClientRef<T>>().cloned()
    }

    /// Lets go of every client: each is closed now, or by the I/O job still
    /// using it when that job ends.
    pub fn clear(&self) {
        let clients = core::mem::take(&mut *self.list.borrow_mut());
        drop(clients);
    }
}
