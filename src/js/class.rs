//! Native classes: JS classes written in Rust, cheap in the engine's heap.
//!
//! A class written in JS costs its bytecode, atoms, closures and shapes in
//! every context. A native class costs a prototype object and its property
//! slots: its methods come from a static [`Entry`] list that QuickJS-NG
//! instantiates lazily (a method's function object is made on its first
//! access), so a prototype with twenty methods costs twenty slots until they
//! are used. Getters are made eagerly (two objects each): keep them few.
//!
//! * [`Natives`]: a table of [`NativeFn`]s a list's entries index by their
//!   `magic` number; [`natives!`](crate::natives_table) declares one with an
//!   index constant per function, so entries never name a wrong index.
//! * [`method`], [`getter`], [`accessor`], [`to_string_tag`]: entries of a static list;
//!   [`define_list`] puts a list on an object.
//! * [`NativeClass`]: a class whose instances own a Rust `T: Native`, with a
//!   constructor that honours `new.target` (so `class A extends Headers {}`
//!   works), its prototype set as the class prototype of the context (so
//!   [`NativeClass::instance`] makes objects that pass `instanceof`).
//! * [`Held`]: a JS value owned by Rust data, released when dropped and
//!   marked for the cycle collector through [`Native::trace`].
//!
//! The Rust data of an instance lives in a `RefCell`: [`NativeClass::update`]
//! takes it mutably for a closure that must not call into JS (a collection
//! running meanwhile must be able to trace the instance). Its heap bytes
//! ([`Native::heap_bytes`]) are charged to the engine's memory budget, so a
//! function cannot exceed its limit by hiding data in native objects.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ffi::{CStr, c_int};
use core::marker::PhantomData;

use rquickjs_sys as qjs;

use super::engine::{self, ClassHooks, Ctx, NativeFn, Thrown, Value};

/// Rust data owned by instances of a [`NativeClass`].
pub trait Native: 'static {
    /// The class name (as `Object.prototype.toString` and errors show it).
    const NAME: &'static CStr;

    /// Calls `mark` on every JS value the data holds.
    fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        let _ = mark;
    }

    /// Bytes the data holds in the Rust heap (charged to the engine).
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// A table of natives that list entries name by index (their `magic`).
pub trait Natives: 'static {
    /// The functions, by index.
    const TABLE: &'static [NativeFn];
}

