//! The Encoding Standard's `TextEncoder` and `TextDecoder` (§8.1-8.2) and
//! HTML's `atob` and `btoa` (§8.3), native: defined in a context on the
//! first use of one of their names (`natives::LAZY_APIS`). Also the natives
//! object `internal.natives.load("text")` of the glue's byte helpers
//! (`encoding.js`): `base64Encode(bytes)` → string; `base64Decode(string,
//! urlSafe)` → `Uint8Array` or `null` (`urlSafe` also accepts `-` and `_`).
//!
//! Departure: `TextDecoder` knows UTF-8 only; any other label, known to the
//! Encoding Standard or not, is a RangeError (the spec's error for an
//! unknown label), so a caller can tell at construction time.

use alloc::string::String;
use alloc::vec::Vec;

use crate::js::class::{Entry, Native, NativeClass, getter, method, to_string_tag};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::natives_table;

/// Creates the natives object of this module.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let natives = ctx.object()?;
    natives.set(
        c"base64Encode",
        ctx.function(c"base64Encode", 1, base64_encode_native)?,
    )?;
    natives.set(
        c"base64Decode",
        ctx.function(c"base64Decode", 2, base64_decode_native)?,
    )?;
    Ok(natives)
}

/// The input of a UTF-8 decode was not well-formed (with `fatal`).
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// The length of an incomplete (but so far valid) UTF-8 sequence at the end of
/// `bytes`: what a streaming decoder must keep for the next chunk.
pub fn incomplete_tail(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let lead = bytes[n - back];
        let need = match lead {
            0x80..=0xBF => continue,
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        if back >= need {
            return 0;
        }
        // The second byte has a narrower range after some lead bytes.
        let second = match lead {
            0xE0 => 0xA0..=0xBF,
            0xED => 0x80..=0x9F,
            0xF0 => 0x90..=0xBF,
            0xF4 => 0x80..=0x8F,
            _ => 0x80..=0xBF,
        };
        let rest = &bytes[n - back + 1..];
        let ok = rest.first().is_none_or(|b| second.contains(b))
            && rest.iter().skip(1).all(|b| (0x80..=0xBF).contains(b));
        return if ok { back } else { 0 };
    }
    0
}

/// UTF-8 decode of `bytes`; with `stream`, an incomplete final sequence is not
/// decoded and its length is returned as the second value.
pub fn decode_utf8(bytes: &[u8], fatal: bool, stream: bool) -> Result<(String, usize), Malformed> {
    let keep = if stream { incomplete_tail(bytes) } else { 0 };
    let body = &bytes[..bytes.len() - keep];
    if let Ok(s) = core::str::from_utf8(body) {
        return Ok((String::from(s), keep));
    }
    if fatal {
        return Err(Malformed);
    }
    let mut out = String::with_capacity(body.len() + 2);
    for chunk in body.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push('\u{FFFD}');
        }
    }
    Ok((out, keep))
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with padding (RFC 4648 §4).
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let v = (u32::from(group[0]) << 16)
            | (u32::from(*group.get(1).unwrap_or(&0)) << 8)
            | u32::from(*group.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// "forgiving-base64 decode" (Infra §4.5): ASCII whitespace is skipped, padding
/// is optional; `None` for anything else that is not base64. With `url_safe`,
/// `-` and `_` are accepted for `+` and `/` as well.
pub fn forgiving_base64_decode(input: &[u8], url_safe: bool) -> Option<Vec<u8>> {
    let mut data: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' '))
        .collect();
    if data.len().is_multiple_of(4) {
        let pad = data
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
        data.truncate(data.len() - pad);
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in &data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'-' if url_safe => 62,
            b'_' if url_safe => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode_native<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    match args.first().and_then(|v| v.bytes()) {
        Some(bytes) => ctx.string(&base64_encode(bytes)),
        None => Err(ctx.throw_type_error("base64Encode: expected bytes")),
    }
}

fn base64_decode_native<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let s = match args.first() {
        Some(v) => v.to_string()?,
        None => String::new(),
    };
    match forgiving_base64_decode(s.as_bytes(), args.get(1).is_some_and(Value::to_bool)) {
        Some(bytes) => ctx.uint8_array(&bytes),
        None => Ok(ctx.null()),
    }
}

/// The data of a `TextEncoder` (it has none: it always encodes UTF-8).
pub struct Encoder;

impl Native for Encoder {
    const NAME: &'static core::ffi::CStr = c"TextEncoder";
}

/// The data of a `TextDecoder`.
pub struct Decoder {
    fatal: bool,
    ignore_bom: bool,
    /// The bytes of an incomplete sequence held back in stream mode.
    pending: Vec<u8>,
    /// Past the point where a byte order mark may appear.
    started: bool,
}

