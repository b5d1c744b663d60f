//! The Body mixin (Fetch §5.3) of the native `Request` and `Response`.
//!
//! A body is held as bytes (in the Rust heap, charged to the engine's
//! budget with the rest of its object's data), as a `ReadableStream`, or is
//! null. Bytes become a stream only when `body` is read, and a typed array
//! only when `arrayBuffer()`/`bytes()` ask for one, so the common path (a
//! string body written, `text()`/`json()` read, the reply taken by the JS
//! task) loads neither the streams glue nor the engine's typed arrays. The rare paths are lazy JS in
//! `src/js/glue/body.js`: bodies made from URLSearchParams, Blob, FormData,
//! streams and other BufferSources (`internal.extractBody`), and reading a
//! stream, a Blob or a FormData (`internal.consumeBody`).

use alloc::string::String;
use alloc::vec::Vec;

use super::headers::HeaderList;
use super::request::RequestData;
use super::response::ResponseData;
use crate::js::class::{Held, NativeClass};
use crate::js::engine::{Ctx, Thrown, Value};

/// The state of a body.
pub enum Body {
    /// No body: reads give empty bytes, any number of times.
    Null,
    /// Bytes not read yet.
    Bytes(Vec<u8>),
    /// A `ReadableStream` (used once disturbed).
    Stream(Held),
    /// Read or taken.
    Used,
}

impl Body {
    /// Marks the held value for the collector.
    pub fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        if let Body::Stream(h) = self {
            mark(h);
        }
    }

    /// A body of `bytes` or null.
    pub fn of(bytes: Option<Vec<u8>>) -> Body {
        match bytes {
            Some(b) => Body::Bytes(b),
            None => Body::Null,
        }
    }

    /// Bytes it holds in the Rust heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Body::Bytes(b) => b.capacity(),
            _ => 0,
        }
    }
}

/// A body's state, the stream as a JS value (taken without keeping a
/// borrow; bytes stay where they are, see [`take_state`]).
pub enum Peek<'c> {
    /// No body.
    Null,
    /// Bytes.
    Bytes,
    /// A stream.
    Stream(Value<'c>),
    /// Read or taken.
    Used,
}

/// `body` as a JS value: a `Uint8Array` for bytes, the stream, or null.
pub fn value_of<'c>(ctx: &'c Ctx, body: Body) -> Result<Value<'c>, Thrown> {
    match body {
        Body::Bytes(b) => ctx.uint8_array(&b),
        Body::Stream(s) => Ok(s.get(ctx)),
        Body::Null | Body::Used => Ok(ctx.null()),
    }
}

const USED: &str = "Body has already been used";

/// The glue's `internal` object.
pub fn internal(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    super::state(ctx)?.internal(ctx)
}

/// Calls `internal[name](args)`.
pub fn call_internal<'c>(
    ctx: &'c Ctx,
    name: &core::ffi::CStr,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let internal = internal(ctx)?;
    internal.get(name)?.call(&internal, args)
}

/// `f` on the `Response` or `Request` `this` (one copy of the body natives
/// serves both classes).
fn read_message<R>(
    ctx: &Ctx,
    this: &Value<'_>,
    what: &str,
    f: impl FnOnce(&Body, &Held) -> R,
) -> Result<R, Thrown> {
    let response = NativeClass::<ResponseData>::of(ctx)?;
    if response.is(this) {
        return response.read(ctx, this, what, |d| f(&d.body, &d.headers));
    }
    NativeClass::<RequestData>::of(ctx)?.read(ctx, this, what, |d| f(&d.body, &d.headers))
}

/// The state of the body of `this`.
pub fn peek<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Peek<'c>, Thrown> {
    read_message(ctx, this, what, |body, _| match body {
        Body::Null => Peek::Null,
        Body::Bytes(_) => Peek::Bytes,
        Body::Stream(s) => Peek::Stream(s.get(ctx)),
        Body::Used => Peek::Used,
    })
}

/// Replaces the body state of `this`, returning the old one (dropped by the
/// caller, after the borrow ends).
fn set_body(ctx: &Ctx, this: &Value<'_>, what: &str, body: Body) -> Result<Body, Thrown> {
    let response = NativeClass::<ResponseData>::of(ctx)?;
    if response.is(this) {
        response.update(ctx, this, what, |d| core::mem::replace(&mut d.body, body))
    } else {
        NativeClass::<RequestData>::of(ctx)?
            .update(ctx, this, what, |d| core::mem::replace(&mut d.body, body))
    }
}

