//! HTTP/1.1 request heads: parses the request line and header section (RFC 9112
//! §2–§3, §5) with `httparse`, then derives the message-body framing (RFC 9112
//! §6.1–§6.3), connection persistence (RFC 9112 §9.3, RFC 9110 §7.6.1) and the
//! `100-continue` expectation (RFC 9110 §10.1.1) into an owned [`RequestHead`].
//!
//! Panic contract: [`parse_head`] never panics, whatever the bytes and limits: it
//! only reads through `get`, iterators and checked arithmetic, and every rejection is
//! a [`RequestError`] that maps to exactly one status code. Memory is bounded by
//! the caller's [`Limits`]: the head is rejected before it grows past them, and the
//! header array lives on the stack ([`MAX_HEADERS`] entries).
//!
//! Deliberate choices where the RFCs leave room:
//! * bare LF is accepted as a line terminator in the head (RFC 9112 §2.2, as
//!   httparse does); leading empty lines before the request line are skipped;
//! * a version that looks like `HTTP/<digit>[.<digit>]` but is not 1.0 or 1.1
//!   (including the HTTP/2 preface) is `505`, anything else in its place is `400`;
//! * `Transfer-Encoding` with both `Content-Length`, in an HTTP/1.0 request, or
//!   naming `chunked` more than once is `400`; any coding but `chunked` is `501`;
//! * a `Content-Length` too large for `usize` is `413`, like any value above
//!   [`Limits::max_body`].

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Most header fields [`parse_head`] can hold; [`Limits::max_headers`] is capped here.
///
/// The array is on the stack: 16 bytes per entry on a 32-bit target (1.6 KiB).
pub const MAX_HEADERS: usize = 100;

/// Size limits for one request; the server fills these from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line in bytes, without its line terminator (else `414`).
    pub max_request_line: usize,
    /// Longest head in bytes: leading empty lines, request line, fields and the
    /// blank line (else `431`).
    pub max_header_bytes: usize,
    /// Most header fields (else `431`); values above [`MAX_HEADERS`] act as it.
    pub max_headers: usize,
    /// Largest body in bytes, by `Content-Length` or decoded chunks (else `413`).
    pub max_body: usize,
}

/// HTTP version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1`.
    Http11,
}

/// How the request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No `Content-Length` or `Transfer-Encoding`: the request has no body.
    None,
    /// `Content-Length: n` (possibly `0`): exactly `n` bytes follow the head.
    Length(usize),
    /// `Transfer-Encoding: chunked`: decode with [`super::chunked::ChunkedDecoder`].
    Chunked,
}

/// A parsed request head (owned: the buffer is reused for the next pipelined request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method as sent (a case-sensitive token), e.g. `GET`.
    pub method: String,
    /// The request-target as sent, e.g. `/echo?a=1`.
    pub target: String,
    /// The protocol version from the request line.
    pub version: Version,
    /// Header fields in order: names as sent, values as raw bytes without
    /// leading or trailing SP/HTAB.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How the body that follows the head is delimited.
    pub framing: BodyFraming,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// `Expect: 100-continue` was sent in an HTTP/1.1 request.
    pub expect_continue: bool,
}

impl RequestHead {
    /// The value of the first header field named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// Why a request could not be accepted; each maps to exactly one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// Syntax or framing error in the request (`400 Bad Request`).
    Malformed,
    /// The request line exceeds [`Limits::max_request_line`] (`414 URI Too Long`).
    UriTooLong,
    /// The head exceeds [`Limits::max_header_bytes`] or [`Limits::max_headers`]
    /// (`431 Request Header Fields Too Large`).
    HeadersTooLarge,
    /// The body exceeds [`Limits::max_body`] (`413 Content Too Large`).
    BodyTooLarge,
    /// A protocol version other than HTTP/1.0 or HTTP/1.1
    /// (`505 HTTP Version Not Supported`).
    VersionNotSupported,
    /// A transfer coding other than `chunked` (`501 Not Implemented`).
    NotImplemented,
}

