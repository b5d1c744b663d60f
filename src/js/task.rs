//! The JS task: the one FreeRTOS task that owns the QuickJS runtime.
//!
//! QuickJS is single-threaded, so every JS value lives here. Other tasks talk
//! to it only through its queue of `Message`s:
//!
//! * a connection task sends a request ([`Exchange`]) and waits on its own
//!   reply queue for the [`Reply`] (tagged with a sequence number so that a
//!   late reply to an abandoned request is recognised and dropped);
//! * the kernel's timer task sends `Timer` when a JS timer (a FreeRTOS
//!   software timer) fires;
//! * the port sends `Shutdown` (from interrupt context, with a message
//!   allocated in advance).
//!
//! The event loop: take one message, run it, run the promise jobs it queued,
//! then answer every request whose handler promise has settled. Each function
//! has its own context, created once at start and reused for every request.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use super::builtin;
use super::engine::{
    Context, Ctx, Intrinsic, JsError, Persistent, PromiseState, Runtime, RuntimeLimits, Thrown,
    Value,
};
use super::lazy;
use super::natives;
use crate::rtos::{self, Notification, Queue, TaskHandle, TickType, Timer, WAIT_FOREVER};

const TAG: &str = "js";

/// A request handed to the JS task.
pub struct Exchange {
    /// Matches the [`Reply`] to this request.
    pub seq: u32,
    /// Index of the function (as in the configuration).
    pub function: usize,
    /// Request method.
    pub method: String,
    /// Absolute URL (`http://host/path?query`).
    pub url: String,
    /// Header fields as received (names as sent, values as bytes).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body; `None` when the request had no body framing at all.
    pub body: Option<Vec<u8>>,
    /// Where the reply goes.
    pub reply_to: &'static Queue<Reply>,
}

/// A handler's response, handed back to the connection task.
pub struct Reply {
    /// The [`Exchange::seq`] this answers.
    pub seq: u32,
    /// Status code.
    pub status: u16,
    /// Reason phrase chosen by the handler (empty: the standard one).
    pub status_text: String,
    /// Header fields (lowercase names).
    pub headers: Vec<(String, String)>,
    /// The body; `None` for a null body.
    pub body: Option<Vec<u8>>,
}

/// A change of the running functions (an over-the-air deploy, rollback or
/// delete, or a pushed configuration), applied by the JS task between
/// requests, all or nothing: every new version is loaded into a fresh
/// context and its module's top level run under its `init_limit_ms`; only
/// if all of them succeed do they replace the old versions (and the removed
/// functions go), at once. Requests in flight finish on the old contexts,
/// each freed once the last of its requests is answered; the next request
/// sees the new state. The outcome goes to `reply_to` as a [`Reply`] with
/// status 200, or 422 and the first load error as its body (nothing
/// changed).
pub struct Activation {
    /// Matches the [`Reply`].
    pub seq: u32,
    /// What changes.
    pub changes: Vec<FunctionChange>,
    /// Where the outcome goes.
    pub reply_to: &'static Queue<Reply>,
}

/// One function's part of an [`Activation`].
pub struct FunctionChange {
    /// The function number (as in [`Exchange::function`]).
    pub function: usize,
    /// The new version; `None` removes the function.
    pub load: Option<LoadedFunction>,
    /// Longest the module's top level may run (0: the handler limit).
    pub init_limit_ms: u32,
}

/// A function ready to be loaded into its context.
pub struct LoadedFunction {
    /// Its name (used in logs and as the Lambda `functionName`).
    pub name: String,
    /// QuickJS bytecode of its entry module.
    pub bytecode: Vec<u8>,
    /// Its other modules, which the entry imports by relative specifiers:
    /// name (see [`super::modules`]) and bytecode.
    pub modules: Vec<(String, Vec<u8>)>,
    /// Its `env` variables.
    pub env: BTreeMap<String, String>,
    /// Its `env` bindings.
    pub bindings: BTreeMap<String, crate::config::Binding>,
    /// Its own CPU limit in ms (a bundle's `limits.cpu_ms`), below the
    /// device's `handler_timeout_ms`; 0: the device's.
    pub cpu_limit_ms: u32,
}

/// Compiles a function file and the files it imports (a port that can
/// read files does it, see [`super::modules::compile_function`]): module
/// names and bytecode, the entry first.
pub type CompilePath<'a> = dyn FnMut(&str) -> Result<Vec<(String, Vec<u8>)>, String> + 'a;

/// Turns a configuration's functions into bytecode: built-in ones from the
/// firmware, files through `compile_path` (a port that can read files
/// compiles them when it starts).
pub fn resolve_functions(
    config: &crate::config::Config,
    mut compile_path: impl FnMut(&str) -> Result<Vec<(String, Vec<u8>)>, String>,
) -> Result<Vec<LoadedFunction>, String> {
    config
        .functions
        .iter()
        .map(|f| resolve_function(f, &mut compile_path))
        .collect()
}

