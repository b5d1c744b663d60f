//! The byte paths of `node:buffer` (`Buffer`, in `src/js/glue/buffer.js`):
//! string <-> bytes for the encodings other than UTF-8 (which the core
//! natives already do), and searching bytes.
//!
//! Natives (`internal.natives.load("buffer")`):
//! * `encode(string, encoding)` -> `Uint8Array`
//! * `decode(bytes, encoding)` -> string
//! * `byteLength(string, encoding)` -> number (what `encode` would produce)
//! * `indexOf(haystack, needle, fromIndex, last)` -> index or -1
//!
//! Encodings are Node's names, already normalised by the glue: `hex`,
//! `base64`, `base64url`, `latin1` (`binary`), `ascii`, `utf16le`, `utf8`.
//! Decoding follows Node: hex stops at the first pair that is not hex,
//! base64 (either alphabet) skips characters outside it and stops at `=`.
//! Nothing here panics on JS input; an unknown encoding is a `TypeError`.

use alloc::vec::Vec;

use crate::js::engine::{Ctx, Thrown, Value};

/// The encodings the natives take.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Hex,
    Base64,
    Base64Url,
    Latin1,
    Ascii,
    Utf16Le,
    Utf8,
}

impl Encoding {
    fn parse(name: &str) -> Option<Encoding> {
        Some(match name {
            "hex" => Encoding::Hex,
            "base64" => Encoding::Base64,
            "base64url" => Encoding::Base64Url,
            "latin1" | "binary" => Encoding::Latin1,
            "ascii" => Encoding::Ascii,
            "utf16le" | "ucs2" => Encoding::Utf16Le,
            "utf8" => Encoding::Utf8,
            _ => return None,
        })
    }
}

/// Creates the natives object of `buffer`.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let o = ctx.object()?;
    o.set(c"encode", ctx.function(c"encode", 2, encode)?)?;
    o.set(c"decode", ctx.function(c"decode", 2, decode)?)?;
    o.set(c"byteLength", ctx.function(c"byteLength", 2, byte_length)?)?;
    o.set(c"indexOf", ctx.function(c"indexOf", 4, index_of)?)?;
    Ok(o)
}

fn encoding_arg(ctx: &Ctx, args: &[Value<'_>], i: usize) -> Result<Encoding, Thrown> {
    let name = match args.get(i) {
        Some(v) if v.is_string() => v.to_string()?,
        _ => return Err(ctx.throw_type_error("buffer: the encoding must be a string")),
    };
    Encoding::parse(&name)
        .ok_or_else(|| ctx.throw_type_error(&alloc::format!("Unknown encoding: {name}")))
}

fn string_arg(ctx: &Ctx, args: &[Value<'_>], i: usize) -> Result<Vec<u8>, Thrown> {
    match args.get(i) {
        Some(v) if v.is_string() => v.to_wtf8(),
        _ => Err(ctx.throw_type_error("buffer: expected a string")),
    }
}

fn bytes_arg<'a>(ctx: &Ctx, args: &'a [Value<'_>], i: usize) -> Result<&'a [u8], Thrown> {
    args.get(i)
        .and_then(|v| v.bytes())
        .ok_or_else(|| ctx.throw_type_error("buffer: expected a Uint8Array"))
}

fn encode<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let text = string_arg(ctx, args, 0)?;
    let bytes = match encoding_arg(ctx, args, 1)? {
        Encoding::Utf8 => super::wtf8_to_utf8(&text),
        Encoding::Hex => hex_decode(&text),
        Encoding::Base64 | Encoding::Base64Url => base64_decode(&text),
        Encoding::Latin1 | Encoding::Ascii => code_units(&text).map(|u| u as u8).collect(),
        Encoding::Utf16Le => code_units(&text).flat_map(u16::to_le_bytes).collect(),
    };
    ctx.uint8_array(&bytes)
}

fn decode<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let bytes = bytes_arg(ctx, args, 0)?;
    match encoding_arg(ctx, args, 1)? {
        Encoding::Utf8 => ctx.string(&alloc::string::String::from_utf8_lossy(bytes)),
        Encoding::Hex => {
            let text = hex_encode(bytes);
            // Hex digits are ASCII.
            ctx.latin1_string(&text)
        }
        Encoding::Base64 => ctx.latin1_string(&base64_encode(bytes, &BASE64, true)),
        Encoding::Base64Url => ctx.latin1_string(&base64_encode(bytes, &BASE64URL, false)),
        Encoding::Latin1 => ctx.latin1_string(bytes),
        Encoding::Ascii => {
            let low: Vec<u8> = bytes.iter().map(|b| b & 0x7F).collect();
            ctx.latin1_string(&low)
        }
        Encoding::Utf16Le => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            ctx.utf16_string(&units)
        }
    }
}