impl Native for Decoder {
    const NAME: &'static core::ffi::CStr = c"TextDecoder";

    fn heap_bytes(&self) -> usize {
        self.pending.capacity()
    }
}

/// The labels of UTF-8 (Encoding §4.2).
const UTF8_LABELS: [&str; 6] = [
    "unicode-1-1-utf-8",
    "unicode11utf8",
    "unicode20utf8",
    "utf-8",
    "utf8",
    "x-unicode20utf8",
];

natives_table! {
    /// The natives of `TextEncoder`, `TextDecoder`, `atob` and `btoa`.
    struct Fns {
        construct_encoder, encoding, encode, encode_into,
        construct_decoder, fatal, ignore_bom, decode,
    }
}

static ENCODER_PROTO: [Entry; 4] = [
    getter::<Fns>(c"encoding", Fns::encoding),
    method::<Fns>(c"encode", 0, Fns::encode),
    method::<Fns>(c"encodeInto", 2, Fns::encode_into),
    to_string_tag(c"TextEncoder"),
];

static DECODER_PROTO: [Entry; 5] = [
    getter::<Fns>(c"encoding", Fns::encoding),
    getter::<Fns>(c"fatal", Fns::fatal),
    getter::<Fns>(c"ignoreBOM", Fns::ignore_bom),
    method::<Fns>(c"decode", 0, Fns::decode),
    to_string_tag(c"TextDecoder"),
];

fn encoder_class(ctx: &Ctx) -> Result<NativeClass<Encoder>, Thrown> {
    NativeClass::of(ctx)
}

fn decoder_class(ctx: &Ctx) -> Result<NativeClass<Decoder>, Thrown> {
    NativeClass::of(ctx)
}

/// Defines `TextEncoder` and `TextDecoder` on `global` and `internal`, and
/// `atob` and `btoa` on `global`.
pub fn define(ctx: &Ctx, global: &Value<'_>, internal: &Value<'_>) -> Result<(), Thrown> {
    let classes = [
        (
            "TextEncoder",
            encoder_class(ctx)?.define::<Fns>(
                ctx,
                Fns::construct_encoder,
                0,
                &ENCODER_PROTO,
                &[],
            )?,
        ),
        (
            "TextDecoder",
            decoder_class(ctx)?.define::<Fns>(
                ctx,
                Fns::construct_decoder,
                0,
                &DECODER_PROTO,
                &[],
            )?,
        ),
    ];
    super::expose(global, internal, classes)?;
    global.define_value("atob", ctx.function(c"atob", 1, atob)?, false)?;
    global.define_value("btoa", ctx.function(c"btoa", 1, btoa)?, false)
}

fn construct_encoder<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    encoder_class(ctx)?.construct(ctx, &new_target, Encoder)
}

fn encoding<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    if !encoder_class(ctx)?.is(&this) && !decoder_class(ctx)?.is(&this) {
        return Err(ctx.throw_type_error(
            "encoding: 'this' is not a TextEncoder or TextDecoder (illegal invocation)",
        ));
    }
    ctx.string("utf-8")
}

/// Argument 0 as UTF-8 (a USVString: lone surrogates become U+FFFD); a
/// missing or undefined argument is the empty string.
fn utf8_of(args: &[Value<'_>]) -> Result<Vec<u8>, Thrown> {
    match args.first() {
        Some(v) if !v.is_undefined() => v.to_utf8(),
        _ => Ok(Vec::new()),
    }
}

fn encode<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    encoder_class(ctx)?.read(ctx, &this, "TextEncoder.encode", |_| ())?;
    ctx.uint8_array(&utf8_of(args)?)
}

/// Encodes as much of the source as fits in the destination without
/// splitting a character; answers `{ read, written }` (read in UTF-16 code
/// units, written in bytes).
fn encode_into<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    encoder_class(ctx)?.read(ctx, &this, "TextEncoder.encodeInto", |_| ())?;
    let source = match args.first() {
        Some(v) => v.to_usv()?,
        None => ctx.undefined().to_usv()?,
    };
    let Some(destination) = args.get(1).filter(|d| d.is_uint8_array()) else {
        return Err(
            ctx.throw_type_error("TextEncoder.encodeInto: the destination must be a Uint8Array")
        );
    };
    let room = destination.bytes().map_or(0, <[u8]>::len);
    let (mut read, mut written) = (0usize, 0usize);
    for c in source.chars() {
        if written + c.len_utf8() > room {
            break;
        }
        written += c.len_utf8();
        read += c.len_utf16();
    }
    destination.call_method(c"set", &[ctx.uint8_array(&source.as_bytes()[..written])?])?;
    let out = ctx.object()?;
    out.set(c"read", ctx.number(read as f64))?;
    out.set(c"written", ctx.number(written as f64))?;
    Ok(out)
}

