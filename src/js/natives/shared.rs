//! What the bindings share: the clients a context owns, and argument
//! helpers.
//!
//! # Ownership
//!
//! A binding's client (a database connection, a KV namespace) belongs to the
//! JS context that made it: it is kept in that context's [`Clients`] (in its
//! [`ContextState`]) and closed when the context is freed (an activation
//! replaced it and its last request was answered, or the device shuts
//! down). A version deployed anew gets clients of its own; nothing outlives
//! the version that made it.
//!
//! An I/O worker may still be running a round trip on a client when its
//! context is freed: a request that did not wait for its promise, one given
//! up on, or a module whose top level started a query and then failed to
//! load. So a client lives behind a counted reference
//! ([`crate::rtos::Shared`]): the context holds one, and each job holds
//! another for as long as it runs. Whoever lets go last closes the client:
//! the JS task when it frees the context, or the worker when its round trip
//! ends after that. The client's own mutex serialises the jobs of one
//! context that run at once on several workers.
//!
//! The JS object of a binding carries its client's index in its context's
//! list as a read-only property. A native looks the index up in the list of
//! the context that calls it, and checks the client's type, so a binding
//! object reaches only clients of its own context, and one function never
//! another's database.

use alloc::string::String;
use core::ffi::CStr;

use crate::js::context::ContextState;
pub use crate::js::context::{ClientRef, Clients};
use crate::js::engine::{Ctx, Thrown, Value};

/// The property of a binding object holding its client's index.
pub const INDEX_KEY: &CStr = c"__bindingIndex";

/// The state of the context calling a native.
fn state_of(ctx: &Ctx) -> Result<&ContextState, Thrown> {
    ContextState::of(ctx)
}

/// A reference to the client of the binding object `this` (the `env.NAME`
/// a method was called on), for an I/O job to hold while it runs.
pub fn client_of<T: Send + 'static>(
    ctx: &Ctx,
    this: &Value<'_>,
    method: &str,
) -> Result<ClientRef<T>, Thrown> {
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
    if !(0.0..=u32::MAX as f64).contains(&index) {
        return Err(misuse());
    }
    state_of(ctx)?
        .clients()
        .get(index as usize)
        .ok_or_else(misuse)
}

/// The JS object of a binding: `client` kept among the context's
/// [`Clients`], its index as a read-only property, and its `methods`.
pub fn binding_object<'c, T: Send + 'static>(
    ctx: &'c Ctx,
    name: &str,
    client: T,
    methods: &[(&CStr, u8, crate::js::engine::NativeFn)],
) -> Result<Value<'c>, Thrown> {
    let index = state_of(ctx)?
        .clients()
        .add(client)
        .map_err(|e| ctx.throw_range_error(&alloc::format!("binding '{name}': {e}")))?;
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
