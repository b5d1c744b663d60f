//! The native functions under the glue (`internal.natives` in `src/js/glue/`).
//!
//! The core set, present in every context: `log(level, message)`,
//! `utf8Encode(string)`, `utf8Decode(bytes)`, `timerStart(delayMs, repeat)`,
//! `timerCancel(id)`, `loadGlue(index)` (runs a lazily loaded glue file, see
//! `ContextState::load_glue`) and `load(name)`.
//!
//! Each Web or Node API with native parts has its own module here with one
//! `create(ctx)` function building an object of its natives, listed in
//! [`MODULES`]; `internal.natives.load(name)` creates it on first use (and
//! caches it on `internal.natives`), so a function pays only for the APIs it
//! uses. Bad arguments throw a `TypeError`; nothing here panics on JS input.

#[cfg(feature = "db-clients")]
pub mod postgres;
#[cfg(feature = "db-clients")]
pub mod redis;
pub mod shared;

use alloc::string::String;
use alloc::vec::Vec;

use super::context::ContextState;
use super::engine::{Ctx, Thrown, Value};

pub mod body;
pub mod buffer;
pub mod crypto;
pub mod fetch;
pub mod headers;
pub mod kv;
pub mod pairs;
pub mod platform;
pub mod process;
pub mod request;
pub mod response;
pub mod text;
pub mod transit;
pub mod url;

pub use super::engine::wtf8_to_utf8;

/// A Web API written in Rust and defined in a context on the first use of
/// one of its names (as the lazy glue files are, see `task::lazy_names`).
pub struct LazyApi {
    /// What logs and errors call it.
    pub name: &'static str,
    /// Its names on the global object.
    pub globals: &'static [&'static str],
    /// Its names on the glue's `internal` object.
    pub internals: &'static [&'static str],
    /// Defines every one of its names on the global object and `internal`.
    pub define: for<'c> fn(&'c Ctx, &Value<'c>, &Value<'c>) -> Result<(), Thrown>,
}

/// The lazily defined native APIs (at most 32).
pub static LAZY_APIS: &[LazyApi] = &[
    LazyApi {
        name: "url",
        globals: &["URL", "URLSearchParams"],
        internals: &["URL", "URLSearchParams", "parseForm", "percentDecode"],
        define: url::define,
    },
    LazyApi {
        name: "text",
        globals: &["TextEncoder", "TextDecoder", "atob", "btoa"],
        internals: &["TextEncoder", "TextDecoder"],
        define: text::define,
    },
];

/// Sets up the request path in a new context: the `Headers`, `Request` and
/// `Response` classes (globals, and on `internal`), and the helpers the glue
/// reaches through `internal` (made on first use): `takeBody(r)`,
/// `headersToFlat(headers)`, `networkResponse(parts)`, `bodyStream(response)`
/// and `requestParts(request)` (see `response.rs` and `request.rs`), and the
/// bodies in transit's `pullBody`, `sendPiece` and `endBody` (`transit.rs`).
pub fn install_request_path(ctx: &Ctx, internal: &Value<'_>) -> Result<(), Thrown> {
    let global = ctx.global();
    let classes = [
        ("Headers", headers::define(ctx)?),
        ("Request", request::define(ctx)?),
        ("Response", response::define(ctx)?),
    ];
    expose(&global, internal, classes)?;
    crate::js::class::define_list(ctx, internal, &INTERNAL)
}

/// Puts each `(name, constructor)` on `internal` and on `global`, where it
/// is installed as Web IDL installs interfaces: writable, configurable, not
/// enumerable.
pub fn expose<'c>(
    global: &Value<'c>,
    internal: &Value<'c>,
    classes: impl IntoIterator<Item = (&'static str, Value<'c>)>,
) -> Result<(), Thrown> {
    for (name, ctor) in classes {
        internal.define_value(name, ctor.clone(), true)?;
        global.define_value(name, ctor, false)?;
    }
    Ok(())
}

crate::natives_table! {
    /// The request path's helpers on `internal`.
    struct InternalFns {
        take_body,
        headers_to_flat,
        network_response,
        body_stream,
        request_parts,
        pull_body = transit::pull_body,
        send_piece = transit::send_piece,
        end_body = transit::end_body,
    }
}

static INTERNAL: [crate::js::class::Entry; 8] = [
    crate::js::class::method::<InternalFns>(c"takeBody", 1, InternalFns::take_body),
    crate::js::class::method::<InternalFns>(c"headersToFlat", 1, InternalFns::headers_to_flat),
    crate::js::class::method::<InternalFns>(c"networkResponse", 1, InternalFns::network_response),
    crate::js::class::method::<InternalFns>(c"bodyStream", 1, InternalFns::body_stream),
    crate::js::class::method::<InternalFns>(c"requestParts", 1, InternalFns::request_parts),
    crate::js::class::method::<InternalFns>(c"pullBody", 1, InternalFns::pull_body),
    crate::js::class::method::<InternalFns>(c"sendPiece", 2, InternalFns::send_piece),
    crate::js::class::method::<InternalFns>(c"endBody", 2, InternalFns::end_body),
];

fn first<'c>(ctx: &'c Ctx, args: &[Value<'c>]) -> Value<'c> {
    args.first().cloned().unwrap_or_else(|| ctx.undefined())
}

fn take_body<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    response::take_body(ctx, &first(ctx, args))
}

fn headers_to_flat<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let pairs = headers::class(ctx)?.read(
        ctx,
        &first(ctx, args),
        "headersToFlat",
        headers::HeaderList::combined,
    )?;
    let mut flat = Vec::with_capacity(pairs.len() * 2);
    for (n, v) in &pairs {
        flat.push(ctx.string(n)?);
        flat.push(ctx.string(v)?);
    }
    ctx.array_of(flat)
}

