//! A small safe layer over QuickJS-NG (`rquickjs-sys`).
//!
//! * [`Runtime`] owns a `JSRuntime`: its allocator (the Rust global allocator,
//!   so on a board the FreeRTOS heap), memory limit, stack limit, interrupt
//!   check, job queue and the table of native functions.
//! * [`Context`] owns a `JSContext`; it derefs to [`Ctx`], the borrowed form
//!   every operation takes (natives receive a `&Ctx`).
//! * [`Value`] is one counted reference to a JS value: `Clone` duplicates it,
//!   `Drop` releases it, so reference counts are right by construction.
//! * Errors: [`Thrown`] means "a JS exception is pending"; [`JsError`] is an
//!   exception taken out of the engine, with its stack.
//!
//! QuickJS is single-threaded: none of these types is `Send`. A runtime must
//! outlive its contexts and a context its values (enforced by lifetimes for
//! values and by [`Runtime::free`] for contexts).

use alloc::boxed::Box;
use alloc::ffi::CString;

pub use super::heap::EngineHeap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ffi::{CStr, c_char, c_int, c_void};
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use rquickjs_sys as qjs;

/// The header-inline value helpers of QuickJS, which only read or build the
/// value's tag and payload words: safe for any `JSValue`.
#[allow(non_snake_case)]
mod raw {
    use rquickjs_sys as qjs;
    macro_rules! pure {
        ($($name:ident($($a:ident: $t:ty),*) -> $r:ty;)*) => {$(
            #[allow(unused_unsafe)]
            pub fn $name($($a: $t),*) -> $r {
                // SAFETY: reads or builds the tag/payload words only.
                unsafe { qjs::$name($($a),*) }
            }
        )*};
    }
    pure! {
        JS_IsException(v: qjs::JSValue) -> bool;
        JS_IsUndefined(v: qjs::JSValue) -> bool;
        JS_IsNull(v: qjs::JSValue) -> bool;
        JS_IsString(v: qjs::JSValue) -> bool;
        JS_IsObject(v: qjs::JSValue) -> bool;
        JS_IsNumber(v: qjs::JSValue) -> bool;
        JS_VALUE_GET_TAG(v: qjs::JSValue) -> i32;
        JS_VALUE_GET_PTR(v: qjs::JSValue) -> *mut core::ffi::c_void;
        JS_VALUE_GET_INT(v: qjs::JSValue) -> i32;
        JS_MKVAL(tag: i32, val: i32) -> qjs::JSValue;
        JS_NewFloat64(d: f64) -> qjs::JSValue;
    }
}

/// A native function callable from JS: `(ctx, this, args) -> value`.
pub type NativeFn = for<'c> fn(&'c Ctx, Value<'c>, &[Value<'c>]) -> Result<Value<'c>, Thrown>;

/// Marker: a JS exception is pending in the context (return it from natives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thrown;

/// A JS exception taken out of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsError {
    /// `String(error)`, e.g. `TypeError: x is not a function`.
    pub message: String,
    /// The `stack` property, empty when there is none.
    pub stack: String,
}

impl core::fmt::Display for JsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)?;
        if !self.stack.is_empty() {
            write!(f, "\n{}", self.stack.trim_end())?;
        }
        Ok(())
    }
}

/// Runtime-wide state reachable from C callbacks through the runtime opaque.
struct RuntimeState {
    /// The engine's bytes and memory limit (the allocator's opaque, see
    /// `super::heap`).
    budget: super::heap::Budget,
    natives: core::cell::RefCell<Vec<NativeFn>>,
    interrupt: core::cell::RefCell<Option<Box<dyn FnMut() -> bool>>>,
    modules: core::cell::Cell<Option<&'static ModuleHost>>,
    /// Classes registered through [`Class::of`], by the Rust type they own.
    classes: core::cell::RefCell<Vec<(core::any::TypeId, qjs::JSClassID)>>,
    /// The [`Intrinsic`]s each live context has (a bit per intrinsic).
    intrinsics: core::cell::RefCell<Vec<(*mut qjs::JSContext, u8)>>,
}

/// Standard built-ins a context gets on first use rather than at creation
/// (see [`Ctx::ensure_intrinsic`]): none has syntax of its own (as regular
/// expression literals or async functions have), so nothing reaches them
/// but their global names and our natives, which ensure them first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intrinsic {
    /// `Date`.
    Date,
    /// `Map`, `Set`, `WeakMap`, `WeakSet`.
    MapSet,
    /// `ArrayBuffer`, the typed arrays, `DataView`.
    TypedArrays,
    /// `Proxy`.
    Proxy,
    /// `WeakRef`, `FinalizationRegistry`.
    WeakRef,
}

impl Intrinsic {
    /// Every lazily added intrinsic.
    pub const ALL: [Intrinsic; 5] = [
        Intrinsic::Date,
        Intrinsic::MapSet,
        Intrinsic::TypedArrays,
        Intrinsic::Proxy,
        Intrinsic::WeakRef,
    ];

    /// The global names it defines.
    pub fn globals(self) -> &'static [&'static str] {
        match self {
            Intrinsic::Date => &["Date"],
            Intrinsic::MapSet => &["Map", "Set", "WeakMap", "WeakSet"],
            Intrinsic::TypedArrays => &[
                "ArrayBuffer",
                "SharedArrayBuffer",
                "Uint8ClampedArray",
                "Int8Array",
                "Uint8Array",
                "Int16Array",
                "Uint16Array",
                "Int32Array",
                "Uint32Array",
                "BigInt64Array",
                "BigUint64Array",
                "Float16Array",
                "Float32Array",
                "Float64Array",
                "DataView",
            ],
            Intrinsic::Proxy => &["Proxy"],
            Intrinsic::WeakRef => &["WeakRef", "FinalizationRegistry"],
        }
    }

    /// The intrinsic that defines global `name`, if a lazy one does.
    pub fn of_global(name: &str) -> Option<Intrinsic> {
        Intrinsic::ALL
            .into_iter()
            .find(|i| i.globals().contains(&name))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A module's bytecode as a [`ModuleHost`] finds it, or why it cannot.
pub type ModuleBytecode = Result<alloc::borrow::Cow<'static, [u8]>, String>;

/// How a runtime finds the modules that modules import (`import x from "y"`).
pub struct ModuleHost {
    /// Turns specifier `name`, as written in module `base`, into the name
    /// of a module, or a message for the `Error` the import throws.
    pub normalize: fn(base: &str, name: &str) -> Result<String, String>,
    /// The bytecode of the module with this (normalized) name, as the
    /// importing context sees it: built into the firmware (borrowed) or one
    /// of the function's own modules (handed over: each loads once).
    /// An `Err` is the message of the `Error` the import throws.
    pub bytecode: fn(ctx: &Ctx, name: &str) -> ModuleBytecode,
    /// Names of the modules the host makes itself: one `default` export,
    /// the value `native_default` returns in the importing context.
    pub native: &'static [&'static str],
    /// The `default` export of native module `name`.
    pub native_default: for<'c> fn(&'c Ctx, &str) -> Result<Value<'c>, Thrown>,
}

/// Counts of what a runtime holds, from `JS_ComputeMemoryUsage`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Bytes allocated by the engine.
    pub malloc_size: i64,
    /// Live allocations.
    pub malloc_count: i64,
    /// Live objects.
    pub obj_count: i64,
    /// Live strings.
    pub str_count: i64,
}

/// Limits applied to a runtime at creation.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeLimits {
    /// Most bytes the engine may allocate (0: no limit).
    pub memory: usize,
    /// Most bytes of native stack JS may use; keep it below the task's stack.
    pub stack: usize,
    /// Where the engine's memory comes from.
    pub heap: EngineHeap,
}

/// Owner of a QuickJS runtime.
pub struct Runtime {
    rt: NonNull<qjs::JSRuntime>,
    state: Box<RuntimeState>,
}

unsafe extern "C" fn interrupt_trampoline(_rt: *mut qjs::JSRuntime, opaque: *mut c_void) -> c_int {
    // SAFETY: `opaque` is the runtime's boxed state, alive while the runtime is.
    let state = unsafe { &*opaque.cast::<RuntimeState>() };
    match state.interrupt.try_borrow_mut().as_deref_mut() {
        Ok(Some(check)) => check() as c_int,
        _ => 0,
    }
}

/// The module host of the runtime `opaque` (its [`RuntimeState`]).
///
/// # Safety
/// `opaque` must be the live runtime's state.
unsafe fn module_host(opaque: *mut c_void) -> Option<&'static ModuleHost> {
    // SAFETY: per the contract.
    unsafe { &*opaque.cast::<RuntimeState>() }.modules.get()
}

/// Throws a plain `Error` with `message`.
///
/// # Safety
/// `ctx` must be live.
unsafe fn throw_plain(ctx: *mut qjs::JSContext, message: &str) {
    let msg = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: a format string of ours with one string argument.
    unsafe { qjs::JS_ThrowPlainError(ctx, c"%s".as_ptr(), msg.as_ptr()) };
}