/// `bodyUsed` of a body in state `peek`.
pub fn is_used(ctx: &Ctx, peek: &Peek<'_>) -> Result<bool, Thrown> {
    match peek {
        Peek::Used => Ok(true),
        Peek::Stream(s) => {
            Ok(call_internal(ctx, c"streamDisturbed", core::slice::from_ref(s))?.to_bool())
        }
        Peek::Null | Peek::Bytes => Ok(false),
    }
}

/// TypeError if the body was used or its stream is locked to a reader.
fn check(ctx: &Ctx, peek: &Peek<'_>) -> Result<(), Thrown> {
    if is_used(ctx, peek)? {
        return Err(ctx.throw_type_error(USED));
    }
    if let Peek::Stream(s) = peek
        && s.get(c"locked")?.to_bool()
    {
        return Err(ctx.throw_type_error("The body stream is locked to a reader"));
    }
    Ok(())
}

/// Takes the body state out and marks the body used (a null body stays
/// null); TypeError if it was used.
pub fn take_state(ctx: &Ctx, this: &Value<'_>, what: &str) -> Result<Body, Thrown> {
    let p = peek(ctx, this, what)?;
    check(ctx, &p)?;
    let next = if matches!(p, Peek::Null) {
        Body::Null
    } else {
        Body::Used
    };
    set_body(ctx, this, what, next)
}

/// Takes the body (a `Uint8Array` for bytes, the stream, or null) and marks
/// it used; TypeError if it was used.
pub fn take<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Value<'c>, Thrown> {
    let state = take_state(ctx, this, what)?;
    value_of(ctx, state)
}

/// The body's state without consuming it; TypeError if it was used.
pub fn peek_checked<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Peek<'c>, Thrown> {
    let p = peek(ctx, this, what)?;
    check(ctx, &p)?;
    Ok(p)
}

/// A copy of the body for `clone()`: bytes are copied, a stream is teed
/// (§5.3 "clone a body"); TypeError if it was used.
pub fn clone_body(ctx: &Ctx, this: &Value<'_>, what: &str) -> Result<Body, Thrown> {
    match peek_checked(ctx, this, what)? {
        Peek::Null | Peek::Used => Ok(Body::Null),
        Peek::Bytes => read_message(ctx, this, what, |body, _| match body {
            Body::Bytes(b) => Body::Bytes(b.clone()),
            _ => Body::Null,
        }),
        Peek::Stream(s) => {
            let pair = s.call_method(c"tee", &[])?;
            let (mine, theirs) = (pair.get_index(0)?, pair.get_index(1)?);
            drop(set_body(ctx, this, what, Body::Stream(Held::new(mine)))?);
            Ok(Body::Stream(Held::new(theirs)))
        }
    }
}

const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// "Extract a body" (§5.3) from `init` (not null or undefined): the body,
/// with the content type it implies set on `headers` unless one is set.
pub fn extract(ctx: &Ctx, init: &Value<'_>, headers: &mut HeaderList) -> Result<Body, Thrown> {
    let (body, content_type): (Body, Option<String>) = if init.is_string() {
        (Body::Bytes(init.to_utf8()?), Some(String::from(TEXT_PLAIN)))
    } else if let Some(bytes) = init.bytes() {
        // Copied: later writes to the source must not show.
        (Body::Bytes(bytes.to_vec()), None)
    } else {
        let other = if init.is_object() {
            call_internal(ctx, c"extractBody", core::slice::from_ref(init))?
        } else {
            ctx.null()
        };
        if other.is_nullish() {
            // Web IDL converts any other value to a USVString, as browsers do.
            let text = ctx.string(&init.to_string()?)?;
            (Body::Bytes(text.to_utf8()?), Some(String::from(TEXT_PLAIN)))
        } else {
            let t = other.get_index(1)?;
            let b = other.get_index(0)?;
            // A Uint8Array from the glue's paths, else a ReadableStream.
            let body = match b.bytes() {
                Some(bytes) => Body::Bytes(bytes.to_vec()),
                None => Body::Stream(Held::new(b)),
            };
            (
                body,
                if t.is_nullish() {
                    None
                } else {
                    Some(t.to_string()?)
                },
            )
        }
    };
    if let Some(t) = content_type
        && !headers.has("content-type")
    {
        headers.set(String::from("content-type"), t);
    }
    Ok(body)
}

