//! `Request` (WHATWG Fetch §5.4), native; server-side subset: method, url,
//! headers, redirect, signal, the Body members (see `body.rs`) and
//! `clone()`.
//!
//! Not covered: cache, credentials, integrity, mode, referrer, duplex and
//! the other browser-only members; a URL is never resolved against a base
//! (a server has no document URL), so relative URLs are a TypeError. The
//! signal of an incoming request never aborts (the connection task does not
//! report a client that goes away); it is made on first use, so a request
//! that never reads it does not load the events glue.
//!
//! An incoming request is built straight from the connection task's
//! [`Exchange`] by [`from_exchange`], with no validation (its parts are
//! already valid) and no JS in between.

use alloc::string::String;
use alloc::vec::Vec;

use super::body::{self, Body, Peek};
use super::headers::{self, HeaderList, quote};
use crate::js::class::{Entry, Held, Native, NativeClass, getter, method, to_string_tag};
use crate::js::context::{ContextState, Transit};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::task::Exchange;
use crate::natives_table;

/// A request's redirect mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// Follow redirects.
    Follow,
    /// A redirect is a network error.
    Error,
    /// Redirects are handed back as they are.
    Manual,
}

impl Redirect {
    fn parse(s: &str) -> Option<Redirect> {
        match s {
            "follow" => Some(Redirect::Follow),
            "error" => Some(Redirect::Error),
            "manual" => Some(Redirect::Manual),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Redirect::Follow => "follow",
            Redirect::Error => "error",
            Redirect::Manual => "manual",
        }
    }
}

/// The Rust side of a `Request`.
pub struct RequestData {
    method: String,
    url: String,
    /// Its `Headers` object (read by the body natives).
    pub(super) headers: Held,
    redirect: Redirect,
    /// Made on first use of `signal` (or given by the constructor).
    signal: Option<Held>,
    pub(super) body: Body,
}

impl Native for RequestData {
    const NAME: &'static core::ffi::CStr = c"Request";

    fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        mark(&self.headers);
        if let Some(s) = &self.signal {
            mark(s);
        }
        self.body.trace(mark);
    }

    fn heap_bytes(&self) -> usize {
        self.method.capacity() + self.url.capacity() + self.body.heap_bytes()
    }
}

/// The `Request` class of `ctx`'s runtime.
pub fn class(ctx: &Ctx) -> Result<NativeClass<RequestData>, Thrown> {
    NativeClass::of(ctx)
}

/// The `Request` a handler gets for `ex`, which gives up its method, URL,
/// header names and body to it (moved, not copied). A body the connection
/// streams becomes a stream of its pieces, read through a transit whose
/// token is put in `incoming`.
pub fn from_exchange<'c>(
    ctx: &'c Ctx,
    ex: &mut Exchange,
    incoming: &mut Option<u32>,
) -> Result<Value<'c>, Thrown> {
    // Field values are bytes; each is one code unit (ISO-8859-1), as in JS.
    let latin1 = |v: &[u8]| -> String { v.iter().map(|&b| b as char).collect() };
    let fields = core::mem::take(&mut ex.headers);
    let list = HeaderList::from_pairs(fields.into_iter().map(|(n, v)| (n, latin1(&v))));
    let headers = headers::instance(ctx, list)?;
    let body = if ex.streamed_body {
        let state = ContextState::of(ctx)?;
        let token = state.open_transit(Transit {
            reply_to: ex.reply_to,
            seq: ex.seq,
            with: None,
        });
        *incoming = Some(token);
        let stream = body::call_internal(ctx, c"incomingStream", &[ctx.number(f64::from(token))])?;
        Body::Stream(Held::new(stream))
    } else {
        Body::of(ex.body.take())
    };
    let request = class(ctx)?.instance(
        ctx,
        RequestData {
            method: core::mem::take(&mut ex.method),
            url: core::mem::take(&mut ex.url),
            headers: Held::new(headers),
            redirect: Redirect::Follow,
            signal: None,
            body,
        },
    );
    // The engine has charged the body to its limit (or refused it).
    ex.body_reservation = None;
    request
}

/// `[method, url, headerPairs, body]` of a request for the Lambda form:
/// the header entries as received (names lowercased, repeated names not
/// combined) and the body bytes (taken) or null.
pub fn lambda_parts<'c>(ctx: &'c Ctx, request: &Value<'c>) -> Result<Value<'c>, Thrown> {
    let what = "requestParts";
    let (method, url, headers) = class(ctx)?.read(ctx, request, what, |d| {
        (d.method.clone(), d.url.clone(), d.headers.get(ctx))
    })?;
    let pairs: Vec<(String, String)> =
        headers::class(ctx)?.read(ctx, &headers, what, |l| l.entries().to_vec())?;
    let mut flat = Vec::with_capacity(pairs.len() * 2);
    for (n, v) in &pairs {
        flat.push(ctx.string(n)?);
        flat.push(ctx.string(v)?);
    }
    let body = body::take(ctx, request, what)?;
    ctx.array_of(alloc::vec![
        ctx.string(&method)?,
        ctx.string(&url)?,
        ctx.array_of(flat)?,
        body
    ])
}