unsafe extern "C" fn module_normalize(
    ctx: *mut qjs::JSContext,
    base: *const c_char,
    name: *const c_char,
    opaque: *mut c_void,
) -> *mut c_char {
    // SAFETY: QuickJS passes NUL-terminated names and our runtime state.
    unsafe {
        let base = CStr::from_ptr(base).to_string_lossy();
        let name = CStr::from_ptr(name).to_string_lossy();
        let normalized = match module_host(opaque) {
            Some(host) => (host.normalize)(&base, &name),
            None => Err(alloc::format!("cannot import '{name}': no modules here")),
        };
        match normalized {
            Ok(n) => {
                let out = qjs::js_malloc(ctx, (n.len() + 1) as _).cast::<u8>();
                if !out.is_null() {
                    ptr::copy_nonoverlapping(n.as_ptr(), out, n.len());
                    *out.add(n.len()) = 0;
                }
                out.cast()
            }
            Err(message) => {
                throw_plain(ctx, &message);
                ptr::null_mut()
            }
        }
    }
}

unsafe extern "C" fn native_module_init(
    ctx: *mut qjs::JSContext,
    m: *mut qjs::JSModuleDef,
) -> c_int {
    // SAFETY: QuickJS initialises a module we created, in a live context of
    // our runtime; the export was declared in `module_loader`.
    unsafe {
        let c = Ctx::from_raw(ctx);
        let atom = qjs::JS_GetModuleName(ctx, m);
        let name = Value::from_raw(c, qjs::JS_AtomToString(ctx, atom));
        qjs::JS_FreeAtom(ctx, atom);
        let Ok(name) = name.to_string() else {
            return -1;
        };
        let host = module_host(qjs::JS_GetRuntimeOpaque(qjs::JS_GetRuntime(ctx)));
        let Some(host) = host else { return -1 };
        match (host.native_default)(c, &name) {
            Ok(v) => qjs::JS_SetModuleExport(ctx, m, c"default".as_ptr(), v.into_raw()),
            Err(Thrown) => -1,
        }
    }
}

unsafe extern "C" fn module_loader(
    ctx: *mut qjs::JSContext,
    name: *const c_char,
    opaque: *mut c_void,
    _attributes: qjs::JSValue,
) -> *mut qjs::JSModuleDef {
    // SAFETY: QuickJS passes a NUL-terminated, normalized module name and our
    // runtime state; the module values read here are owned by the context.
    unsafe {
        let cname = CStr::from_ptr(name);
        let name = cname.to_string_lossy();
        let Some(host) = module_host(opaque) else {
            throw_plain(
                ctx,
                &alloc::format!("cannot import '{name}': no modules here"),
            );
            return ptr::null_mut();
        };
        if host.native.contains(&&*name) {
            let m = qjs::JS_NewCModule(ctx, cname.as_ptr(), Some(native_module_init));
            if !m.is_null() && qjs::JS_AddModuleExport(ctx, m, c"default".as_ptr()) < 0 {
                return ptr::null_mut();
            }
            return m;
        }
        let bytecode = match (host.bytecode)(Ctx::from_raw(ctx), &name) {
            Ok(b) => b,
            Err(message) => {
                throw_plain(ctx, &message);
                return ptr::null_mut();
            }
        };
        let obj = qjs::JS_ReadObject(
            ctx,
            bytecode.as_ptr(),
            bytecode.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as _,
        );
        if raw::JS_IsException(obj) {
            return ptr::null_mut();
        }
        if raw::JS_VALUE_GET_TAG(obj) != qjs::JS_TAG_MODULE {
            qjs::JS_FreeValue(ctx, obj);
            throw_plain(
                ctx,
                &alloc::format!("module '{name}': not a module's bytecode"),
            );
            return ptr::null_mut();
        }
        // The context's module list holds the module; drop our reference.
        let m = raw::JS_VALUE_GET_PTR(obj).cast::<qjs::JSModuleDef>();
        qjs::JS_FreeValue(ctx, obj);
        m
    }
}

impl Runtime {
    /// A runtime with our allocator and `limits`.
    pub fn new(limits: RuntimeLimits) -> Option<Runtime> {
        let state = Box::new(RuntimeState {
            budget: super::heap::Budget::default(),
            natives: core::cell::RefCell::new(Vec::new()),
            interrupt: core::cell::RefCell::new(None),
            modules: core::cell::Cell::new(None),
            classes: core::cell::RefCell::new(Vec::new()),
            intrinsics: core::cell::RefCell::new(Vec::new()),
        });
        // SAFETY: the malloc table is static; the state box outlives the runtime
        // (it is dropped after JS_FreeRuntime in `free`/`drop`).
        unsafe {
            let opaque: *const RuntimeState = &*state;
            let counter: *const super::heap::Budget = &state.budget;
            let rt = NonNull::new(qjs::JS_NewRuntime2(
                limits.heap.functions(),
                counter.cast_mut().cast(),
            ))?;
            qjs::JS_SetRuntimeOpaque(rt.as_ptr(), opaque.cast_mut().cast());
            // The limit is the allocator's (with a reserve to report running
            // out, see `super::heap`), not QuickJS's.
            state.budget.limit.set(limits.memory);
            qjs::JS_SetMaxStackSize(rt.as_ptr(), limits.stack as _);
            qjs::JS_SetInterruptHandler(
                rt.as_ptr(),
                Some(interrupt_trampoline),
                opaque.cast_mut().cast(),
            );
            qjs::JS_SetModuleLoaderFunc2(
                rt.as_ptr(),
                Some(module_normalize),
                Some(module_loader),
                None,
                opaque.cast_mut().cast(),
            );
            Some(Runtime { rt, state })
        }
    }

    /// Installs the check QuickJS calls now and then while running JS; when
    /// it returns true the running code gets an uncatchable "interrupted" error.
    pub fn set_interrupt(&mut self, check: Option<Box<dyn FnMut() -> bool>>) {
        *self.state.interrupt.borrow_mut() = check;
    }

    /// Lets modules import the modules `host` provides (none without it).
    pub fn set_module_host(&self, host: &'static ModuleHost) {
        self.state.modules.set(Some(host));
    }

    /// A new context with the standard ECMAScript globals; the
    /// [`Intrinsic`]s among them come on first use (`Ctx::ensure_intrinsic`),
    /// which saves a context ~14 KB of heap on the boards until then. The
    /// engine's own `performance`, `atob` and `btoa` are left out (ours are
    /// glue).
    pub fn new_context(&self) -> Option<Context> {
        // SAFETY: the runtime is live; the context is freed by `Context::drop`
        // (also here, if an intrinsic cannot be added).
        unsafe {
            let ctx = NonNull::new(qjs::JS_NewContextRaw(self.rt.as_ptr()))?;
            let context = Context { ctx };
            let c = ctx.as_ptr();
            let failed = qjs::JS_AddIntrinsicBaseObjects(c) < 0
                || qjs::JS_AddIntrinsicEval(c) < 0
                || qjs::JS_AddIntrinsicRegExp(c) < 0
                || qjs::JS_AddIntrinsicJSON(c) < 0
                || qjs::JS_AddIntrinsicPromise(c) < 0;
            if failed {
                return None;
            }
            self.state.intrinsics.borrow_mut().push((c, 0));
            Some(context)
        }
    }

    /// Runs queued promise jobs until none is left. Errors thrown by jobs are
    /// reported to `on_error` and do not stop the others.
    pub fn run_jobs(&self, mut on_error: impl FnMut(JsError)) {
        loop {
            let mut ctx = ptr::null_mut();
            // SAFETY: the runtime is live; `ctx` is set to the job's context.
            let r = unsafe { qjs::JS_ExecutePendingJob(self.rt.as_ptr(), &mut ctx) };
            if r == 0 {
                break;
            }
            if r < 0 && !ctx.is_null() {
                // SAFETY: the job's context is live (it owns the job).
                on_error(unsafe { Ctx::from_raw(ctx) }.take_exception());
            }
        }
    }

    /// Whether promise jobs are waiting.
    pub fn has_jobs(&self) -> bool {
        // SAFETY: reads the runtime's job list.
        unsafe { qjs::JS_IsJobPending(self.rt.as_ptr()) }
    }

    /// Changes the most bytes the engine may hold (0: no limit), from its
    /// next allocation on. Below what it holds now, allocations fail as out
    /// of memory (with the reserve of `super::heap`) until enough is freed.
    pub fn set_memory_limit(&self, bytes: usize) {
        self.state.budget.limit.set(bytes);
    }

    /// The most bytes the engine may hold (0: no limit).
    pub fn memory_limit(&self) -> usize {
        self.state.budget.limit.get()
    }

    /// Bytes the engine holds now (a cheap read, unlike [`Runtime::memory_usage`]).
    pub fn allocated(&self) -> usize {
        self.state.budget.allocated.get()
    }

    /// Runs the garbage collector (cycles included).
    pub fn gc(&self) {
        // SAFETY: the runtime is live.
        unsafe { qjs::JS_RunGC(self.rt.as_ptr()) }
    }