/// What a body is read as.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Json,
    ArrayBuffer,
    Bytes,
    Blob,
    FormData,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Json => "json",
            Kind::ArrayBuffer => "arrayBuffer",
            Kind::Bytes => "bytes",
            Kind::Blob => "blob",
            Kind::FormData => "formData",
        }
    }
}

/// A promise settled with `r` (rejected with the exception on `Err`).
pub fn promise_of<'c>(ctx: &'c Ctx, r: Result<Value<'c>, Thrown>) -> Result<Value<'c>, Thrown> {
    let [promise, resolve, reject] = ctx.promise()?;
    match r {
        Ok(v) => resolve.call(&ctx.undefined(), &[v])?,
        Err(Thrown) => reject.call(&ctx.undefined(), &[ctx.catch()])?,
    };
    Ok(promise)
}

/// The `content-type` of the `Headers` of `this`, or null.
fn content_type<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Value<'c>, Thrown> {
    let headers = read_message(ctx, this, what, |_, h| h.get(ctx))?;
    match super::headers::class(ctx)?
        .with(&headers, |l| l.get("content-type"))
        .flatten()
    {
        Some(t) => ctx.string(&t),
        None => Ok(ctx.null()),
    }
}

/// Text of UTF-8 `bytes`: malformed sequences replaced, a BOM dropped.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match core::str::from_utf8(bytes) {
        Ok(s) => String::from(s),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// "Consume body" (§5.3) of `this` as `kind`.
fn consume<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    kind: Kind,
    what: &str,
) -> Result<Value<'c>, Thrown> {
    // A null body can be read any number of times (as empty).
    let bytes = match take_state(ctx, this, what)? {
        Body::Stream(s) => {
            let kind = ctx.string(kind.name())?;
            let t = content_type(ctx, this, what)?;
            return call_internal(ctx, c"consumeBody", &[s.get(ctx), kind, t]);
        }
        Body::Bytes(b) => b,
        Body::Null | Body::Used => Vec::new(),
    };
    match kind {
        Kind::Text => ctx.string(&decode_text(&bytes)),
        Kind::Json => ctx.parse_json(&decode_text(&bytes)),
        Kind::Bytes => ctx.uint8_array(&bytes),
        Kind::ArrayBuffer => ctx.array_buffer(&bytes),
        Kind::Blob | Kind::FormData => {
            let source = ctx.uint8_array(&bytes)?;
            let kind = ctx.string(kind.name())?;
            let t = content_type(ctx, this, what)?;
            call_internal(ctx, c"consumeBody", &[source, kind, t])
        }
    }
}

/// `text()`.
pub fn text<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::Text, "text"))
}

/// `json()`.
pub fn json<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::Json, "json"))
}

/// `arrayBuffer()`.
pub fn array_buffer<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::ArrayBuffer, "arrayBuffer"))
}

/// `bytes()`.
pub fn bytes<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::Bytes, "bytes"))
}

/// `blob()`.
pub fn blob<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::Blob, "blob"))
}

/// `formData()`.
pub fn form_data<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    promise_of(ctx, consume(ctx, &this, Kind::FormData, "formData"))
}

/// The `body` getter: the stream, made from the bytes on first use.
pub fn body<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    match peek(ctx, &this, "body")? {
        Peek::Bytes => {
            let bytes = match set_body(ctx, &this, "body", Body::Used)? {
                Body::Bytes(b) => b,
                _ => Vec::new(),
            };
            let stream = call_internal(ctx, c"streamFromBytes", &[ctx.uint8_array(&bytes)?])?;
            drop(set_body(
                ctx,
                &this,
                "body",
                Body::Stream(Held::new(stream.clone())),
            )?);
            Ok(stream)
        }
        Peek::Stream(s) => Ok(s),
        Peek::Null | Peek::Used => Ok(ctx.null()),
    }
}

/// The `bodyUsed` getter.
pub fn body_used<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let p = peek(ctx, &this, "bodyUsed")?;
    Ok(ctx.bool(is_used(ctx, &p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_a_bom_and_replaces_bad_sequences() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFhi"), "hi");
        assert_eq!(
            decode_text(b"\xEF\xBB\xBF\xEF\xBB\xBFhi"),
            "\u{feff}hi",
            "only one BOM"
        );
        assert_eq!(decode_text(b"a\xF0\x9F\x98b"), "a\u{FFFD}b");
        assert_eq!(decode_text(b""), "");
    }
}
