//! Static files: a route that serves a directory of the device's file
//! system ([`crate::config::RouteTarget::Static`]).
//!
//! The connection task serves them itself, streaming each file from the
//! file system in chunks (never through JS, never whole in RAM), with:
//!
//! * `Content-Type` by extension ([`content_type`]);
//! * `ETag` from the file's stamp ([`crate::fs::Stamp`]): strong from the
//!   content hash, weak from the modification time when there is no hash;
//!   `Last-Modified` from the modification time;
//! * conditional requests (RFC 9110 §13): `If-None-Match` (weak comparison,
//!   `*`), else `If-Modified-Since`, answered with `304`; `If-Range`;
//! * single byte ranges (RFC 9110 §14): `206` with `Content-Range`, `416`
//!   with `Content-Range: bytes */LEN` when unsatisfiable; a request for
//!   several ranges gets the whole file (`200`), which the RFC allows;
//! * `HEAD` (the same head as `GET`, no body); other methods `405`;
//! * a directory: `DIR/index.html` when the path ends with `/`, else a
//!   `301` to the path with `/` (so relative links work); no listings.
//!
//! Path traversal cannot leave the directory: the path below the route's
//! prefix is split at `/` first and each segment percent-decoded after, so
//! an encoded slash is refused (`400`), as are `..` (plain or encoded),
//! backslashes, NUL and invalid UTF-8 (`400`); `.` and empty segments are
//! skipped. [`resolve`] does this; it never panics.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::fs::Stamp;

/// Bytes read from the file system per chunk of a response.
pub const CHUNK: usize = 2048;

/// Where a request's path leads inside a static directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The file system path (`dir` + the decoded segments).
    pub path: String,
    /// Whether the request path ended with `/`.
    pub trailing_slash: bool,
}

/// Maps `rest` (the request path below the route's prefix, still
/// percent-encoded, starting with `/` or empty) into `dir`; `Err(400)` for
/// anything that could leave it or is not a valid path.
pub fn resolve(dir: &str, rest: &str) -> Result<Resolved, u16> {
    let mut path = String::from(dir.strip_suffix('/').unwrap_or(dir));
    for raw in rest.split('/') {
        let segment = percent_decode(raw).ok_or(400u16)?;
        let segment = String::from_utf8(segment).map_err(|_| 400u16)?;
        if segment.contains(['/', '\\', '\0']) || segment == ".." {
            return Err(400);
        }
        if segment.is_empty() || segment == "." {
            continue;
        }
        path.push('/');
        path.push_str(&segment);
    }
    if path.is_empty() {
        path.push('/');
    }
    Ok(Resolved {
        path,
        trailing_slash: rest.ends_with('/'),
    })
}

/// `%XX` decoding; `None` for a `%` not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex_digit(*b.get(i + 1)?)?;
            let lo = hex_digit(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The media type for a file name, by its extension (case-insensitive);
/// `application/octet-stream` when unknown.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return "application/octet-stream";
    };
    let mut lower = [0u8; 8];
    if ext.len() > lower.len() {
        return "application/octet-stream";
    }
    for (l, b) in lower.iter_mut().zip(ext.bytes()) {
        *l = b.to_ascii_lowercase();
    }
    let ext = &lower[..ext.len()];
    // A table and a search rather than a `match` on byte strings, which
    // compiles to a chain of comparisons several times the size on Thumb.
    MEDIA_TYPES
        .iter()
        .find(|(e, _)| e.as_bytes() == ext)
        .map_or("application/octet-stream", |(_, t)| t)
}