    /// What the runtime holds now. Not on the boards, whose flash is better
    /// spent than on `JS_ComputeMemoryUsage`.
    #[cfg(not(target_os = "none"))]
    pub fn memory_usage(&self) -> MemoryUsage {
        // SAFETY: JSMemoryUsage is plain data filled by QuickJS.
        unsafe {
            let mut u: qjs::JSMemoryUsage = core::mem::zeroed();
            qjs::JS_ComputeMemoryUsage(self.rt.as_ptr(), &mut u);
            MemoryUsage {
                malloc_size: u.malloc_size,
                malloc_count: u.malloc_count,
                obj_count: u.obj_count,
                str_count: u.str_count,
            }
        }
    }

    /// Frees the runtime after its contexts are gone, returning the objects
    /// still alive just before (0 when nothing leaked; not counted on the
    /// boards, see [`Runtime::memory_usage`]). QuickJS itself asserts that no
    /// object is left, so a leak aborts the program right after.
    pub fn free(self) -> Option<i64> {
        self.gc();
        #[cfg(not(target_os = "none"))]
        let live = Some(self.memory_usage().obj_count);
        #[cfg(target_os = "none")]
        let live = None;
        drop(self);
        live
    }

    fn state_of(ctx: &Ctx) -> &RuntimeState {
        // SAFETY: the opaque is the live runtime's state (set in `new`).
        unsafe { &*qjs::JS_GetRuntimeOpaque(qjs::JS_GetRuntime(ctx.raw())).cast::<RuntimeState>() }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: every context was freed (contexts borrow nothing but are
        // dropped by their owner first); the state box is dropped after this.
        unsafe { qjs::JS_FreeRuntime(self.rt.as_ptr()) }
    }
}

/// Owner of a QuickJS context; derefs to [`Ctx`].
pub struct Context {
    ctx: NonNull<qjs::JSContext>,
}

impl core::ops::Deref for Context {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        // SAFETY: the context is live while `self` is.
        unsafe { Ctx::from_raw(self.ctx.as_ptr()) }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let c = self.ctx.as_ptr();
        Runtime::state_of(self)
            .intrinsics
            .borrow_mut()
            .retain(|(ctx, _)| *ctx != c);
        // SAFETY: values borrowing this context are gone (lifetimes).
        unsafe { qjs::JS_FreeContext(c) }
    }
}

/// A borrowed context: what natives receive and values refer to.
#[repr(transparent)]
pub struct Ctx(qjs::JSContext);

/// State of a promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseState {
    /// Not settled yet.
    Pending,
    /// Resolved with a value.
    Fulfilled,
    /// Rejected with a reason.
    Rejected,
    /// The value is not a promise.
    NotAPromise,
}

impl Ctx {
    /// # Safety
    /// `ctx` must be live for the returned lifetime.
    pub unsafe fn from_raw<'a>(ctx: *mut qjs::JSContext) -> &'a Ctx {
        // SAFETY: repr(transparent) over the opaque C struct.
        unsafe { &*ctx.cast::<Ctx>() }
    }

    /// The raw context pointer.
    pub fn raw(&self) -> *mut qjs::JSContext {
        (self as *const Ctx).cast_mut().cast()
    }