/// Turns one configured function into bytecode (see [`resolve_functions`]).
pub fn resolve_function(
    f: &crate::config::FunctionConfig,
    compile_path: &mut CompilePath<'_>,
) -> Result<LoadedFunction, String> {
    use crate::config::FunctionSource;
    let (bytecode, modules) = match &f.source {
        FunctionSource::Builtin(name) => {
            let bytecode = super::builtin::function(name).ok_or_else(|| {
                alloc::format!(
                    "function '{}': no built-in module '{name}' (built in: {})",
                    f.name,
                    super::builtin::names(super::builtin::FUNCTIONS, "")
                )
            })?;
            let modules = super::builtin::function_modules(name)
                .iter()
                .map(|(n, b)| (n.to_string(), b.to_vec()))
                .collect();
            (bytecode.to_vec(), modules)
        }
        FunctionSource::Path(path) => {
            // The entry first, then the modules it imports.
            let mut modules = compile_path(path)?.into_iter();
            let (_, entry) = modules.next().unwrap_or_default();
            (entry, modules.collect())
        }
    };
    Ok(LoadedFunction {
        name: f.name.clone(),
        bytecode,
        modules,
        env: f.env.clone(),
        bindings: f.bindings.clone(),
        cpu_limit_ms: 0,
    })
}

/// Sizes and limits of the JS task.
#[derive(Clone, Copy)]
pub struct JsConfig {
    /// Most bytes the engine may allocate.
    pub memory_limit: usize,
    /// The most the port can give the engine: a memory limit set later (a
    /// configuration pushed over the air) is clamped to it
    /// ([`set_memory_limit`]).
    pub memory_ceiling: usize,
    /// Native stack JS may use (below `task_stack_words` on the boards).
    pub stack_limit: usize,
    /// The task's FreeRTOS stack, in words.
    pub task_stack_words: usize,
    /// Task priority.
    pub priority: u32,
    /// Messages the queue holds.
    pub queue_len: usize,
    /// Longest a handler may run without yielding before it is interrupted.
    pub cpu_limit_ms: u32,
    /// The port's entropy source, seeding `crypto`'s random generator.
    pub entropy: &'static dyn crate::port::Entropy,
    /// Worker tasks for I/O off the JS task (started on first use).
    pub io_workers: usize,
    /// Each I/O worker's FreeRTOS stack, in words.
    pub io_stack_words: usize,
}

enum Message {
    Request(Box<Exchange>),
    Activate(Box<Activation>),
    Timer {
        function: usize,
        id: u32,
    },
    Io {
        function: usize,
        id: u32,
        completion: super::io::Completion,
    },
    Shutdown,
}

/// Hands the result of I/O job `id` of `function` back to the JS task
/// (from a worker; waits while the JS queue is full).
pub(super) fn complete_io(function: usize, id: u32, completion: super::io::Completion) {
    if let Some(q) = queue() {
        let msg = Box::new(Message::Io {
            function,
            id,
            completion,
        });
        if q.send(msg, WAIT_FOREVER).is_err() {
            log::error!(target: TAG, "I/O result dropped: the JS queue refused it");
        }
    }
}

static QUEUE: AtomicPtr<Queue<Message>> = AtomicPtr::new(core::ptr::null_mut());
static SHUTDOWN: AtomicPtr<Message> = AtomicPtr::new(core::ptr::null_mut());

fn queue() -> Option<&'static Queue<Message>> {
    // SAFETY: set once in `start` from a leaked box, never freed.
    unsafe { QUEUE.load(Ordering::Acquire).as_ref() }
}

/// The handle other tasks use to reach the JS task.
#[derive(Clone, Copy)]
pub struct JsTask {
    queue: &'static Queue<Message>,
}

/// Why a request could not be handed over.
pub struct Busy(pub Box<Exchange>);

impl JsTask {
    /// Starts the JS task, loads every function into its own context and
    /// returns once they are ready, or with the first load error.
    /// Call from a task; at most once.
    pub fn start(functions: Vec<LoadedFunction>, config: JsConfig) -> Result<JsTask, String> {
        let queue: &'static Queue<Message> = Box::leak(Box::new(
            Queue::new(config.queue_len).map_err(|e| e.to_string())?,
        ));
        QUEUE.store(
            (queue as *const Queue<Message>).cast_mut(),
            Ordering::Release,
        );
        SHUTDOWN.store(
            Box::into_raw(Box::new(Message::Shutdown)),
            Ordering::Release,
        );
        let result: RefCell<Option<Result<(), String>>> = RefCell::new(None);
        let start = Start {
            functions,
            config,
            starter: TaskHandle::current(),
            result: &result as *const _,
        };
        rtos::clear_notification(Notification::Reply);
        rtos::spawn(c"js", config.task_stack_words, config.priority, move || {
            js_task(start)
        })
        .map_err(|e| e.to_string())?;
        while result.borrow().is_none() {
            rtos::wait_notification(Notification::Reply, WAIT_FOREVER);
        }
        let outcome = result.borrow_mut().take().unwrap_or(Ok(()));
        outcome.map(|()| JsTask { queue })
    }

    /// Hands an [`Activation`] to the JS task without waiting; gives it back
    /// when the queue is full.
    pub fn activate(&self, activation: Box<Activation>) -> Result<(), Box<Activation>> {
        match self.queue.send(Box::new(Message::Activate(activation)), 0) {
            Ok(()) => Ok(()),
            Err(msg) => match *msg {
                Message::Activate(a) => Err(a),
                _ => unreachable!("sent an activation"),
            },
        }
    }

    /// Hands a request to the JS task without waiting; gives it back when the
    /// queue is full.
    pub fn submit(&self, exchange: Box<Exchange>) -> Result<(), Busy> {
        match self.queue.send(Box::new(Message::Request(exchange)), 0) {
            Ok(()) => Ok(()),
            Err(msg) => match *msg {
                Message::Request(ex) => Err(Busy(ex)),
                _ => unreachable!("sent a request"),
            },
        }
    }
}

