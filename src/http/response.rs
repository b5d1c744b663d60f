//! HTTP/1.1 response heads: emits the status line and header section (RFC 9112 §4,
//! §5), with the server owning the framing headers `Content-Length` and
//! `Transfer-Encoding` (RFC 9112 §6, RFC 9110 §8.6), `Connection` (RFC 9112 §9.6)
//! and `Date` (RFC 9110 §6.6.1, IMF-fixdate of RFC 9110 §5.6.7). Also the standard
//! reason phrases (RFC 9110 §15, RFC 6585, RFC 7725) and small server-generated
//! error responses.
//!
//! Handlers cannot inject anything: header names that are not tokens (RFC 9110
//! §5.6.2) and values with control bytes other than HTAB (in particular CR, LF and
//! NUL, RFC 9110 §5.5) are dropped, as is a reason phrase that is not
//! `*( HTAB / SP / VCHAR / obs-text )` (replaced by the standard one).
//!
//! Panic contract: nothing here panics, for any status, strings or time; every
//! function only appends to the caller's `Vec` (allocation failure aside).

use alloc::vec::Vec;

use super::request::Version;

/// The standard reason phrase for a status code (`""` for unknown codes).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        // 306 and 418 are "(Unused)" in RFC 9110 §15.4.7 and §15.5.19.
        _ => "",
    }
}

/// Latest time [`http_date`] can show: 9999-12-31T23:59:59Z (4-digit years only).
const MAX_DATE_SECS: u64 = 253_402_300_799;

/// An IMF-fixdate (RFC 9110 §5.6.7) like `Sun, 06 Nov 1994 08:49:37 GMT`, from seconds
/// since the Unix epoch; times after the year 9999 show 9999-12-31T23:59:59.
pub fn http_date(unix_secs: u64) -> [u8; 29] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let secs = unix_secs.min(MAX_DATE_SECS);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);

    let mut buf = [b' '; 29];
    let mut w = Cursor {
        buf: &mut buf,
        pos: 0,
    };
    // 1970-01-01 was a Thursday.
    w.put(DAYS.get((days % 7) as usize).map_or(b"???", |d| *d));
    w.put(b", ");
    w.two(day);
    w.put(b" ");
    w.put(
        MONTHS
            .get(month.wrapping_sub(1) as usize)
            .map_or(b"???", |m| *m),
    );
    w.put(b" ");
    w.two(year / 100);
    w.two(year % 100);
    w.put(b" ");
    w.two(rem / 3600);
    w.put(b":");
    w.two(rem / 60 % 60);
    w.put(b":");
    w.two(rem % 60);
    w.put(b" GMT");
    buf
}

/// Writes into a fixed buffer, dropping whatever does not fit.
struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.pos) {
                *slot = b;
            }
            self.pos += 1;
        }
    }

    /// Two decimal digits of `n % 100`.
    fn two(&mut self, n: u64) {
        let n = n % 100;
        self.put(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
    }
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01, proleptic
/// Gregorian (H. Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// How the response body will be framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// `Content-Length: n`; the caller then sends exactly `n` bytes (none for HEAD
    /// or 304, where the length describes the representation).
    Length(usize),
    /// `Transfer-Encoding: chunked`; the caller sends the body with
    /// [`super::chunked::encode_chunk`] and [`super::chunked::encode_last_chunk`].
    Chunked,
    /// No framing header: for 1xx/204/304 and when no body is allowed. For any
    /// other status the body would run to the connection's close.
    None,
}

