//! `Response` (WHATWG Fetch §5.5), native: status, statusText, ok, headers,
//! type, url, redirected, the Body members (see `body.rs`), `clone()`, and
//! `Response.json`/`redirect`/`error`.
//!
//! Departure: headers of `redirect()`/`error()` responses are not
//! immutable. A stream body is read to its end by dispatch before the
//! response is sent (no chunked streaming to the client yet).
//!
//! The JS task reads a handler's response back with [`reply_parts`], with
//! no JS in between.

use alloc::string::String;
use alloc::vec::Vec;

use super::body::{self, Body};
use super::headers::{self, HeaderList, quote};
use crate::js::class::{Entry, Held, Native, NativeClass, getter, method, to_string_tag};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::natives_table;

/// A response's type (§5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Made by the function.
    Default,
    /// From the network (`fetch`).
    Basic,
    /// `Response.error()`.
    Error,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Default => "default",
            Kind::Basic => "basic",
            Kind::Error => "error",
        }
    }
}

/// The Rust side of a `Response`.
pub struct ResponseData {
    status: u16,
    status_text: String,
    /// Its `Headers` object (read by the body natives).
    pub(super) headers: Held,
    kind: Kind,
    url: String,
    redirected: bool,
    pub(super) body: Body,
}

impl Native for ResponseData {
    const NAME: &'static core::ffi::CStr = c"Response";

    fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        mark(&self.headers);
        self.body.trace(mark);
    }

    fn heap_bytes(&self) -> usize {
        self.status_text.capacity() + self.url.capacity() + self.body.heap_bytes()
    }
}

/// The `Response` class of `ctx`'s runtime.
pub fn class(ctx: &Ctx) -> Result<NativeClass<ResponseData>, Thrown> {
    NativeClass::of(ctx)
}

/// Statuses whose responses have no body.
fn is_null_body_status(status: u16) -> bool {
    matches!(status, 101 | 103 | 204 | 205 | 304)
}

/// A reason-phrase (RFC 9112 §4): tab, visible ASCII, space, obs-text.
fn is_reason_phrase(s: &str) -> bool {
    s.chars()
        .all(|c| c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c))
}

/// What a handler's response is made of, for the connection task.
pub struct ReplyParts {
    /// Status code (0 for `Response.error()`).
    pub status: u16,
    /// Reason phrase ("" for the standard one).
    pub status_text: String,
    /// Header fields in wire form (see `HeaderList::combined`).
    pub headers: Vec<(String, String)>,
    /// The body; `None` for a null body.
    pub body: Option<Vec<u8>>,
}

/// The parts of `v` if it is a `Response` whose body is bytes or null;
/// `None` for anything else (a stream body is read by the glue first).
pub fn reply_parts(ctx: &Ctx, v: &Value<'_>) -> Result<Option<ReplyParts>, Thrown> {
    let class = class(ctx)?;
    if !class.is(v) {
        return Ok(None);
    }
    // Sending the reply reads the body, as any read does: its bytes move
    // out (no copy of them per request) and the Response is used from then
    // on.
    let parts = class.update(ctx, v, "Response", |d| {
        let body = match core::mem::replace(&mut d.body, Body::Used) {
            Body::Null => {
                d.body = Body::Null;
                None
            }
            Body::Bytes(b) => Some(b),
            other => {
                d.body = other;
                return None;
            }
        };
        Some((d.status, d.status_text.clone(), d.headers.get(ctx), body))
    })?;
    let Some((status, status_text, headers, body)) = parts else {
        return Ok(None);
    };
    let headers = headers::class(ctx)?.read(ctx, &headers, "Response", HeaderList::combined)?;
    Ok(Some(ReplyParts {
        status,
        status_text,
        headers,
        body,
    }))
}

/// A `Response` from the network (`fetch`): `[status, statusText,
/// headersFlat, Uint8Array, url, redirected]`, trusted.
pub fn network_response<'c>(ctx: &'c Ctx, parts: &Value<'c>) -> Result<Value<'c>, Thrown> {
    let status = parts.get_index(0)?.to_f64()? as u16;
    let status_text = parts.get_index(1)?.to_string()?;
    let list = HeaderList::from_pairs(parts.get_index(2)?.string_pairs()?);
    let bytes = parts.get_index(3)?;
    let url = parts.get_index(4)?.to_string()?;
    let redirected = parts.get_index(5)?.to_bool();
    let body = if is_null_body_status(status) {
        None
    } else {
        Some(bytes.bytes().unwrap_or(&[]).to_vec())
    };
    let headers = headers::instance(ctx, list)?;
    class(ctx)?.instance(
        ctx,
        ResponseData {
            status,
            status_text,
            headers: Held::new(headers),
            kind: Kind::Basic,
            url,
            redirected,
            body: Body::of(body),
        },
    )
}