/// Asks the JS task to free everything, run the leak check and stop the
/// scheduler. Safe from interrupt context; only the first call counts.
pub fn request_shutdown() {
    // A critical section instead of an atomic swap: thumbv6m has no CAS.
    let msg = rtos::critical(|| {
        let m = SHUTDOWN.load(Ordering::Acquire);
        SHUTDOWN.store(core::ptr::null_mut(), Ordering::Release);
        m
    });
    if let (false, Some(q)) = (msg.is_null(), queue()) {
        // SAFETY: the message was leaked from a box in `start` and is taken once.
        let msg = unsafe { Box::from_raw(msg) };
        if let Err(msg) = q.send(msg, 0) {
            // Queue full: put it back so the next call retries.
            SHUTDOWN.store(Box::into_raw(msg), Ordering::Release);
        }
    }
}

struct Start {
    functions: Vec<LoadedFunction>,
    config: JsConfig,
    starter: TaskHandle,
    /// Lives in `JsTask::start`, which waits until the result is reported.
    result: *const RefCell<Option<Result<(), String>>>,
}

// SAFETY: the result pointer is written once by the JS task while the
// starter waits for exactly that, and read after it was notified.
unsafe impl Send for Start {}

/// Per-context state, reachable from natives through the context opaque.
pub struct ContextState {
    /// The function's name.
    pub name: String,
    function: usize,
    timers: RefCell<BTreeMap<u32, Timer>>,
    next_timer: Cell<u32>,
    /// The glue's `internal` object (freed with the context).
    internal: RefCell<Option<Persistent>>,
    /// Bit i: glue file i has run in this context.
    glue_loaded: Cell<u64>,
    /// The resolve and reject functions of promises waiting for I/O, by job id.
    pending_io: RefCell<BTreeMap<u32, (Persistent, Persistent)>>,
    next_io: Cell<u32>,
    /// The function's own modules not imported yet (emptied once its entry
    /// has loaded, see [`super::modules`]).
    modules: RefCell<Vec<(String, Vec<u8>)>>,
}

/// Timer ids are 24 bits so that the function index fits beside them in the
/// FreeRTOS timer ID on 32-bit boards.
const TIMER_ID_MASK: u32 = 0x00FF_FFFF;
/// Most functions a device runs (the rest of the timer ID).
pub const MAX_FUNCTIONS: usize = 255;