    fn wrap(&self, v: qjs::JSValue) -> Result<Value<'_>, Thrown> {
        if raw::JS_IsException(v) {
            Err(Thrown)
        } else {
            Ok(Value::from_raw(self, v))
        }
    }

    /// `undefined`.
    pub fn undefined(&self) -> Value<'_> {
        Value::from_raw(self, raw::JS_MKVAL(qjs::JS_TAG_UNDEFINED, 0))
    }

    /// `null`.
    pub fn null(&self) -> Value<'_> {
        Value::from_raw(self, raw::JS_MKVAL(qjs::JS_TAG_NULL, 0))
    }

    /// A boolean.
    pub fn bool(&self, b: bool) -> Value<'_> {
        Value::from_raw(self, raw::JS_MKVAL(qjs::JS_TAG_BOOL, b as i32))
    }

    /// A number from an i32.
    pub fn int(&self, n: i32) -> Value<'_> {
        Value::from_raw(self, raw::JS_MKVAL(qjs::JS_TAG_INT, n))
    }

    /// A number.
    pub fn number(&self, n: f64) -> Value<'_> {
        Value::from_raw(self, raw::JS_NewFloat64(n))
    }

    /// A string from UTF-8 text.
    pub fn string(&self, s: &str) -> Result<Value<'_>, Thrown> {
        // SAFETY: QuickJS copies `len` bytes.
        self.wrap(unsafe { qjs::JS_NewStringLen(self.raw(), s.as_ptr().cast(), s.len() as _) })
    }

    /// A string from bytes, each byte one code unit (ISO-8859-1, as HTTP field values are).
    pub fn latin1_string(&self, bytes: &[u8]) -> Result<Value<'_>, Thrown> {
        if bytes.is_ascii() {
            // SAFETY: ASCII is valid UTF-8.
            return self.string(unsafe { core::str::from_utf8_unchecked(bytes) });
        }
        let s: String = bytes.iter().map(|&b| b as char).collect();
        self.string(&s)
    }

    /// A string from UTF-16 code units (lone surrogates kept as they are).
    pub fn utf16_string(&self, units: &[u16]) -> Result<Value<'_>, Thrown> {
        // SAFETY: QuickJS copies `len` code units.
        self.wrap(unsafe { qjs::JS_NewStringUTF16(self.raw(), units.as_ptr(), units.len() as _) })
    }

    /// A new plain object.
    pub fn object(&self) -> Result<Value<'_>, Thrown> {
        // SAFETY: the context is live.
        self.wrap(unsafe { qjs::JS_NewObject(self.raw()) })
    }

    /// A new empty array.
    pub fn array(&self) -> Result<Value<'_>, Thrown> {
        // SAFETY: the context is live.
        self.wrap(unsafe { qjs::JS_NewArray(self.raw()) })
    }

    /// Whether the context has `which` already.
    pub fn has_intrinsic(&self, which: Intrinsic) -> bool {
        let c = self.raw();
        Runtime::state_of(self)
            .intrinsics
            .borrow()
            .iter()
            .any(|&(ctx, bits)| ctx == c && bits & which.bit() != 0)
    }

    /// Adds `which` to the context unless it has it: defines its globals and
    /// the prototypes our natives' objects (dates, typed arrays) need.
    pub fn ensure_intrinsic(&self, which: Intrinsic) -> Result<(), Thrown> {
        if self.has_intrinsic(which) {
            return Ok(());
        }
        let c = self.raw();
        // SAFETY: the context is live; each intrinsic is added once (the bit
        // is set before anything can run in between).
        let r = unsafe {
            match which {
                Intrinsic::Date => qjs::JS_AddIntrinsicDate(c),
                Intrinsic::MapSet => qjs::JS_AddIntrinsicMapSet(c),
                Intrinsic::TypedArrays => qjs::JS_AddIntrinsicTypedArrays(c),
                Intrinsic::Proxy => qjs::JS_AddIntrinsicProxy(c),
                Intrinsic::WeakRef => qjs::JS_AddIntrinsicWeakRef(c),
            }
        };
        if r < 0 {
            return Err(Thrown);
        }
        let mut all = Runtime::state_of(self).intrinsics.borrow_mut();
        match all.iter_mut().find(|(ctx, _)| *ctx == c) {
            Some((_, bits)) => *bits |= which.bit(),
            None => all.push((c, which.bit())),
        }
        Ok(())
    }

    /// A new `ArrayBuffer` holding a copy of `bytes`.
    pub fn array_buffer(&self, bytes: &[u8]) -> Result<Value<'_>, Thrown> {
        self.ensure_intrinsic(Intrinsic::TypedArrays)?;
        // SAFETY: QuickJS copies the bytes.
        self.wrap(unsafe {
            qjs::JS_NewArrayBufferCopy(self.raw(), bytes.as_ptr(), bytes.len() as _)
        })
    }

    /// A new `Uint8Array` holding a copy of `bytes`.
    pub fn uint8_array(&self, bytes: &[u8]) -> Result<Value<'_>, Thrown> {
        self.ensure_intrinsic(Intrinsic::TypedArrays)?;
        // SAFETY: QuickJS copies the bytes.
        self.wrap(unsafe {
            qjs::JS_NewUint8ArrayCopy(self.raw(), bytes.as_ptr(), bytes.len() as _)
        })
    }

    /// The global object.
    pub fn global(&self) -> Value<'_> {
        // SAFETY: returns a new reference.
        Value::from_raw(self, unsafe { qjs::JS_GetGlobalObject(self.raw()) })
    }

    /// A native function named `name` taking `arity` arguments.
    pub fn function(&self, name: &CStr, arity: u8, f: NativeFn) -> Result<Value<'_>, Thrown> {
        let index = self.native_index(f);
        let mut data = raw::JS_MKVAL(qjs::JS_TAG_INT, index as i32);
        // SAFETY: the data value (an int) is copied by QuickJS.
        let v = unsafe {
            qjs::JS_NewCFunctionData(
                self.raw(),
                Some(native_trampoline),
                arity as c_int,
                0,
                1,
                &mut data,
            )
        };
        let v = self.wrap(v)?;
        let name = self.string(name.to_str().unwrap_or("native"))?;
        v.define_readonly(c"name", name)?;
        Ok(v)
    }

    /// The index of `f` in the runtime's table of natives (added if new).
    fn native_index(&self, f: NativeFn) -> usize {
        let mut natives = Runtime::state_of(self).natives.borrow_mut();
        match natives.iter().position(|g| core::ptr::fn_addr_eq(*g, f)) {
            Some(i) => i,
            None => {
                natives.push(f);
                natives.len() - 1
            }
        }
    }

    /// Attaches embedder state to the context (null to detach). The caller
    /// keeps it alive while the context may run.
    pub fn set_opaque<T>(&self, state: *const T) {
        // SAFETY: stores a pointer; QuickJS never dereferences it.
        unsafe { qjs::JS_SetContextOpaque(self.raw(), state.cast_mut().cast()) }
    }

    /// The embedder state set with [`Ctx::set_opaque`].
    ///
    /// # Safety
    /// `T` must be the type given to `set_opaque`, and that state still alive.
    pub unsafe fn opaque<T>(&self) -> Option<&T> {
        // SAFETY: per the contract.
        unsafe { qjs::JS_GetContextOpaque(self.raw()).cast::<T>().as_ref() }
    }

    /// Throws `TypeError(message)`.
    pub fn throw_type_error(&self, message: &str) -> Thrown {
        self.throw_with(message, qjs::JS_ThrowTypeError)
    }

    /// Throws `RangeError(message)`.
    pub fn throw_range_error(&self, message: &str) -> Thrown {
        self.throw_with(message, qjs::JS_ThrowRangeError)
    }

    /// Throws the engine's own "out of memory" error.
    pub fn throw_out_of_memory(&self) -> Thrown {
        // SAFETY: the context is live.
        unsafe { qjs::JS_ThrowOutOfMemory(self.raw()) };
        Thrown
    }

    /// A new array holding `values` (their references move into it).
    pub fn array_of(&self, values: Vec<Value<'_>>) -> Result<Value<'_>, Thrown> {
        let raw: Vec<qjs::JSValue> = values.into_iter().map(Value::into_raw).collect();
        // SAFETY: JS_NewArrayFrom takes over the references, even on failure.
        self.wrap(unsafe { qjs::JS_NewArrayFrom(self.raw(), raw.len() as c_int, raw.as_ptr()) })
    }

    fn throw_with(
        &self,
        message: &str,
        f: unsafe extern "C" fn(*mut qjs::JSContext, *const c_char, ...) -> qjs::JSValue,
    ) -> Thrown {
        let msg = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: "%s" with a NUL-terminated argument.
        unsafe { f(self.raw(), c"%s".as_ptr(), msg.as_ptr()) };
        Thrown
    }

    /// Takes the pending exception out of the engine as the thrown value.
    pub fn catch(&self) -> Value<'_> {
        // SAFETY: JS_GetException returns a new reference (undefined if none).
        Value::from_raw(self, unsafe { qjs::JS_GetException(self.raw()) })
    }

    /// A new `Error` with `message` (to give properties before throwing it).
    pub fn error(&self, message: &str) -> Result<Value<'_>, Thrown> {
        // SAFETY: returns a new reference or an exception.
        let e = self.wrap(unsafe { qjs::JS_NewError(self.raw()) })?;
        e.set(c"message", self.string(message)?)?;
        Ok(e)
    }

    /// A `Date` at `epoch_ms` milliseconds since the Unix epoch.
    pub fn date(&self, epoch_ms: f64) -> Result<Value<'_>, Thrown> {
        self.ensure_intrinsic(Intrinsic::Date)?;
        // SAFETY: returns a new reference or an exception.
        self.wrap(unsafe { qjs::JS_NewDate(self.raw(), epoch_ms) })
    }

    /// `JSON.parse(text)`; a syntax error is thrown as `JSON.parse` throws it.
    pub fn parse_json(&self, text: &str) -> Result<Value<'_>, Thrown> {
        // QuickJS wants a NUL after the text (it reads one byte past `len`).
        let mut source = alloc::vec::Vec::with_capacity(text.len() + 1);
        source.extend_from_slice(text.as_bytes());
        source.push(0);
        // SAFETY: `len` bytes of text followed by a NUL; returns a new reference.
        self.wrap(unsafe {
            qjs::JS_ParseJSON(
                self.raw(),
                source.as_ptr().cast(),
                text.len() as _,
                c"<json>".as_ptr(),
            )
        })
    }

    /// `JSON.stringify(v)` (the engine's, whatever the global `JSON` is
    /// now); `None` when `v` has no JSON form (undefined, a function...).
    pub fn json_stringify(&self, v: &Value<'_>) -> Result<Option<String>, Thrown> {
        let undefined = self.undefined();
        // SAFETY: returns a new reference or an exception.
        let text = self.wrap(unsafe {
            qjs::JS_JSONStringify(self.raw(), v.raw(), undefined.raw(), undefined.raw())
        })?;
        if text.is_string() {
            text.to_string().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Throws `value` (any value, as `throw value` does).
    pub fn throw(&self, value: Value<'_>) -> Thrown {
        // SAFETY: JS_Throw takes over the reference.
        unsafe { qjs::JS_Throw(self.raw(), value.into_raw()) };
        Thrown
    }

    /// A new pending promise with its resolve and reject functions.
    pub fn promise(&self) -> Result<[Value<'_>; 3], Thrown> {
        let mut funcs = [qjs::JS_UNDEFINED; 2];
        // SAFETY: on success QuickJS stores two new references in `funcs`.
        let promise =
            self.wrap(unsafe { qjs::JS_NewPromiseCapability(self.raw(), funcs.as_mut_ptr()) })?;
        let [resolve, reject] = funcs.map(|f| Value::from_raw(self, f));
        Ok([promise, resolve, reject])
    }

    /// Takes the pending exception out of the engine.
    pub fn take_exception(&self) -> JsError {
        // SAFETY: JS_GetException returns a new reference (undefined if none).
        let exc = Value::from_raw(self, unsafe { qjs::JS_GetException(self.raw()) });
        // QuickJS throws null when it ran out of memory even for the error
        // object.
        let message = if exc.is_null() {
            String::from("out of memory (the engine's limit or the heap)")
        } else {
            exc.to_string_lossy()
        };
        let stack = match exc.get(c"stack") {
            Ok(s) if s.is_string() => s.to_string_lossy(),
            _ => String::new(),
        };
        JsError { message, stack }
    }

    /// Loads a script or module from bytecode and runs its top level.
    /// For a module this returns its namespace once its evaluation settled.
    pub fn run_bytecode(&self, rt: &Runtime, bytecode: &[u8]) -> Result<Value<'_>, JsError> {
        // SAFETY: QuickJS reads `len` bytes and validates the bytecode version.
        let obj = unsafe {
            qjs::JS_ReadObject(
                self.raw(),
                bytecode.as_ptr(),
                bytecode.len() as _,
                qjs::JS_READ_OBJ_BYTECODE as _,
            )
        };
        if raw::JS_IsException(obj) {
            return Err(self.take_exception());
        }
        let is_module = raw::JS_VALUE_GET_TAG(obj) == qjs::JS_TAG_MODULE;
        let module = raw::JS_VALUE_GET_PTR(obj).cast::<qjs::JSModuleDef>();
        // SAFETY: JS_EvalFunction consumes `obj`; the module def stays owned by the context.
        unsafe {
            if is_module && qjs::JS_ResolveModule(self.raw(), obj) < 0 {
                qjs::JS_FreeValue(self.raw(), obj);
                return Err(self.take_exception());
            }
            let result = self
                .wrap(qjs::JS_EvalFunction(self.raw(), obj))
                .map_err(|_| self.take_exception())?;
            if !is_module {
                return Ok(result);
            }
            // A module's evaluation is a promise (top-level await): settle it.
            let mut job_error = None;
            rt.run_jobs(|e| job_error = job_error.take().or(Some(e)));
            match self.promise_state(&result) {
                PromiseState::Rejected => {
                    let reason = self.promise_result(&result);
                    return Err(self.error_from_value(&reason));
                }
                PromiseState::Pending => {
                    return Err(JsError {
                        message: String::from("module top-level await did not settle"),
                        stack: String::new(),
                    });
                }
                _ => {}
            }
            if let Some(e) = job_error {
                return Err(e);
            }
            self.wrap(qjs::JS_GetModuleNamespace(self.raw(), module))
                .map_err(|_| self.take_exception())
        }
    }

    /// Runs a script's bytecode (not a module: those need the runtime's job
    /// queue, see [`Ctx::run_bytecode`]) and returns its completion value.
    pub fn run_script(&self, bytecode: &[u8]) -> Result<Value<'_>, JsError> {
        // SAFETY: QuickJS reads `len` bytes and validates the bytecode version.
        let obj = unsafe {
            qjs::JS_ReadObject(
                self.raw(),
                bytecode.as_ptr(),
                bytecode.len() as _,
                qjs::JS_READ_OBJ_BYTECODE as _,
            )
        };
        if raw::JS_IsException(obj) {
            return Err(self.take_exception());
        }
        if raw::JS_VALUE_GET_TAG(obj) == qjs::JS_TAG_MODULE {
            drop(Value::from_raw(self, obj));
            return Err(JsError {
                message: String::from("run_script: the bytecode is a module"),
                stack: String::new(),
            });
        }
        // SAFETY: JS_EvalFunction consumes `obj`.
        self.wrap(unsafe { qjs::JS_EvalFunction(self.raw(), obj) })
            .map_err(|_| self.take_exception())
    }

    /// State of a promise.
    pub fn promise_state(&self, v: &Value<'_>) -> PromiseState {
        // SAFETY: a read of the promise's state.
        match unsafe { qjs::JS_PromiseState(self.raw(), v.raw) } {
            qjs::JSPromiseStateEnum_JS_PROMISE_PENDING => PromiseState::Pending,
            qjs::JSPromiseStateEnum_JS_PROMISE_FULFILLED => PromiseState::Fulfilled,
            qjs::JSPromiseStateEnum_JS_PROMISE_REJECTED => PromiseState::Rejected,
            _ => PromiseState::NotAPromise,
        }
    }

    /// The value or reason of a settled promise.
    pub fn promise_result(&self, v: &Value<'_>) -> Value<'_> {
        // SAFETY: returns a new reference.
        Value::from_raw(self, unsafe { qjs::JS_PromiseResult(self.raw(), v.raw) })
    }

    /// Describes any thrown value (Error or not) as a [`JsError`].
    pub fn error_from_value(&self, v: &Value<'_>) -> JsError {
        let stack = if v.is_object() {
            match v.get(c"stack") {
                Ok(s) if s.is_string() => s.to_string_lossy(),
                _ => String::new(),
            }
        } else {
            String::new()
        };
        JsError {
            message: v.to_string_lossy(),
            stack,
        }
    }
}