fn is_token(s: &str) -> bool {
    headers::normalize_name(s).is_ok()
}

/// "Normalize a method" (§2.2.1), after checking it is a token and not
/// forbidden.
pub fn normalize_method(m: &str) -> Result<String, String> {
    if !is_token(m) {
        return Err(alloc::format!("Invalid HTTP method: {}", quote(m)));
    }
    let up = m.to_ascii_uppercase();
    if matches!(up.as_str(), "CONNECT" | "TRACE" | "TRACK") {
        return Err(alloc::format!("HTTP method {} is forbidden", quote(m)));
    }
    if matches!(
        up.as_str(),
        "DELETE" | "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT"
    ) {
        Ok(up)
    } else {
        Ok(String::from(m)) // e.g. "patch" stays "patch"
    }
}

natives_table! {
    /// The natives of `Request`.
    struct Fns {
        construct,
        get_method,
        get_url,
        get_headers,
        get_redirect,
        get_signal,
        get_body = body::body,
        get_body_used = body::body_used,
        clone,
        text = body::text,
        json = body::json,
        array_buffer = body::array_buffer,
        bytes = body::bytes,
        blob = body::blob,
        form_data = body::form_data,
    }
}

static PROTO: [Entry; 15] = [
    getter::<Fns>(c"method", Fns::get_method),
    getter::<Fns>(c"url", Fns::get_url),
    getter::<Fns>(c"headers", Fns::get_headers),
    getter::<Fns>(c"redirect", Fns::get_redirect),
    getter::<Fns>(c"signal", Fns::get_signal),
    getter::<Fns>(c"body", Fns::get_body),
    getter::<Fns>(c"bodyUsed", Fns::get_body_used),
    method::<Fns>(c"clone", 0, Fns::clone),
    method::<Fns>(c"text", 0, Fns::text),
    method::<Fns>(c"json", 0, Fns::json),
    method::<Fns>(c"arrayBuffer", 0, Fns::array_buffer),
    method::<Fns>(c"bytes", 0, Fns::bytes),
    method::<Fns>(c"blob", 0, Fns::blob),
    method::<Fns>(c"formData", 0, Fns::form_data),
    to_string_tag(c"Request"),
];

/// Sets up `Request` in `ctx`; returns the constructor.
pub fn define(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    class(ctx)?.define::<Fns>(ctx, Fns::construct, 1, &PROTO, &[])
}

/// `init[name]`, undefined when `init` is null or undefined.
fn member<'c>(ctx: &'c Ctx, init: &Value<'c>, name: &core::ffi::CStr) -> Result<Value<'c>, Thrown> {
    if init.is_nullish() {
        Ok(ctx.undefined())
    } else {
        init.get(name)
    }
}

/// `AbortSignal.any([signal])`: a signal following `signal`.
fn follow_signal<'c>(ctx: &'c Ctx, signal: Value<'c>) -> Result<Value<'c>, Thrown> {
    let abort_signal = body::internal(ctx)?.get(c"AbortSignal")?;
    abort_signal.call_method(c"any", &[ctx.array_of(alloc::vec![signal])?])
}

