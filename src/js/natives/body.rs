//! The Body mixin (Fetch §5.3) of the native `Request` and `Response`.
//!
//! A body is held as bytes (a `Uint8Array` in the engine's heap), as a
//! `ReadableStream`, or is null. Bytes become a stream only when `body` is
//! read, so the common path (`text()`, `json()`, `arrayBuffer()`,
//! `bytes()`) never loads the streams glue. The rare paths are lazy JS in
//! `src/js/glue/body.js`: bodies made from URLSearchParams, Blob, FormData,
//! streams and other BufferSources (`internal.extractBody`), and reading a
//! stream, a Blob or a FormData (`internal.consumeBody`).
//!
//! Departure: `arrayBuffer()`/`bytes()` hand out the stored bytes without a
//! copy (the body is consumed by then and was copied on the way in, or came
//! from the Rust side), saving a copy per read on the boards.

use alloc::string::String;
use alloc::vec::Vec;

use super::headers::HeaderList;
use super::request::RequestData;
use super::response::ResponseData;
use crate::js::class::{Held, Native, NativeClass};
use crate::js::engine::{Ctx, Thrown, Value};

/// The state of a body.
pub enum Body {
    /// No body: reads give empty bytes, any number of times.
    Null,
    /// Bytes not read yet (a `Uint8Array`).
    Bytes(Held),
    /// A `ReadableStream` (used once disturbed).
    Stream(Held),
    /// Read or taken.
    Used,
}

impl Body {
    /// Marks the held value for the collector.
    pub fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        if let Body::Bytes(h) | Body::Stream(h) = self {
            mark(h);
        }
    }

    /// A body of `bytes` (a `Uint8Array`) or null.
    pub fn of(bytes: Option<Value<'_>>) -> Body {
        match bytes {
            Some(b) => Body::Bytes(Held::new(b)),
            None => Body::Null,
        }
    }
}

/// What a class with a body gives the body natives.
pub trait HasBody: Native {
    /// Its body.
    fn body(&self) -> &Body;
    /// Its body, to change.
    fn body_mut(&mut self) -> &mut Body;
    /// Its `Headers` object.
    fn headers(&self) -> &Held;
}