impl RequestError {
    /// The response status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Malformed => 400,
            RequestError::UriTooLong => 414,
            RequestError::HeadersTooLarge => 431,
            RequestError::BodyTooLarge => 413,
            RequestError::VersionNotSupported => 505,
            RequestError::NotImplemented => 501,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestError::Malformed => "malformed request",
            RequestError::UriTooLong => "request line too long",
            RequestError::HeadersTooLarge => "request header section too large",
            RequestError::BodyTooLarge => "request body too large",
            RequestError::VersionNotSupported => "HTTP version not supported",
            RequestError::NotImplemented => "transfer coding not implemented",
        })
    }
}

/// Whether `v` is `host[:port]` (RFC 9110 §7.2): a name of letters,
/// digits, `-._~`, or a bracketed IPv6 literal, and a port of at most
/// 65535. Anything a URL would read differently (`/`, `?`, `#`, `@`, a
/// space) is refused.
pub fn valid_authority(v: &[u8]) -> bool {
    let (host, port) = match v.first() {
        Some(b'[') => match v.iter().position(|&b| b == b']') {
            Some(end) => (&v[..=end], &v[end + 1..]),
            None => return false,
        },
        _ => match v.iter().position(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, &[][..]),
        },
    };
    let host_ok = match host {
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        _ => {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        }
    };
    let port_ok = match port {
        [] | [b':'] => true,
        [b':', digits @ ..] => {
            digits.len() <= 5
                && digits.iter().all(u8::is_ascii_digit)
                && parse_decimal(digits).is_some_and(|p| p <= 65535)
        }
        _ => false,
    };
    host_ok && port_ok
}