unsafe extern "C" fn native_trampoline(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
    _magic: c_int,
    data: *mut qjs::JSValue,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes a live context, `argc` arguments and our data
    // values (one, or three for an accessor); all are duplicated into owned
    // `Value`s.
    unsafe {
        let ctx = Ctx::from_raw(ctx);
        let index = raw::JS_VALUE_GET_INT(*data) as usize;
        let Some(f) = Runtime::state_of(ctx).natives.borrow().get(index).copied() else {
            ctx.throw_type_error("unknown native function");
            return raw::JS_MKVAL(qjs::JS_TAG_EXCEPTION, 0);
        };
        let dup = |v: qjs::JSValue| Value::from_raw(ctx, qjs::JS_DupValue(ctx.raw(), v));
        let this = dup(this);
        let argc = argc.max(0) as usize;
        let args: Vec<Value<'_>> = (0..argc).map(|i| dup(*argv.add(i))).collect();
        match f(ctx, this, &args) {
            Ok(v) => v.into_raw(),
            Err(Thrown) => raw::JS_MKVAL(qjs::JS_TAG_EXCEPTION, 0),
        }
    }
}

/// One counted reference to a JS value of the context `'c`.
pub struct Value<'c> {
    ctx: &'c Ctx,
    raw: qjs::JSValue,
}

impl<'c> Value<'c> {
    /// Takes ownership of a reference the caller owned.
    pub fn from_raw(ctx: &'c Ctx, raw: qjs::JSValue) -> Self {
        Value { ctx, raw }
    }

    /// Gives up ownership of the reference.
    pub fn into_raw(self) -> qjs::JSValue {
        let v = self.raw;
        core::mem::forget(self);
        v
    }

    /// The raw value (still owned by `self`).
    pub fn raw(&self) -> qjs::JSValue {
        self.raw
    }

