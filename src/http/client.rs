//! The outgoing HTTP/1.1 client under `fetch()`: `http:` URLs only (no TLS yet).
//!
//! Read RFC 9112 (message syntax: §6.3 says how a response body ends), RFC 9110
//! §15.4 (redirects) and RFC 3986 §5 (resolving a `Location` against the
//! request URL); the redirect rules follow WHATWG Fetch §4.4 "HTTP-redirect
//! fetch" (303 becomes GET, as do 301 and 302 after a POST; the request body
//! and its headers are dropped then; credentials, `authorization`,
//! `proxy-authorization` and `cookie`, are dropped when the redirect leaves
//! the origin, as Node's fetch does: a function's session cookie must not
//! follow a redirect to another host).
//!
//! Layers, each usable alone:
//! * [`Target`]: a parsed `http:` URL (host, port, request target);
//!   [`resolve_location`] resolves a `Location` value against a URL;
//! * [`encode_request`]: the request head and body as bytes;
//! * [`parse_head`] (over `httparse`) and [`BodyDecoder`]: a sans-IO response
//!   parser fed with whatever bytes arrived, for `Content-Length`, chunked
//!   (with [`super::chunked::ChunkedDecoder`]) and close-delimited bodies;
//! * [`fetch`]: the exchange over a [`Connector`] (the db module's transport
//!   with deadlines), following redirects, within one overall time budget.
//!
//! Each exchange uses its own connection (`connection: close`): no pooling.
//! Every size is bounded by [`Limits`]; nothing panics on what a server sends.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::chunked::ChunkedDecoder;
use super::request::RequestError;
use crate::db::{Connector, FillError, RecvBuffer, Transport};
use crate::port::NetError;

/// Most redirects followed before the fetch fails (WHATWG Fetch §4.4 step 7).
pub const MAX_REDIRECTS: u32 = 20;

/// Bounds of one fetch.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest response head (status line and header fields), in bytes.
    pub max_head_bytes: usize,
    /// Most header fields in a response head.
    pub max_headers: usize,
    /// Largest response body, in bytes (decoded from chunked framing).
    pub max_body_bytes: usize,
    /// The whole exchange (connects, redirects, body) must end within this.
    pub timeout_ms: u32,
}

impl Limits {
    /// The device-wide defaults: 16 KiB of head, 100 fields, 1 MiB of body
    /// and 30 s for the whole exchange, so a stuck server never holds an I/O
    /// worker for longer.
    pub const DEFAULT: Limits = Limits {
        max_head_bytes: 16 * 1024,
        max_headers: 100,
        max_body_bytes: 1 << 20,
        timeout_ms: 30_000,
    };
}

/// How a redirect response is handled (the Request's `redirect` member).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectMode {
    /// Follow up to [`MAX_REDIRECTS`] redirects.
    Follow,
    /// A redirect fails the fetch.
    Error,
    /// A redirect response is returned as it is.
    Manual,
}

/// Why a fetch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The URL is not an absolute `http:` URL the client can use.
    InvalidUrl(String),
    /// `https:`: TLS is not available yet.
    TlsUnavailable,
    /// A scheme other than `http:`/`https:` (the scheme, without `:`).
    UnsupportedScheme(String),
    /// A request header name or value cannot be sent.
    InvalidHeader(String),
    /// Connecting to `host:port` failed.
    Connect {
        /// What went wrong.
        error: NetError,
        /// The host as in the URL.
        host: String,
        /// The port connected to.
        port: u16,
    },
    /// Sending the request or reading the response failed.
    Io(NetError),
    /// The whole exchange took longer than [`Limits::timeout_ms`].
    TimedOut(u32),
    /// The server's response does not follow HTTP/1.1 (what is wrong).
    MalformedResponse(&'static str),
    /// The response head is over [`Limits::max_head_bytes`] or
    /// [`Limits::max_headers`].
    HeadTooLarge,
    /// The response body is over [`Limits::max_body_bytes`] (the limit).
    BodyTooLarge(usize),
    /// The connection closed before the whole body arrived.
    TruncatedBody,
    /// A redirect while the mode is [`RedirectMode::Error`].
    RedirectNotAllowed,
    /// More than [`MAX_REDIRECTS`] redirects.
    TooManyRedirects,
    /// A redirect's `Location` cannot be resolved to a URL.
    BadLocation,
    /// Memory for the response ran out.
    OutOfMemory,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::InvalidUrl(u) => {
                write!(f, "invalid URL {u:?}: an absolute http: URL is needed")
            }
            FetchError::TlsUnavailable => f.write_str(
                "https: URLs are not supported yet: this runtime has no TLS; use an http: URL",
            ),
            FetchError::UnsupportedScheme(s) => {
                write!(
                    f,
                    "the {s}: scheme is not supported (only http: URLs can be fetched)"
                )
            }
            FetchError::InvalidHeader(name) => write!(f, "invalid request header {name:?}"),
            FetchError::Connect { error, host, port } => write!(f, "{error} ({host}:{port})"),
            FetchError::Io(e) => write!(f, "{e}"),
            FetchError::TimedOut(ms) => write!(
                f,
                "no complete response within {ms} ms (the device-wide fetch time limit)"
            ),
            FetchError::MalformedResponse(why) => write!(f, "malformed HTTP response: {why}"),
            FetchError::HeadTooLarge => f.write_str("response head too large"),
            FetchError::BodyTooLarge(limit) => {
                write!(f, "response body larger than the limit of {limit} bytes")
            }
            FetchError::TruncatedBody => {
                f.write_str("connection closed before the end of the response body")
            }
            FetchError::RedirectNotAllowed => {
                f.write_str("redirect received while the request's redirect mode is \"error\"")
            }
            FetchError::TooManyRedirects => {
                write!(f, "too many redirects (more than {MAX_REDIRECTS})")
            }
            FetchError::BadLocation => f.write_str("redirect with an invalid Location header"),
            FetchError::OutOfMemory => f.write_str("out of memory for the response"),
        }
    }
}