/// Declares a [`Natives`] type listing functions (`name` or `name = path`,
/// e.g. a generic function's instance), with an associated constant per
/// name holding its index (`Type::name`).
#[macro_export]
macro_rules! natives_table {
    ($(#[$doc:meta])* $vis:vis struct $name:ident { $($f:ident $(= $e:expr)?),* $(,)? }) => {
        $(#[$doc])*
        $vis struct $name;
        impl $crate::js::class::Natives for $name {
            const TABLE: &'static [$crate::js::engine::NativeFn] =
                &[$($crate::natives_table!(@fn $f $($e)?)),*];
        }
        $crate::natives_table!(@indices $name {$($f),*} $($f)*);
    };
    (@fn $f:ident) => { $f };
    (@fn $f:ident $e:expr) => { $e };
    (@indices $name:ident $all:tt $($f:ident)*) => {
        #[allow(non_upper_case_globals, dead_code)]
        impl $name {
            $(
                #[doc = concat!("Index of `", stringify!($f), "`.")]
                const $f: i16 = {
                    #[allow(non_camel_case_types, dead_code)]
                    enum Index $all
                    Index::$f as i16
                };
            )*
        }
    };
}

/// One entry of a static property list (`JSCFunctionListEntry`).
#[repr(transparent)]
pub struct Entry(qjs::JSCFunctionListEntry);

// SAFETY: entries are immutable static data (names and function pointers).
unsafe impl Sync for Entry {}

const WRITABLE_CONFIGURABLE: u8 = (qjs::JS_PROP_WRITABLE | qjs::JS_PROP_CONFIGURABLE) as u8;

/// A method `name` of `length` arguments: `N::TABLE[index]`, made on first
/// access. `name` may be `[Symbol.iterator]` (a well-known symbol).
pub const fn method<N: Natives>(name: &'static CStr, length: u8, index: i16) -> Entry {
    Entry(qjs::JSCFunctionListEntry {
        name: name.as_ptr(),
        prop_flags: WRITABLE_CONFIGURABLE,
        def_type: qjs::JS_DEF_CFUNC as u8,
        magic: index,
        u: qjs::JSCFunctionListEntry__bindgen_ty_1 {
            func: qjs::JSCFunctionListEntry__bindgen_ty_1__bindgen_ty_1 {
                length,
                cproto: qjs::JSCFunctionEnum_JS_CFUNC_generic_magic as u8,
                cfunc: qjs::JSCFunctionType {
                    generic_magic: Some(call::<N>),
                },
            },
        },
    })
}

/// A read-only accessor `name`: `N::TABLE[index]` called with no arguments.
pub const fn getter<N: Natives>(name: &'static CStr, index: i16) -> Entry {
    getset::<N>(name, index, None)
}

/// A read-write accessor `name`: getter `N::TABLE[index]` (no arguments),
/// setter `N::TABLE[index + 1]` (the new value as its one argument).
pub const fn accessor<N: Natives>(name: &'static CStr, index: i16) -> Entry {
    getset::<N>(name, index, Some(set::<N>))
}

type Setter =
    unsafe extern "C" fn(*mut qjs::JSContext, qjs::JSValue, qjs::JSValue, c_int) -> qjs::JSValue;

const fn getset<N: Natives>(name: &'static CStr, index: i16, setter: Option<Setter>) -> Entry {
    Entry(qjs::JSCFunctionListEntry {
        name: name.as_ptr(),
        prop_flags: qjs::JS_PROP_CONFIGURABLE as u8,
        def_type: qjs::JS_DEF_CGETSET_MAGIC as u8,
        magic: index,
        u: qjs::JSCFunctionListEntry__bindgen_ty_1 {
            getset: qjs::JSCFunctionListEntry__bindgen_ty_1__bindgen_ty_2 {
                get: qjs::JSCFunctionType {
                    getter_magic: Some(get::<N>),
                },
                set: qjs::JSCFunctionType {
                    setter_magic: setter,
                },
            },
        },
    })
}

/// `[Symbol.toStringTag]: tag`, as Web IDL defines it on prototypes.
pub const fn to_string_tag(tag: &'static CStr) -> Entry {
    Entry(qjs::JSCFunctionListEntry {
        name: c"[Symbol.toStringTag]".as_ptr(),
        prop_flags: qjs::JS_PROP_CONFIGURABLE as u8,
        def_type: qjs::JS_DEF_PROP_STRING as u8,
        magic: 0,
        u: qjs::JSCFunctionListEntry__bindgen_ty_1 { str_: tag.as_ptr() },
    })
}

/// Puts the entries of `list` on `target` (methods are made on first use).
pub fn define_list(ctx: &Ctx, target: &Value<'_>, list: &'static [Entry]) -> Result<(), Thrown> {
    // SAFETY: the list is static, as QuickJS needs for lazily made entries.
    let r = unsafe {
        qjs::JS_SetPropertyFunctionList(
            ctx.raw(),
            target.raw(),
            list.as_ptr().cast(),
            list.len() as c_int,
        )
    };
    if r < 0 { Err(Thrown) } else { Ok(()) }
}

/// Calls `f` with owned copies of `this` and the arguments.
///
/// # Safety
/// `ctx` must be live and `argv` hold `argc` values.
unsafe fn invoke(
    ctx: *mut qjs::JSContext,
    f: Option<&NativeFn>,
    this: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
) -> qjs::JSValue {
    // SAFETY: per the contract; every value is duplicated into a `Value`.
    unsafe {
        let ctx = Ctx::from_raw(ctx);
        let Some(f) = f else {
            ctx.throw_type_error("unknown native function");
            return qjs::JS_EXCEPTION;
        };
        let dup = |v: qjs::JSValue| Value::from_raw(ctx, qjs::JS_DupValue(ctx.raw(), v));
        let args: Vec<Value<'_>> = (0..argc.max(0) as usize)
            .map(|i| dup(*argv.add(i)))
            .collect();
        match f(ctx, dup(this), &args) {
            Ok(v) => v.into_raw(),
            Err(Thrown) => qjs::JS_EXCEPTION,
        }
    }
}

unsafe extern "C" fn call<N: Natives>(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
    magic: c_int,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes a live context and `argc` arguments.
    unsafe { invoke(ctx, N::TABLE.get(magic as usize), this, argc, argv) }
}

unsafe extern "C" fn get<N: Natives>(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    magic: c_int,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes a live context; no arguments.
    unsafe {
        invoke(
            ctx,
            N::TABLE.get(magic as usize),
            this,
            0,
            core::ptr::null_mut(),
        )
    }
}

unsafe extern "C" fn set<N: Natives>(
    ctx: *mut qjs::JSContext,
    this: qjs::JSValue,
    value: qjs::JSValue,
    magic: c_int,
) -> qjs::JSValue {
    let mut argv = [value];
    // SAFETY: QuickJS passes a live context and the value being set; the
    // setter is the entry after the getter (see [`accessor`]).
    unsafe {
        invoke(
            ctx,
            N::TABLE.get(magic as usize + 1),
            this,
            1,
            argv.as_mut_ptr(),
        )
    }
}

/// A JS value owned by Rust data (one counted reference, released on drop).
/// Data of a [`NativeClass`] must report it in [`Native::trace`].
pub struct Held {
    rt: *mut qjs::JSRuntime,
    raw: qjs::JSValue,
}

impl Held {
    /// Keeps `v` (its reference moves in).
    pub fn new(v: Value<'_>) -> Held {
        // SAFETY: the value's context is live, so is its runtime.
        let rt = unsafe { qjs::JS_GetRuntime(v.ctx().raw()) };
        Held {
            rt,
            raw: v.into_raw(),
        }
    }

    /// A new reference for use in `ctx` (a context of the same runtime).
    pub fn get<'c>(&self, ctx: &'c Ctx) -> Value<'c> {
        // SAFETY: adds a reference owned by the returned value.
        Value::from_raw(ctx, unsafe { qjs::JS_DupValue(ctx.raw(), self.raw) })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: releases the one reference this holds; the runtime outlives
        // every value of it.
        unsafe { qjs::JS_FreeValueRT(self.rt, self.raw) }
    }
}