/// Parses one request head from the start of `buf`.
///
/// `Ok(None)`: incomplete, read more. `Ok(Some((head, consumed)))`: head parsed,
/// `consumed` bytes used (body starts at `buf[consumed..]`).
pub fn parse_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, RequestError> {
    // The request line, located by hand so that its limit holds even while the
    // rest of the head is still on its way.
    let line_start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = buf.get(line_start..).unwrap_or_default();
    let line = match rest.iter().position(|&b| b == b'\n') {
        Some(lf) => Some(strip_cr(rest.get(..lf).unwrap_or_default())),
        None => {
            if strip_cr(rest).len() > limits.max_request_line {
                return Err(RequestError::UriTooLong);
            }
            None
        }
    };
    if line.is_some_and(|l| l.len() > limits.max_request_line) {
        return Err(RequestError::UriTooLong);
    }

    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let slots = storage
        .get_mut(..limits.max_headers.min(MAX_HEADERS))
        .unwrap_or_default();
    let mut req = httparse::Request::new(slots);
    let consumed = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > limits.max_header_bytes => {
            return Err(RequestError::HeadersTooLarge);
        }
        Ok(httparse::Status::Complete(n)) => n,
        // Still partial at `max_header_bytes` bytes: the head would exceed it.
        Ok(httparse::Status::Partial) if buf.len() >= limits.max_header_bytes => {
            return Err(RequestError::HeadersTooLarge);
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::HeadersTooLarge),
        Err(httparse::Error::Version) => {
            return classify_version(line.unwrap_or(strip_cr(rest)), line.is_some());
        }
        Err(_) => return Err(RequestError::Malformed),
    };

    let version = match req.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(RequestError::VersionNotSupported),
    };
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Err(RequestError::Malformed);
    };

    let mut hosts = 0usize;
    let mut transfer_encoding = false;
    let mut chunked_count = 0usize;
    let mut unknown_coding = false;
    let mut content_length: Option<&[u8]> = None;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect_continue = false;
    let mut headers = Vec::with_capacity(req.headers.len());

    for h in req.headers.iter() {
        let value = trim_ows(h.value);
        let name = h.name;
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            // The handler's URL is built from it: nothing but an authority.
            if !value.is_empty() && !valid_authority(value) {
                return Err(RequestError::Malformed);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            for coding in list_elements(value) {
                if coding.eq_ignore_ascii_case(b"chunked") {
                    chunked_count += 1;
                } else {
                    unknown_coding = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            for v in list_elements_with_empty(value) {
                if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
                    return Err(RequestError::Malformed);
                }
                let v = strip_leading_zeros(v);
                match content_length {
                    Some(prev) if prev != v => return Err(RequestError::Malformed),
                    _ => content_length = Some(v),
                }
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for opt in list_elements(value) {
                if opt.eq_ignore_ascii_case(b"close") {
                    conn_close = true;
                } else if opt.eq_ignore_ascii_case(b"keep-alive") {
                    conn_keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue |=
                list_elements(value).any(|e| e.eq_ignore_ascii_case(b"100-continue"));
        }
        headers.push((String::from(name), Vec::from(value)));
    }

    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never more than one.
    if hosts > 1 || (version == Version::Http11 && hosts == 0) {
        return Err(RequestError::Malformed);
    }

    // RFC 9112 §6.1 and §6.3.
    let framing = if transfer_encoding {
        if version == Version::Http10 || content_length.is_some() {
            return Err(RequestError::Malformed);
        }
        if unknown_coding {
            return Err(RequestError::NotImplemented);
        }
        if chunked_count != 1 {
            // Empty list, or chunked applied twice.
            return Err(RequestError::Malformed);
        }
        BodyFraming::Chunked
    } else if let Some(digits) = content_length {
        match parse_decimal(digits) {
            Some(n) if n <= limits.max_body => BodyFraming::Length(n),
            _ => return Err(RequestError::BodyTooLarge),
        }
    } else {
        BodyFraming::None
    };

    let keep_alive = match version {
        Version::Http11 => !conn_close,
        Version::Http10 => conn_keep_alive && !conn_close,
    };

    let head = RequestHead {
        method: String::from(method),
        target: String::from(target),
        version,
        headers,
        framing,
        keep_alive,
        expect_continue: expect_continue && version == Version::Http11,
    };
    Ok(Some((head, consumed)))
}

/// Decides between `505`, `400` and "read more" once httparse rejected the version.
///
/// httparse has already accepted the method and target, each followed by a single
/// SP, so the version is whatever follows the second SP of the line.
fn classify_version(
    line: &[u8],
    complete: bool,
) -> Result<Option<(RequestHead, usize)>, RequestError> {
    let Some(token) = line.splitn(3, |&b| b == b' ').nth(2) else {
        return Err(RequestError::Malformed);
    };
    if complete {
        if is_http_version(token) {
            Err(RequestError::VersionNotSupported)
        } else {
            Err(RequestError::Malformed)
        }
    } else if is_http_version_prefix(token) {
        // E.g. `HTTP/2` so far: wait for the end of the line to tell.
        Ok(None)
    } else {
        Err(RequestError::Malformed)
    }
}

/// `HTTP/<digit>` or `HTTP/<digit>.<digit>` (HTTP-name is case-sensitive).
fn is_http_version(token: &[u8]) -> bool {
    match token.strip_prefix(b"HTTP/") {
        Some([major]) => major.is_ascii_digit(),
        Some([major, b'.', minor]) => major.is_ascii_digit() && minor.is_ascii_digit(),
        _ => false,
    }
}

/// `token` could still grow into something [`is_http_version`] accepts.
fn is_http_version_prefix(token: &[u8]) -> bool {
    let name = b"HTTP/";
    if token.len() <= name.len() {
        return name.starts_with(token);
    }
    match token.strip_prefix(name) {
        Some([major, b'.']) => major.is_ascii_digit(),
        Some(_) => is_http_version(token),
        None => false,
    }
}

/// `line` without one trailing CR.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `value` without leading and trailing SP/HTAB (OWS, RFC 9110 §5.6.3).
fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    value.get(start..end).unwrap_or_default()
}

/// Elements of a comma-separated list, trimmed, empty ones included.
fn list_elements_with_empty(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows)
}

/// Non-empty elements of a comma-separated list (RFC 9110 §5.6.1), trimmed.
fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    list_elements_with_empty(value).filter(|e| !e.is_empty())
}