natives_table! {
    /// The natives of `Response`.
    struct Fns {
        construct,
        get_type,
        get_url,
        get_redirected,
        get_status,
        get_ok,
        get_status_text,
        get_headers,
        get_body = body::body,
        get_body_used = body::body_used,
        clone,
        text = body::text,
        json = body::json,
        array_buffer = body::array_buffer,
        bytes = body::bytes,
        blob = body::blob,
        form_data = body::form_data,
        json_static,
        redirect_static,
        error_static,
    }
}

static PROTO: [Entry; 17] = [
    getter::<Fns>(c"type", Fns::get_type),
    getter::<Fns>(c"url", Fns::get_url),
    getter::<Fns>(c"redirected", Fns::get_redirected),
    getter::<Fns>(c"status", Fns::get_status),
    getter::<Fns>(c"ok", Fns::get_ok),
    getter::<Fns>(c"statusText", Fns::get_status_text),
    getter::<Fns>(c"headers", Fns::get_headers),
    getter::<Fns>(c"body", Fns::get_body),
    getter::<Fns>(c"bodyUsed", Fns::get_body_used),
    method::<Fns>(c"clone", 0, Fns::clone),
    method::<Fns>(c"text", 0, Fns::text),
    method::<Fns>(c"json", 0, Fns::json),
    method::<Fns>(c"arrayBuffer", 0, Fns::array_buffer),
    method::<Fns>(c"bytes", 0, Fns::bytes),
    method::<Fns>(c"blob", 0, Fns::blob),
    method::<Fns>(c"formData", 0, Fns::form_data),
    to_string_tag(c"Response"),
];

static STATICS: [Entry; 3] = [
    method::<Fns>(c"json", 1, Fns::json_static),
    method::<Fns>(c"redirect", 1, Fns::redirect_static),
    method::<Fns>(c"error", 0, Fns::error_static),
];

/// Sets up `Response` in `ctx`; returns the constructor.
pub fn define(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    class(ctx)?.define::<Fns>(ctx, Fns::construct, 0, &PROTO, &STATICS)
}

/// "Initialize a response" (§5.5) steps 1-4: status, statusText, headers.
fn init_parts(ctx: &Ctx, init: Option<&Value<'_>>) -> Result<(u16, String, HeaderList), Thrown> {
    let Some(init) = init.filter(|i| !i.is_nullish()) else {
        return Ok((200, String::new(), HeaderList::new()));
    };
    if !init.is_object() {
        return Err(ctx.throw_type_error("Response: init must be an object"));
    }
    let mut status = 200;
    let s = init.get(c"status")?;
    if !s.is_undefined() {
        let n = s.to_f64()?;
        // ToIntegerOrInfinity, then the range check: the same as checking
        // the number itself against [200, 600) (NaN fails both).
        if !(200.0..600.0).contains(&n) {
            return Err(ctx.throw_range_error(&alloc::format!(
                "Response: status must be in the range 200 to 599 (got {})",
                s.to_string_lossy()
            )));
        }
        status = n as u16;
    }
    let t = init.get(c"statusText")?;
    let status_text = if t.is_undefined() {
        String::new()
    } else {
        t.to_string()?
    };
    if !is_reason_phrase(&status_text) {
        return Err(ctx.throw_type_error(&alloc::format!(
            "Response: invalid statusText {}",
            quote(&status_text)
        )));
    }
    let list = headers::list_from_init(ctx, &init.get(c"headers")?)?;
    Ok((status, status_text, list))
}

fn check_body_allowed(ctx: &Ctx, status: u16) -> Result<(), Thrown> {
    if is_null_body_status(status) {
        return Err(ctx.throw_type_error(&alloc::format!(
            "Response with null body status {status} cannot have a body"
        )));
    }
    Ok(())
}

fn make<'c>(
    ctx: &'c Ctx,
    new_target: Option<&Value<'c>>,
    (status, status_text, list): (u16, String, HeaderList),
    body: Body,
    kind: Kind,
) -> Result<Value<'c>, Thrown> {
    let headers = headers::instance(ctx, list)?;
    let data = ResponseData {
        status,
        status_text,
        headers: Held::new(headers),
        kind,
        url: String::new(),
        redirected: false,
        body,
    };
    match new_target {
        Some(t) => class(ctx)?.construct(ctx, t, data),
        None => class(ctx)?.instance(ctx, data),
    }
}

fn construct<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let (status, status_text, mut list) = init_parts(ctx, args.get(1))?;
    let mut body = Body::Null;
    if let Some(b) = args.first().filter(|b| !b.is_nullish()) {
        check_body_allowed(ctx, status)?;
        body = body::extract(ctx, b, &mut list)?;
    }
    make(
        ctx,
        Some(&new_target),
        (status, status_text, list),
        body,
        Kind::Default,
    )
}