/// A parsed `http:` URL: where to connect and what to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The host as written (a name or an IPv4 literal).
    pub host: String,
    /// The port (80 when the URL has none).
    pub port: u16,
    /// The request target: path and query, never empty, without the fragment.
    pub path: String,
}

/// The scheme of `url` (before the first `:`), when it has a valid one.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some(scheme)
}

impl Target {
    /// Parses an absolute URL; `https:` is [`FetchError::TlsUnavailable`],
    /// other schemes [`FetchError::UnsupportedScheme`].
    pub fn parse(url: &str) -> Result<Target, FetchError> {
        let invalid = || FetchError::InvalidUrl(String::from(url));
        let scheme = scheme_of(url).ok_or_else(invalid)?;
        if scheme.eq_ignore_ascii_case("https") {
            return Err(FetchError::TlsUnavailable);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(FetchError::UnsupportedScheme(scheme.to_ascii_lowercase()));
        }
        let rest = url[scheme.len() + 1..]
            .strip_prefix("//")
            .ok_or_else(invalid)?;
        let rest = rest.split('#').next().unwrap_or("");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') || authority.starts_with('[') {
            // Credentials are refused by Request already; IPv6 the ports lack.
            return Err(invalid());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, "")) => (h, 80),
            Some((h, p)) => (h, p.parse().map_err(|_| invalid())?),
            None => (authority, 80),
        };
        if host.is_empty() || port == 0 || !host.bytes().all(is_host_byte) {
            return Err(invalid());
        }
        let mut target = String::with_capacity(path.len() + 1);
        if !path.starts_with('/') {
            target.push('/');
        }
        // Bytes that cannot appear in a request-line are percent-encoded.
        for &b in path.as_bytes() {
            if b <= b' ' || b >= 0x7f {
                target.push('%');
                target.push(char::from(HEX[usize::from(b >> 4)]));
                target.push(char::from(HEX[usize::from(b & 15)]));
            } else {
                target.push(char::from(b));
            }
        }
        Ok(Target {
            host: host.to_ascii_lowercase(),
            port,
            path: target,
        })
    }

    /// The `host` header value: the host, and the port unless it is 80.
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            alloc::format!("{}:{}", self.host, self.port)
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'%' | b'~')
}

/// `scheme://authority` of an absolute URL, lowercased (`None` when `url` has no authority).
fn origin_of(url: &str) -> Option<String> {
    let scheme = scheme_of(url)?;
    let rest = url[scheme.len() + 1..].strip_prefix("//")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(alloc::format!("{scheme}://{}", &rest[..end]).to_ascii_lowercase())
}

/// Resolves a `Location` value against the URL that answered with it (RFC 3986
/// §5.2: absolute, `//authority`, absolute-path, query-only and relative
/// references, with dot segments removed). Tabs and newlines are removed and
/// surrounding spaces trimmed first, as the URL parser does.
pub fn resolve_location(base: &str, location: &str) -> Option<String> {
    let cleaned: String = location
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let base = base.split('#').next().unwrap_or("");
    let scheme = scheme_of(base)?;
    let origin = origin_of(base)?;
    let after_origin = &base[origin.len()..];
    let (base_path, base_query) = match after_origin.find('?') {
        Some(i) => after_origin.split_at(i),
        None => (after_origin, ""),
    };
    let base_path = if base_path.is_empty() { "/" } else { base_path };
    if scheme_of(&cleaned).is_some() {
        return Some(cleaned);
    }
    if cleaned.starts_with("//") {
        return Some(alloc::format!("{scheme}:{cleaned}"));
    }
    let (reference, fragment) = match cleaned.find('#') {
        Some(i) => cleaned.split_at(i),
        None => (cleaned.as_str(), ""),
    };
    let (ref_path, ref_query) = match reference.find('?') {
        Some(i) => reference.split_at(i),
        None => (reference, ""),
    };
    let (path, query) = if ref_path.is_empty() {
        (
            String::from(base_path),
            if ref_query.is_empty() {
                base_query
            } else {
                ref_query
            },
        )
    } else if ref_path.starts_with('/') {
        (remove_dot_segments(ref_path), ref_query)
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        (
            remove_dot_segments(&alloc::format!("{dir}{ref_path}")),
            ref_query,
        )
    };
    Some(alloc::format!("{origin}{path}{query}{fragment}"))
}