fn byte_length<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let text = string_arg(ctx, args, 0)?;
    let n = match encoding_arg(ctx, args, 1)? {
        // A lone surrogate is 3 bytes in WTF-8 and 3 bytes as U+FFFD.
        Encoding::Utf8 => text.len(),
        Encoding::Hex => hex_decoded_len(&text),
        Encoding::Base64 | Encoding::Base64Url => base64_decoded_len(&text),
        Encoding::Latin1 | Encoding::Ascii => code_units(&text).count(),
        Encoding::Utf16Le => code_units(&text).count() * 2,
    };
    Ok(ctx.number(n as f64))
}

fn index_of<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let haystack = bytes_arg(ctx, args, 0)?;
    let needle = bytes_arg(ctx, args, 1)?;
    let from = args.get(2).map(|v| v.to_f64()).transpose()?.unwrap_or(0.0);
    let last = match args.get(3) {
        Some(v) => v.to_f64()? != 0.0,
        None => false,
    };
    let from = if from.is_nan() { 0.0 } else { from };
    let found = if last {
        let start = from.clamp(-1.0, haystack.len() as f64) as isize;
        if start < 0 {
            None
        } else {
            rfind(haystack, needle, start as usize)
        }
    } else {
        find(
            haystack,
            needle,
            from.clamp(0.0, haystack.len() as f64) as usize,
        )
    };
    Ok(ctx.number(found.map_or(-1.0, |i| i as f64)))
}

/// The first index at or after `from` where `needle` occurs.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(haystack.len()));
    }
    let rest = haystack.get(from..)?;
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= rest.len() {
        // Skip to the next occurrence of the first byte before comparing.
        match rest[i..=rest.len() - needle.len()]
            .iter()
            .position(|&b| b == first)
        {
            Some(p) => i += p,
            None => return None,
        }
        if rest[i..].starts_with(needle) {
            return Some(from + i);
        }
        i += 1;
    }
    None
}