/// Writes a status line and headers.
///
/// Adds `Date`, and `Content-Length: n` or `Transfer-Encoding: chunked` per
/// framing, and `Connection: close` when `!keep_alive` (and `Connection:
/// keep-alive` for an HTTP/1.0 client kept alive). Skips any caller header named
/// content-length, transfer-encoding, connection or date (case-insensitive) since
/// the server owns framing, any name that is not a token and any value with CR,
/// LF, NUL or another control byte but HTAB. `reason` empty or invalid means
/// [`reason_phrase`]; a status outside 100..=999 is sent as 500.
///
/// Returns the framing actually written, which differs from `framing` in two
/// cases: 1xx and 204 get `None` (RFC 9110 §8.6), and `Chunked` to an HTTP/1.0
/// client gets `None` with `Connection: close` (RFC 9112 §6.1: it cannot decode
/// chunks), so the caller must send the body raw and close the connection.
#[allow(clippy::too_many_arguments)]
pub fn write_head(
    out: &mut Vec<u8>,
    version: Version,
    status: u16,
    reason: &str,
    headers: &[(alloc::string::String, alloc::string::String)],
    framing: ResponseFraming,
    keep_alive: bool,
    date: &[u8; 29],
) -> ResponseFraming {
    write_head_with(
        out,
        version,
        status,
        reason,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        framing,
        keep_alive,
        date,
    )
}

/// A complete small response for server-generated errors (e.g.
/// 400/408/413/414/431/503/505): plain-text body with the reason phrase,
/// `Connection: close` when `close`.
///
/// 1xx, 204 and 304 get no body. `extra_headers` (e.g. `Retry-After`, `Allow`)
/// are filtered like [`write_head`]'s.
pub fn simple_response(
    out: &mut Vec<u8>,
    status: u16,
    close: bool,
    date: &[u8; 29],
    extra_headers: &[(&str, &str)],
) {
    let status = valid_status(status);
    let phrase = reason_phrase(status);
    let has_body = !no_content(status) && status != 304;
    let headers = extra_headers
        .iter()
        .filter(|(n, _)| !has_body || !n.eq_ignore_ascii_case("content-type"))
        .map(|(n, v)| (*n, *v));
    let status_digits = decimal(usize::from(status));
    let body: &[u8] = match phrase {
        "" => status_digits.as_bytes(),
        p => p.as_bytes(),
    };
    if has_body {
        let content_type = [("Content-Type", "text/plain; charset=utf-8")];
        write_head_with(
            out,
            Version::Http11,
            status,
            "",
            content_type.into_iter().chain(headers),
            ResponseFraming::Length(body.len() + 1),
            !close,
            date,
        );
        out.extend_from_slice(body);
        out.push(b'\n');
    } else {
        write_head_with(
            out,
            Version::Http11,
            status,
            "",
            headers,
            ResponseFraming::None,
            !close,
            date,
        );
    }
}