impl ContextState {
    /// Stops the context's timers and lets go of every JS value it holds,
    /// before the context is freed.
    fn release(&self, ctx: &Ctx) {
        for t in core::mem::take(&mut *self.timers.borrow_mut()).into_values() {
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

    /// Index of the function (as in the configuration).
    pub fn function(&self) -> usize {
        self.function
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

    /// Forgets a pending I/O promise (its job never started).
    pub fn drop_pending_io(&self, ctx: &Ctx, id: u32) {
        if let Some((resolve, reject)) = self.pending_io.borrow_mut().remove(&id) {
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
    fn is_glue_loaded(&self, index: usize) -> bool {
        self.glue_loaded.get() & (1u64 << index) != 0
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
        // Skip ids still in use after the 24-bit counter wrapped.
        for _ in 0..=timers.len() {
            id = if id >= TIMER_ID_MASK { 1 } else { id + 1 };
            if !timers.contains_key(&id) {
                break;
            }
        }
        self.next_timer.set(id);
        let tag = (self.function << 24) | id as usize;
        // A timer started mid-tick expires up to a tick early; a JS timer must
        // never fire before its delay, so one-shots wait one tick more.
        let period = rtos::ms_to_ticks(delay_ms) + if repeat { 0 } else { 1 };
        let period = period.max(1);
        let timer = Timer::new(c"js-timer", period, repeat, tag, on_timer).ok()?;
        if !timer.start() {
            return None;
        }
        timers.insert(id, timer);
        Some(id)
    }

    /// Stops and forgets a timer (unknown ids are ignored).
    pub fn cancel_timer(&self, id: u32) {
        if let Some(t) = self.timers.borrow_mut().remove(&id) {
            t.stop();
        }
    }
}

extern "C" fn on_timer(handle: *mut c_void) {
    // SAFETY: the kernel passes the handle of the timer that fired.
    let tag = unsafe { Timer::id_of(handle) };
    if let Some(q) = queue() {
        let msg = Box::new(Message::Timer {
            function: tag >> 24,
            id: tag as u32 & TIMER_ID_MASK,
        });
        if q.send(msg, rtos::ms_to_ticks(1000)).is_err() {
            log::error!(target: TAG, "timer event dropped: the JS queue stayed full for 1 s");
        }
    }
}

struct Function {
    ctx: Context,
    state: Box<ContextState>,
    /// [`LoadedFunction::cpu_limit_ms`].
    cpu_limit_ms: u32,
    name: Persistent,
    dispatch: Persistent,
    namespace: Persistent,
    env: Persistent,
}

struct InFlight {
    /// The context slot the request runs in.
    function: usize,
    promise: Persistent,
    seq: u32,
    reply_to: &'static Queue<Reply>,
    /// After this tick nobody waits for the answer any more.
    give_up: TickType,
}

/// Growth of the engine's heap that makes an idle JS task collect cycles.
const GC_SLACK: usize = 16 * 1024;

struct EventLoop {
    /// Engine bytes after the last cycle collection.
    collected_at: usize,
    /// Loaded contexts by slot (a slot is the `function` of timers, I/O and
    /// requests in flight). A slot emptied by an activation is reused only
    /// after the other slots, so a timer event still queued for a freed
    /// context does not reach its successor.
    functions: Vec<Option<Function>>,
    /// Function number -> the slot of its active version.
    active: Vec<Option<usize>>,
    /// Slots of replaced versions, freed when their last request is answered.
    retired: Vec<usize>,
    /// Where the last slot search stopped.
    last_slot: usize,
    in_flight: Vec<InFlight>,
    deadline: alloc::rc::Rc<Cell<TickType>>,
    /// The CPU limit (ms, 0: the device's) of the function whose event is
    /// being run: its handler and the promise jobs that follow run under it.
    event_limit_ms: Cell<u32>,
}

/// Longest a handler may run without yielding, in ms ([`set_cpu_limit_ms`]).
static CPU_LIMIT_MS: AtomicU32 = AtomicU32::new(30_000);

/// Changes how long a handler may run without yielding, from the next
/// message the JS task takes on (a configuration pushed over the air).
pub fn set_cpu_limit_ms(ms: u32) {
    CPU_LIMIT_MS.store(ms.max(1), Ordering::Relaxed);
}

/// The engine's memory limit in bytes ([`set_memory_limit`]; 0: none).
static MEMORY_LIMIT: AtomicUsize = AtomicUsize::new(0);
/// The most [`MEMORY_LIMIT`] may be ([`JsConfig::memory_ceiling`]).
static MEMORY_CEILING: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Changes the engine's memory limit (a configuration pushed over the air):
/// the JS task applies it before the next message it takes on. Clamped to
/// the port's ceiling; returns the limit that applies. A limit below what
/// the engine holds makes its next allocations fail as out of memory (see
/// [`super::heap`]) until enough is freed; nothing is taken away.
pub fn set_memory_limit(bytes: usize) -> usize {
    let applied = clamp_memory_limit(bytes);
    MEMORY_LIMIT.store(applied, Ordering::Relaxed);
    applied
}

/// What [`set_memory_limit`] would apply for `bytes`.
pub fn clamp_memory_limit(bytes: usize) -> usize {
    bytes.min(MEMORY_CEILING.load(Ordering::Relaxed))
}

/// The engine's memory limit now.
pub fn memory_limit() -> usize {
    MEMORY_LIMIT.load(Ordering::Relaxed)
}

/// Bytes the engine held after the JS task's last message (for stats).
static MEMORY_USED: AtomicUsize = AtomicUsize::new(0);

/// The engine's memory: its limit, what it held after the last message,
/// and the port's ceiling for the limit.
pub fn memory_stats() -> (usize, usize, usize) {
    let r = Ordering::Relaxed;
    (
        MEMORY_LIMIT.load(r),
        MEMORY_USED.load(r),
        MEMORY_CEILING.load(r),
    )
}

fn cpu_limit() -> TickType {
    rtos::ms_to_ticks(CPU_LIMIT_MS.load(Ordering::Relaxed) as u64)
}

fn js_task(start: Start) {
    let Start {
        functions,
        config,
        starter,
        result,
    } = start;
    let report = |r: Result<(), String>| {
        // SAFETY: see `Start::result`.
        unsafe { *(*result).borrow_mut() = Some(r) };
        let _ = starter.notify(Notification::Reply);
    };
    MEMORY_CEILING.store(config.memory_ceiling, Ordering::Relaxed);
    let memory_limit = set_memory_limit(config.memory_limit);
    let Some(mut rt) = Runtime::new(RuntimeLimits {
        memory: memory_limit,
        stack: config.stack_limit,
        heap: super::heap::EngineHeap::Kernel,
    }) else {
        report(Err(
            "cannot create the QuickJS runtime: out of memory".to_string()
        ));
        rtos::exit_task();
    };
    rt.set_module_host(&super::modules::HOST);
    crate::crypto::random::install_source(config.entropy);
    super::io::configure(super::io::PoolConfig {
        workers: config.io_workers,
        stack_words: config.io_stack_words,
        priority: config.priority,
        queue_len: config.queue_len,
    });
    let deadline = alloc::rc::Rc::new(Cell::new(TickType::MAX));
    let check = deadline.clone();
    rt.set_interrupt(Some(Box::new(move || rtos::tick_count() > check.get())));
    let mut ev = EventLoop {
        collected_at: 0,
        functions: Vec::new(),
        active: Vec::new(),
        retired: Vec::new(),
        last_slot: 0,
        in_flight: Vec::new(),
        deadline,
        event_limit_ms: Cell::new(0),
    };
    set_cpu_limit_ms(config.cpu_limit_ms);
    let loaded = functions.len();
    for (index, f) in functions.into_iter().enumerate() {
        match ev.load(&rt, index, f) {
            Ok(function) => {
                ev.functions.push(Some(function));
                ev.active.push(Some(index));
                ev.last_slot = index;
            }
            Err(e) => {
                ev.free_all();
                rt.free();
                report(Err(e));
                return;
            }
        }
    }
    ev.collected_at = rt.allocated();
    MEMORY_USED.store(rt.allocated(), Ordering::Relaxed);
    log::info!(
        target: TAG,
        "{loaded} function(s) loaded: engine {} bytes; heap in use {} bytes",
        rt.allocated(),
        rtos::heap_stats().used
    );
    report(Ok(()));
    ev.run(&rt);
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

/// Makes the runtime's memory limit the one last set (see
/// [`set_memory_limit`]), and says so.
fn apply_memory_limit(rt: &Runtime) {
    let want = memory_limit();
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

impl EventLoop {
    fn load(&self, rt: &Runtime, index: usize, f: LoadedFunction) -> Result<Function, String> {
        let fail = |what: &str, e: JsError| alloc::format!("function '{}': {what}: {e}", f.name);
        if index >= MAX_FUNCTIONS {
            return Err(alloc::format!(
                "function '{}': more than {MAX_FUNCTIONS} functions",
                f.name
            ));
        }
        let ctx = rt
            .new_context()
            .ok_or_else(|| "cannot create a JS context: out of memory".to_string())?;
        let state = Box::new(ContextState {
            name: f.name.clone(),
            function: index,
            timers: RefCell::new(BTreeMap::new()),
            next_timer: Cell::new(0),
            internal: RefCell::new(None),
            glue_loaded: Cell::new(0),
            pending_io: RefCell::new(BTreeMap::new()),
            next_io: Cell::new(0),
            modules: RefCell::new(f.modules),
        });
        ctx.set_opaque::<ContextState>(&*state);
        let thrown = |_: Thrown| ctx.take_exception();
        let setup = || -> Result<[Persistent; 4], String> {
            let internal = ctx.object().map_err(thrown).map_err(|e| fail("setup", e))?;
            let natives = natives::create(&ctx)
                .map_err(thrown)
                .map_err(|e| fail("setup", e))?;
            internal
                .set(c"natives", natives)
                .map_err(thrown)
                .map_err(|e| fail("setup", e))?;
            *state.internal.borrow_mut() = Some(Persistent::new(internal.clone()));
            let mut used = rt.allocated();
            log::debug!(target: TAG, "[{}] context: {used} bytes of engine heap", f.name);
            let global = ctx.global();
            // The engine's own versions of a few (DOMException, performance)
            // would hide ours.
            for name in builtin::GLUE.iter().flat_map(|g| g.globals) {
                global
                    .delete_own(name)
                    .map_err(thrown)
                    .map_err(|e| fail("setup", e))?;
            }
            for (target, tag) in [(&global, GLOBAL_NAMES), (&internal, INTERNAL_NAMES)] {
                lazy::install(&ctx, target, tag, &LAZY_GLUE)
                    .map_err(thrown)
                    .map_err(|e| fail("setup", e))?;
            }
            natives::install_request_path(&ctx, &internal)
                .map_err(thrown)
                .map_err(|e| fail("setup", e))?;
            let now = rt.allocated();
            log::debug!(target: TAG, "[{}] request path (native): {:+} bytes", f.name, now as isize - used as isize);
            used = now;
            // Eager files run now; lazy ones run when one of their names is
            // first used, so a function pays RAM only for what it touches.
            for (i, glue) in builtin::GLUE.iter().enumerate() {
                let name = glue.name;
                if !glue.is_lazy() {
                    state
                        .load_glue(&ctx, i)
                        .map_err(thrown)
                        .map_err(|e| fail(name, e))?;
                }
                let now = rt.allocated();
                // Signed: a file's allocations can trigger a collection
                // that frees more than the file took.
                let delta = now as isize - used as isize;
                log::debug!(target: TAG, "[{}] glue {name}: {delta:+} bytes", f.name);
                used = now;
            }
            let env = ctx.object().map_err(thrown).map_err(|e| fail("env", e))?;
            for (k, v) in &f.env {
                let key =
                    alloc::ffi::CString::new(k.as_str()).map_err(|_| fail("env", bad_key()))?;
                let val = ctx.string(v).map_err(thrown).map_err(|e| fail("env", e))?;
                env.set(&key, val)
                    .map_err(thrown)
                    .map_err(|e| fail("env", e))?;
            }
            // `node:process` reads the env vars as `internal.env` while the
            // module is evaluated, so they are set before it runs.
            internal
                .set(c"env", env.clone())
                .map_err(thrown)
                .map_err(|e| fail("env", e))?;
            for (k, b) in &f.bindings {
                let key =
                    alloc::ffi::CString::new(k.as_str()).map_err(|_| fail("env", bad_key()))?;
                let val = super::bindings::create(&ctx, k, b)
                    .map_err(thrown)
                    .map_err(|e| fail("env", e))?;
                env.set(&key, val)
                    .map_err(thrown)
                    .map_err(|e| fail("env", e))?;
            }
            let namespace = ctx.run_bytecode(rt, &f.bytecode);
            // What the entry did not import is never needed (see `modules`).
            state.modules.borrow_mut().clear();
            let namespace = namespace.map_err(|e| fail("module", e))?;
            check_handler_shape(&namespace)
                .map_err(|m| alloc::format!("function '{}': {m}", f.name))?;
            let dispatch = internal
                .get(c"dispatch")
                .map_err(thrown)
                .map_err(|e| fail("glue", e))?;
            if !dispatch.is_function() {
                return Err(String::from("glue: internal.dispatch is not a function"));
            }
            let name = ctx
                .string(&f.name)
                .map_err(thrown)
                .map_err(|e| fail("setup", e))?;
            // Nothing fails from here on, so no persistent reference leaks.
            Ok([name, dispatch, namespace, env].map(Persistent::new))
        };
        let [name, dispatch, namespace, env] = match setup() {
            Ok(refs) => refs,
            Err(e) => {
                state.release(&ctx);
                return Err(e);
            }
        };
        Ok(Function {
            ctx,
            state,
            cpu_limit_ms: f.cpu_limit_ms,
            name,
            dispatch,
            namespace,
            env,
        })
    }

    fn run(&mut self, rt: &Runtime) {
        let Some(q) = queue() else { return };
        loop {
            let Some(msg) = q.receive(WAIT_FOREVER) else {
                continue;
            };
            apply_memory_limit(rt);
            match *msg {
                Message::Request(ex) => self.dispatch(ex),
                Message::Activate(a) => self.activate(rt, *a),
                Message::Timer { function, id } => self.fire_timer(function, id),
                Message::Io {
                    function,
                    id,
                    completion,
                } => self.finish_io(function, id, completion),
                Message::Shutdown => return,
            }
            self.arm();
            rt.run_jobs(|e| log::error!(target: TAG, "uncaught error in a promise job: {e}"));
            self.disarm();
            self.event_limit_ms.set(0);
            self.answer_settled();
            self.collect_when_idle(rt, q);
            MEMORY_USED.store(rt.allocated(), Ordering::Relaxed);
        }
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

    /// Starts the CPU deadline: the device's limit, or the current event's
    /// function's own when that is lower.
    fn arm(&self) {
        let limit = match self.event_limit_ms.get() {
            0 => cpu_limit(),
            ms => cpu_limit().min(rtos::ms_to_ticks(ms as u64).max(1)),
        };
        self.deadline.set(rtos::tick_count().saturating_add(limit));
    }

    fn disarm(&self) {
        self.deadline.set(TickType::MAX);
    }

    /// The context in `slot`, if loaded.
    fn slot(&self, slot: usize) -> Option<&Function> {
        loaded(&self.functions, slot)
    }

    /// Applies an over-the-air change (see [`Activation`]).
    fn activate(&mut self, rt: &Runtime, a: Activation) {
        let Activation {
            seq,
            changes,
            reply_to,
        } = a;
        let outcome = self.apply_changes(rt, changes);
        self.free_retired();
        let reply = match outcome {
            Ok(()) => Reply {
                seq,
                status: 200,
                status_text: String::new(),
                headers: Vec::new(),
                body: None,
            },
            Err(e) => {
                log::error!(target: TAG, "activation refused: {e}");
                Reply {
                    seq,
                    status: 422,
                    status_text: String::new(),
                    headers: Vec::new(),
                    body: Some(e.into_bytes()),
                }
            }
        };
        if reply_to.send(Box::new(reply), 0).is_err() {
            log::warn!(target: TAG, "activation {seq}: its caller no longer waits");
        }
    }

    /// Loads every new version of `changes` into a fresh context; if all
    /// load, makes them active and removes the functions without one, else
    /// frees what was loaded and changes nothing.
    fn apply_changes(&mut self, rt: &Runtime, changes: Vec<FunctionChange>) -> Result<(), String> {
        let mut staged: Vec<(usize, Option<usize>)> = Vec::with_capacity(changes.len());
        for change in changes {
            let loaded = match change.load {
                Some(f) => self.load_into_free_slot(rt, f, change.init_limit_ms),
                None => Ok(None),
            };
            match loaded {
                Ok(slot) => staged.push((change.function, slot)),
                Err(e) => {
                    for slot in staged.into_iter().filter_map(|(_, s)| s) {
                        if let Some(f) = self.functions.get_mut(slot).and_then(Option::take) {
                            free_function(f);
                        }
                    }
                    return Err(e);
                }
            }
        }
        for (number, slot) in staged {
            if self.active.len() <= number {
                self.active.resize(number + 1, None);
            }
            let old = core::mem::replace(&mut self.active[number], slot);
            if let Some(old) = old {
                self.retired.push(old);
            }
            if let Some((s, f)) = slot.and_then(|s| Some((s, self.slot(s)?))) {
                log::info!(target: TAG, "[{}] new version active (context {s})", f.state.name);
            }
        }
        Ok(())
    }

    /// Loads `f` into a fresh context under the time limit, in a free slot
    /// (not active yet); returns the slot.
    fn load_into_free_slot(
        &mut self,
        rt: &Runtime,
        f: LoadedFunction,
        init_limit_ms: u32,
    ) -> Result<Option<usize>, String> {
        let free = (1..=MAX_FUNCTIONS)
            .map(|i| (self.last_slot + i) % MAX_FUNCTIONS)
            .find(|&i| self.slot(i).is_none())
            .ok_or_else(|| alloc::format!("more than {MAX_FUNCTIONS} function contexts"))?;
        let limit = match init_limit_ms {
            0 => cpu_limit(),
            ms => rtos::ms_to_ticks(ms as u64),
        };
        self.deadline.set(rtos::tick_count().saturating_add(limit));
        let loaded = self.load(rt, free, f);
        self.disarm();
        let function = loaded?;
        if self.functions.len() <= free {
            self.functions.resize_with(free + 1, || None);
        }
        self.functions[free] = Some(function);
        self.last_slot = free;
        Ok(Some(free))
    }

    /// Frees the retired contexts no request in flight still uses.
    fn free_retired(&mut self) {
        let mut i = 0;
        while i < self.retired.len() {
            let slot = self.retired[i];
            if self.in_flight.iter().any(|fl| fl.function == slot) {
                i += 1;
                continue;
            }
            self.retired.swap_remove(i);
            if let Some(f) = self.functions.get_mut(slot).and_then(Option::take) {
                log::debug!(target: TAG, "[{}] old version freed (context {slot})", f.state.name);
                free_function(f);
            }
        }
    }

    fn dispatch(&mut self, mut ex: Box<Exchange>) {
        let slot = self.active.get(ex.function).copied().flatten();
        let Some((slot, f)) = slot.and_then(|s| Some((s, loaded(&self.functions, s)?))) else {
            reply_error(&ex, 404);
            return;
        };
        let ctx: &Ctx = &f.ctx;
        self.event_limit_ms.set(f.cpu_limit_ms);
        self.arm();
        let started = request_args(ctx, f, &mut ex)
            .and_then(|args| f.dispatch.get(ctx).call(&ctx.undefined(), &args));
        self.disarm();
        match started {
            Ok(promise) => self.in_flight.push(InFlight {
                function: slot,
                promise: Persistent::new(promise),
                seq: ex.seq,
                reply_to: ex.reply_to,
                give_up: rtos::tick_count().saturating_add(cpu_limit().saturating_mul(2)),
            }),
            Err(Thrown) => {
                let e = ctx.take_exception();
                log::error!(target: TAG, "[{}] request could not be dispatched: {e}", f.state.name);
                reply_error(&ex, 500);
            }
        }
    }

    fn fire_timer(&mut self, function: usize, id: u32) {
        let Some(f) = self.slot(function) else {
            return;
        };
        {
            let mut timers = f.state.timers.borrow_mut();
            match timers.get(&id) {
                None => return, // cancelled after it fired
                // One-shot timers are done once they fire; repeating ones stay.
                Some(t) if !t.is_auto_reload() => drop(timers.remove(&id)),
                Some(_) => {}
            }
        }
        let ctx: &Ctx = &f.ctx;
        self.event_limit_ms.set(f.cpu_limit_ms);
        self.arm();
        // Timers exist only once the timers glue has run, so this never loads it.
        let internal = f.state.internal.borrow().as_ref().map(|i| i.get(ctx));
        let r = match internal {
            Some(internal) => internal
                .get(c"fireTimer")
                .and_then(|fire| fire.call(&ctx.undefined(), &[ctx.number(id as f64)])),
            None => Ok(ctx.undefined()),
        };
        self.disarm();
        if r.is_err() {
            let e = ctx.take_exception();
            log::error!(target: TAG, "[{}] timer {id}: {e}", f.state.name);
        }
    }

    /// Settles the promise of I/O job `id` with its completion's outcome.
    fn finish_io(&mut self, function: usize, id: u32, completion: super::io::Completion) {
        let Some(f) = self.slot(function) else {
            return;
        };
        let Some((resolve, reject)) = f.state.pending_io.borrow_mut().remove(&id) else {
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

    fn answer_settled(&mut self) {
        let mut i = 0;
        while i < self.in_flight.len() {
            let fl = &self.in_flight[i];
            let Some(f) = loaded(&self.functions, fl.function) else {
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
                    fl.promise.free(&f.ctx);
                } else {
                    i += 1;
                }
                continue;
            }
            let reply = match state {
                PromiseState::Fulfilled => {
                    reply_from_result(ctx, &ctx.promise_result(&promise), fl.seq)
                }
                _ => {
                    let e = ctx.error_from_value(&ctx.promise_result(&promise));
                    log::error!(target: TAG, "[{}] dispatch failed: {e}", f.state.name);
                    None
                }
            };
            drop(promise);
            let fl = self.in_flight.swap_remove(i);
            let reply = reply.unwrap_or_else(|| error_reply(fl.seq, 500));
            fl.promise.free(&f.ctx);
            if fl.reply_to.send(Box::new(reply), 0).is_err() {
                log::warn!(target: TAG, "reply {} dropped: its connection no longer waits", fl.seq);
            }
        }
        if !self.retired.is_empty() {
            self.free_retired();
        }
    }

    fn free_all(&mut self) {
        for fl in core::mem::take(&mut self.in_flight) {
            if let Some(f) = self.slot(fl.function) {
                fl.promise.free(&f.ctx);
            }
        }
        for f in self.functions.drain(..).flatten() {
            free_function(f);
        }
    }
}

/// The context in `slot` of `functions`, if loaded.
fn loaded(functions: &[Option<Function>], slot: usize) -> Option<&Function> {
    functions.get(slot).and_then(Option::as_ref)
}

/// Stops a context's timers, drops its pending I/O and frees it.
fn free_function(f: Function) {
    let Function {
        ctx,
        state,
        name,
        dispatch,
        namespace,
        env,
        ..
    } = f;
    state.release(&ctx);
    for p in [name, dispatch, namespace, env] {
        p.free(&ctx);
    }
    drop(ctx);
    drop(state);
}

/// The `tag` of the global object's lazy names (see [`lazy::install`]).
const GLOBAL_NAMES: i32 = 0;
/// The `tag` of `internal`'s lazy names.
const INTERNAL_NAMES: i32 = 1;

/// The names of the lazy glue files, on the global object and on `internal`.
static LAZY_GLUE: lazy::LazyNames = lazy::LazyNames {
    pending: |ctx, tag, name| match definer_of(tag, name) {
        Some(Definer::Intrinsic(i)) => !ctx.has_intrinsic(i),
        Some(Definer::Glue(i)) => {
            // SAFETY: every context of the JS task carries its ContextState.
            let state = unsafe { ctx.opaque::<ContextState>() };
            state.is_some_and(|s| !s.is_glue_loaded(i))
        }
        None => false,
    },
    load: load_lazy_name,
};

/// What defines a lazy name.
#[derive(Clone, Copy)]
enum Definer {
    /// One of the engine's built-ins added on first use.
    Intrinsic(Intrinsic),
    /// A glue file (its index in `builtin::GLUE`).
    Glue(usize),
}

/// What defines `name` on the object of `tag`, if it is a lazy name.
fn definer_of(tag: i32, name: &str) -> Option<Definer> {
    if tag == GLOBAL_NAMES
        && let Some(i) = Intrinsic::of_global(name)
    {
        return Some(Definer::Intrinsic(i));
    }
    builtin::GLUE
        .iter()
        .position(|g| {
            let names = if tag == GLOBAL_NAMES {
                g.globals
            } else {
                g.internals
            };
            names.contains(&name)
        })
        .map(Definer::Glue)
}

/// Runs what defines `name` on the object of `tag` and returns the value
/// it got.
fn load_lazy_name<'c>(ctx: &'c Ctx, tag: i32, name: &str) -> Result<Value<'c>, Thrown> {
    // SAFETY: every context of the JS task carries its ContextState.
    let state = unsafe { ctx.opaque::<ContextState>() }
        .ok_or_else(|| ctx.throw_type_error("no function state"))?;
    let definer = definer_of(tag, name).ok_or_else(|| ctx.throw_type_error("not a lazy name"))?;
    match definer {
        Definer::Intrinsic(i) => ctx.ensure_intrinsic(i)?,
        Definer::Glue(i) => state.load_glue(ctx, i)?,
    }
    let target = if tag == GLOBAL_NAMES {
        ctx.global()
    } else {
        state.internal(ctx)?
    };
    let cname = alloc::ffi::CString::new(name).map_err(|_| ctx.throw_type_error("bad name"))?;
    if !target.has_own(&cname)? {
        let by = match definer {
            Definer::Intrinsic(i) => alloc::format!("{i:?}"),
            Definer::Glue(i) => alloc::format!("glue file {}", builtin::GLUE[i].name),
        };
        return Err(ctx.throw_type_error(&alloc::format!("{by} did not define {name}")));
    }
    target.get(&cname)
}

fn bad_key() -> JsError {
    JsError {
        message: "env names must not contain NUL".to_string(),
        stack: String::new(),
    }
}

/// Checks that a module exports a Workers `default.fetch` or a Lambda `handler`.
fn check_handler_shape(ns: &Value<'_>) -> Result<(), String> {
    let workers = ns
        .get(c"default")
        .ok()
        .filter(|d| d.is_object())
        .and_then(|d| d.get(c"fetch").ok())
        .is_some_and(|f| f.is_function());
    let lambda = ns.get(c"handler").ok().is_some_and(|h| h.is_function());
    if workers || lambda {
        Ok(())
    } else {
        Err(
            "the module has neither `export default { fetch }` nor `export const handler`"
                .to_string(),
        )
    }
}

/// `dispatch(ns, fnName, request, env)` arguments: the `Request` is built
/// natively from the exchange (taking its method, URL and body).
fn request_args<'c>(
    ctx: &'c Ctx,
    f: &Function,
    ex: &mut Exchange,
) -> Result<Vec<Value<'c>>, Thrown> {
    Ok(alloc::vec![
        f.namespace.get(ctx),
        f.name.get(ctx),
        natives::request::from_exchange(ctx, ex)?,
        f.env.get(ctx),
    ])
}

/// Reads what dispatch settled with: a `Response` (read natively), or
/// `[status, statusText, headersFlat, body]` from the glue.
fn reply_from_result(ctx: &Ctx, v: &Value<'_>, seq: u32) -> Option<Reply> {
    let read = || -> Result<Reply, Thrown> {
        if let Some(parts) = natives::response::reply_parts(ctx, v)? {
            return Ok(Reply {
                seq,
                status: if (100..=999).contains(&parts.status) {
                    parts.status
                } else {
                    500
                },
                status_text: parts.status_text,
                headers: parts.headers,
                body: parts.body,
            });
        }
        let status = v.get_index(0)?.to_f64()?;
        let status = if (100.0..=999.0).contains(&status) {
            status as u16
        } else {
            500
        };
        let status_text = v.get_index(1)?.to_string()?;
        let headers = v.get_index(2)?.string_pairs()?;
        let body = v.get_index(3)?;
        let body = if body.is_nullish() {
            None
        } else {
            Some(body.bytes().unwrap_or(&[]).to_vec())
        };
        Ok(Reply {
            seq,
            status,
            status_text,
            headers,
            body,
        })
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
    }
}

fn reply_error(ex: &Exchange, status: u16) {
    if ex
        .reply_to
        .send(Box::new(error_reply(ex.seq, status)), 0)
        .is_err()
    {
        log::warn!(target: TAG, "reply {} dropped: its connection no longer waits", ex.seq);
    }
}