/// `dictionary[member]` converted to a boolean (a missing dictionary: false).
fn member_flag(dictionary: Option<&Value<'_>>, member: &core::ffi::CStr) -> Result<bool, Thrown> {
    match dictionary.filter(|d| !d.is_nullish()) {
        Some(d) => Ok(d.get(member)?.to_bool()),
        None => Ok(false),
    }
}

/// Checks that an options argument is a dictionary (undefined, null or an
/// object).
fn dictionary<'v, 'c>(
    ctx: &Ctx,
    v: Option<&'v Value<'c>>,
    what: &str,
) -> Result<Option<&'v Value<'c>>, Thrown> {
    match v {
        Some(d) if !d.is_nullish() && !d.is_object() => {
            Err(ctx.throw_type_error(&alloc::format!("{what}: options must be an object")))
        }
        _ => Ok(v),
    }
}

fn construct_decoder<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let label = match args.first() {
        Some(v) if !v.is_undefined() => v.to_string()?,
        _ => String::from("utf-8"),
    };
    let name = label
        .trim_matches(['\t', '\n', '\x0C', '\r', ' '])
        .to_ascii_lowercase();
    if !UTF8_LABELS.contains(&name.as_str()) {
        return Err(ctx.throw_range_error(&alloc::format!(
            "TextDecoder: the encoding \"{label}\" is not supported (only utf-8 is)"
        )));
    }
    let options = dictionary(ctx, args.get(1), "TextDecoder")?;
    let data = Decoder {
        fatal: member_flag(options, c"fatal")?,
        ignore_bom: member_flag(options, c"ignoreBOM")?,
        pending: Vec::new(),
        started: false,
    };
    decoder_class(ctx)?.construct(ctx, &new_target, data)
}

fn fatal<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    Ok(ctx.bool(decoder_class(ctx)?.read(ctx, &this, "TextDecoder.fatal", |d| d.fatal)?))
}

fn ignore_bom<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    Ok(ctx.bool(decoder_class(ctx)?.read(ctx, &this, "TextDecoder.ignoreBOM", |d| d.ignore_bom)?))
}

/// The bytes of a BufferSource (an `ArrayBuffer` or any view of one,
/// `DataView` included), copied.
fn buffer_source(ctx: &Ctx, v: &Value<'_>) -> Result<Option<Vec<u8>>, Thrown> {
    if let Some(bytes) = v.bytes() {
        return Ok(Some(bytes.to_vec()));
    }
    let is_view = ctx
        .global()
        .get(c"ArrayBuffer")?
        .call_method(c"isView", core::slice::from_ref(v))?
        .to_bool();
    if !is_view {
        return Ok(None);
    }
    let (offset, length) = (
        v.get(c"byteOffset")?.to_f64()? as usize,
        v.get(c"byteLength")?.to_f64()? as usize,
    );
    let buffer = v.get(c"buffer")?;
    Ok(buffer
        .bytes()
        .and_then(|b| b.get(offset..offset.checked_add(length)?))
        .map(<[u8]>::to_vec))
}

fn decode<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let class = decoder_class(ctx)?;
    class.read(ctx, &this, "TextDecoder.decode", |_| ())?;
    let bytes = match args.first().filter(|v| !v.is_undefined()) {
        Some(v) => buffer_source(ctx, v)?.ok_or_else(|| {
            ctx.throw_type_error(
                "TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView",
            )
        })?,
        None => Vec::new(),
    };
    let options = dictionary(ctx, args.get(1), "TextDecoder.decode")?;
    let stream = member_flag(options, c"stream")?;
    // The decoded text can take three bytes per input byte (U+FFFD for
    // each byte that is not UTF-8), beside the input's copy.
    let _room = ctx.reserve(bytes.len().saturating_mul(4))?;
    let decoded = class.update(ctx, &this, "TextDecoder.decode", |d| {
        let mut input = core::mem::take(&mut d.pending);
        input.extend_from_slice(&bytes);
        match decode_utf8(&input, d.fatal, stream) {
            Ok((mut text, keep)) => {
                d.pending = input[input.len() - keep..].to_vec();
                if !d.started && !text.is_empty() {
                    d.started = true;
                    if !d.ignore_bom && text.starts_with('\u{FEFF}') {
                        text.remove(0);
                    }
                }
                if !stream {
                    // The next call starts a new stream.
                    d.started = false;
                }
                Ok(text)
            }
            Err(Malformed) => {
                d.started = false;
                Err(Malformed)
            }
        }
    })?;
    match decoded {
        Ok(text) => ctx.string(&text),
        Err(Malformed) => Err(
            ctx.throw_type_error("TextDecoder.decode: the input is not valid UTF-8 (fatal is set)")
        ),
    }
}

