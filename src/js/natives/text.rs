//! Natives of the Encoding Standard and of HTML's base64 functions, for
//! `src/js/glue/text.js` (`TextDecoder`, `atob`, `btoa`) and the byte helpers of
//! `encoding.js`:
//!
//! * `decode(pending, bytes, fatal, stream)` → `[string, pending]`: UTF-8 decode
//!   (WHATWG Encoding §8.1.1, replacement per maximal subpart, as the spec
//!   requires); with `stream`, an incomplete sequence at the end is held back
//!   and returned as `pending` for the next call. `fatal` makes bad input a
//!   `TypeError`.
//! * `btoa(string)` → base64 string, or `null` if a code point is over U+00FF.
//! * `atob(string)` → the decoded bytes as a one-byte-per-char string, or `null`
//!   if the input is not forgiving-base64 (HTML §8.3, Infra §4.5).
//! * `base64Encode(bytes)` → string; `base64Decode(string, urlSafe)` →
//!   `Uint8Array` or `null` (`urlSafe` also accepts `-` and `_`).

use alloc::string::String;
use alloc::vec::Vec;

use crate::js::engine::{Ctx, Thrown, Value};

/// Creates the natives object of this module.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let natives = ctx.object()?;
    natives.set(c"decode", ctx.function(c"decode", 4, decode)?)?;
    natives.set(c"btoa", ctx.function(c"btoa", 1, btoa)?)?;
    natives.set(c"atob", ctx.function(c"atob", 1, atob)?)?;
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

fn flag(args: &[Value<'_>], i: usize) -> Result<bool, Thrown> {
    match args.get(i) {
        Some(v) if !v.is_nullish() => v.to_f64().map(|n| n != 0.0 && !n.is_nan()),
        _ => Ok(false),
    }
}

fn decode<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let pending = args.first().and_then(|v| v.bytes()).unwrap_or(&[]);
    let Some(bytes) = args.get(1).and_then(|v| v.bytes()) else {
        return Err(ctx.throw_type_error(
            "TextDecoder.decode: expected an ArrayBuffer or an ArrayBufferView",
        ));
    };
    let (fatal, stream) = (flag(args, 2)?, flag(args, 3)?);
    let joined;
    let input = if pending.is_empty() {
        bytes
    } else {
        joined = [pending, bytes].concat();
        &joined[..]
    };
    let (text, keep) = decode_utf8(input, fatal, stream).map_err(|Malformed| {
        ctx.throw_type_error("TextDecoder.decode: the input is not valid UTF-8 (fatal is set)")
    })?;
    let out = ctx.array()?;
    out.set_index(0, ctx.string(&text)?)?;
    if keep > 0 {
        out.set_index(1, ctx.uint8_array(&input[input.len() - keep..])?)?;
    }
    Ok(out)
}

fn btoa<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = match args.first() {
        Some(v) => v.to_string()?,
        None => String::new(),
    };
    let mut latin1 = Vec::with_capacity(s.len());
    for c in s.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => latin1.push(b),
            Err(_) => return Ok(ctx.null()),
        }
    }
    ctx.string(&base64_encode(&latin1))
}

fn atob<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = match args.first() {
        Some(v) => v.to_string()?,
        None => String::new(),
    };
    match forgiving_base64_decode(s.as_bytes(), false) {
        Some(bytes) => ctx.latin1_string(&bytes),
        None => Ok(ctx.null()),
    }
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
    match forgiving_base64_decode(s.as_bytes(), flag(args, 1)?) {
        Some(bytes) => ctx.uint8_array(&bytes),
        None => Ok(ctx.null()),
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
