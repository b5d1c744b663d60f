//! What the database bindings share: the clients kept per function and
//! binding, and argument helpers.
//!
//! A binding's client lives in a FreeRTOS mutex (an I/O worker uses it
//! while the JS task goes on) for the life of the firmware: a context made
//! again for the same function and binding finds its client, and its open
//! connection, here. The JS object of a binding carries the client's index
//! as a read-only property; a native checks that the index belongs to the
//! calling function, so one function cannot reach another's database.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ffi::CStr;

use crate::js::context::ContextState;
use crate::js::engine::{Ctx, Thrown, Value};
use crate::rtos::Mutex;

/// The property of a binding object holding its client's index.
pub const INDEX_KEY: &CStr = c"__bindingIndex";

struct Entry<T: 'static> {
    function: usize,
    key: String,
    client: &'static Mutex<T>,
}

/// Clients by function and binding. Touched by the JS task only.
pub struct Registry<T: 'static> {
    entries: UnsafeCell<Vec<Entry<T>>>,
}

// SAFETY: only the JS task reads or writes the entries (bindings are made
// and their natives called there); the clients themselves are behind mutexes.
unsafe impl<T: Send> Sync for Registry<T> {}

impl<T: Send + 'static> Default for Registry<T> {
    fn default() -> Registry<T> {
        Registry::new()
    }
}

impl<T: Send + 'static> Registry<T> {
    /// An empty registry.
    pub const fn new() -> Registry<T> {
        Registry {
            entries: UnsafeCell::new(Vec::new()),
        }
    }

    #[allow(clippy::mut_from_ref)]
    fn entries(&self) -> &mut Vec<Entry<T>> {
        // SAFETY: JS task only (see the type's docs), and no reference
        // escapes a call of this module.
        unsafe { &mut *self.entries.get() }
    }

    /// The index of the client of `function` under `key`, made by `make`
    /// the first time.
    pub fn register(
        &self,
        function: usize,
        key: &str,
        make: impl FnOnce() -> T,
    ) -> Result<usize, &'static str> {
        let entries = self.entries();
        if let Some(i) = entries
            .iter()
            .position(|e| e.function == function && e.key == key)
        {
            return Ok(i);
        }
        let client = Mutex::new(make()).map_err(|_| "out of memory for the client")?;
        entries.push(Entry {
            function,
            key: String::from(key),
            client: Box::leak(Box::new(client)),
        });
        Ok(entries.len() - 1)
    }

    fn get(&self, function: usize, index: usize) -> Option<&'static Mutex<T>> {
        self.entries()
            .get(index)
            .filter(|e| e.function == function)
            .map(|e| e.client)
    }
}

/// The client of the binding object `this` (the `env.NAME` a method was
/// called on).
pub fn client_of<T: Send + 'static>(
    ctx: &Ctx,
    this: &Value<'_>,
    registry: &Registry<T>,
    method: &str,
) -> Result<&'static Mutex<T>, Thrown> {
    let misuse = || {
        ctx.throw_type_error(&alloc::format!(
            "{method}: call it on its binding, as env.NAME.{method}(...)"
        ))
    };
    if !this.is_object() {
        return Err(misuse());
    }
    let index = this.get(INDEX_KEY)?;
    if !index.is_number() {
        return Err(misuse());
    }
    let index = index.to_f64()?;
    let state = ContextState::of(ctx)?;
    if !(0.0..=u32::MAX as f64).contains(&index) {
        return Err(misuse());
    }
    registry
        .get(state.slot().index(), index as usize)
        .ok_or_else(misuse)
}

/// The JS object of a binding: its client's `index` (from
/// [`Registry::register`]) as a read-only property, and its `methods`.
pub fn binding_object<'c>(
    ctx: &'c Ctx,
    name: &str,
    index: Result<usize, &'static str>,
    methods: &[(&CStr, u8, crate::js::engine::NativeFn)],
) -> Result<Value<'c>, Thrown> {
    let index =
        index.map_err(|e| ctx.throw_range_error(&alloc::format!("binding '{name}': {e}")))?;
    let obj = ctx.object()?;
    obj.define_readonly(INDEX_KEY, ctx.number(index as f64))?;
    for &(method, arity, f) in methods {
        obj.set(method, ctx.function(method, arity, f)?)?;
    }
    Ok(obj)
}

/// A string argument, or a TypeError with `message`.
pub fn string_arg(ctx: &Ctx, v: Option<&Value<'_>>, message: &str) -> Result<String, Thrown> {
    match v {
        Some(v) if v.is_string() => v.to_string(),
        _ => Err(ctx.throw_type_error(message)),
    }
}

/// The slot of the context (its binding clients are registered under it).
pub fn function_of(ctx: &Ctx) -> Result<usize, Thrown> {
    ContextState::of(ctx).map(|s| s.slot().index())
}