fn construct<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let undefined = ctx.undefined();
    let input = args.first().unwrap_or(&undefined);
    let init = args.get(1).unwrap_or(&undefined);
    if !init.is_nullish() && !init.is_object() {
        return Err(ctx.throw_type_error("Request: init must be an object"));
    }
    let class = class(ctx)?;
    let what = "Request";
    let mut method = String::from("GET");
    let url;
    let mut list = HeaderList::new();
    let mut redirect = Redirect::Follow;
    let mut signal = None;
    let mut state = Body::Null;
    let mut inherited = false;
    if class.is(input) {
        let headers;
        (method, url, redirect, signal, headers) = class.read(ctx, input, what, |d| {
            (
                d.method.clone(),
                d.url.clone(),
                d.redirect,
                d.signal.as_ref().map(|s| s.get(ctx)),
                d.headers.get(ctx),
            )
        })?;
        list = headers::class(ctx)?.read(ctx, &headers, what, HeaderList::clone)?;
        // The input's body, taken over below (TypeError if it was used).
        state = match body::peek_checked(ctx, input, what)? {
            // The input's bytes, taken over below.
            Peek::Bytes => Body::Bytes(Vec::new()),
            Peek::Stream(s) => Body::Stream(Held::new(s)),
            Peek::Null | Peek::Used => Body::Null,
        };
        inherited = !matches!(state, Body::Null);
    } else {
        let given = input.to_usv()?;
        let Some(parsed) = super::url::parse(&given, None) else {
            let given = quote(&given);
            return Err(ctx.throw_type_error(&alloc::format!(
                "Request: invalid URL {given} (an absolute URL is needed)"
            )));
        };
        let href = String::from(parsed.as_str());
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(ctx.throw_type_error(&alloc::format!(
                "Request: URLs with credentials are not allowed: {href}"
            )));
        }
        url = href;
    }
    let m = member(ctx, init, c"method")?;
    if !m.is_undefined() {
        method = normalize_method(&m.to_string()?).map_err(|e| ctx.throw_type_error(&e))?;
    }
    let r = member(ctx, init, c"redirect")?;
    if !r.is_undefined() {
        let r = r.to_string()?;
        redirect = Redirect::parse(&r).ok_or_else(|| {
            ctx.throw_type_error(&alloc::format!(
                "Request: invalid redirect mode {}",
                quote(&r)
            ))
        })?;
    }
    let s = member(ctx, init, c"signal")?;
    if !s.is_undefined() {
        if !s.is_null() {
            // An AbortSignal can only exist once the events glue is loaded.
            let internal = body::internal(ctx)?;
            let is_signal = internal.has_own(c"AbortSignal")?
                && s.instance_of(&internal.get(c"AbortSignal")?)?;
            if !is_signal {
                return Err(
                    ctx.throw_type_error("Request: init.signal must be an AbortSignal or null")
                );
            }
        }
        signal = (!s.is_null()).then_some(s);
    }
    let h = member(ctx, init, c"headers")?;
    if !h.is_undefined() {
        list = headers::list_from_init(ctx, &h)?;
    }
    let b = member(ctx, init, c"body")?;
    if !b.is_nullish() {
        state = body::extract(ctx, &b, &mut list)?;
        inherited = false;
    }
    if !matches!(state, Body::Null) && (method == "GET" || method == "HEAD") {
        return Err(ctx.throw_type_error("Request with GET/HEAD method cannot have body."));
    }
    // The new Request takes over the input's body (§5.4 "new Request" step 41).
    if inherited {
        let taken = body::take_state(ctx, input, what)?;
        if matches!(state, Body::Bytes(_)) {
            state = taken;
        }
    }
    let signal = match signal {
        // The request's signal follows the given one (§5.4 step 30).
        Some(s) => Some(Held::new(follow_signal(ctx, s)?)),
        None => None,
    };
    let headers = headers::instance(ctx, list)?;
    class.construct(
        ctx,
        &new_target,
        RequestData {
            method,
            url,
            headers: Held::new(headers),
            redirect,
            signal,
            body: state,
        },
    )
}

fn get_method<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let m = class(ctx)?.read(ctx, &this, "Request.method", |d| d.method.clone())?;
    ctx.string(&m)
}

fn get_url<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let u = class(ctx)?.read(ctx, &this, "Request.url", |d| d.url.clone())?;
    ctx.string(&u)
}

fn get_headers<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    class(ctx)?.read(ctx, &this, "Request.headers", |d| d.headers.get(ctx))
}

fn get_redirect<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let r = class(ctx)?.read(ctx, &this, "Request.redirect", |d| d.redirect)?;
    ctx.string(r.as_str())
}

fn get_signal<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let class = class(ctx)?;
    let what = "Request.signal";
    if let Some(s) = class.read(ctx, &this, what, |d| d.signal.as_ref().map(|s| s.get(ctx)))? {
        return Ok(s);
    }
    let signal = body::call_internal(ctx, c"newAbortSignal", &[])?;
    let held = Held::new(signal.clone());
    class.update(ctx, &this, what, |d| d.signal = Some(held))?;
    Ok(signal)
}

fn clone<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let class = class(ctx)?;
    let what = "Request.clone";
    let (method, url, redirect, signal, headers) = class.read(ctx, &this, what, |d| {
        (
            d.method.clone(),
            d.url.clone(),
            d.redirect,
            d.signal.as_ref().map(|s| s.get(ctx)),
            d.headers.get(ctx),
        )
    })?;
    let body = body::clone_body(ctx, &this, what)?;
    let list = headers::class(ctx)?.read(ctx, &headers, what, HeaderList::clone)?;
    let signal = match signal {
        Some(s) => Some(Held::new(follow_signal(ctx, s)?)),
        None => None,
    };
    let headers = headers::instance(ctx, list)?;
    class.instance(
        ctx,
        RequestData {
            method,
            url,
            headers: Held::new(headers),
            redirect,
            signal,
            body,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_normalized_and_checked() {
        assert_eq!(normalize_method("get").as_deref(), Ok("GET"));
        assert_eq!(normalize_method("Delete").as_deref(), Ok("DELETE"));
        assert_eq!(
            normalize_method("patch").as_deref(),
            Ok("patch"),
            "only the six are uppercased"
        );
        assert_eq!(normalize_method("PROPFIND").as_deref(), Ok("PROPFIND"));
        assert!(
            normalize_method("connect")
                .unwrap_err()
                .contains("forbidden")
        );
        assert!(normalize_method("TRACK").unwrap_err().contains("forbidden"));
        assert!(
            normalize_method("a b")
                .unwrap_err()
                .starts_with("Invalid HTTP method")
        );
        assert!(normalize_method("").is_err());
    }
}