/// Throws the DOMException "InvalidCharacterError" with `message`.
fn invalid_character(ctx: &Ctx, message: &str) -> Thrown {
    let made = super::body::call_internal(
        ctx,
        c"domError",
        &[
            ctx.string(message).unwrap_or_else(|_| ctx.undefined()),
            ctx.string("InvalidCharacterError")
                .unwrap_or_else(|_| ctx.undefined()),
        ],
    );
    match made {
        Ok(e) => ctx.throw(e),
        Err(thrown) => thrown,
    }
}

/// The one string argument of `atob`/`btoa` (`what`), required.
fn string_arg(ctx: &Ctx, args: &[Value<'_>], what: &str) -> Result<String, Thrown> {
    match args.first() {
        Some(v) => v.to_string(),
        None => Err(ctx.throw_type_error(&alloc::format!("{what}: 1 argument required"))),
    }
}

fn btoa<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = string_arg(ctx, args, "btoa")?;
    let mut latin1 = Vec::with_capacity(s.len());
    for c in s.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => latin1.push(b),
            Err(_) => {
                return Err(invalid_character(
                    ctx,
                    "btoa: the string contains characters outside of Latin-1",
                ));
            }
        }
    }
    ctx.string(&base64_encode(&latin1))
}

fn atob<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = string_arg(ctx, args, "atob")?;
    match forgiving_base64_decode(s.as_bytes(), false) {
        Some(bytes) => ctx.latin1_string(&bytes),
        None => Err(invalid_character(
            ctx,
            "atob: the string is not correctly base64-encoded",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_holds_back_only_valid_incomplete_sequences() {
        assert_eq!(incomplete_tail(b"ab"), 0);
        assert_eq!(incomplete_tail(b"a\xC3"), 1);
        assert_eq!(incomplete_tail(b"\xE2\x82"), 2);
        assert_eq!(incomplete_tail(b"\xF0\x9F\x98"), 3);
        assert_eq!(incomplete_tail(b"\xF0\x9F\x98\x80"), 0, "complete");
        assert_eq!(incomplete_tail(b"\xE0\x80"), 0, "E0 80 can never be valid");
        assert_eq!(incomplete_tail(b"\xED\xA0"), 0, "a surrogate");
        assert_eq!(incomplete_tail(b"\xC0"), 0, "not a lead byte");
        assert_eq!(incomplete_tail(b"\x80\x80"), 0);
    }

    #[test]
    fn decode_replaces_maximal_subparts() {
        let d = |b: &[u8]| decode_utf8(b, false, false).unwrap().0;
        assert_eq!(d(b"h\xC3\xA9"), "h\u{e9}");
        assert_eq!(
            d(b"a\xF0\x9F\x98b"),
            "a\u{FFFD}b",
            "one U+FFFD for a truncated sequence"
        );
        assert_eq!(d(b"\xC0\x80"), "\u{FFFD}\u{FFFD}");
        assert_eq!(d(b"\xED\xA0\x80"), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(d(b"\xFF"), "\u{FFFD}");
        assert_eq!(decode_utf8(b"a\xFF", true, false), Err(Malformed));
        assert_eq!(decode_utf8(b"a\xE2\x82", true, true), Ok(("a".into(), 2)));
        assert_eq!(decode_utf8(b"a\xE2\x82", true, false), Err(Malformed));
    }

    #[test]
    fn base64_round_trips_and_forgives_whitespace_and_padding() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        let dec = |s: &str| forgiving_base64_decode(s.as_bytes(), false);
        assert_eq!(dec("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(dec(" Zm9v\nYg ").unwrap(), b"foob");
        assert_eq!(dec("Zg").unwrap(), b"f");
        assert_eq!(dec("Zg==").unwrap(), b"f");
        assert_eq!(dec("Zg="), None, "padding must make a multiple of four");
        assert_eq!(dec("Z"), None);
        assert_eq!(dec("Zm9=v"), None);
        assert_eq!(dec("a-_b"), None);
        assert_eq!(
            forgiving_base64_decode(b"-_-_", true).unwrap(),
            forgiving_base64_decode(b"+/+/", false).unwrap()
        );
    }
}