    /// The context this value belongs to.
    pub fn ctx(&self) -> &'c Ctx {
        self.ctx
    }

    /// `undefined`?
    pub fn is_undefined(&self) -> bool {
        raw::JS_IsUndefined(self.raw)
    }
    /// `null`?
    pub fn is_null(&self) -> bool {
        raw::JS_IsNull(self.raw)
    }
    /// `null` or `undefined`?
    pub fn is_nullish(&self) -> bool {
        raw::JS_IsUndefined(self.raw) || raw::JS_IsNull(self.raw)
    }
    /// A string?
    pub fn is_string(&self) -> bool {
        raw::JS_IsString(self.raw)
    }
    /// An object (functions and arrays included)?
    pub fn is_object(&self) -> bool {
        raw::JS_IsObject(self.raw)
    }
    /// A number?
    pub fn is_number(&self) -> bool {
        raw::JS_IsNumber(self.raw)
    }
    /// A function?
    pub fn is_function(&self) -> bool {
        // SAFETY: a type check.
        unsafe { qjs::JS_IsFunction(self.ctx.raw(), self.raw) }
    }
    /// An array?
    pub fn is_array(&self) -> bool {
        // SAFETY: a type check.
        unsafe { qjs::JS_IsArray(self.raw) }
    }

    /// `this[name]`.
    pub fn get(&self, name: &CStr) -> Result<Value<'c>, Thrown> {
        // SAFETY: returns a new reference or an exception.
        self.ctx
            .wrap(unsafe { qjs::JS_GetPropertyStr(self.ctx.raw(), self.raw, name.as_ptr()) })
    }

    /// `this[key]` for any key value (a symbol, a string, a number).
    pub fn get_value(&self, key: &Value<'_>) -> Result<Value<'c>, Thrown> {
        // SAFETY: the atom is freed; JS_GetProperty returns a new reference.
        unsafe {
            let atom = qjs::JS_ValueToAtom(self.ctx.raw(), key.raw);
            if atom == 0 {
                return Err(Thrown);
            }
            let v = qjs::JS_GetProperty(self.ctx.raw(), self.raw, atom);
            qjs::JS_FreeAtom(self.ctx.raw(), atom);
            self.ctx.wrap(v)
        }
    }

    /// The object's own enumerable string keys, as `Object.keys` lists them.
    pub fn own_keys(&self) -> Result<Vec<Value<'c>>, Thrown> {
        let mut tab: *mut qjs::JSPropertyEnum = ptr::null_mut();
        let mut len: u32 = 0;
        let flags = qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_ENUM_ONLY;
        // SAFETY: on success QuickJS hands over `len` entries, freed below
        // with their atoms; each key string is a new reference.
        unsafe {
            if qjs::JS_GetOwnPropertyNames(
                self.ctx.raw(),
                &mut tab,
                &mut len,
                self.raw,
                flags as c_int,
            ) < 0
            {
                return Err(Thrown);
            }
            let entries = core::slice::from_raw_parts(tab, len as usize);
            let keys = entries
                .iter()
                .map(|e| self.ctx.wrap(qjs::JS_AtomToString(self.ctx.raw(), e.atom)))
                .collect();
            qjs::JS_FreePropertyEnum(self.ctx.raw(), tab, len);
            keys
        }
    }

    /// `this instanceof ctor`.
    pub fn instance_of(&self, ctor: &Value<'_>) -> Result<bool, Thrown> {
        // SAFETY: a check that may run user code (Symbol.hasInstance).
        match unsafe { qjs::JS_IsInstanceOf(self.ctx.raw(), self.raw, ctor.raw) } {
            r if r < 0 => Err(Thrown),
            r => Ok(r > 0),
        }
    }

    /// Calls method `name` of this object with `args`.
    pub fn call_method(&self, name: &CStr, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
        self.get(name)?.call(self, args)
    }

    /// `this[index]`.
    pub fn get_index(&self, index: u32) -> Result<Value<'c>, Thrown> {
        // SAFETY: returns a new reference or an exception.
        self.ctx
            .wrap(unsafe { qjs::JS_GetPropertyUint32(self.ctx.raw(), self.raw, index) })
    }

    /// `this[name] = value`.
    pub fn set(&self, name: &CStr, value: Value<'c>) -> Result<(), Thrown> {
        // SAFETY: JS_SetPropertyStr consumes `value`.
        let r = unsafe {
            qjs::JS_SetPropertyStr(self.ctx.raw(), self.raw, name.as_ptr(), value.into_raw())
        };
        if r < 0 { Err(Thrown) } else { Ok(()) }
    }

    /// `this[index] = value`.
    pub fn set_index(&self, index: u32, value: Value<'c>) -> Result<(), Thrown> {
        // SAFETY: JS_SetPropertyUint32 consumes `value`.
        let r =
            unsafe { qjs::JS_SetPropertyUint32(self.ctx.raw(), self.raw, index, value.into_raw()) };
        if r < 0 { Err(Thrown) } else { Ok(()) }
    }

    /// Defines a non-writable, non-enumerable property.
    pub fn define_readonly(&self, name: &CStr, value: Value<'c>) -> Result<(), Thrown> {
        self.define(name, value, qjs::JS_PROP_CONFIGURABLE)
    }

    /// Defines `name` as a writable, configurable data property.
    pub fn define_value(
        &self,
        name: &str,
        value: Value<'c>,
        enumerable: bool,
    ) -> Result<(), Thrown> {
        let cname =
            CString::new(name).map_err(|_| self.ctx.throw_type_error("bad property name"))?;
        let mut flags = qjs::JS_PROP_CONFIGURABLE | qjs::JS_PROP_WRITABLE;
        if enumerable {
            flags |= qjs::JS_PROP_ENUMERABLE;
        }
        self.define(&cname, value, flags)
    }

    fn define(&self, name: &CStr, value: Value<'c>, flags: u32) -> Result<(), Thrown> {
        // SAFETY: the atom is freed; JS_DefinePropertyValue consumes `value`.
        unsafe {
            let atom = qjs::JS_NewAtom(self.ctx.raw(), name.as_ptr());
            let r = qjs::JS_DefinePropertyValue(
                self.ctx.raw(),
                self.raw,
                atom,
                value.into_raw(),
                flags as c_int,
            );
            qjs::JS_FreeAtom(self.ctx.raw(), atom);
            if r < 0 { Err(Thrown) } else { Ok(()) }
        }
    }

    /// A flat `[name, value, name, value, ...]` array as string pairs (an
    /// odd last element is ignored).
    pub fn string_pairs(&self) -> Result<Vec<(String, String)>, Thrown> {
        let n = self.length()?;
        let mut pairs = Vec::with_capacity(n as usize / 2);
        let mut i = 0;
        while i + 1 < n {
            pairs.push((
                self.get_index(i)?.to_string()?,
                self.get_index(i + 1)?.to_string()?,
            ));
            i += 2;
        }
        Ok(pairs)
    }

    /// Deletes the object's own property `name`, if it has one.
    pub fn delete_own(&self, name: &str) -> Result<(), Thrown> {
        let cname =
            CString::new(name).map_err(|_| self.ctx.throw_type_error("bad property name"))?;
        // SAFETY: the atom is freed.
        unsafe {
            let atom = qjs::JS_NewAtom(self.ctx.raw(), cname.as_ptr());
            let r = qjs::JS_DeleteProperty(self.ctx.raw(), self.raw, atom, 0);
            qjs::JS_FreeAtom(self.ctx.raw(), atom);
            if r < 0 { Err(Thrown) } else { Ok(()) }
        }
    }

    /// Whether the object has an own property `name`.
    pub fn has_own(&self, name: &CStr) -> Result<bool, Thrown> {
        // SAFETY: a null descriptor asks for presence only; the atom is freed.
        unsafe {
            let atom = qjs::JS_NewAtom(self.ctx.raw(), name.as_ptr());
            let r = qjs::JS_GetOwnProperty(self.ctx.raw(), ptr::null_mut(), self.raw, atom);
            qjs::JS_FreeAtom(self.ctx.raw(), atom);
            if r < 0 { Err(Thrown) } else { Ok(r == 1) }
        }
    }

    /// `length` of an array-like.
    pub fn length(&self) -> Result<u32, Thrown> {
        let mut n: i64 = 0;
        // SAFETY: writes the length into `n`.
        let r = unsafe { qjs::JS_GetLength(self.ctx.raw(), self.raw, &mut n) };
        if r < 0 {
            Err(Thrown)
        } else {
            Ok(n.clamp(0, u32::MAX as i64) as u32)
        }
    }

    /// Calls this function with `this` and `args`.
    pub fn call(&self, this: &Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
        let mut raw: Vec<qjs::JSValue> = args.iter().map(|a| a.raw).collect();
        // SAFETY: JS_Call borrows the arguments and returns a new reference.
        self.ctx.wrap(unsafe {
            qjs::JS_Call(
                self.ctx.raw(),
                self.raw,
                this.raw,
                raw.len() as c_int,
                raw.as_mut_ptr(),
            )
        })
    }

    /// Converts with `ToBoolean` (`!!value`).
    pub fn to_bool(&self) -> bool {
        // SAFETY: ToBoolean runs no user code; -1 (never for these) is false.
        unsafe { qjs::JS_ToBool(self.ctx.raw(), self.raw) > 0 }
    }

    /// Converts with `ToNumber`.
    pub fn to_f64(&self) -> Result<f64, Thrown> {
        let mut d = 0.0;
        // SAFETY: writes into `d`.
        let r = unsafe { qjs::JS_ToFloat64(self.ctx.raw(), &mut d, self.raw) };
        if r < 0 { Err(Thrown) } else { Ok(d) }
    }

    /// Converts with `ToString` into UTF-8 (lone surrogates become U+FFFD).
    pub fn to_string(&self) -> Result<String, Thrown> {
        let mut len: usize = 0;
        // SAFETY: the C string is released with JS_FreeCString.
        unsafe {
            let p = qjs::JS_ToCStringLen(self.ctx.raw(), &mut len, self.raw);
            if p.is_null() {
                return Err(Thrown);
            }
            let bytes = core::slice::from_raw_parts(p.cast::<u8>(), len);
            let s = String::from_utf8_lossy(bytes).into_owned();
            qjs::JS_FreeCString(self.ctx.raw(), p);
            Ok(s)
        }
    }

    /// Converts with `ToString`, then to a USVString (Web IDL): each lone
    /// surrogate becomes U+FFFD, as `String.prototype.toWellFormed` does.
    pub fn to_usv(&self) -> Result<String, Thrown> {
        let utf8 = self.to_utf8()?;
        Ok(String::from_utf8(utf8)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// The UTF-8 of [`Value::to_usv`], as `TextEncoder` encodes it.
    pub fn to_utf8(&self) -> Result<Vec<u8>, Thrown> {
        let raw = self.to_wtf8()?;
        Ok(if raw.contains(&0xED) {
            wtf8_to_utf8(&raw)
        } else {
            raw
        })
    }

    /// Converts with `ToString` into QuickJS's internal UTF-8, where a lone
    /// surrogate appears as its 3-byte (WTF-8) encoding.
    pub fn to_wtf8(&self) -> Result<Vec<u8>, Thrown> {
        let mut len: usize = 0;
        // SAFETY: the C string is released with JS_FreeCString.
        unsafe {
            let p = qjs::JS_ToCStringLen(self.ctx.raw(), &mut len, self.raw);
            if p.is_null() {
                return Err(Thrown);
            }
            let v = core::slice::from_raw_parts(p.cast::<u8>(), len).to_vec();
            qjs::JS_FreeCString(self.ctx.raw(), p);
            Ok(v)
        }
    }

    /// Like [`Value::to_string`] but never fails (for messages).
    pub fn to_string_lossy(&self) -> String {
        self.to_string().unwrap_or_else(|_| {
            drop(self.ctx.take_exception());
            "(value cannot be converted to a string)".to_string()
        })
    }

    /// Whether the value is a `Uint8Array` (not another typed array).
    pub fn is_uint8_array(&self) -> bool {
        // SAFETY: reads the object's class.
        unsafe {
            qjs::JS_GetTypedArrayType(self.raw)
                == qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT8 as c_int
        }
    }

    /// The bytes of an `ArrayBuffer`, a `Uint8Array` or any typed array view.
    pub fn bytes(&self) -> Option<&[u8]> {
        let mut size: qjs::size_t = 0;
        // SAFETY: the returned memory belongs to the buffer, which `self` keeps alive.
        unsafe {
            if qjs::JS_IsArrayBuffer(self.raw) {
                let p = qjs::JS_GetArrayBuffer(self.ctx.raw(), &mut size, self.raw);
                return (!p.is_null())
                    .then(|| core::slice::from_raw_parts(p, size as usize))
                    .or(Some(&[]));
            }
            if qjs::JS_GetTypedArrayType(self.raw) >= 0 {
                let (mut off, mut len, mut per) =
                    (0 as qjs::size_t, 0 as qjs::size_t, 0 as qjs::size_t);
                let buf = qjs::JS_GetTypedArrayBuffer(
                    self.ctx.raw(),
                    self.raw,
                    &mut off,
                    &mut len,
                    &mut per,
                );
                if raw::JS_IsException(buf) {
                    drop(self.ctx.take_exception());
                    return None;
                }
                let p = qjs::JS_GetArrayBuffer(self.ctx.raw(), &mut size, buf);
                qjs::JS_FreeValue(self.ctx.raw(), buf);
                if p.is_null() {
                    return Some(&[]);
                }
                let (off, len) = (off as usize, len as usize);
                if off.checked_add(len)? > size as usize {
                    return None;
                }
                return Some(core::slice::from_raw_parts(p.add(off), len));
            }
        }
        None
    }
}

impl core::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Value(tag {})", raw::JS_VALUE_GET_TAG(self.raw))
    }
}