/// RFC 3986 §5.2.4 on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    // A path ending in `.` or `..` names a directory: it keeps a final `/`.
    let mut ends_in_dir = false;
    for segment in path.split('/').skip(1) {
        ends_in_dir = matches!(segment, "." | "..");
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut result = String::with_capacity(path.len());
    for segment in &out {
        result.push('/');
        result.push_str(segment);
    }
    if ends_in_dir || result.is_empty() {
        result.push('/');
    }
    result
}

/// Header fields the client writes itself; a caller's values for them are
/// dropped (framing and connection handling belong to the client).
const CLIENT_OWNED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
];

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Writes the request head for `method` on `target` with `headers` (names and
/// values as given; CR, LF and NUL are refused) and, after it, `body`.
/// `content-length` is sent for a body, and as 0 for POST and PUT without one
/// (WHATWG Fetch §4.6 step 8.8).
pub fn encode_request(
    method: &str,
    target: &Target,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<(), FetchError> {
    if !is_token(method) {
        return Err(FetchError::InvalidHeader(alloc::format!("method {method}")));
    }
    let start = out.len();
    let mut push = |parts: &[&[u8]]| {
        for p in parts {
            out.extend_from_slice(p);
        }
    };
    push(&[
        method.as_bytes(),
        b" ",
        target.path.as_bytes(),
        b" HTTP/1.1\r\n",
    ]);
    push(&[b"host: ", target.host_header().as_bytes(), b"\r\n"]);
    let mut has_accept = false;
    let mut has_agent = false;
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if !is_token(name) || value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            out.truncate(start);
            return Err(FetchError::InvalidHeader(name.clone()));
        }
        if CLIENT_OWNED.contains(&lower.as_str()) {
            continue;
        }
        has_accept |= lower == "accept";
        has_agent |= lower == "user-agent";
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.trim_matches([' ', '\t']).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !has_accept {
        out.extend_from_slice(b"accept: */*\r\n");
    }
    if !has_agent {
        out.extend_from_slice(b"user-agent: isere\r\n");
    }
    let length = match body {
        Some(b) => Some(b.len()),
        None if method == "POST" || method == "PUT" => Some(0),
        None => None,
    };
    if let Some(n) = length {
        out.extend_from_slice(alloc::format!("content-length: {n}\r\n").as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    if let Some(b) = body {
        out.extend_from_slice(b);
    }
    Ok(())
}

/// A response's status line and header fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code (100-999).
    pub status: u16,
    /// The reason phrase, as sent (Latin-1 bytes).
    pub reason: Vec<u8>,
    /// Header fields in order: lowercase name, value without surrounding
    /// whitespace (Latin-1 bytes).
    pub headers: Vec<(String, Vec<u8>)>,
}

impl ResponseHead {
    /// Values of the fields named `name` (lowercase), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Parses a response head from the start of `buf`: `Ok(None)` while more
/// bytes are needed, else the head and its length in bytes.
pub fn parse_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(ResponseHead, usize)>, FetchError> {
    let mut fields = alloc::vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut response = httparse::Response::new(&mut fields);
    let scanned = &buf[..buf.len().min(limits.max_head_bytes)];
    let parsed = response.parse(scanned);
    match parsed {
        Ok(httparse::Status::Complete(len)) => {
            let status = response.code.unwrap_or(0);
            if !(100..=999).contains(&status) {
                return Err(FetchError::MalformedResponse("status code out of range"));
            }
            let headers = response
                .headers
                .iter()
                .map(|h| {
                    let value = trim_ows(h.value);
                    (h.name.to_ascii_lowercase(), value.to_vec())
                })
                .collect();
            Ok(Some((
                ResponseHead {
                    status,
                    reason: response.reason.unwrap_or("").as_bytes().to_vec(),
                    headers,
                },
                len,
            )))
        }
        Ok(httparse::Status::Partial) if buf.len() >= limits.max_head_bytes => {
            Err(FetchError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(FetchError::HeadTooLarge),
        Err(httparse::Error::Version) => {
            Err(FetchError::MalformedResponse("not an HTTP/1.x response"))
        }
        Err(httparse::Error::Status) => Err(FetchError::MalformedResponse("bad status code")),
        Err(_) => Err(FetchError::MalformedResponse(
            "bad status line or header field",
        )),
    }
}

fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &v[start..end]
}

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body: a HEAD request, or status 1xx, 204 or 304.
    Empty,
    /// `content-length` bytes.
    Length(u64),
    /// `transfer-encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    Close,
}

/// The framing of the body that follows `head`, for a request with `method`.
pub fn framing(method: &str, head: &ResponseHead) -> Result<Framing, FetchError> {
    if method.eq_ignore_ascii_case("HEAD")
        || head.status < 200
        || head.status == 204
        || head.status == 304
    {
        return Ok(Framing::Empty);
    }
    let mut codings = head.values("transfer-encoding").peekable();
    if codings.peek().is_some() {
        // Only the final coding matters for framing (§6.3 rule 4).
        let last = codings
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trim_ows)
            .filter(|c| !c.is_empty())
            .last();
        return match last {
            Some(c) if c.eq_ignore_ascii_case(b"chunked") => {
                if head.values("transfer-encoding").count() == 1
                    && head.values("transfer-encoding").all(|v| {
                        v.split(|&b| b == b',')
                            .map(trim_ows)
                            .all(|c| c.eq_ignore_ascii_case(b"chunked"))
                    })
                {
                    Ok(Framing::Chunked)
                } else {
                    Err(FetchError::MalformedResponse(
                        "transfer codings other than chunked are not supported",
                    ))
                }
            }
            _ => Ok(Framing::Close),
        };
    }
    let mut length: Option<u64> = None;
    for value in head.values("content-length") {
        for part in value.split(|&b| b == b',').map(trim_ows) {
            let n = core::str::from_utf8(part)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(FetchError::MalformedResponse("invalid content-length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(FetchError::MalformedResponse(
                    "conflicting content-length values",
                ));
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::Close, Framing::Length))
}

/// A sans-IO body decoder: feed it the bytes after the head as they arrive.
#[derive(Debug)]
pub struct BodyDecoder {
    framing: Framing,
    remaining: u64,
    chunked: Option<ChunkedDecoder>,
    max_body: usize,
    done: bool,
}

impl BodyDecoder {
    /// A decoder for `framing` accepting at most `max_body` bytes; a
    /// `content-length` over the limit fails at once.
    pub fn new(framing: Framing, max_body: usize) -> Result<BodyDecoder, FetchError> {
        let remaining = match framing {
            Framing::Length(n) if n > max_body as u64 => {
                return Err(FetchError::BodyTooLarge(max_body));
            }
            Framing::Length(n) => n,
            _ => 0,
        };
        Ok(BodyDecoder {
            framing,
            remaining,
            chunked: (framing == Framing::Chunked).then(|| ChunkedDecoder::new(max_body)),
            max_body,
            done: matches!(framing, Framing::Empty | Framing::Length(0)),
        })
    }

    /// Whether the whole body has been decoded.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Decodes bytes of `input` into `out`; returns how many were used (bytes
    /// after the end of the body are left alone).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, FetchError> {
        if self.done {
            return Ok(0);
        }
        match self.framing {
            Framing::Empty => Ok(0),
            Framing::Length(_) => {
                let n = input
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                reserve(out, n)?;
                out.extend_from_slice(&input[..n]);
                self.remaining -= n as u64;
                self.done = self.remaining == 0;
                Ok(n)
            }
            Framing::Close => {
                if out.len().saturating_add(input.len()) > self.max_body {
                    return Err(FetchError::BodyTooLarge(self.max_body));
                }
                reserve(out, input.len())?;
                out.extend_from_slice(input);
                Ok(input.len())
            }
            Framing::Chunked => {
                let decoder = self
                    .chunked
                    .get_or_insert_with(|| ChunkedDecoder::new(self.max_body));
                match decoder.decode(input, out) {
                    Ok((used, done)) => {
                        self.done = done;
                        Ok(used)
                    }
                    Err(RequestError::BodyTooLarge) => Err(FetchError::BodyTooLarge(self.max_body)),
                    Err(_) => Err(FetchError::MalformedResponse("bad chunked framing")),
                }
            }
        }
    }

    /// The server closed the connection: fine for a close-delimited body,
    /// [`FetchError::TruncatedBody`] when more was announced.
    pub fn finish_at_eof(&mut self) -> Result<(), FetchError> {
        if self.done || self.framing == Framing::Close {
            self.done = true;
            Ok(())
        } else {
            Err(FetchError::TruncatedBody)
        }
    }
}

fn reserve(out: &mut Vec<u8>, n: usize) -> Result<(), FetchError> {
    out.try_reserve(n).map_err(|_| FetchError::OutOfMemory)
}

/// What to fetch.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method, normalized (`GET`, `POST`, ... or as given).
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// What a redirect does.
    pub redirect: RedirectMode,
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Response {
    /// The final response's head.
    pub head: ResponseHead,
    /// Its body, decoded from its framing.
    pub body: Vec<u8>,
    /// The URL that gave the final response.
    pub url: String,
    /// Whether a redirect was followed.
    pub redirected: bool,
}

/// Whether `status` is a redirect status (WHATWG Fetch "redirect status").
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Request-body header names dropped with the body on a redirect to GET
/// (WHATWG Fetch §4.4 step 12).
const BODY_HEADERS: &[&str] = &[
    "content-encoding",
    "content-language",
    "content-location",
    "content-type",
];

/// Credential header names dropped when a redirect leaves the origin.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Rewrites `request` to follow a redirect with `status` to `location`
/// (already resolved): 303 becomes GET (HEAD stays), 301 and 302 turn a POST
/// into GET; the body and its headers go when the method changes;
/// credentials go when the origin changes.
pub fn redirect_request(request: &mut Request, status: u16, location: String) {
    let to_get = (status == 303 && request.method != "GET" && request.method != "HEAD")
        || (matches!(status, 301 | 302) && request.method == "POST");
    if to_get {
        request.method = String::from("GET");
        request.body = None;
        request
            .headers
            .retain(|(n, _)| !BODY_HEADERS.iter().any(|b| n.eq_ignore_ascii_case(b)));
    }
    if origin_of(&request.url) != origin_of(&location) {
        request
            .headers
            .retain(|(n, _)| !CREDENTIAL_HEADERS.iter().any(|c| n.eq_ignore_ascii_case(c)));
    }
    request.url = location;
}

/// Bytes read from the connection at a time while receiving a body.
const READ_CHUNK: usize = 2048;

/// Runs `request` over connections from `connector`, following redirects as
/// its mode says, within `limits`. `now_ms` is a monotonic clock: the whole
/// exchange, redirects included, ends within [`Limits::timeout_ms`].
pub fn fetch<C: Connector>(
    connector: &mut C,
    mut request: Request,
    limits: &Limits,
    now_ms: &dyn Fn() -> u64,
) -> Result<Response, FetchError> {
    let deadline = now_ms().saturating_add(u64::from(limits.timeout_ms));
    let left = || -> Result<u32, FetchError> {
        match deadline.saturating_sub(now_ms()) {
            0 => Err(FetchError::TimedOut(limits.timeout_ms)),
            ms => Ok(u32::try_from(ms).unwrap_or(u32::MAX)),
        }
    };
    let timed = |e: NetError| match e {
        NetError::TimedOut => FetchError::TimedOut(limits.timeout_ms),
        e => FetchError::Io(e),
    };
    let mut redirects = 0;
    loop {
        let target = Target::parse(&request.url)?;
        let mut wire = Vec::new();
        encode_request(
            &request.method,
            &target,
            &request.headers,
            request.body.as_deref(),
            &mut wire,
        )?;
        let mut conn = connector
            .connect(&target.host, target.port, left()?)
            .map_err(|error| match error {
                NetError::TimedOut => FetchError::TimedOut(limits.timeout_ms),
                error => FetchError::Connect {
                    error,
                    host: target.host.clone(),
                    port: target.port,
                },
            })?;
        conn.start_deadline(left()?);
        conn.write_all(&wire).map_err(timed)?;
        drop(wire);

        let mut recv = RecvBuffer::new();
        let head = loop {
            match parse_head(recv.pending(), limits)? {
                Some((head, len)) => {
                    recv.consume(len);
                    // 1xx interim responses precede the real one (§15.2).
                    if head.status < 200 && head.status != 101 {
                        continue;
                    }
                    if head.status == 101 {
                        return Err(FetchError::MalformedResponse(
                            "unexpected 101 Switching Protocols",
                        ));
                    }
                    break head;
                }
                None => {
                    let want = recv.pending().len() + 1;
                    match recv.fill(&mut conn, want, limits.max_head_bytes) {
                        Ok(()) => {}
                        Err(FillError::TooLarge) => return Err(FetchError::HeadTooLarge),
                        Err(FillError::Net(NetError::Closed)) => {
                            return Err(FetchError::MalformedResponse(
                                "connection closed before a complete response head",
                            ));
                        }
                        Err(FillError::Net(e)) => return Err(timed(e)),
                    }
                }
            }
        };

        let location = head.values("location").next();
        if let (true, Some(location)) = (
            is_redirect(head.status) && request.redirect != RedirectMode::Manual,
            location,
        ) {
            if request.redirect == RedirectMode::Error {
                return Err(FetchError::RedirectNotAllowed);
            }
            if redirects >= MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects);
            }
            let location = core::str::from_utf8(location).map_err(|_| FetchError::BadLocation)?;
            let next = resolve_location(&request.url, location).ok_or(FetchError::BadLocation)?;
            redirects += 1;
            redirect_request(&mut request, head.status, next);
            continue;
        }

        let mut decoder =
            BodyDecoder::new(framing(&request.method, &head)?, limits.max_body_bytes)?;
        let mut body = Vec::new();
        let used = decoder.feed(recv.pending(), &mut body)?;
        recv.consume(used);
        drop(recv);
        let mut chunk = alloc::vec![0u8; READ_CHUNK];
        while !decoder.is_done() {
            match conn.read(&mut chunk) {
                Ok(0) | Err(NetError::Closed) => decoder.finish_at_eof()?,
                Ok(n) => {
                    decoder.feed(&chunk[..n], &mut body)?;
                }
                Err(e) => return Err(timed(e)),
            }
        }
        return Ok(Response {
            head,
            body,
            url: request.url,
            redirected: redirects > 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::rc::Rc;
    use alloc::string::ToString;
    use core::cell::RefCell;

    const LIMITS: Limits = Limits::DEFAULT;

    fn head(raw: &[u8]) -> ResponseHead {
        parse_head(raw, &LIMITS).unwrap().unwrap().0
    }

    #[test]
    fn urls() {
        let t = Target::parse("http://Example.com:8080/a%20b?q=1#frag").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("example.com", 8080, "/a%20b?q=1")
        );
        assert_eq!(t.host_header(), "example.com:8080");
        let t = Target::parse("http://10.0.2.2?x").unwrap();
        assert_eq!(
            (t.port, t.path.as_str(), t.host_header().as_str()),
            (80, "/?x", "10.0.2.2")
        );
        assert_eq!(Target::parse("http://h/ä b").unwrap().path, "/%C3%A4%20b");
        assert_eq!(Target::parse("https://x/"), Err(FetchError::TlsUnavailable));
        assert_eq!(
            Target::parse("ftp://x/"),
            Err(FetchError::UnsupportedScheme("ftp".to_string()))
        );
        for bad in [
            "http:/x",
            "http://",
            "http://u:p@h/",
            "http://h:99999/",
            "http://[::1]/",
            "/path",
            "http://h:0/",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(FetchError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn locations() {
        let base = "http://h:81/a/b/c?q#f";
        let cases = [
            ("http://other/x", "http://other/x"),
            ("//other:9/y", "http://other:9/y"),
            ("/abs/./p/../q", "http://h:81/abs/q"),
            ("d", "http://h:81/a/b/d"),
            ("../d?z", "http://h:81/a/d?z"),
            ("../../../../d", "http://h:81/d"),
            ("./", "http://h:81/a/b/"),
            ("..", "http://h:81/a/"),
            ("?n", "http://h:81/a/b/c?n"),
            ("#g", "http://h:81/a/b/c?q#g"),
            ("", "http://h:81/a/b/c?q"),
            (" /sp\tace ", "http://h:81/space"),
            ("https://secure/", "https://secure/"),
        ];
        for (loc, want) in cases {
            assert_eq!(resolve_location(base, loc).as_deref(), Some(want), "{loc}");
        }
        assert_eq!(
            resolve_location("http://h", "x").as_deref(),
            Some("http://h/x")
        );
        assert_eq!(resolve_location("not a url", "x"), None);
    }

    #[test]
    fn request_encoding() {
        let t = Target::parse("http://h:8/p?q").unwrap();
        let headers = [
            ("X-One".to_string(), " 1 ".to_string()),
            ("Host".to_string(), "evil".to_string()),
            ("Content-Length".to_string(), "99".to_string()),
        ];
        let mut out = Vec::new();
        encode_request("POST", &t, &headers, Some(b"hi"), &mut out).unwrap();
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "POST /p?q HTTP/1.1\r\nhost: h:8\r\nX-One: 1\r\naccept: */*\r\nuser-agent: isere\r\n\
             content-length: 2\r\nconnection: close\r\n\r\nhi"
        );
        out.clear();
        encode_request("PUT", &t, &[], None, &mut out).unwrap();
        assert!(
            core::str::from_utf8(&out)
                .unwrap()
                .contains("content-length: 0\r\n")
        );
        out.clear();
        encode_request("GET", &t, &[], None, &mut out).unwrap();
        assert!(
            !core::str::from_utf8(&out)
                .unwrap()
                .contains("content-length")
        );
        let evil = [("x".to_string(), "a\r\nInjected: 1".to_string())];
        assert!(matches!(
            encode_request("GET", &t, &evil, None, &mut out),
            Err(FetchError::InvalidHeader(_))
        ));
        assert!(encode_request("G ET", &t, &[], None, &mut out).is_err());
    }

    #[test]
    fn heads() {
        let raw =
            b"HTTP/1.1 404 Not Found\r\nContent-Type:  text/plain \r\nX-A: 1\r\nx-a: 2\r\n\r\nbody";
        let (h, len) = parse_head(raw, &LIMITS).unwrap().unwrap();
        assert_eq!(len, raw.len() - 4);
        assert_eq!(h.status, 404);
        assert_eq!(h.reason, b"Not Found");
        assert_eq!(
            h.values("content-type").collect::<Vec<_>>(),
            [b"text/plain"]
        );
        assert_eq!(h.values("x-a").count(), 2);
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nA: b", &LIMITS), Ok(None));
        assert!(matches!(
            parse_head(b"SSH-2.0-OpenSSH\r\n\r\n", &LIMITS),
            Err(FetchError::MalformedResponse(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 abc OK\r\n\r\n", &LIMITS),
            Err(FetchError::MalformedResponse(_))
        ));
    }

    #[test]
    fn head_limits() {
        let small = Limits {
            max_head_bytes: 32,
            max_headers: 2,
            ..LIMITS
        };
        let long = b"HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert_eq!(parse_head(long, &small), Err(FetchError::HeadTooLarge));
        let many = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        let roomy = Limits {
            max_headers: 2,
            ..LIMITS
        };
        assert_eq!(parse_head(many, &roomy), Err(FetchError::HeadTooLarge));
    }

    #[test]
    fn framings() {
        let h = |raw: &[u8]| head(raw);
        assert_eq!(
            framing("GET", &h(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")),
            Ok(Framing::Length(5))
        );
        assert_eq!(
            framing("HEAD", &h(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")),
            Ok(Framing::Empty)
        );
        assert_eq!(
            framing("GET", &h(b"HTTP/1.1 204 No Content\r\n\r\n")),
            Ok(Framing::Empty)
        );
        assert_eq!(
            framing(
                "GET",
                &h(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n")
            ),
            Ok(Framing::Empty)
        );
        assert_eq!(
            framing("GET", &h(b"HTTP/1.1 200 OK\r\n\r\n")),
            Ok(Framing::Close)
        );
        assert_eq!(
            framing(
                "GET",
                &h(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
            ),
            Ok(Framing::Chunked)
        );
        assert_eq!(
            framing(
                "GET",
                &h(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")
            ),
            Ok(Framing::Close)
        );
        assert!(
            framing(
                "GET",
                &h(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            )
            .is_err()
        );
        assert_eq!(
            framing(
                "GET",
                &h(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n")
            ),
            Ok(Framing::Length(5))
        );
        assert!(
            framing(
                "GET",
                &h(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
            )
            .is_err()
        );
        assert!(framing("GET", &h(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")).is_err());
    }

    /// Feeds `input` to a decoder one piece of `step` bytes at a time.
    fn decode(
        framing: Framing,
        input: &[u8],
        step: usize,
        max: usize,
    ) -> Result<(Vec<u8>, usize), FetchError> {
        let mut d = BodyDecoder::new(framing, max)?;
        let mut out = Vec::new();
        let mut used = 0;
        for piece in input.chunks(step) {
            if d.is_done() {
                break;
            }
            used += d.feed(piece, &mut out)?;
        }
        if !d.is_done() {
            d.finish_at_eof()?;
        }
        Ok((out, used))
    }

    #[test]
    fn bodies() {
        for step in [1, 3, 100] {
            assert_eq!(
                decode(Framing::Length(5), b"hello, extra", step, 100),
                Ok((b"hello".to_vec(), 5))
            );
            assert_eq!(
                decode(Framing::Close, b"all of it", step, 100),
                Ok((b"all of it".to_vec(), 9))
            );
            let chunked = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nnext";
            assert_eq!(
                decode(Framing::Chunked, chunked, step, 100),
                Ok((b"hello, world".to_vec(), chunked.len() - 4))
            );
        }
        assert_eq!(
            decode(Framing::Length(10), b"short", 2, 100),
            Err(FetchError::TruncatedBody)
        );
        assert_eq!(
            decode(Framing::Chunked, b"5\r\nhel", 2, 100),
            Err(FetchError::TruncatedBody)
        );
        assert_eq!(
            decode(Framing::Chunked, b"zz\r\n", 2, 100),
            Err(FetchError::MalformedResponse("bad chunked framing"))
        );
        assert_eq!(
            decode(Framing::Empty, b"ignored", 2, 100),
            Ok((Vec::new(), 0))
        );
    }

    #[test]
    fn body_limits() {
        assert_eq!(
            decode(Framing::Length(11), b"", 1, 10).unwrap_err(),
            FetchError::BodyTooLarge(10)
        );
        assert_eq!(
            decode(Framing::Close, &[b'x'; 11], 4, 10).unwrap_err(),
            FetchError::BodyTooLarge(10)
        );
        assert_eq!(
            decode(Framing::Close, &[b'x'; 10], 4, 10).unwrap().0.len(),
            10
        );
        assert_eq!(
            decode(Framing::Chunked, b"b\r\nhello world\r\n0\r\n\r\n", 4, 10).unwrap_err(),
            FetchError::BodyTooLarge(10)
        );
    }

    #[test]
    fn redirect_rewrites() {
        let base = Request {
            method: "POST".to_string(),
            url: "http://a/x".to_string(),
            headers: alloc::vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                ("Authorization".to_string(), "secret".to_string()),
                ("Cookie".to_string(), "session=1".to_string()),
                ("Proxy-Authorization".to_string(), "p".to_string()),
                ("X-Keep".to_string(), "1".to_string()),
            ],
            body: Some(b"data".to_vec()),
            redirect: RedirectMode::Follow,
        };
        let names = |r: &Request| r.headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();

        let mut r = base.clone();
        redirect_request(&mut r, 302, "http://a/y".to_string());
        assert_eq!((r.method.as_str(), r.body.is_none()), ("GET", true));
        assert_eq!(
            names(&r),
            ["Authorization", "Cookie", "Proxy-Authorization", "X-Keep"]
        );

        let mut r = base.clone();
        redirect_request(&mut r, 307, "http://b/y".to_string());
        assert_eq!(
            (r.method.as_str(), r.body.as_deref()),
            ("POST", Some(&b"data"[..]))
        );
        assert_eq!(names(&r), ["Content-Type", "X-Keep"]);

        let mut r = Request {
            method: "PUT".to_string(),
            ..base.clone()
        };
        redirect_request(&mut r, 301, "http://a/y".to_string());
        assert_eq!(r.method, "PUT");
        redirect_request(&mut r, 303, "http://a/z".to_string());
        assert_eq!((r.method.as_str(), r.url.as_str()), ("GET", "http://a/z"));
    }

    /// What a scripted connection was sent: host, port, bytes.
    type SentEntries = Vec<(String, u16, Vec<u8>)>;
    type SentLog = Rc<RefCell<SentEntries>>;

    /// A scripted server for the exchange loop: each connection answers with
    /// the next canned response (7 bytes per read, so heads and bodies
    /// arrive split) and logs what the client sent. The real network is
    /// exercised by `tests/fetch.rs`.
    struct Script {
        replies: Vec<&'static [u8]>,
        sent: SentLog,
    }

    struct ScriptConn {
        reply: &'static [u8],
        sent: SentLog,
        index: usize,
    }

    impl Transport for ScriptConn {
        fn start_deadline(&mut self, _timeout_ms: u32) {}
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
            let n = buf.len().min(self.reply.len()).min(7);
            buf[..n].copy_from_slice(&self.reply[..n]);
            self.reply = &self.reply[n..];
            Ok(n)
        }
        fn write(&mut self, buf: &[u8]) -> Result<usize, NetError> {
            self.sent.borrow_mut()[self.index].2.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn is_idle_usable(&mut self) -> bool {
            false
        }
    }

    impl Connector for Script {
        type Transport = ScriptConn;
        fn connect(
            &mut self,
            host: &str,
            port: u16,
            _timeout_ms: u32,
        ) -> Result<ScriptConn, NetError> {
            if self.replies.is_empty() {
                return Err(NetError::Refused);
            }
            let reply = self.replies.remove(0);
            let mut sent = self.sent.borrow_mut();
            sent.push((host.to_string(), port, Vec::new()));
            Ok(ScriptConn {
                reply,
                sent: self.sent.clone(),
                index: sent.len() - 1,
            })
        }
    }

    fn run(
        replies: Vec<&'static [u8]>,
        method: &str,
        url: &str,
        mode: RedirectMode,
    ) -> (Result<Response, FetchError>, SentEntries) {
        let mut script = Script {
            replies,
            sent: SentLog::default(),
        };
        let request = Request {
            method: method.to_string(),
            url: url.to_string(),
            headers: Vec::new(),
            body: (method == "POST").then(|| b"payload".to_vec()),
            redirect: mode,
        };
        let result = fetch(&mut script, request, &LIMITS, &|| 0);
        let sent = script.sent.take();
        (result, sent)
    }

    #[test]
    fn exchange_follows_redirects() {
        let (r, sent) = run(
            alloc::vec![
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nend\r\n0\r\n\r\n",
            ],
            "POST",
            "http://h:9/start",
            RedirectMode::Follow,
        );
        let r = r.unwrap();
        assert_eq!(
            (
                r.head.status,
                r.body.as_slice(),
                r.url.as_str(),
                r.redirected
            ),
            (200, &b"end"[..], "http://h:9/next", true)
        );
        assert!(sent[0].2.starts_with(b"POST /start HTTP/1.1\r\n"));
        assert!(sent[0].2.ends_with(b"\r\n\r\npayload"));
        assert!(
            sent[1]
                .2
                .starts_with(b"GET /next HTTP/1.1\r\nhost: h:9\r\n")
        );
    }

    #[test]
    fn exchange_redirect_modes_and_errors() {
        const REDIRECT: &[u8] = b"HTTP/1.1 301 Moved\r\nLocation: http://o/\r\n\r\n";
        let (r, _) = run(
            alloc::vec![REDIRECT],
            "GET",
            "http://h/",
            RedirectMode::Manual,
        );
        let r = r.unwrap();
        assert_eq!((r.head.status, r.redirected), (301, false));
        let (r, _) = run(
            alloc::vec![REDIRECT],
            "GET",
            "http://h/",
            RedirectMode::Error,
        );
        assert_eq!(r.unwrap_err(), FetchError::RedirectNotAllowed);
        let (r, _) = run(
            alloc::vec![REDIRECT; 25],
            "GET",
            "http://h/",
            RedirectMode::Follow,
        );
        assert_eq!(r.unwrap_err(), FetchError::TooManyRedirects);
        let (r, _) = run(
            alloc::vec![b"HTTP/1.1 302 Found\r\nLocation: https://s/\r\n\r\n"],
            "GET",
            "http://h/",
            RedirectMode::Follow,
        );
        assert_eq!(r.unwrap_err(), FetchError::TlsUnavailable);
        let (r, _) = run(alloc::vec![], "GET", "http://h:1/", RedirectMode::Follow);
        assert_eq!(r.unwrap_err().to_string(), "connection refused (h:1)");
        let (r, _) = run(
            alloc::vec![b"HTTP/1.1 200 OK\r\n"],
            "GET",
            "http://h/",
            RedirectMode::Follow,
        );
        assert!(matches!(r.unwrap_err(), FetchError::MalformedResponse(_)));
        let (r, _) = run(
            alloc::vec![b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"],
            "GET",
            "http://h/",
            RedirectMode::Follow,
        );
        assert_eq!(r.unwrap_err(), FetchError::TruncatedBody);
    }
}
