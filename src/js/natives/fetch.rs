//! `internal.natives.load("fetch")`: the native half of `fetch()`
//! (`src/js/glue/fetch.js`). One function:
//!
//! `send(method, url, headersFlat, body, redirect, timeoutMs)` returns a
//! promise of `[status, statusText, headersFlat, body, url, redirected]`; the
//! exchange ([`crate::http::client::fetch`]) runs on an I/O worker over the
//! port's TCP. `timeoutMs` (0 for none) is the caller's deadline; the
//! worker never waits past [`Limits::DEFAULT`]'s `timeout_ms` either. A
//! failure rejects with a `TypeError` "fetch failed: ..." whose `cause` is an
//! `Error` with the same detail (WHATWG Fetch rejects network errors with a
//! `TypeError`); `https:` and other schemes are refused before any I/O.

use alloc::vec::Vec;

use crate::db::PortConnector;
use crate::http::client::{self, FetchError, Limits, RedirectMode, Response};
use crate::js::context::ContextState;
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::io;
use crate::rtos;

/// Creates the natives object.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let natives = ctx.object()?;
    natives.set(c"send", ctx.function(c"send", 6, send)?)?;
    Ok(natives)
}

/// A TypeError "fetch failed: {e}" with an Error cause carrying the detail.
fn fetch_failed(ctx: &Ctx, e: &FetchError) -> Thrown {
    let detail = alloc::format!("{e}");
    let build = || -> Result<Thrown, Thrown> {
        // Thrown and taken back at once: the engine's way to make a TypeError.
        let _ = ctx.throw_type_error(&alloc::format!("fetch failed: {detail}"));
        let err = ctx.catch();
        let cause = ctx.error(&detail)?;
        err.set(c"cause", cause)?;
        Ok(ctx.throw(err))
    };
    build().unwrap_or_else(|thrown| thrown)
}

fn send<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_else(|| ctx.undefined());
    let method = arg(0).to_string()?;
    let url = arg(1).to_string()?;
    let flat = arg(2);
    let headers = if flat.is_array() {
        flat.string_pairs()?
    } else {
        Vec::new()
    };
    let body = arg(3);
    let body = if body.is_nullish() {
        None
    } else {
        match body.bytes() {
            Some(b) => Some(b.to_vec()),
            None => return Err(ctx.throw_type_error("fetch: the body must be bytes")),
        }
    };
    let redirect = match arg(4).to_string()?.as_str() {
        "follow" => RedirectMode::Follow,
        "error" => RedirectMode::Error,
        "manual" => RedirectMode::Manual,
        other => {
            return Err(
                ctx.throw_type_error(&alloc::format!("fetch: invalid redirect mode {other:?}"))
            );
        }
    };
    let timeout = arg(5).to_f64()?;
    let mut limits = Limits::DEFAULT;
    // A body is held whole and grows by doubling: on a board with little
    // free heap the limit is a quarter of what is free, so a large response
    // is refused as too large instead of failing for memory half-way.
    limits.max_body_bytes = limits
        .max_body_bytes
        .min(crate::rtos::heap_stats().free / 4);
    if timeout.is_finite() && timeout >= 1.0 {
        limits.timeout_ms = limits.timeout_ms.min(timeout as u32);
    }
    // Refuse what can never work before taking a worker.
    if let Err(e) = client::Target::parse(&url) {
        return Err(fetch_failed(ctx, &e));
    }
    let net = ContextState::of(ctx)?.services().net;
    let request = client::Request {
        method,
        url,
        headers,
        body,
        redirect,
    };
    io::spawn(
        ctx,
        move || {
            let now_ms = || rtos::ticks_to_ms(rtos::tick_count());
            client::fetch(&mut PortConnector::new(net), request, &limits, &now_ms)
        },
        finish,
    )
}

fn finish<'c>(ctx: &'c Ctx, r: Result<Response, FetchError>) -> Result<Value<'c>, Thrown> {
    let response = r.map_err(|e| fetch_failed(ctx, &e))?;
    let flat = ctx.array()?;
    for (i, (name, value)) in response.head.headers.iter().enumerate() {
        flat.set_index(2 * i as u32, ctx.string(name)?)?;
        flat.set_index(2 * i as u32 + 1, ctx.latin1_string(value)?)?;
    }
    let out = ctx.array()?;
    out.set_index(0, ctx.number(f64::from(response.head.status)))?;
    out.set_index(1, ctx.latin1_string(&response.head.reason)?)?;
    out.set_index(2, flat)?;
    out.set_index(3, ctx.uint8_array(&response.body)?)?;
    out.set_index(4, ctx.string(&response.url)?)?;
    out.set_index(5, ctx.bool(response.redirected))?;
    Ok(out)
}