/// `digits` without leading zeros (one `0` stays).
fn strip_leading_zeros(digits: &[u8]) -> &[u8] {
    let first = digits
        .iter()
        .position(|&b| b != b'0')
        .unwrap_or(digits.len().saturating_sub(1));
    digits.get(first..).unwrap_or(digits)
}

/// ASCII decimal digits to a `usize`; `None` on overflow or a non-digit.
fn parse_decimal(digits: &[u8]) -> Option<usize> {
    digits.iter().try_fold(0usize, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(usize::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use alloc::vec;

    const LIMITS: Limits = Limits {
        max_request_line: 256,
        max_header_bytes: 1024,
        max_headers: 16,
        max_body: 1000,
    };

    fn parse(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, RequestError> {
        parse_head(buf, &LIMITS)
    }

    fn parse_ok(buf: &[u8]) -> (RequestHead, usize) {
        match parse(buf) {
            Ok(Some(r)) => r,
            other => panic!("expected a head, got {other:?}"),
        }
    }

    fn parse_err(buf: &[u8]) -> RequestError {
        match parse(buf) {
            Err(e) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn simple_get() {
        let buf = b"GET /echo?a=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
        let (head, consumed) = parse_ok(buf);
        assert_eq!(consumed, buf.len());
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/echo?a=1");
        assert_eq!(head.version, Version::Http11);
        assert_eq!(
            head.headers,
            vec![
                (String::from("Host"), b"example.com".to_vec()),
                (String::from("Accept"), b"*/*".to_vec()),
            ]
        );
        assert_eq!(head.framing, BodyFraming::None);
        assert!(head.keep_alive);
        assert!(!head.expect_continue);
        assert_eq!(head.header("host"), Some(&b"example.com"[..]));
        assert_eq!(head.header("ACCEPT"), Some(&b"*/*"[..]));
        assert_eq!(head.header("missing"), None);
    }

    #[test]
    fn method_is_kept_as_sent() {
        let (head, _) = parse_ok(b"get / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(head.method, "get");
        let (head, _) = parse_ok(b"PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(head.method, "PROPFIND");
    }

    #[test]
    fn header_returns_first_of_repeated() {
        let (head, _) = parse_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
        assert_eq!(head.header("x-a"), Some(&b"1"[..]));
        assert_eq!(head.headers.len(), 3);
    }

    #[test]
    fn host_must_be_an_authority() {
        for good in [
            &b"a"[..],
            b"a.example:8080",
            b"[::1]:80",
            b"10.0.2.15",
            b"x_y~z-1",
            b"h:",
        ] {
            assert!(valid_authority(good), "{}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b"evil.example/pwn?"[..],
            b"a b",
            b"x:99999",
            b"x:8o",
            b"u@h",
            b"h#f",
            b"[::1",
            b"[]",
            b"[::1]x",
            b":80",
        ] {
            assert!(!valid_authority(bad), "{}", String::from_utf8_lossy(bad));
            let mut req = b"GET / HTTP/1.1\r\nHost: ".to_vec();
            req.extend_from_slice(bad);
            req.extend_from_slice(b"\r\n\r\n");
            assert_eq!(
                parse_head(&req, &LIMITS).unwrap_err(),
                RequestError::Malformed
            );
        }
        // HTTP/1.1 allows an empty Host (a target without authority).
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost:\r\n\r\n", &LIMITS).is_ok());
    }

    #[test]
    fn header_values_are_trimmed() {
        let (head, _) = parse_ok(
            b"GET / HTTP/1.1\r\nHost:  \t a:80 \t \r\nX:  \t a b \t \r\nEmpty:\r\nSp:   \r\n\r\n",
        );
        assert_eq!(head.header("host"), Some(&b"a:80"[..]));
        assert_eq!(head.header("x"), Some(&b"a b"[..]));
        assert_eq!(head.header("empty"), Some(&b""[..]));
        assert_eq!(head.header("sp"), Some(&b""[..]));
    }

    #[test]
    fn non_utf8_header_value_is_kept_raw() {
        let (head, _) = parse_ok(b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n");
        assert_eq!(head.header("x"), Some(&b"caf\xe9"[..]));
    }

    #[test]
    fn post_with_content_length() {
        let buf = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        let (head, consumed) = parse_ok(buf);
        assert_eq!(head.method, "POST");
        assert_eq!(head.framing, BodyFraming::Length(5));
        assert_eq!(&buf[consumed..], b"hello");
    }

    #[test]
    fn content_length_zero_and_leading_zeros() {
        let (head, _) = parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(head.framing, BodyFraming::Length(0));
        let (head, _) = parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n");
        assert_eq!(head.framing, BodyFraming::Length(7));
    }

    #[test]
    fn content_length_at_limit_is_accepted() {
        let (head, _) = parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n");
        assert_eq!(head.framing, BodyFraming::Length(1000));
    }

    #[test]
    fn chunked_request() {
        let buf = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        let (head, consumed) = parse_ok(buf);
        assert_eq!(head.framing, BodyFraming::Chunked);
        assert_eq!(&buf[consumed..], b"5\r\nhello\r\n0\r\n\r\n");
        let (head, _) =
            parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  ChUnKeD \r\n\r\n");
        assert_eq!(head.framing, BodyFraming::Chunked);
    }

    #[test]
    fn pipelined_requests() {
        let buf = b"GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n";
        let (first, consumed) = parse_ok(buf);
        assert_eq!(first.target, "/one");
        assert_eq!(consumed, 30);
        assert_eq!(&buf[consumed..consumed + 8], b"GET /two");
        let (second, consumed2) = parse_ok(&buf[consumed..]);
        assert_eq!(second.target, "/two");
        assert_eq!(consumed + consumed2, buf.len());
    }

    #[test]
    fn leading_empty_lines_are_skipped_and_consumed() {
        let buf = b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let (head, consumed) = parse_ok(buf);
        assert_eq!(head.target, "/");
        assert_eq!(&buf[consumed..], b"rest");
        assert_eq!(parse(b"\r\n"), Ok(None));
        assert_eq!(parse(b"\r\n\r"), Ok(None));
        assert_eq!(parse(b""), Ok(None));
    }

    #[test]
    fn bare_lf_line_endings() {
        let (head, consumed) = parse_ok(b"GET / HTTP/1.1\nHost: a\n\nX");
        assert_eq!(head.header("host"), Some(&b"a"[..]));
        assert_eq!(consumed, 24);
    }

    #[test]
    fn incremental_prefixes() {
        let buf = b"POST /upload HTTP/1.1\r\nHost: example\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
        for end in 0..buf.len() {
            assert_eq!(parse(&buf[..end]), Ok(None), "prefix of {end} bytes");
        }
        let (head, consumed) = parse_ok(buf);
        assert_eq!(consumed, buf.len());
        assert_eq!(head.framing, BodyFraming::Length(3));
        assert!(head.expect_continue);
    }

    #[test]
    fn malformed_request_lines() {
        for buf in [
            &b"GET\r\n\r\n"[..],
            b"GET /\r\n\r\n",
            b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
            b"GET / http/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n",
            b"GET / HTTP/11\r\nHost: a\r\n\r\n",
            b"GET / FTP/1.0\r\n",
            b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"\r\r\nGET / HTTP/1.1\r\n",
            b"GET / HTTP/1.1\r\r\n",
        ] {
            let err = parse_err(buf);
            assert_eq!(
                err,
                RequestError::Malformed,
                "{:?}",
                std::string::String::from_utf8_lossy(buf)
            );
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn malformed_detected_before_line_ends() {
        assert_eq!(parse(b"GET / XTTP"), Err(RequestError::Malformed));
        assert_eq!(parse(b"GET / HTTP/x"), Err(RequestError::Malformed));
        assert_eq!(parse(b"GET / HTTP/2.x"), Err(RequestError::Malformed));
    }

    #[test]
    fn bad_header_names_and_values() {
        for buf in [
            &b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\nBad(Name): x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n",
        ] {
            assert_eq!(
                parse(buf),
                Err(RequestError::Malformed),
                "{:?}",
                std::string::String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn uri_too_long_complete_and_incomplete() {
        let limits = Limits {
            max_request_line: 20,
            ..LIMITS
        };
        // "GET /123456789 HTTP/1.1" is 23 bytes.
        let long = b"GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(parse_head(long, &limits), Err(RequestError::UriTooLong));
        assert_eq!(RequestError::UriTooLong.status(), 414);
        // Incomplete, no end of line within 20 bytes.
        assert_eq!(
            parse_head(b"GET /12345678901234567", &limits),
            Err(RequestError::UriTooLong)
        );
        // Exactly 20 bytes without the terminator is fine, even with a pending CR.
        assert_eq!(parse_head(b"GET /123456 HTTP/1.1", &limits), Ok(None));
        assert_eq!(parse_head(b"GET /123456 HTTP/1.1\r", &limits), Ok(None));
        let ok = b"GET /123456 HTTP/1.1\r\nHost: a\r\n\r\n";
        assert!(matches!(parse_head(ok, &limits), Ok(Some(_))));
        // Leading empty lines do not count toward the request line.
        let ok = b"\r\n\r\nGET /123456 HTTP/1.1\r\nHost: a\r\n\r\n";
        assert!(matches!(parse_head(ok, &limits), Ok(Some(_))));
    }

    #[test]
    fn headers_too_large_by_bytes() {
        let limits = Limits {
            max_header_bytes: 40,
            ..LIMITS
        };
        let buf = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n";
        assert_eq!(parse_head(buf, &limits), Err(RequestError::HeadersTooLarge));
        assert_eq!(RequestError::HeadersTooLarge.status(), 431);
        // Incomplete and already at the limit.
        assert_eq!(
            parse_head(&buf[..40], &limits),
            Err(RequestError::HeadersTooLarge)
        );
        assert_eq!(parse_head(&buf[..39], &limits), Ok(None));
        // A head of exactly the limit is accepted.
        let exact = b"GET / HTTP/1.1\r\nHost: a\r\nX-L: 0123456\r\n\r\n";
        assert_eq!(exact.len(), 41);
        let limits = Limits {
            max_header_bytes: 41,
            ..LIMITS
        };
        assert!(matches!(parse_head(exact, &limits), Ok(Some(_))));
        // An endless stream of empty lines is bounded too.
        assert_eq!(
            parse_head(&[b'\n'; 41], &limits),
            Err(RequestError::HeadersTooLarge)
        );
    }

    #[test]
    fn headers_too_large_by_count() {
        let limits = Limits {
            max_headers: 3,
            ..LIMITS
        };
        let three = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
        assert!(matches!(parse_head(three, &limits), Ok(Some(_))));
        let four = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(
            parse_head(four, &limits),
            Err(RequestError::HeadersTooLarge)
        );
        // Detected before the head is complete.
        assert_eq!(
            parse_head(&four[..four.len() - 2], &limits),
            Err(RequestError::HeadersTooLarge)
        );
    }

    #[test]
    fn max_headers_is_capped_at_the_array_size() {
        let limits = Limits {
            max_headers: 1000,
            max_header_bytes: 100_000,
            ..LIMITS
        };
        let mut buf = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for _ in 0..MAX_HEADERS {
            buf.extend_from_slice(b"X: y\r\n");
        }
        buf.extend_from_slice(b"\r\n");
        assert_eq!(
            parse_head(&buf, &limits),
            Err(RequestError::HeadersTooLarge)
        );
    }

    #[test]
    fn zero_limits_do_not_panic() {
        let zero = Limits {
            max_request_line: 0,
            max_header_bytes: 0,
            max_headers: 0,
            max_body: 0,
        };
        assert_eq!(parse_head(b"", &zero), Err(RequestError::HeadersTooLarge));
        assert_eq!(parse_head(b"G", &zero), Err(RequestError::UriTooLong));
        let lim = Limits {
            max_headers: 0,
            ..LIMITS
        };
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &lim),
            Err(RequestError::HeadersTooLarge)
        );
        let (head, _) = parse_head(b"GET / HTTP/1.0\r\n\r\n", &lim)
            .unwrap()
            .unwrap();
        assert!(head.headers.is_empty());
    }

    #[test]
    fn http2_preface_is_version_not_supported() {
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        assert_eq!(parse(preface), Err(RequestError::VersionNotSupported));
        assert_eq!(RequestError::VersionNotSupported.status(), 505);
        // As soon as the request line is complete.
        assert_eq!(
            parse(&preface[..16]),
            Err(RequestError::VersionNotSupported)
        );
        assert_eq!(parse(&preface[..15]), Ok(None));
        assert_eq!(parse(&preface[..14]), Ok(None));
    }

    #[test]
    fn other_versions_are_not_supported() {
        for buf in [
            &b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"[..],
            b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
            b"GET / HTTP/3\r\nHost: a\r\n\r\n",
            b"GET / HTTP/0.9\r\n",
            b"GET / HTTP/9.9\r\nHost: a",
        ] {
            assert_eq!(
                parse(buf),
                Err(RequestError::VersionNotSupported),
                "{:?}",
                std::string::String::from_utf8_lossy(buf)
            );
        }
        // Waits for the line to end before telling `HTTP/3` from `HTTP/3x`.
        assert_eq!(parse(b"GET / HTTP/3"), Ok(None));
        assert_eq!(parse(b"GET / HTTP/3x\r\n"), Err(RequestError::Malformed));
        assert_eq!(parse(b"GET / HTTP/2.0 \r\n"), Err(RequestError::Malformed));
    }

    #[test]
    fn http10_request() {
        let (head, _) = parse_ok(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(head.version, Version::Http10);
        assert!(!head.keep_alive);
        assert_eq!(head.framing, BodyFraming::None);
    }

    #[test]
    fn unknown_transfer_coding_is_not_implemented() {
        let err = parse_err(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!(err, RequestError::NotImplemented);
        assert_eq!(err.status(), 501);
        for te in [
            &b"gzip, chunked"[..],
            b"chunked, gzip",
            b"identity",
            b"chunked;x=1",
        ] {
            let mut buf = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ".to_vec();
            buf.extend_from_slice(te);
            buf.extend_from_slice(b"\r\n\r\n");
            assert_eq!(parse(&buf), Err(RequestError::NotImplemented));
        }
        // Split over two fields: the list is the concatenation.
        let buf = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse(buf), Err(RequestError::NotImplemented));
    }

    #[test]
    fn bad_transfer_encoding_lists() {
        for buf in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n",
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(parse(buf), Err(RequestError::Malformed));
        }
        // ", chunked ," is a list with one element.
        let (head, _) =
            parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n");
        assert_eq!(head.framing, BodyFraming::Chunked);
    }

    #[test]
    fn transfer_encoding_with_content_length_is_malformed() {
        for buf in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n",
        ] {
            assert_eq!(parse(buf), Err(RequestError::Malformed));
        }
    }

    #[test]
    fn content_length_values() {
        // Identical values, repeated or in a list, are one value.
        for buf in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,05\r\n\r\n",
        ] {
            assert_eq!(parse_ok(buf).0.framing, BodyFraming::Length(5));
        }
        // Conflicting or non-numeric values are malformed.
        for buf in [
            &b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999, 1\r\n\r\n",
        ] {
            assert_eq!(
                parse(buf),
                Err(RequestError::Malformed),
                "{:?}",
                std::string::String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn content_length_too_large() {
        let err = parse_err(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n");
        assert_eq!(err, RequestError::BodyTooLarge);
        assert_eq!(err.status(), 413);
        // Overflowing usize is also too large.
        let err = parse_err(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999999999999999\r\n\r\n",
        );
        assert_eq!(err, RequestError::BodyTooLarge);
    }

    #[test]
    fn host_rules() {
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\n\r\n"),
            Err(RequestError::Malformed)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Err(RequestError::Malformed)
        );
        assert_eq!(
            parse(b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"),
            Err(RequestError::Malformed)
        );
        // HTTP/1.0 may omit Host; an empty Host is allowed (RFC 9112 §3.2).
        assert!(
            parse_ok(b"GET / HTTP/1.0\r\n\r\n")
                .0
                .header("host")
                .is_none()
        );
        assert_eq!(
            parse_ok(b"GET / HTTP/1.1\r\nHost:\r\n\r\n")
                .0
                .header("host"),
            Some(&b""[..])
        );
    }

    #[test]
    fn keep_alive_semantics() {
        let cases: [(&[u8], bool); 10] = [
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
                true,
            ),
            (b"GET / HTTP/1.0\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
            (
                b"GET / HTTP/1.0\r\nConnection: Keep-Alive, foo\r\n\r\n",
                true,
            ),
            (
                b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
                false,
            ),
            (b"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", false),
        ];
        for (buf, keep_alive) in cases {
            assert_eq!(
                parse_ok(buf).0.keep_alive,
                keep_alive,
                "{:?}",
                std::string::String::from_utf8_lossy(buf)
            );
        }
    }

    #[test]
    fn expect_continue() {
        let (head, _) = parse_ok(
            b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        );
        assert!(head.expect_continue);
        let (head, _) = parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n");
        assert!(head.expect_continue);
        let (head, _) = parse_ok(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n");
        assert!(!head.expect_continue);
        // RFC 9110 §10.1.1: ignored in HTTP/1.0.
        let (head, _) = parse_ok(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
        assert!(!head.expect_continue);
    }

    #[test]
    fn error_display_and_status() {
        let all = [
            (RequestError::Malformed, 400),
            (RequestError::UriTooLong, 414),
            (RequestError::HeadersTooLarge, 431),
            (RequestError::BodyTooLarge, 413),
            (RequestError::VersionNotSupported, 505),
            (RequestError::NotImplemented, 501),
        ];
        for (err, status) in all {
            assert_eq!(err.status(), status);
            assert!(!std::format!("{err}").is_empty());
        }
        assert_eq!(
            std::format!("{}", RequestError::Malformed),
            "malformed request"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(trim_ows(b" \t x y \t"), b"x y");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
        assert_eq!(strip_leading_zeros(b"000"), b"0");
        assert_eq!(strip_leading_zeros(b"0010"), b"10");
        assert_eq!(
            parse_decimal(b"18446744073709551615"),
            u64::MAX.try_into().ok()
        );
        assert_eq!(parse_decimal(b"99999999999999999999999"), None);
        assert!(is_http_version(b"HTTP/2"));
        assert!(is_http_version(b"HTTP/2.0"));
        assert!(!is_http_version(b"HTTP/2."));
        assert!(!is_http_version(b"HTTP/22"));
        assert!(is_http_version_prefix(b"HT"));
        assert!(is_http_version_prefix(b"HTTP/2."));
        assert!(!is_http_version_prefix(b"HTTP/2.0.1"));
        assert!(!is_http_version_prefix(b"HTTPS"));
    }

    /// Every prefix and every single-byte corruption of a few requests: no panic.
    #[test]
    fn no_panic_on_mutations() {
        let samples: [&[u8]; 3] = [
            b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"\r\nGET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
        ];
        let tiny = Limits {
            max_request_line: 8,
            max_header_bytes: 20,
            max_headers: 1,
            max_body: 2,
        };
        for sample in samples {
            for end in 0..=sample.len() {
                let _ = parse(&sample[..end]);
                let _ = parse_head(&sample[..end], &tiny);
            }
            for i in 0..sample.len() {
                for b in [0u8, b'\r', b'\n', b' ', b':', b',', 0x7f, 0xff, b'H'] {
                    let mut m = sample.to_vec();
                    m[i] = b;
                    let _ = parse(&m);
                    let _ = parse_head(&m, &tiny);
                }
            }
        }
    }
}