/// Extensions (lowercase) and their media types.
const MEDIA_TYPES: [(&str, &str); 29] = [
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("wasm", "application/wasm"),
    ("pdf", "application/pdf"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
];

/// The entity tag of a file: strong from its content hash, weak from its
/// modification time; `None` when the stamp has neither.
pub fn etag(stamp: &Stamp, size: u32) -> Option<String> {
    match (stamp.content_hash, stamp.mtime) {
        (Some(h), _) => Some(format!("\"{h:016x}-{size:x}\"")),
        (None, Some(t)) => Some(format!("W/\"{t:x}-{size:x}\"")),
        (None, None) => None,
    }
}

/// The opaque part of an entity tag (without `W/`).
fn opaque(tag: &str) -> &str {
    tag.trim().strip_prefix("W/").unwrap_or(tag.trim())
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison,
/// RFC 9110 §13.1.2).
pub fn none_match(header: &str, etag: Option<&str>) -> bool {
    if header.trim() == "*" {
        return true;
    }
    let Some(etag) = etag else {
        return false;
    };
    header
        .split(',')
        .any(|candidate| opaque(candidate) == opaque(etag))
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// Serve it all (no range, several ranges, or a range not understood).
    Full,
    /// Bytes `first..=last`.
    Partial {
        /// First byte.
        first: u32,
        /// Last byte (inclusive).
        last: u32,
    },
    /// No byte of the range exists: `416`.
    Unsatisfiable,
}

/// Parses a `Range` header (RFC 9110 §14.2) for one byte range.
pub fn parse_range(header: &str, len: u32) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let len = u64::from(len);
    let (first, last) = match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                return RangeRequest::Unsatisfiable;
            }
            (len.saturating_sub(n), len - 1)
        }
        // bytes=A- and bytes=A-B.
        (false, Some(a), b) => {
            if !last.trim().is_empty() && b.is_none() {
                return RangeRequest::Full;
            }
            if b.is_some_and(|b| b < a) {
                return RangeRequest::Full;
            }
            if a >= len {
                return RangeRequest::Unsatisfiable;
            }
            (a, b.unwrap_or(len - 1).min(len - 1))
        }
        _ => return RangeRequest::Full,
    };
    RangeRequest::Partial {
        first: first as u32,
        last: last as u32,
    }
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix
/// seconds; `None` for anything else (RFC 9110 §5.6.7 lets a recipient
/// ignore the obsolete formats in conditional headers).
pub fn parse_http_date(s: &str) -> Option<u64> {
    let b = s.trim().as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u64> {
        let part = core::str::from_utf8(b.get(r)?).ok()?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| m[..] == b[8..11])? as u64 + 1;
    let year = num(12..16)?;
    let (h, m, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if b[16] != b' ' || b[19] != b':' || b[22] != b':' || day == 0 || day > 31 {
        return None;
    }
    if year < 1970 || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a Gregorian date (year >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How a static file request is answered, decided from its head and the
/// file's size and stamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// 200, 206, 304 or 416.
    pub status: u16,
    /// Bytes of the file to send: `first..first + len`.
    pub first: u32,
    /// How many (0 for 304 and 416).
    pub len: u32,
    /// Response headers (framing and `Date` are the server's).
    pub headers: Vec<(String, String)>,
}

/// The request headers that decide a [`Plan`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Conditions<'a> {
    /// `If-None-Match`.
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<&'a str>,
    /// `Range`.
    pub range: Option<&'a str>,
    /// `If-Range`.
    pub if_range: Option<&'a str>,
}

/// Decides the answer for a file at `path` of `size` bytes with `stamp`.
pub fn plan(path: &str, size: u32, stamp: &Stamp, when: &Conditions<'_>) -> Plan {
    let tag = etag(stamp, size);
    let mut validators: Vec<(String, String)> = Vec::new();
    if let Some(t) = &tag {
        validators.push((String::from("etag"), t.clone()));
    }
    let last_modified = stamp
        .mtime
        .map(|t| String::from_utf8_lossy(&super::response::http_date(t)).into_owned());
    if let Some(lm) = &last_modified {
        validators.push((String::from("last-modified"), lm.clone()));
    }
    let not_modified = match (when.if_none_match, when.if_modified_since, stamp.mtime) {
        (Some(inm), _, _) => none_match(inm, tag.as_deref()),
        (None, Some(ims), Some(mtime)) => parse_http_date(ims).is_some_and(|t| mtime <= t),
        _ => false,
    };
    if not_modified {
        return Plan {
            status: 304,
            first: 0,
            len: 0,
            headers: validators,
        };
    }
    let mut headers = validators;
    headers.push((
        String::from("content-type"),
        String::from(content_type(path)),
    ));
    headers.push((String::from("accept-ranges"), String::from("bytes")));
    headers.push((
        String::from("x-content-type-options"),
        String::from("nosniff"),
    ));
    // If-Range: the range applies only to the representation it names, by
    // a strong entity tag or by its exact modification date.
    let range_applies = match when.if_range {
        None => true,
        Some(v) if v.trim_start().starts_with("W/") => false,
        Some(v) if v.trim_start().starts_with('"') => tag
            .as_deref()
            .is_some_and(|t| !t.starts_with("W/") && t == v.trim()),
        Some(v) => last_modified.as_deref() == Some(v.trim()),
    };
    let range = match when.range {
        Some(r) if range_applies => parse_range(r, size),
        _ => RangeRequest::Full,
    };
    match range {
        RangeRequest::Full => Plan {
            status: 200,
            first: 0,
            len: size,
            headers,
        },
        RangeRequest::Partial { first, last } => {
            headers.push((
                String::from("content-range"),
                format!("bytes {first}-{last}/{size}"),
            ));
            Plan {
                status: 206,
                first,
                len: last - first + 1,
                headers,
            }
        }
        RangeRequest::Unsatisfiable => {
            headers.retain(|(n, _)| n != "content-type");
            headers.push((String::from("content-range"), format!("bytes */{size}")));
            Plan {
                status: 416,
                first: 0,
                len: 0,
                headers,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_the_directory_and_refuses_traversal() {
        let ok = |dir, rest| resolve(dir, rest).map(|r| r.path);
        assert_eq!(ok("/www", "/a/b.css"), Ok("/www/a/b.css".into()));
        assert_eq!(ok("/www", ""), Ok("/www".into()));
        assert_eq!(ok("/", "/x"), Ok("/x".into()));
        assert_eq!(ok("/", ""), Ok("/".into()));
        assert_eq!(ok("/www", "//a/./b"), Ok("/www/a/b".into()));
        assert_eq!(ok("/www", "/caf%C3%A9.txt"), Ok("/www/café.txt".into()));
        assert_eq!(ok("/www", "/a%20b"), Ok("/www/a b".into()));
        for bad in [
            "/..",
            "/a/../../etc",
            "/%2e%2e/x",
            "/%2E%2E",
            "/.%2e/x",
            "/a%2f..%2f..%2fx",
            "/a%2Fb",
            "/..%5c..%5cx",
            "/a\\b",
            "/%00",
            "/%zz",
            "/%",
            "/%ff",
        ] {
            assert_eq!(ok("/www", bad), Err(400), "{bad}");
        }
        assert!(resolve("/www", "/d/").unwrap().trailing_slash);
        assert!(!resolve("/www", "").unwrap().trailing_slash);
        assert!(!resolve("/www", "/d").unwrap().trailing_slash);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("/a/index.HTML"), "text/html; charset=utf-8");
        assert_eq!(content_type("app.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/x.png"), "image/png");
        assert_eq!(content_type("/noext"), "application/octet-stream");
        assert_eq!(content_type("/dir.d/file"), "application/octet-stream");
        assert_eq!(content_type("/x.verylongext"), "application/octet-stream");
    }

    #[test]
    fn single_byte_ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-9", 100), Partial { first: 0, last: 9 });
        assert_eq!(
            parse_range("bytes=90-", 100),
            Partial {
                first: 90,
                last: 99
            }
        );
        assert_eq!(
            parse_range("bytes=90-200", 100),
            Partial {
                first: 90,
                last: 99
            }
        );
        assert_eq!(
            parse_range("bytes=-10", 100),
            Partial {
                first: 90,
                last: 99
            }
        );
        assert_eq!(
            parse_range("bytes=-500", 100),
            Partial { first: 0, last: 99 }
        );
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), Full);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse_range("items=0-1", 100), Full);
        assert_eq!(parse_range("bytes=x-1", 100), Full);
        assert_eq!(parse_range("bytes=1-x", 100), Full);
        assert_eq!(parse_range("bytes=99999999999999999999-", 100), Full);
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        let t = 1_700_000_000;
        let s = super::super::response::http_date(t);
        assert_eq!(parse_http_date(core::str::from_utf8(&s).unwrap()), Some(t));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn plans_conditionals_and_ranges() {
        let stamp = Stamp {
            mtime: Some(1_700_000_000),
            content_hash: Some(0xabc),
        };
        let tag = etag(&stamp, 10).unwrap();
        assert_eq!(tag, "\"0000000000000abc-a\"");
        let go = |c: Conditions<'_>| plan("/www/a.txt", 10, &stamp, &c);
        let full = go(Conditions::default());
        assert_eq!((full.status, full.first, full.len), (200, 0, 10));
        let inm = alloc::format!("\"other\", W/{tag}");
        assert_eq!(
            go(Conditions {
                if_none_match: Some(&inm),
                ..Default::default()
            })
            .status,
            304
        );
        assert_eq!(
            go(Conditions {
                if_none_match: Some("*"),
                ..Default::default()
            })
            .status,
            304
        );
        assert_eq!(
            go(Conditions {
                if_none_match: Some("\"x\""),
                ..Default::default()
            })
            .status,
            200
        );
        let later = "Wed, 15 Nov 2023 00:00:00 GMT";
        let earlier = "Mon, 13 Nov 2023 00:00:00 GMT";
        assert_eq!(
            go(Conditions {
                if_modified_since: Some(later),
                ..Default::default()
            })
            .status,
            304
        );
        assert_eq!(
            go(Conditions {
                if_modified_since: Some(earlier),
                ..Default::default()
            })
            .status,
            200
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            go(Conditions {
                if_none_match: Some("\"x\""),
                if_modified_since: Some(later),
                ..Default::default()
            })
            .status,
            200
        );
        let part = go(Conditions {
            range: Some("bytes=2-4"),
            ..Default::default()
        });
        assert_eq!((part.status, part.first, part.len), (206, 2, 3));
        assert!(
            part.headers
                .contains(&("content-range".into(), "bytes 2-4/10".into()))
        );
        let bad = go(Conditions {
            range: Some("bytes=10-"),
            ..Default::default()
        });
        assert_eq!(bad.status, 416);
        assert!(
            bad.headers
                .contains(&("content-range".into(), "bytes */10".into()))
        );
        let stale = go(Conditions {
            range: Some("bytes=2-4"),
            if_range: Some("\"old\""),
            ..Default::default()
        });
        assert_eq!(stale.status, 200);
        let fresh = go(Conditions {
            range: Some("bytes=2-4"),
            if_range: Some(&tag),
            ..Default::default()
        });
        assert_eq!(fresh.status, 206);
        let no_stamp = plan(
            "/f",
            3,
            &Stamp::default(),
            &Conditions {
                if_none_match: Some("\"a\""),
                ..Default::default()
            },
        );
        assert_eq!(no_stamp.status, 200);
        assert!(!no_stamp.headers.iter().any(|(n, _)| n == "etag"));
    }
}