fn network_response<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    response::network_response(ctx, &first(ctx, args))
}

fn body_stream<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    response::body_stream(ctx, &first(ctx, args))
}

fn request_parts<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    request::lambda_parts(ctx, &first(ctx, args))
}

/// Builds the natives object of one API module.
pub type Create = for<'c> fn(&'c Ctx) -> Result<Value<'c>, Thrown>;

/// The API modules with natives, by the name `internal.natives.load` takes.
pub const MODULES: &[(&str, Create)] = &[
    ("buffer", buffer::create),
    ("crypto", crypto::create),
    ("fetch", fetch::create),
    ("platform", platform::create),
    ("process", process::create),
    ("text", text::create),
];

/// Creates the `natives` object for a context.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let natives = ctx.object()?;
    natives.set(c"log", ctx.function(c"log", 2, log)?)?;
    natives.set(c"utf8Encode", ctx.function(c"utf8Encode", 1, utf8_encode)?)?;
    natives.set(c"utf8Decode", ctx.function(c"utf8Decode", 1, utf8_decode)?)?;
    natives.set(c"timerStart", ctx.function(c"timerStart", 2, timer_start)?)?;
    natives.set(
        c"timerCancel",
        ctx.function(c"timerCancel", 1, timer_cancel)?,
    )?;
    natives.set(c"loadGlue", ctx.function(c"loadGlue", 1, load_glue)?)?;
    natives.set(c"load", ctx.function(c"load", 1, load_module)?)?;
    Ok(natives)
}

fn state(ctx: &Ctx) -> Result<&ContextState, Thrown> {
    ContextState::of(ctx)
}

fn arg<'a, 'c>(args: &'a [Value<'c>], i: usize) -> Option<&'a Value<'c>> {
    args.get(i)
}

fn log<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let level = match arg(args, 0).map(|v| v.to_f64()).transpose()?.unwrap_or(3.0) as i32 {
        1 => log::Level::Error,
        2 => log::Level::Warn,
        4 => log::Level::Debug,
        5 => log::Level::Trace,
        _ => log::Level::Info,
    };
    let message = match arg(args, 1) {
        Some(v) => v.to_string()?,
        None => String::new(),
    };
    let name = state(ctx).map(|s| s.name.as_str()).unwrap_or("?");
    log::log!(target: "js", level, "[{name}] {message}");
    Ok(ctx.undefined())
}

fn utf8_encode<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    match arg(args, 0) {
        Some(v) => ctx.uint8_array(&v.to_utf8()?),
        None => ctx.uint8_array(&[]),
    }
}

fn utf8_decode<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let Some(bytes) = arg(args, 0).and_then(|v| v.bytes()) else {
        return Err(ctx.throw_type_error("utf8Decode: expected an ArrayBuffer or a typed array"));
    };
    match core::str::from_utf8(bytes) {
        Ok(s) => ctx.string(s),
        Err(_) => ctx.string(&String::from_utf8_lossy(bytes)),
    }
}

fn timer_start<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let delay = arg(args, 0).map(|v| v.to_f64()).transpose()?.unwrap_or(0.0);
    let delay_ms = if delay.is_finite() && delay > 0.0 {
        delay.min(u32::MAX as f64) as u64
    } else {
        0
    };
    let repeat = match arg(args, 1) {
        Some(v) => v.to_f64().map(|n| n != 0.0 && !n.is_nan()).unwrap_or(true),
        None => false,
    };
    let st = state(ctx)?;
    match st.start_timer(delay_ms, repeat) {
        Some(id) => Ok(ctx.number(id as f64)),
        None => Err(
            ctx.throw_range_error("too many timers: the FreeRTOS heap or timer queue is exhausted")
        ),
    }
}

fn timer_cancel<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let id = arg(args, 0).map(|v| v.to_f64()).transpose()?.unwrap_or(0.0);
    if id.is_finite() && id >= 1.0 && id <= u32::MAX as f64 {
        state(ctx)?.cancel_timer(id as u32);
    }
    Ok(ctx.undefined())
}

fn load_glue<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let index = arg(args, 0)
        .map(|v| v.to_f64())
        .transpose()?
        .unwrap_or(-1.0);
    if !(0.0..64.0).contains(&index) {
        return Err(ctx.throw_range_error("loadGlue: no such glue file"));
    }
    state(ctx)?.load_glue(ctx, index as usize)?;
    Ok(ctx.undefined())
}

/// `natives.load(name)`: the natives object of API module `name`, created on
/// first use and kept as a property of `natives` (the `this` of the call).
fn load_module<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = match arg(args, 0) {
        Some(v) if v.is_string() => v.to_string()?,
        _ => return Err(ctx.throw_type_error("natives.load: expected a module name")),
    };
    let Some((_, create)) = MODULES.iter().find(|(n, _)| *n == name) else {
        return Err(
            ctx.throw_type_error(&alloc::format!("natives.load: no native module '{name}'"))
        );
    };
    let key = alloc::ffi::CString::new(alloc::format!("module:{name}"))
        .map_err(|_| ctx.throw_type_error("natives.load: bad module name"))?;
    if this.is_object() {
        let cached = this.get(&key)?;
        if !cached.is_undefined() {
            return Ok(cached);
        }
    }
    let module = create(ctx)?;
    if this.is_object() {
        this.set(&key, module.clone())?;
    }
    Ok(module)
}