/// The last index at or before `from` where `needle` occurs.
fn rfind(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    let start = from.min(haystack.len() - needle.len());
    (0..=start)
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

/// The UTF-16 code units of QuickJS's WTF-8 text (lone surrogates included).
fn code_units(wtf8: &[u8]) -> impl Iterator<Item = u16> + '_ {
    let mut i = 0;
    let mut low: Option<u16> = None;
    core::iter::from_fn(move || {
        if let Some(u) = low.take() {
            return Some(u);
        }
        let b0 = *wtf8.get(i)? as u32;
        let cont = |k: usize| wtf8.get(i + k).map_or(0, |&b| b as u32 & 0x3F);
        let (cp, len) = match b0 {
            0x00..=0x7F => (b0, 1),
            0xC0..=0xDF => (((b0 & 0x1F) << 6) | cont(1), 2),
            0xE0..=0xEF => (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3),
            0xF0..=0xF7 => (
                ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
                4,
            ),
            _ => (0xFFFD, 1),
        };
        i += len;
        if cp >= 0x10000 {
            let v = cp - 0x10000;
            low = Some(0xDC00 | (v & 0x3FF) as u16);
            Some(0xD800 | ((v >> 10) & 0x3FF) as u16)
        } else {
            Some(cp as u16)
        }
    })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
    out
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Node's hex decoding: pairs of digits up to the first pair that is not one.
fn hex_decode(text: &[u8]) -> Vec<u8> {
    text.chunks_exact(2)
        .map_while(|p| Some((hex_digit(p[0])? << 4) | hex_digit(p[1])?))
        .collect()
}

fn hex_decoded_len(text: &[u8]) -> usize {
    text.len() / 2
}

const BASE64: [u8; 64] = *b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL: [u8; 64] = *b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        let chars = chunk.len() + 1;
        for k in 0..4 {
            if k < chars {
                out.push(alphabet[(v >> (18 - 6 * k)) as usize & 63]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
    out
}

/// The 6-bit value of a base64 character of either alphabet.
fn base64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Node's lenient base64 decoding: both alphabets, other characters skipped,
/// stops at the first `=`; leftover bits are dropped.
fn base64_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text.iter().take_while(|&&c| c != b'=') {
        let Some(v) = base64_value(c) else { continue };
        acc = (acc << 6 | v) & 0xFFFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn base64_decoded_len(text: &[u8]) -> usize {
    let chars = text
        .iter()
        .take_while(|&&c| c != b'=')
        .filter(|&&c| base64_value(c).is_some())
        .count();
    chars * 6 / 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_with_and_without_padding() {
        for (plain, b64, url) in [
            (&b""[..], "", ""),
            (b"f", "Zg==", "Zg"),
            (b"fo", "Zm8=", "Zm8"),
            (b"foo", "Zm9v", "Zm9v"),
            (b"foob", "Zm9vYg==", "Zm9vYg"),
            (b"\xfb\xff", "+/8=", "-_8"),
        ] {
            assert_eq!(base64_encode(plain, &BASE64, true), b64.as_bytes());
            assert_eq!(base64_encode(plain, &BASE64URL, false), url.as_bytes());
            assert_eq!(base64_decode(b64.as_bytes()), plain);
            assert_eq!(base64_decode(url.as_bytes()), plain);
            assert_eq!(base64_decoded_len(b64.as_bytes()), plain.len());
        }
        assert_eq!(
            base64_decode(b"Zm9v\nYmFy"),
            b"foobar",
            "whitespace skipped"
        );
        assert_eq!(base64_decode(b"Zg==Zm9v"), b"f", "stops at padding");
    }

    #[test]
    fn hex_stops_at_the_first_bad_pair() {
        assert_eq!(hex_decode(b"00ffAB"), [0, 255, 0xAB]);
        assert_eq!(hex_decode(b"01zz02"), [1]);
        assert_eq!(hex_decode(b"abc"), [0xAB]);
        assert_eq!(hex_encode(&[0, 15, 255]), b"000fff");
    }

    #[test]
    fn code_units_split_astral_characters_and_keep_lone_surrogates() {
        let units: Vec<u16> = code_units("a\u{e9}\u{1F600}".as_bytes()).collect();
        assert_eq!(units, [0x61, 0xE9, 0xD83D, 0xDE00]);
        let units: Vec<u16> = code_units(b"\xED\xA0\x80x").collect();
        assert_eq!(units, [0xD800, 0x78]);
        // Truncated input yields something and never panics.
        let _ = code_units(b"\xF0\x9F").count();
    }

    #[test]
    fn find_and_rfind_respect_their_start() {
        let h = b"abcabc";
        assert_eq!(find(h, b"bc", 0), Some(1));
        assert_eq!(find(h, b"bc", 2), Some(4));
        assert_eq!(find(h, b"bc", 5), None);
        assert_eq!(find(h, b"", 3), Some(3));
        assert_eq!(find(h, b"abcabcd", 0), None);
        assert_eq!(rfind(h, b"bc", 6), Some(4));
        assert_eq!(rfind(h, b"bc", 3), Some(1));
        assert_eq!(rfind(h, b"x", 6), None);
    }
}