impl Clone for Value<'_> {
    fn clone(&self) -> Self {
        // SAFETY: adds one reference, released by the clone's Drop.
        Value::from_raw(self.ctx, unsafe {
            qjs::JS_DupValue(self.ctx.raw(), self.raw)
        })
    }
}

impl Drop for Value<'_> {
    fn drop(&mut self) {
        // SAFETY: releases the one reference this value owns.
        unsafe { qjs::JS_FreeValue(self.ctx.raw(), self.raw) }
    }
}

/// A reference kept across calls without borrowing its context (e.g. in
/// long-lived task state). It must be released with [`Persistent::free`]
/// before its context is freed; the runtime's leak check catches a forgotten one.
pub struct Persistent {
    raw: qjs::JSValue,
}

impl Persistent {
    /// Keeps `v` (its reference moves into the persistent).
    pub fn new(v: Value<'_>) -> Persistent {
        Persistent { raw: v.into_raw() }
    }

    /// A new counted reference for use in `ctx`, which must be the value's context.
    pub fn get<'c>(&self, ctx: &'c Ctx) -> Value<'c> {
        // SAFETY: adds a reference owned by the returned value.
        Value::from_raw(ctx, unsafe { qjs::JS_DupValue(ctx.raw(), self.raw) })
    }

    /// Releases the reference.
    pub fn free(self, ctx: &Ctx) {
        drop(Value::from_raw(ctx, self.raw));
    }
}

/// A JS class whose instances own a Rust `T`, dropped by the finalizer.
pub struct Class<T: 'static> {
    id: qjs::JSClassID,
    _t: PhantomData<fn(T)>,
}

impl<T: 'static> Clone for Class<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static> Copy for Class<T> {}

unsafe extern "C" fn class_finalizer<T: 'static>(rt: *mut qjs::JSRuntime, v: qjs::JSValue) {
    // SAFETY: the opaque was set from Box<T> by `Class::instance`; the class id
    // of `v` is the one this finalizer was registered for.
    unsafe {
        let id = qjs::JS_GetClassID(v);
        let p = qjs::JS_GetOpaque(v, id).cast::<T>();
        if !p.is_null() {
            drop(Box::from_raw(p));
        }
        let _ = rt;
    }
}

/// The hooks of a class whose instances own Rust data (see [`class_id`]).
pub(crate) struct ClassHooks {
    /// Frees an instance's Rust data.
    pub finalizer: qjs::JSClassFinalizer,
    /// Marks the JS values an instance's Rust data holds.
    pub gc_mark: qjs::JSClassGCMark,
    /// How property lookups on instances behave, when not as on ordinary
    /// objects (see `super::lazy`).
    pub exotic: Option<&'static qjs::JSClassExoticMethods>,
}

/// Registers a new class with `hooks`; returns its id.
///
/// # Safety
/// `rt` must be a live runtime; the hooks must match what the class's
/// instances own.
unsafe fn register_class(
    rt: *mut qjs::JSRuntime,
    name: &'static CStr,
    hooks: &ClassHooks,
) -> Option<qjs::JSClassID> {
    let mut id: qjs::JSClassID = 0;
    // SAFETY: the name is static; the hooks match the instances (contract).
    unsafe {
        qjs::JS_NewClassID(rt, &mut id);
        let def = qjs::JSClassDef {
            class_name: name.as_ptr(),
            finalizer: hooks.finalizer,
            gc_mark: hooks.gc_mark,
            call: None,
            // QuickJS only reads the table.
            exotic: hooks
                .exotic
                .map_or(ptr::null_mut(), |e| ptr::from_ref(e).cast_mut()),
        };
        (qjs::JS_NewClass(rt, id, &def) >= 0).then_some(id)
    }
}

/// The id of the class owning Rust type `T` in `ctx`'s runtime, registered
/// under `name` with `hooks` on first use (one class per type and runtime).
///
/// # Safety
/// The hooks must match what instances of the class own (a `T`).
pub(crate) unsafe fn class_id<T: 'static>(
    ctx: &Ctx,
    name: &'static CStr,
    hooks: &ClassHooks,
) -> Result<qjs::JSClassID, Thrown> {
    // SAFETY: per the contract.
    unsafe { class_id_of(ctx, core::any::TypeId::of::<T>(), name, hooks) }
}

/// [`class_id`] for the type `ty` (not generic: one copy in the firmware).
///
/// # Safety
/// As for [`class_id`].
unsafe fn class_id_of(
    ctx: &Ctx,
    ty: core::any::TypeId,
    name: &'static CStr,
    hooks: &ClassHooks,
) -> Result<qjs::JSClassID, Thrown> {
    let state = Runtime::state_of(ctx);
    let mut classes = state.classes.borrow_mut();
    if let Some(&(_, id)) = classes.iter().find(|(t, _)| *t == ty) {
        return Ok(id);
    }
    // SAFETY: the context is live, so is its runtime; hooks per the contract.
    let id = unsafe { register_class(qjs::JS_GetRuntime(ctx.raw()), name, hooks) }
        .ok_or_else(|| ctx.throw_type_error("cannot register a native class"))?;
    classes.push((ty, id));
    Ok(id)
}

/// The memory account of `ctx`'s runtime.
pub(crate) fn budget(ctx: &Ctx) -> &super::heap::Budget {
    &Runtime::state_of(ctx).budget
}

/// Bytes of the Rust heap counted against the engine's limit until it is
/// dropped (see [`Ctx::reserve`]).
pub struct Reservation<'c> {
    ctx: &'c Ctx,
    bytes: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        budget(self.ctx).charge(0, self.bytes);
    }
}

impl Ctx {
    /// Counts `bytes` against the engine's limit while the result lives: a
    /// native about to make copies of a JS value in Rust (a URL parsed and
    /// percent-encoded, say) reserves them first, so that a value too large
    /// is an out-of-memory error in JS, not an allocation the heap cannot
    /// give.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation<'_>, Thrown> {
        let reservation = Reservation { ctx: self, bytes };
        if budget(self).charge(bytes, 0) {
            Ok(reservation)
        } else {
            drop(reservation);
            Err(self.throw_out_of_memory())
        }
    }
}

/// The memory account of runtime `rt` (for class finalizers, which get no
/// context).
///
/// # Safety
/// `rt` must be a live runtime made by [`Runtime::new`].
pub(crate) unsafe fn runtime_budget<'a>(rt: *mut qjs::JSRuntime) -> &'a super::heap::Budget {
    // SAFETY: the opaque is the runtime's state (set in `Runtime::new`).
    unsafe { &(*qjs::JS_GetRuntimeOpaque(rt).cast::<RuntimeState>()).budget }
}

impl<T: 'static> Class<T> {
    /// Registers a class named `name` with the runtime.
    pub fn register(rt: &Runtime, name: &'static CStr) -> Option<Class<T>> {
        // SAFETY: the runtime is live; instances own a boxed T.
        let id = unsafe { register_class(rt.rt.as_ptr(), name, &Self::HOOKS) }?;
        Some(Class {
            id,
            _t: PhantomData,
        })
    }

    /// The class owning `T` in `ctx`'s runtime, registered under `name` on
    /// first use: lets a native module that only sees a context (see
    /// `natives::MODULES`) have a class without the runtime knowing it.
    pub fn of(ctx: &Ctx, name: &'static CStr) -> Result<Class<T>, Thrown> {
        // SAFETY: instances own a boxed T.
        let id = unsafe { class_id::<T>(ctx, name, &Self::HOOKS) }?;
        Ok(Class {
            id,
            _t: PhantomData,
        })
    }

    /// [`Class::of`] for a class whose objects behave as `exotic` says
    /// (QuickJS's hooks for property lookups; see `super::lazy`).
    pub fn of_exotic(
        ctx: &Ctx,
        name: &'static CStr,
        exotic: &'static qjs::JSClassExoticMethods,
    ) -> Result<Class<T>, Thrown> {
        let hooks = ClassHooks {
            exotic: Some(exotic),
            ..Self::HOOKS
        };
        // SAFETY: instances own a boxed T.
        let id = unsafe { class_id::<T>(ctx, name, &hooks) }?;
        Ok(Class {
            id,
            _t: PhantomData,
        })
    }

    const HOOKS: ClassHooks = ClassHooks {
        finalizer: Some(class_finalizer::<T>),
        gc_mark: None,
        exotic: None,
    };

    /// A new instance owning `value`.
    pub fn instance<'c>(&self, ctx: &'c Ctx, value: T) -> Result<Value<'c>, Thrown> {
        // SAFETY: the object takes the box; the finalizer frees it.
        unsafe {
            let obj = ctx.wrap(qjs::JS_NewObjectClass(ctx.raw(), self.id))?;
            qjs::JS_SetOpaque(obj.raw, Box::into_raw(Box::new(value)).cast());
            Ok(obj)
        }
    }

    /// A new instance owning `value`, whose prototype is `proto`.
    pub fn instance_with_proto<'c>(
        &self,
        ctx: &'c Ctx,
        proto: &Value<'_>,
        value: T,
    ) -> Result<Value<'c>, Thrown> {
        // SAFETY: as in `instance`.
        unsafe {
            let obj = ctx.wrap(qjs::JS_NewObjectProtoClass(ctx.raw(), proto.raw, self.id))?;
            qjs::JS_SetOpaque(obj.raw, Box::into_raw(Box::new(value)).cast());
            Ok(obj)
        }
    }

    /// The `T` inside the object `raw`, if it is an instance of this class.
    ///
    /// # Safety
    /// `raw` must be a live value; the reference must not outlive it.
    pub unsafe fn get_raw<'v>(&self, raw: qjs::JSValue) -> Option<&'v T> {
        // SAFETY: as in `get`.
        unsafe { qjs::JS_GetOpaque(raw, self.id).cast::<T>().as_ref() }
    }

    /// The `T` inside `v`, if `v` is an instance of this class.
    pub fn get<'v>(&self, v: &'v Value<'_>) -> Option<&'v T> {
        // SAFETY: JS_GetOpaque checks the class id; the box lives as long as the object.
        unsafe { qjs::JS_GetOpaque(v.raw, self.id).cast::<T>().as_ref() }
    }
}