fn json_static<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let undefined = ctx.undefined();
    let data = args.first().unwrap_or(&undefined);
    let Some(text) = ctx.json_stringify(data)? else {
        return Err(ctx.throw_type_error("Response.json: data is not JSON-serializable"));
    };
    let (status, status_text, mut list) = init_parts(ctx, args.get(1))?;
    check_body_allowed(ctx, status)?;
    if !list.has("content-type") {
        list.set(
            String::from("content-type"),
            String::from("application/json"),
        );
    }
    // Lone surrogates cannot come out of JSON.stringify (it escapes them).
    let bytes = text.into_bytes();
    make(
        ctx,
        None,
        (status, status_text, list),
        Body::Bytes(bytes),
        Kind::Default,
    )
}

fn redirect_static<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let undefined = ctx.undefined();
    let url = args.first().unwrap_or(&undefined);
    let given = url.to_usv()?;
    let Some(parsed) = super::url::parse(&given, None) else {
        let given = quote(&given);
        return Err(ctx.throw_type_error(&alloc::format!("Response.redirect: invalid URL {given}")));
    };
    let status = match args.get(1).filter(|s| !s.is_undefined()) {
        Some(s) => s.to_f64()?,
        None => 302.0,
    };
    if ![301.0, 302.0, 303.0, 307.0, 308.0].contains(&status) {
        let shown = ctx.number(status).to_string_lossy();
        return Err(ctx.throw_range_error(&alloc::format!(
            "Response.redirect: status must be 301, 302, 303, 307 or 308 (got {shown})"
        )));
    }
    let location = String::from(parsed.as_str());
    let list = HeaderList::from_pairs([(String::from("location"), location)]);
    make(
        ctx,
        None,
        (status as u16, String::new(), list),
        Body::Null,
        Kind::Default,
    )
}

fn error_static<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    make(
        ctx,
        None,
        (0, String::new(), HeaderList::new()),
        Body::Null,
        Kind::Error,
    )
}

fn get_type<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let k = class(ctx)?.read(ctx, &this, "Response.type", |d| d.kind)?;
    ctx.string(k.as_str())
}

fn get_url<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let u = class(ctx)?.read(ctx, &this, "Response.url", |d| d.url.clone())?;
    ctx.string(&u)
}

fn get_redirected<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    Ok(ctx.bool(class(ctx)?.read(ctx, &this, "Response.redirected", |d| d.redirected)?))
}

fn get_status<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    Ok(ctx.int(
        class(ctx)?
            .read(ctx, &this, "Response.status", |d| d.status)?
            .into(),
    ))
}

fn get_ok<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = class(ctx)?.read(ctx, &this, "Response.ok", |d| d.status)?;
    Ok(ctx.bool((200..=299).contains(&s)))
}

fn get_status_text<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let t = class(ctx)?.read(ctx, &this, "Response.statusText", |d| d.status_text.clone())?;
    ctx.string(&t)
}

fn get_headers<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    class(ctx)?.read(ctx, &this, "Response.headers", |d| d.headers.get(ctx))
}

fn clone<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let class = class(ctx)?;
    let what = "Response.clone";
    let (status, status_text, headers, kind, url, redirected) =
        class.read(ctx, &this, what, |d| {
            (
                d.status,
                d.status_text.clone(),
                d.headers.get(ctx),
                d.kind,
                d.url.clone(),
                d.redirected,
            )
        })?;
    let body = body::clone_body(ctx, &this, what)?;
    let list = headers::class(ctx)?.read(ctx, &headers, what, HeaderList::clone)?;
    let headers = headers::instance(ctx, list)?;
    class.instance(
        ctx,
        ResponseData {
            status,
            status_text,
            headers: Held::new(headers),
            kind,
            url,
            redirected,
            body,
        },
    )
}

/// `internal.bodyStream(response)`: its body's stream, or null when the
/// body is bytes or null (read natively); TypeError if it was used.
pub fn body_stream<'c>(ctx: &'c Ctx, response: &Value<'c>) -> Result<Value<'c>, Thrown> {
    match body::peek_checked(ctx, response, "bodyStream")? {
        body::Peek::Stream(s) => Ok(s),
        _ => Ok(ctx.null()),
    }
}

/// `internal.takeBody(requestOrResponse)`.
pub fn take_body<'c>(ctx: &'c Ctx, v: &Value<'c>) -> Result<Value<'c>, Thrown> {
    body::take(ctx, v, "takeBody")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases_allow_tab_visible_ascii_and_obs_text() {
        assert!(is_reason_phrase("Fine Thanks"));
        assert!(is_reason_phrase("\tx\u{ff}"));
        assert!(is_reason_phrase(""));
        assert!(!is_reason_phrase("a\r\nb"));
        assert!(!is_reason_phrase("\u{100}"));
        assert!(!is_reason_phrase("\u{7f}"));
    }
}