/// [`write_head`] over any sequence of header pairs.
#[allow(clippy::too_many_arguments)]
fn write_head_with<'h>(
    out: &mut Vec<u8>,
    version: Version,
    status: u16,
    reason: &str,
    headers: impl Iterator<Item = (&'h str, &'h str)>,
    framing: ResponseFraming,
    keep_alive: bool,
    date: &[u8; 29],
) -> ResponseFraming {
    let status = valid_status(status);
    let reason = if !reason.is_empty() && reason.bytes().all(is_field_byte) {
        reason
    } else {
        reason_phrase(status)
    };
    let informational = status < 200;

    let (framing, keep_alive) = match framing {
        _ if no_content(status) => (ResponseFraming::None, keep_alive),
        ResponseFraming::Chunked if version == Version::Http10 => (ResponseFraming::None, false),
        f => (f, keep_alive),
    };

    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(decimal(usize::from(status)).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\nDate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");

    for (name, value) in headers {
        let value = value.trim_matches([' ', '\t']);
        if name.is_empty()
            || !name.bytes().all(is_tchar)
            || !value.bytes().all(is_field_byte)
            || SERVER_OWNED.iter().any(|s| name.eq_ignore_ascii_case(s))
        {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    match framing {
        ResponseFraming::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(decimal(n).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        ResponseFraming::None => {}
    }
    // An interim response leaves the connection's fate to the final one.
    if !informational {
        if !keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if version == Version::Http10 {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    framing
}

/// Header fields only the server writes.
const SERVER_OWNED: [&str; 4] = ["content-length", "transfer-encoding", "connection", "date"];

/// `status` if it has three digits, else 500 (what a handler's out-of-range
/// status becomes).
pub fn valid_status(status: u16) -> u16 {
    if (100..=999).contains(&status) {
        status
    } else {
        500
    }
}

/// A handler's status if it can end an exchange (200 to 599), else 500:
/// a 1xx is an interim answer, never a final one, and above 599 none is
/// defined (RFC 9110 §15).
pub fn final_status(status: u16) -> u16 {
    if (200..=599).contains(&status) {
        status
    } else {
        500
    }
}

/// 1xx and 204 responses carry neither content nor framing headers (RFC 9110 §8.6).
fn no_content(status: u16) -> bool {
    status < 200 || status == 204
}

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// HTAB, SP, VCHAR or obs-text: a byte allowed in a field value or reason phrase.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Decimal digits of a number, without allocation.
struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

/// `n` in decimal.
fn decimal(n: usize) -> Decimal {
    let mut d = Decimal {
        buf: [b'0'; 20],
        start: 20,
    };
    let mut n = n as u64;
    loop {
        d.start -= 1;
        if let Some(slot) = d.buf.get_mut(d.start) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || d.start == 0 {
            return d;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use alloc::string::String;
    use alloc::vec;

    const DATE: &[u8; 29] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    fn head(
        version: Version,
        status: u16,
        reason: &str,
        headers: &[(&str, &str)],
        framing: ResponseFraming,
        keep_alive: bool,
    ) -> (String, ResponseFraming) {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (String::from(*n), String::from(*v)))
            .collect();
        let mut out = Vec::new();
        let f = write_head(
            &mut out, version, status, reason, &headers, framing, keep_alive, DATE,
        );
        (String::from_utf8(out).unwrap(), f)
    }

    #[test]
    fn http_date_vectors() {
        assert_eq!(&http_date(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&http_date(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&http_date(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&http_date(951_868_799), b"Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(&http_date(951_868_800), b"Wed, 01 Mar 2000 00:00:00 GMT");
        assert_eq!(&http_date(1_709_164_800), b"Thu, 29 Feb 2024 00:00:00 GMT");
        assert_eq!(&http_date(4_107_542_400), b"Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(&http_date(2_147_483_647), b"Tue, 19 Jan 2038 03:14:07 GMT");
        assert_eq!(&http_date(1_735_689_599), b"Tue, 31 Dec 2024 23:59:59 GMT");
        assert_eq!(&http_date(MAX_DATE_SECS), b"Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(&http_date(u64::MAX), b"Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn http_date_is_consistent_day_by_day() {
        // Walks day by day over 1970..2101, checking the calendar by counting.
        let month_len = |y: u64, m: u64| match m {
            2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut y, mut m, mut d) = (1970u64, 1u64, 1u64);
        for days in 0..47_847u64 {
            assert_eq!(civil_from_days(days), (y, m, d));
            d += 1;
            if d > month_len(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
        assert_eq!((y, m, d), (2101, 1, 1));
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(413), "Content Too Large");
        assert_eq!(reason_phrase(422), "Unprocessable Content");
        assert_eq!(reason_phrase(429), "Too Many Requests");
        assert_eq!(reason_phrase(431), "Request Header Fields Too Large");
        assert_eq!(reason_phrase(451), "Unavailable For Legal Reasons");
        assert_eq!(reason_phrase(505), "HTTP Version Not Supported");
        assert_eq!(reason_phrase(306), "");
        assert_eq!(reason_phrase(418), "");
        assert_eq!(reason_phrase(299), "");
        assert_eq!(reason_phrase(0), "");
        // Every RFC 9110 §15 code has one.
        for code in [
            100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308,
            400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
            417, 421, 422, 426, 500, 501, 502, 503, 504, 505,
        ] {
            assert!(!reason_phrase(code).is_empty(), "{code}");
        }
    }

    #[test]
    fn content_length_framing() {
        let (s, f) = head(
            Version::Http11,
            200,
            "",
            &[("Content-Type", "text/plain")],
            ResponseFraming::Length(5),
            true,
        );
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
        );
        assert_eq!(f, ResponseFraming::Length(5));
    }

    #[test]
    fn chunked_framing_and_close() {
        let (s, f) = head(
            Version::Http11,
            201,
            "",
            &[],
            ResponseFraming::Chunked,
            false,
        );
        assert_eq!(
            s,
            "HTTP/1.1 201 Created\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(f, ResponseFraming::Chunked);
    }

    #[test]
    fn http10_keep_alive_and_close() {
        let (s, _) = head(
            Version::Http10,
            200,
            "",
            &[],
            ResponseFraming::Length(0),
            true,
        );
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
        );
        let (s, _) = head(
            Version::Http10,
            200,
            "",
            &[],
            ResponseFraming::Length(0),
            false,
        );
        assert!(s.ends_with("Content-Length: 0\r\nConnection: close\r\n\r\n"));
        assert!(!s.contains("keep-alive"));
    }

    #[test]
    fn chunked_to_http10_falls_back_to_close() {
        let (s, f) = head(
            Version::Http10,
            200,
            "",
            &[],
            ResponseFraming::Chunked,
            true,
        );
        assert_eq!(f, ResponseFraming::None);
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn no_framing_for_1xx_and_204() {
        let (s, f) = head(
            Version::Http11,
            204,
            "",
            &[],
            ResponseFraming::Length(10),
            true,
        );
        assert_eq!(
            s,
            "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        );
        assert_eq!(f, ResponseFraming::None);
        let (s, f) = head(
            Version::Http11,
            100,
            "",
            &[],
            ResponseFraming::Chunked,
            false,
        );
        assert_eq!(
            s,
            "HTTP/1.1 100 Continue\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        );
        assert_eq!(f, ResponseFraming::None);
        // 304 keeps a Content-Length describing the representation.
        let (s, f) = head(
            Version::Http11,
            304,
            "",
            &[],
            ResponseFraming::Length(42),
            true,
        );
        assert!(s.contains("Content-Length: 42\r\n"));
        assert_eq!(f, ResponseFraming::Length(42));
        let (s, f) = head(Version::Http11, 304, "", &[], ResponseFraming::None, true);
        assert_eq!(
            s,
            "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        );
        assert_eq!(f, ResponseFraming::None);
    }

    #[test]
    fn server_owned_headers_are_skipped() {
        let (s, _) = head(
            Version::Http11,
            200,
            "",
            &[
                ("Content-Length", "999"),
                ("transfer-encoding", "chunked"),
                ("CONNECTION", "keep-alive"),
                ("Date", "yesterday"),
                ("X-Ok", "yes"),
            ],
            ResponseFraming::Length(2),
            true,
        );
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Ok: yes\r\nContent-Length: 2\r\n\r\n"
        );
    }

    #[test]
    fn header_injection_is_skipped() {
        let (s, _) = head(
            Version::Http11,
            200,
            "",
            &[
                ("X-A", "1\r\nSet-Cookie: evil=1"),
                ("X-B", "a\nb"),
                ("X-C", "a\rb"),
                ("X-D", "a\0b"),
                ("X-E", "a\x7fb"),
                ("X-F\r\nEvil", "x"),
                ("Bad Name", "x"),
                ("Bad:Name", "x"),
                ("", "empty name"),
                ("X-Unicode-Ä", "x"),
                ("X-Tab", "a\tb"),
                ("X-Trim", "  padded \t"),
                ("X-Utf8", "café"),
                ("X-Empty", ""),
            ],
            ResponseFraming::Length(0),
            true,
        );
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Tab: a\tb\r\nX-Trim: padded\r\nX-Utf8: café\r\nX-Empty: \r\nContent-Length: 0\r\n\r\n"
        );
        assert!(!s.contains("evil"));
        assert!(!s.contains("Evil"));
    }

    #[test]
    fn reason_and_status_handling() {
        let (s, _) = head(
            Version::Http11,
            200,
            "Fine",
            &[],
            ResponseFraming::Length(0),
            true,
        );
        assert!(s.starts_with("HTTP/1.1 200 Fine\r\n"));
        let (s, _) = head(
            Version::Http11,
            200,
            "x\r\nEvil: 1",
            &[],
            ResponseFraming::Length(0),
            true,
        );
        assert!(s.starts_with("HTTP/1.1 200 OK\r\nDate"));
        assert!(!s.contains("Evil"));
        let (s, _) = head(
            Version::Http11,
            299,
            "",
            &[],
            ResponseFraming::Length(0),
            true,
        );
        assert!(s.starts_with("HTTP/1.1 299 \r\n"));
        for bad in [0u16, 99, 1000, u16::MAX] {
            let (s, _) = head(
                Version::Http11,
                bad,
                "",
                &[],
                ResponseFraming::Length(0),
                true,
            );
            assert!(
                s.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
                "{bad}"
            );
        }
        let (s, _) = head(
            Version::Http11,
            999,
            "",
            &[],
            ResponseFraming::Length(0),
            true,
        );
        assert!(s.starts_with("HTTP/1.1 999 \r\n"));
    }

    #[test]
    fn large_content_length() {
        let (s, _) = head(
            Version::Http11,
            200,
            "",
            &[],
            ResponseFraming::Length(usize::MAX),
            true,
        );
        let expected = std::format!("Content-Length: {}\r\n", usize::MAX);
        assert!(s.contains(&expected));
    }

    #[test]
    fn simple_error_responses() {
        let mut out = Vec::new();
        simple_response(&mut out, 413, true, DATE, &[]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 413 Content Too Large\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\nConnection: close\r\n\r\nContent Too Large\n"
        );

        let mut out = Vec::new();
        simple_response(
            &mut out,
            503,
            false,
            DATE,
            &[("Retry-After", "1"), ("Bad\n", "x")],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 503 Service Unavailable\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nContent-Length: 20\r\n\r\nService Unavailable\n"
        );

        // Unknown code: the digits are the body.
        let mut out = Vec::new();
        simple_response(&mut out, 599, true, DATE, &[]);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 599 \r\n"));
        assert!(s.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n599\n"));

        // A caller's Content-Type does not duplicate ours.
        let mut out = Vec::new();
        simple_response(&mut out, 400, true, DATE, &[("content-type", "text/html")]);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.matches("ontent-Type").count(), 1);
        assert!(s.contains("text/plain"));
    }

    #[test]
    fn simple_response_without_body() {
        let mut out = Vec::new();
        simple_response(&mut out, 100, false, DATE, &[]);
        assert_eq!(
            out,
            b"HTTP/1.1 100 Continue\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        );
        let mut out = Vec::new();
        simple_response(&mut out, 304, false, DATE, &[("ETag", "\"x\"")]);
        assert_eq!(
            out,
            b"HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"x\"\r\n\r\n"
        );
    }

    #[test]
    fn decimal_formatting() {
        assert_eq!(decimal(0).as_bytes(), b"0");
        assert_eq!(decimal(7).as_bytes(), b"7");
        assert_eq!(decimal(1234567890).as_bytes(), b"1234567890");
        assert_eq!(
            decimal(usize::MAX).as_bytes(),
            std::format!("{}", usize::MAX).as_bytes()
        );
        let all: Vec<_> = (0..1000usize)
            .map(|n| decimal(n).as_bytes().to_vec())
            .collect();
        assert_eq!(all[42], vec![b'4', b'2']);
    }

    #[test]
    fn a_handlers_status_must_be_final() {
        for ok in [200u16, 204, 304, 418, 599] {
            assert_eq!(final_status(ok), ok);
        }
        for bad in [0u16, 100, 101, 199, 600, 999, u16::MAX] {
            assert_eq!(final_status(bad), 500, "{bad}");
        }
    }
}