/// Rewrites QuickJS's WTF-8 (lone surrogates as 3-byte sequences) into UTF-8
/// with one U+FFFD per lone surrogate, as `TextEncoder` does.
pub fn wtf8_to_utf8(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0xED && i + 2 < bytes.len() && (0xA0..=0xBF).contains(&bytes[i + 1]) {
            out.extend_from_slice("\u{FFFD}".as_bytes());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lone_surrogates_become_one_replacement_character() {
        use super::wtf8_to_utf8;
        assert_eq!(wtf8_to_utf8(b"a\xED\xA0\x80b"), "a\u{FFFD}b".as_bytes());
        assert_eq!(
            wtf8_to_utf8("h\u{e9}\u{1F600}".as_bytes()),
            "h\u{e9}\u{1F600}".as_bytes()
        );
        assert_eq!(wtf8_to_utf8("\u{D7FF}".as_bytes()), "\u{D7FF}".as_bytes());
    }

    extern crate std;
    use super::*;
    use crate::js::compiler::{SourceKind, compile_with};

    fn limits() -> RuntimeLimits {
        RuntimeLimits {
            memory: 32 << 20,
            stack: 512 << 10,
            heap: EngineHeap::Global,
        }
    }

    fn eval<'c>(rt: &Runtime, ctx: &'c Ctx, src: &str) -> Result<Value<'c>, JsError> {
        // SAFETY: the context is live and used by this thread only.
        let bc = unsafe { compile_with(ctx.raw(), src, "test.js", SourceKind::Script) }.unwrap();
        ctx.run_bytecode(rt, &bc)
    }

    fn add<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
        let a = args.first().map(|v| v.to_f64()).transpose()?.unwrap_or(0.0);
        let b = args.get(1).map(|v| v.to_f64()).transpose()?.unwrap_or(0.0);
        Ok(ctx.number(a + b))
    }

    fn fail<'c>(ctx: &'c Ctx, _this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
        Err(ctx.throw_type_error("bad argument"))
    }

    #[test]
    fn values_are_counted_and_freed() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        let before = rt.memory_usage().obj_count;
        {
            let o = ctx.object().unwrap();
            let copies: Vec<Value<'_>> = (0..100).map(|_| o.clone()).collect();
            o.set(c"x", ctx.int(7)).unwrap();
            assert_eq!(copies[99].get(c"x").unwrap().to_f64().unwrap(), 7.0);
            ctx.global().set(c"kept", copies[0].clone()).unwrap();
        }
        assert_eq!(
            rt.memory_usage().obj_count,
            before + 1,
            "only the global's reference remains"
        );
        ctx.global().set(c"kept", ctx.undefined()).unwrap();
        rt.gc();
        assert_eq!(rt.memory_usage().obj_count, before);
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn natives_are_called_and_throw() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        ctx.global()
            .set(c"add", ctx.function(c"add", 2, add).unwrap())
            .unwrap();
        ctx.global()
            .set(c"fail", ctx.function(c"fail", 0, fail).unwrap())
            .unwrap();
        {
            let v = eval(&rt, &ctx, "add(40, 2)").unwrap();
            assert_eq!(v.to_f64().unwrap(), 42.0);
            let v = eval(
                &rt,
                &ctx,
                "try { fail() } catch (e) { e instanceof TypeError && e.message }",
            )
            .unwrap();
            assert_eq!(v.to_string().unwrap(), "bad argument");
            assert_eq!(
                eval(&rt, &ctx, "add.name").unwrap().to_string().unwrap(),
                "add"
            );
        }
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn exceptions_carry_stacks() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        // Modules keep their line numbers (scripts, the glue, are stripped).
        let src = "function f() { throw new Error('boom') }\nf();";
        // SAFETY: live context, this thread only.
        let bc = unsafe { compile_with(ctx.raw(), src, "m.js", SourceKind::Module) }.unwrap();
        let err = ctx.run_bytecode(&rt, &bc).unwrap_err();
        assert_eq!(err.message, "Error: boom");
        assert!(err.stack.contains("m.js:1"), "stack: {}", err.stack);
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn modules_load_from_bytecode_and_promises_settle() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        let src = "export const answer = await Promise.resolve(42);\nexport default { f: async () => { await null; return 'ok' } };";
        // SAFETY: live context, this thread only.
        let bc = unsafe { compile_with(ctx.raw(), src, "m.js", SourceKind::Module) }.unwrap();
        {
            let ns = ctx.run_bytecode(&rt, &bc).unwrap();
            assert_eq!(ns.get(c"answer").unwrap().to_f64().unwrap(), 42.0);
            let f = ns.get(c"default").unwrap().get(c"f").unwrap();
            let p = f.call(&ctx.undefined(), &[]).unwrap();
            assert_eq!(ctx.promise_state(&p), PromiseState::Pending);
            rt.run_jobs(|e| panic!("{e}"));
            assert_eq!(ctx.promise_state(&p), PromiseState::Fulfilled);
            assert_eq!(ctx.promise_result(&p).to_string().unwrap(), "ok");
        }
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn imports_are_rejected_with_a_clear_error() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        // SAFETY: live context, this thread only.
        let err = unsafe {
            compile_with(
                ctx.raw(),
                "import x from 'lib';\nexport default x;",
                "m.js",
                SourceKind::Module,
            )
        }
        .unwrap_err();
        assert!(err.message.contains("cannot import 'lib'"), "{err}");
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn interrupt_stops_a_runaway_loop_and_memory_limit_holds() {
        let mut rt = Runtime::new(RuntimeLimits {
            memory: 4 << 20,
            stack: 256 << 10,
            heap: EngineHeap::Global,
        })
        .unwrap();
        let ctx = rt.new_context().unwrap();
        // SAFETY: live context, this thread only.
        let spin = unsafe { compile_with(ctx.raw(), "for (;;) {}", "spin.js", SourceKind::Script) }
            .unwrap();
        let mut polls = 0u32;
        rt.set_interrupt(Some(Box::new(move || {
            polls += 1;
            polls > 100
        })));
        let err = ctx.run_bytecode(&rt, &spin).unwrap_err();
        assert!(err.message.contains("interrupted"), "{err}");
        rt.set_interrupt(None);
        let err = eval(
            &rt,
            &ctx,
            "(() => { const a = []; for (;;) a.push('x'.repeat(1000) + a.length) })()",
        )
        .unwrap_err();
        assert!(err.message.contains("out of memory"), "{err}");
        let err = eval(&rt, &ctx, "function r() { return r() + 1 }\nr()").unwrap_err();
        assert!(
            err.message.contains("Maximum call stack size exceeded"),
            "{err}"
        );
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn class_instances_own_and_drop_rust_values() {
        use alloc::rc::Rc;
        let rt = Runtime::new(limits()).unwrap();
        let class: Class<Rc<()>> = Class::register(&rt, c"Token").unwrap();
        let ctx = rt.new_context().unwrap();
        let token = Rc::new(());
        {
            let obj = class.instance(&ctx, token.clone()).unwrap();
            assert!(class.get(&obj).is_some());
            assert!(class.get(&ctx.object().unwrap()).is_none());
            assert_eq!(Rc::strong_count(&token), 2);
        }
        rt.gc();
        assert_eq!(
            Rc::strong_count(&token),
            1,
            "finalizer dropped the Rust value"
        );
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }

    #[test]
    fn bytes_of_buffers_and_views() {
        let rt = Runtime::new(limits()).unwrap();
        let ctx = rt.new_context().unwrap();
        {
            let b = ctx.uint8_array(&[1, 2, 3]).unwrap();
            assert_eq!(b.bytes(), Some(&[1u8, 2, 3][..]));
            let v = eval(&rt, &ctx, "new Uint16Array([1, 2]).subarray(1)").unwrap();
            assert_eq!(v.bytes().map(|b| b.len()), Some(2));
            assert_eq!(ctx.object().unwrap().bytes(), None);
        }
        drop(ctx);
        assert_eq!(rt.free(), Some(0));
    }
}