/// What an instance's opaque points to.
struct Slot<T> {
    /// Bytes charged to the engine for `data`.
    charged: Cell<usize>,
    data: RefCell<T>,
}

unsafe extern "C" fn finalize<T: Native>(rt: *mut qjs::JSRuntime, v: qjs::JSValue) {
    // SAFETY: the opaque of an instance of this class is a boxed Slot<T>
    // (set by `NativeClass::wrap`); the runtime is one of ours.
    unsafe {
        let p = qjs::JS_GetOpaque(v, qjs::JS_GetClassID(v)).cast::<Slot<T>>();
        if !p.is_null() {
            let slot = Box::from_raw(p);
            engine::runtime_budget(rt).charge(0, slot.charged.get());
            drop(slot);
        }
    }
}

unsafe extern "C" fn mark<T: Native>(
    rt: *mut qjs::JSRuntime,
    v: qjs::JSValue,
    mark_func: qjs::JS_MarkFunc,
) {
    // SAFETY: as in `finalize`; marking reads the held values only.
    unsafe {
        let p = qjs::JS_GetOpaque(v, qjs::JS_GetClassID(v)).cast::<Slot<T>>();
        // A mutable borrow is never held across an allocation (see
        // `NativeClass::update`), so this borrow succeeds during a collection.
        if let Some(data) = p.as_ref().and_then(|s| s.data.try_borrow().ok()) {
            data.trace(&mut |h| qjs::JS_MarkValue(rt, h.raw, mark_func));
        }
    }
}