/// A body's state as JS values (taken without keeping a borrow).
pub enum Peek<'c> {
    /// No body.
    Null,
    /// Bytes.
    Bytes(Value<'c>),
    /// A stream.
    Stream(Value<'c>),
    /// Read or taken.
    Used,
}

impl<'c> Peek<'c> {
    /// The bytes or stream, or null.
    pub fn value(self, ctx: &'c Ctx) -> Value<'c> {
        match self {
            Peek::Bytes(v) | Peek::Stream(v) => v,
            Peek::Null | Peek::Used => ctx.null(),
        }
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
        return response.read(ctx, this, what, |d| f(d.body(), d.headers()));
    }
    NativeClass::<RequestData>::of(ctx)?.read(ctx, this, what, |d| f(d.body(), d.headers()))
}

/// The state of the body of `this`.
pub fn peek<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Peek<'c>, Thrown> {
    read_message(ctx, this, what, |body, _| match body {
        Body::Null => Peek::Null,
        Body::Bytes(b) => Peek::Bytes(b.get(ctx)),
        Body::Stream(s) => Peek::Stream(s.get(ctx)),
        Body::Used => Peek::Used,
    })
}

fn set_body(ctx: &Ctx, this: &Value<'_>, what: &str, body: Body) -> Result<(), Thrown> {
    let response = NativeClass::<ResponseData>::of(ctx)?;
    // The old state is dropped after the borrow ends.
    let old = if response.is(this) {
        response.update(ctx, this, what, |d| core::mem::replace(d.body_mut(), body))?
    } else {
        NativeClass::<RequestData>::of(ctx)?
            .update(ctx, this, what, |d| core::mem::replace(d.body_mut(), body))?
    };
    drop(old);
    Ok(())
}

/// `bodyUsed` of a body in state `peek`.
pub fn is_used(ctx: &Ctx, peek: &Peek<'_>) -> Result<bool, Thrown> {
    match peek {
        Peek::Used => Ok(true),
        Peek::Stream(s) => {
            Ok(call_internal(ctx, c"streamDisturbed", core::slice::from_ref(s))?.to_bool())
        }
        Peek::Null | Peek::Bytes(_) => Ok(false),
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

/// Takes the body (bytes, stream or null) and marks it used; TypeError if
/// it was used.
pub fn take<'c>(ctx: &'c Ctx, this: &Value<'c>, what: &str) -> Result<Value<'c>, Thrown> {
    let p = peek(ctx, this, what)?;
    check(ctx, &p)?;
    set_body(ctx, this, what, Body::Used)?;
    Ok(p.value(ctx))
}

/// The body (bytes, stream or null) without consuming it; TypeError if it
/// was used.
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
        Peek::Bytes(b) => {
            let copy = ctx.uint8_array(b.bytes().unwrap_or(&[]))?;
            Ok(Body::Bytes(Held::new(copy)))
        }
        Peek::Stream(s) => {
            let pair = s.call_method(c"tee", &[])?;
            let (mine, theirs) = (pair.get_index(0)?, pair.get_index(1)?);
            set_body(ctx, this, what, Body::Stream(Held::new(mine)))?;
            Ok(Body::Stream(Held::new(theirs)))
        }
    }
}

/// UTF-8 of a JS string (a lone surrogate becomes U+FFFD, as in `TextEncoder`).
pub fn utf8_of(v: &Value<'_>) -> Result<Vec<u8>, Thrown> {
    let raw = v.to_wtf8()?;
    Ok(if raw.contains(&0xED) {
        super::wtf8_to_utf8(&raw)
    } else {
        raw
    })
}

const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// "Extract a body" (§5.3) from `init` (not null or undefined): the body,
/// with the content type it implies set on `headers` unless one is set.
pub fn extract(ctx: &Ctx, init: &Value<'_>, headers: &mut HeaderList) -> Result<Body, Thrown> {
    let (body, content_type): (Value<'_>, Option<String>) = if init.is_string() {
        (
            ctx.uint8_array(&utf8_of(init)?)?,
            Some(String::from(TEXT_PLAIN)),
        )
    } else if let Some(bytes) = init.bytes() {
        // Copied: later writes to the source must not show.
        (ctx.uint8_array(bytes)?, None)
    } else {
        let other = if init.is_object() {
            call_internal(ctx, c"extractBody", core::slice::from_ref(init))?
        } else {
            ctx.null()
        };
        if other.is_nullish() {
            // Web IDL converts any other value to a USVString, as browsers do.
            let text = ctx.string(&init.to_string()?)?;
            (
                ctx.uint8_array(&utf8_of(&text)?)?,
                Some(String::from(TEXT_PLAIN)),
            )
        } else {
            let t = other.get_index(1)?;
            (
                other.get_index(0)?,
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
    // A Uint8Array from any of the paths above, else a ReadableStream.
    Ok(if body.bytes().is_some() {
        Body::Bytes(Held::new(body))
    } else {
        Body::Stream(Held::new(body))
    })
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
    let p = peek_checked(ctx, this, what)?;
    let bytes = match p {
        Peek::Stream(s) => {
            let kind = ctx.string(kind.name())?;
            let t = content_type(ctx, this, what)?;
            return call_internal(ctx, c"consumeBody", &[s, kind, t]);
        }
        // A null body can be read any number of times (as empty).
        Peek::Null | Peek::Used => None,
        Peek::Bytes(b) => {
            set_body(ctx, this, what, Body::Used)?;
            Some(b)
        }
    };
    match kind {
        Kind::Text => ctx.string(&decode_text(
            bytes.as_ref().and_then(|b| b.bytes()).unwrap_or(&[]),
        )),
        Kind::Json => ctx.parse_json(&decode_text(
            bytes.as_ref().and_then(|b| b.bytes()).unwrap_or(&[]),
        )),
        Kind::Bytes => match bytes {
            Some(b) => Ok(b),
            None => ctx.uint8_array(&[]),
        },
        Kind::ArrayBuffer => match bytes {
            Some(b) => {
                let buffer = b.get(c"buffer")?;
                let whole = b.get(c"byteOffset")?.to_f64()? == 0.0
                    && b.get(c"byteLength")?.to_f64()? == buffer.get(c"byteLength")?.to_f64()?;
                if whole {
                    Ok(buffer)
                } else {
                    ctx.array_buffer(b.bytes().unwrap_or(&[]))
                }
            }
            None => ctx.array_buffer(&[]),
        },
        Kind::Blob | Kind::FormData => {
            let source = match bytes {
                Some(b) => b,
                None => ctx.uint8_array(&[])?,
            };
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
        Peek::Bytes(b) => {
            let stream = call_internal(ctx, c"streamFromBytes", &[b])?;
            set_body(ctx, &this, "body", Body::Stream(Held::new(stream.clone())))?;
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