/// A JS class whose instances own a `T` (see the module docs).
pub struct NativeClass<T: Native> {
    id: qjs::JSClassID,
    _t: PhantomData<fn(T)>,
}

impl<T: Native> Clone for NativeClass<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Native> Copy for NativeClass<T> {}

impl<T: Native> NativeClass<T> {
    const HOOKS: ClassHooks = ClassHooks {
        finalizer: Some(finalize::<T>),
        gc_mark: Some(mark::<T>),
        exotic: None,
    };

    /// The class in `ctx`'s runtime (registered on first use).
    pub fn of(ctx: &Ctx) -> Result<NativeClass<T>, Thrown> {
        // SAFETY: instances own a boxed Slot<T>; the hooks free and mark it.
        let id = unsafe { engine::class_id::<T>(ctx, T::NAME, &Self::HOOKS) }?;
        Ok(NativeClass {
            id,
            _t: PhantomData,
        })
    }

    /// Sets the class up in `ctx`: a prototype with `proto`'s entries (it
    /// becomes the prototype of [`NativeClass::instance`]s), and returns the
    /// constructor `N::TABLE[ctor]` (called with `new.target` as `this`),
    /// with `statics` on it.
    pub fn define<'c, N: Natives>(
        &self,
        ctx: &'c Ctx,
        ctor: i16,
        length: u8,
        proto: &'static [Entry],
        statics: &'static [Entry],
    ) -> Result<Value<'c>, Thrown> {
        let prototype = ctx.object()?;
        define_list(ctx, &prototype, proto)?;
        // SAFETY: a C constructor of ours; JS_SetConstructor links the two
        // objects (both stay referenced by each other and by the context).
        unsafe {
            let ctor = Value::from_raw(
                ctx,
                qjs::JS_NewCFunction2(
                    ctx.raw(),
                    qjs::JSCFunctionType {
                        constructor_magic: Some(construct::<N>),
                    }
                    .generic,
                    T::NAME.as_ptr(),
                    length as c_int,
                    qjs::JSCFunctionEnum_JS_CFUNC_constructor_magic,
                    ctor as c_int,
                ),
            );
            if qjs::JS_IsException(ctor.raw()) {
                core::mem::forget(ctor);
                return Err(Thrown);
            }
            if qjs::JS_SetConstructor(ctx.raw(), ctor.raw(), prototype.raw()) < 0 {
                return Err(Thrown);
            }
            define_list(ctx, &ctor, statics)?;
            qjs::JS_SetClassProto(ctx.raw(), self.id, prototype.into_raw());
            Ok(ctor)
        }
    }

    /// A new instance owning `data`, with the class prototype.
    pub fn instance<'c>(&self, ctx: &'c Ctx, data: T) -> Result<Value<'c>, Thrown> {
        // SAFETY: the context is live; the class was registered.
        let obj = unsafe { qjs::JS_NewObjectClass(ctx.raw(), self.id) };
        self.wrap(ctx, obj, data)
    }

    /// A new instance for a constructor called with `new_target` (the
    /// subclass's prototype when `new_target` is a subclass).
    pub fn construct<'c>(
        &self,
        ctx: &'c Ctx,
        new_target: &Value<'c>,
        data: T,
    ) -> Result<Value<'c>, Thrown> {
        let proto = new_target.get(c"prototype")?;
        if !proto.is_object() {
            return self.instance(ctx, data);
        }
        // SAFETY: the context is live; the class was registered.
        let obj = unsafe { qjs::JS_NewObjectProtoClass(ctx.raw(), proto.raw(), self.id) };
        self.wrap(ctx, obj, data)
    }

    fn wrap<'c>(&self, ctx: &'c Ctx, obj: qjs::JSValue, data: T) -> Result<Value<'c>, Thrown> {
        // SAFETY: reads the value's tag.
        if unsafe { qjs::JS_IsException(obj) } {
            return Err(Thrown);
        }
        let obj = Value::from_raw(ctx, obj);
        let bytes = data.heap_bytes();
        let slot = Box::new(Slot {
            charged: Cell::new(bytes),
            data: RefCell::new(data),
        });
        // SAFETY: the object owns the box from here on; `finalize` frees it.
        unsafe { qjs::JS_SetOpaque(obj.raw(), Box::into_raw(slot).cast()) };
        if !engine::budget(ctx).charge(bytes, 0) {
            return Err(ctx.throw_out_of_memory());
        }
        Ok(obj)
    }

    fn slot<'v>(&self, v: &'v Value<'_>) -> Option<&'v Slot<T>> {
        // SAFETY: JS_GetOpaque checks the class id; the box lives as long as
        // the object, which `v` keeps alive.
        unsafe {
            qjs::JS_GetOpaque(v.raw(), self.id)
                .cast::<Slot<T>>()
                .as_ref()
        }
    }

    /// Whether `v` is an instance (of the class or a subclass).
    pub fn is(&self, v: &Value<'_>) -> bool {
        self.slot(v).is_some()
    }

    /// `f` on the data of `v`; `None` if `v` is not an instance.
    pub fn with<R>(&self, v: &Value<'_>, f: impl FnOnce(&T) -> R) -> Option<R> {
        let slot = self.slot(v)?;
        let data = slot.data.try_borrow().ok()?;
        Some(f(&data))
    }

    /// `f` on the data of `v`, mutably, then the change of its heap bytes
    /// charged. `f` must not call into JS (it may drop [`Held`] values).
    /// Throws a TypeError naming `what` if `v` is not an instance.
    pub fn update<R>(
        &self,
        ctx: &Ctx,
        v: &Value<'_>,
        what: &str,
        f: impl FnOnce(&mut T) -> R,
    ) -> Result<R, Thrown> {
        let slot = self.slot(v).ok_or_else(|| self.misuse(ctx, what))?;
        let (r, bytes) = {
            let mut data = slot
                .data
                .try_borrow_mut()
                .map_err(|_| ctx.throw_type_error("native object in use"))?;
            let r = f(&mut data);
            (r, data.heap_bytes())
        };
        let before = slot.charged.replace(bytes);
        if !engine::budget(ctx).charge(bytes, before) {
            return Err(ctx.throw_out_of_memory());
        }
        Ok(r)
    }

    /// Like [`NativeClass::with`], but a TypeError naming `what` when `v` is
    /// not an instance.
    pub fn read<R>(
        &self,
        ctx: &Ctx,
        v: &Value<'_>,
        what: &str,
        f: impl FnOnce(&T) -> R,
    ) -> Result<R, Thrown> {
        self.with(v, f).ok_or_else(|| self.misuse(ctx, what))
    }

    /// The TypeError for a method called on something else.
    pub fn misuse(&self, ctx: &Ctx, what: &str) -> Thrown {
        let name = T::NAME.to_str().unwrap_or("native object");
        ctx.throw_type_error(&alloc::format!(
            "{what}: 'this' is not a {name} (illegal invocation)"
        ))
    }
}

unsafe extern "C" fn construct<N: Natives>(
    ctx: *mut qjs::JSContext,
    new_target: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
    magic: c_int,
) -> qjs::JSValue {
    // SAFETY: QuickJS passes a live context, `new.target` and `argc` arguments.
    unsafe { invoke(ctx, N::TABLE.get(magic as usize), new_target, argc, argv) }
}
