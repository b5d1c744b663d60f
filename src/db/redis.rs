//! A Redis client speaking RESP2 directly (the `redis-protocol` crate does
//! not build `no_std`).
//!
//! * Commands go out as arrays of bulk strings ([`encode_command`]).
//! * Replies are parsed by [`parse_reply`] from a receive buffer: it says
//!   `Ok(None)` when the reply is not complete yet, never panics, and refuses
//!   nesting deeper than [`MAX_DEPTH`] and lengths over the configured limit.
//! * [`Client`] holds one connection per binding, opened on first use,
//!   authenticated (`AUTH password` or `AUTH user password`) and reused;
//!   after a transport failure or a timeout the next command reconnects.
//!   A Redis error reply is a value ([`Reply::Error`]), not a failure of the
//!   connection; the typed helpers turn it into [`Error::Server`].

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::db::{Connector, FillError, RecvBuffer, Transport, split_url};
use crate::port::NetError;

/// Deepest nesting of arrays accepted in a reply.
pub const MAX_DEPTH: usize = 8;

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`: a status.
    Status(String),
    /// `-ERR ...`: an error the server returned for this command.
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$n`: a binary-safe string.
    Bulk(Vec<u8>),
    /// `$-1` or `*-1`: no value.
    Nil,
    /// `*n`: a list of replies.
    Array(Vec<Reply>),
}

/// A reply that breaks RESP2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Bytes that are not RESP2.
    Malformed(&'static str),
    /// A length over the limit, or nesting deeper than [`MAX_DEPTH`].
    TooLarge,
}

/// Appends `args` as one command (an array of bulk strings).
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    push_header(out, b'*', args.len());
    for arg in args {
        push_header(out, b'$', arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// Parses one reply from the front of `buf`: `Ok(Some((reply, used)))`,
/// `Ok(None)` when more bytes are needed. Bulk strings and arrays longer
/// than `limit` (bytes, elements) are [`ParseError::TooLarge`].
pub fn parse_reply(buf: &[u8], limit: usize) -> Result<Option<(Reply, usize)>, ParseError> {
    let mut pos = 0;
    match parse_at(buf, &mut pos, limit, 0)? {
        Some(reply) => Ok(Some((reply, pos))),
        None => Ok(None),
    }
}

/// The line starting at `*pos` (without CRLF); `None` if incomplete.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, ParseError> {
    let rest = &buf[*pos..];
    let Some(cr) = rest.iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => {
            *pos += cr + 2;
            Ok(Some(&rest[..cr]))
        }
        Some(_) => Err(ParseError::Malformed("CR without LF")),
    }
}

fn integer(text: &[u8]) -> Result<i64, ParseError> {
    core::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ParseError::Malformed("bad integer"))
}

/// A length field: -1 is nil, otherwise 0..=limit.
fn length(text: &[u8], limit: usize) -> Result<Option<usize>, ParseError> {
    match integer(text)? {
        -1 => Ok(None),
        n if n < 0 => Err(ParseError::Malformed("negative length")),
        n if n as u64 > limit as u64 => Err(ParseError::TooLarge),
        n => Ok(Some(n as usize)),
    }
}

fn parse_at(
    buf: &[u8],
    pos: &mut usize,
    limit: usize,
    depth: usize,
) -> Result<Option<Reply>, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError::TooLarge);
    }
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    let mut at = *pos + 1;
    let Some(head) = line(buf, &mut at)? else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(head).into_owned();
    let reply = match kind {
        b'+' => Reply::Status(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Integer(integer(head)?),
        b'$' => match length(head, limit)? {
            None => Reply::Nil,
            Some(n) => {
                let end = at + n;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(ParseError::Malformed("bulk string without CRLF"));
                }
                let value = buf[at..end].to_vec();
                at = end + 2;
                Reply::Bulk(value)
            }
        },
        b'*' => match length(head, limit)? {
            None => Reply::Nil,
            Some(n) => {
                // Each element takes at least 3 bytes: do not reserve for
                // elements that cannot be in the buffer yet.
                let mut items = Vec::with_capacity(n.min((buf.len() - at) / 3));
                for _ in 0..n {
                    match parse_at(buf, &mut at, limit, depth + 1)? {
                        Some(item) => items.push(item),
                        None => return Ok(None),
                    }
                }
                Reply::Array(items)
            }
        },
        _ => return Err(ParseError::Malformed("unknown reply type")),
    };
    *pos = at;
    Ok(Some(reply))
}

/// How to reach a Redis server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Host name or IPv4 address.
    pub host: String,
    /// TCP port (6379).
    pub port: u16,
    /// ACL user (Redis 6+); `None` authenticates the default user.
    pub username: Option<String>,
    /// Password; `None` sends no AUTH.
    pub password: Option<String>,
    /// Database index for `SELECT` (0 sends nothing).
    pub database: u32,
    /// Milliseconds for connecting and authenticating.
    pub connect_timeout_ms: u32,
    /// Milliseconds for one command and its reply.
    pub command_timeout_ms: u32,
    /// Largest reply accepted, in bytes (bounds the receive buffer).
    pub max_reply_bytes: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "127.0.0.1".to_owned(),
            port: 6379,
            username: None,
            password: None,
            database: 0,
            connect_timeout_ms: 5_000,
            command_timeout_ms: 5_000,
            max_reply_bytes: 256 * 1024,
        }
    }
}

impl Config {
    /// Reads `redis://[user[:password]@]host[:port][/db]`; a URL with only
    /// a password is written `redis://:password@host`.
    pub fn from_url(url: &str) -> Option<Config> {
        let parts = split_url(url, &["redis"])?;
        let mut config = Config {
            host: parts.host,
            ..Config::default()
        };
        if let Some(port) = parts.port {
            config.port = port;
        }
        config.username = parts.user;
        config.password = parts.password;
        if !parts.path.is_empty() {
            config.database = parts.path.parse().ok()?;
        }
        Some(config)
    }
}

/// Why a command failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Connecting failed or the connection broke (including timeouts).
    Net(NetError),
    /// The server answered with an error (`WRONGTYPE ...`, `NOAUTH ...`).
    Server(String),
    /// The server's reply breaks RESP2.
    Protocol(&'static str),
    /// A reply exceeded `max_reply_bytes`.
    ReplyTooLarge,
    /// A typed helper got a reply of another shape than the command has.
    UnexpectedReply,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Net(NetError::TimedOut) => f.write_str("Redis: timed out"),
            Error::Net(e) => write!(f, "Redis: {e}"),
            Error::Server(message) => write!(f, "Redis: {message}"),
            Error::Protocol(what) => write!(f, "Redis: malformed reply ({what})"),
            Error::ReplyTooLarge => {
                f.write_str("Redis: the reply exceeds the configured size limit (max_reply_bytes)")
            }
            Error::UnexpectedReply => f.write_str("Redis: unexpected reply type for this command"),
        }
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Error {
        Error::Net(e)
    }
}

impl From<FillError> for Error {
    fn from(e: FillError) -> Error {
        match e {
            FillError::Net(e) => Error::Net(e),
            FillError::TooLarge => Error::ReplyTooLarge,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        match e {
            ParseError::Malformed(what) => Error::Protocol(what),
            ParseError::TooLarge => Error::ReplyTooLarge,
        }
    }
}

/// Field/value pairs of a hash.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Options of `SET`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// `EX seconds`: expire after this many seconds.
    pub expire_seconds: Option<u64>,
    /// `NX`: only set a key that does not exist.
    pub only_if_absent: bool,
}

/// One open connection.
struct Connection<T: Transport> {
    io: T,
    recv: RecvBuffer,
    send: Vec<u8>,
}

impl<T: Transport> Connection<T> {
    fn call(&mut self, args: &[&[u8]], timeout_ms: u32, limit: usize) -> Result<Reply, Error> {
        self.send.clear();
        encode_command(&mut self.send, args);
        self.io.start_deadline(timeout_ms);
        self.io.write_all(&self.send)?;
        self.send.clear();
        // The reply's bytes plus its framing: the limit applies to both.
        let buffer_limit = limit.saturating_add(limit / 8).saturating_add(64);
        loop {
            if let Some((reply, used)) = parse_reply(self.recv.pending(), limit)? {
                self.recv.consume(used);
                self.recv.shrink();
                return Ok(reply);
            }
            let want = self.recv.pending().len() + 1;
            self.recv.fill(&mut self.io, want, buffer_limit)?;
        }
    }
}

/// A binding's client: one connection, opened on first use and reused.
/// Dropping the client closes the connection (without a `QUIT`: Redis needs
/// nothing more than the close, and the drop does not wait for a reply).
pub struct Client<C: Connector> {
    connector: C,
    config: Config,
    conn: Option<Connection<C::Transport>>,
}

impl<C: Connector> Client<C> {
    /// A client; nothing is opened until the first command.
    pub fn new(connector: C, config: Config) -> Client<C> {
        Client {
            connector,
            config,
            conn: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    fn open(&mut self) -> Result<Connection<C::Transport>, Error> {
        let c = &self.config;
        let io = self
            .connector
            .connect(&c.host, c.port, c.connect_timeout_ms)?;
        let mut conn = Connection {
            io,
            recv: RecvBuffer::new(),
            send: Vec::new(),
        };
        let setup_limit = 4096;
        if let Some(password) = &c.password {
            let reply = match &c.username {
                Some(user) => conn.call(
                    &[b"AUTH", user.as_bytes(), password.as_bytes()],
                    c.connect_timeout_ms,
                    setup_limit,
                )?,
                None => conn.call(
                    &[b"AUTH", password.as_bytes()],
                    c.connect_timeout_ms,
                    setup_limit,
                )?,
            };
            if let Reply::Error(message) = reply {
                return Err(Error::Server(message));
            }
        }
        if c.database != 0 {
            let db = alloc::format!("{}", c.database);
            if let Reply::Error(message) = conn.call(
                &[b"SELECT", db.as_bytes()],
                c.connect_timeout_ms,
                setup_limit,
            )? {
                return Err(Error::Server(message));
            }
        }
        Ok(conn)
    }

    /// Sends one command (`["SET", "k", "v"]`) and returns its reply; a
    /// Redis error is `Ok(Reply::Error(..))`. Connects first when needed.
    pub fn command(&mut self, args: &[&[u8]]) -> Result<Reply, Error> {
        if let Some(conn) = self.conn.as_mut()
            && (!conn.recv.pending().is_empty() || !conn.io.is_idle_usable())
        {
            self.conn = None;
        }
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = conn.call(
            args,
            self.config.command_timeout_ms,
            self.config.max_reply_bytes,
        );
        if result.is_ok() {
            // Only a connection whose reply was read whole stays in step.
            self.conn = Some(conn);
        }
        result
    }

    /// [`command`](Self::command) with a Redis error as [`Error::Server`].
    fn call(&mut self, args: &[&[u8]]) -> Result<Reply, Error> {
        match self.command(args)? {
            Reply::Error(message) => Err(Error::Server(message)),
            reply => Ok(reply),
        }
    }

    /// `GET key`: the value, or `None`.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.call(&[b"GET", key])? {
            Reply::Bulk(v) => Ok(Some(v)),
            Reply::Nil => Ok(None),
            _ => Err(Error::UnexpectedReply),
        }
    }

    /// `SET key value [EX s] [NX]`: whether the value was set (`NX` on an
    /// existing key: `false`).
    pub fn set(&mut self, key: &[u8], value: &[u8], options: SetOptions) -> Result<bool, Error> {
        let seconds = options.expire_seconds.map(|s| alloc::format!("{s}"));
        let mut args: Vec<&[u8]> = alloc::vec![b"SET", key, value];
        if let Some(s) = &seconds {
            args.push(b"EX");
            args.push(s.as_bytes());
        }
        if options.only_if_absent {
            args.push(b"NX");
        }
        match self.call(&args)? {
            Reply::Status(_) => Ok(true),
            Reply::Nil => Ok(false),
            _ => Err(Error::UnexpectedReply),
        }
    }

    /// `DEL key...`: how many keys were removed.
    pub fn del(&mut self, keys: &[&[u8]]) -> Result<i64, Error> {
        let mut args: Vec<&[u8]> = Vec::with_capacity(keys.len() + 1);
        args.push(b"DEL");
        args.extend_from_slice(keys);
        self.integer(&args)
    }

    /// `INCR key`: the new value.
    pub fn incr(&mut self, key: &[u8]) -> Result<i64, Error> {
        self.integer(&[b"INCR", key])
    }

    /// `EXPIRE key seconds`: whether the key exists (and got the timeout).
    pub fn expire(&mut self, key: &[u8], seconds: u64) -> Result<bool, Error> {
        let s = alloc::format!("{seconds}");
        Ok(self.integer(&[b"EXPIRE", key, s.as_bytes()])? == 1)
    }

    /// `HGET key field`: the value, or `None`.
    pub fn hget(&mut self, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        match self.call(&[b"HGET", key, field])? {
            Reply::Bulk(v) => Ok(Some(v)),
            Reply::Nil => Ok(None),
            _ => Err(Error::UnexpectedReply),
        }
    }

    /// `HSET key field value [field value...]`: how many fields were added.
    pub fn hset(&mut self, key: &[u8], pairs: &[(&[u8], &[u8])]) -> Result<i64, Error> {
        let mut args: Vec<&[u8]> = Vec::with_capacity(2 + pairs.len() * 2);
        args.push(b"HSET");
        args.push(key);
        for (field, value) in pairs {
            args.push(field);
            args.push(value);
        }
        self.integer(&args)
    }

    /// `HGETALL key`: the field/value pairs (empty for a missing key).
    pub fn hgetall(&mut self, key: &[u8]) -> Result<Pairs, Error> {
        let Reply::Array(items) = self.call(&[b"HGETALL", key])? else {
            return Err(Error::UnexpectedReply);
        };
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut items = items.into_iter();
        while let (Some(Reply::Bulk(field)), Some(Reply::Bulk(value))) =
            (items.next(), items.next())
        {
            pairs.push((field, value));
        }
        Ok(pairs)
    }

    fn integer(&mut self, args: &[&[u8]]) -> Result<i64, Error> {
        match self.call(args)? {
            Reply::Integer(n) => Ok(n),
            _ => Err(Error::UnexpectedReply),
        }
    }

    /// Closes the connection, if one is open (the next command reopens it).
    pub fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.call(&[b"QUIT"], 100, 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn parse(bytes: &[u8]) -> Result<Option<(Reply, usize)>, ParseError> {
        parse_reply(bytes, 1024)
    }

    #[test]
    fn encodes_commands_as_bulk_arrays() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"SET", b"k", b"a\r\nb", b""]);
        assert_eq!(
            out,
            b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$0\r\n\r\n"
        );
    }

    #[test]
    fn parses_each_reply_type() {
        assert_eq!(parse(b"+OK\r\n"), Ok(Some((Reply::Status("OK".into()), 5))));
        assert_eq!(
            parse(b"-ERR no\r\n"),
            Ok(Some((Reply::Error("ERR no".into()), 9)))
        );
        assert_eq!(parse(b":-42\r\n"), Ok(Some((Reply::Integer(-42), 6))));
        assert_eq!(
            parse(b"$5\r\na\r\nbc\r\n"),
            Ok(Some((Reply::Bulk(b"a\r\nbc".to_vec()), 11)))
        );
        assert_eq!(parse(b"$0\r\n\r\n"), Ok(Some((Reply::Bulk(Vec::new()), 6))));
        assert_eq!(parse(b"$-1\r\n"), Ok(Some((Reply::Nil, 5))));
        assert_eq!(parse(b"*-1\r\n"), Ok(Some((Reply::Nil, 5))));
        assert_eq!(
            parse(b"*3\r\n:1\r\n*1\r\n+x\r\n$-1\r\n+next"),
            Ok(Some((
                Reply::Array(vec![
                    Reply::Integer(1),
                    Reply::Array(vec![Reply::Status("x".into())]),
                    Reply::Nil
                ]),
                21
            )))
        );
    }

    #[test]
    fn partial_input_waits_at_every_cut() {
        let whole = b"*2\r\n$5\r\nhello\r\n*2\r\n:1\r\n-ERR x\r\n";
        for cut in 0..whole.len() {
            assert_eq!(parse(&whole[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(matches!(parse(whole), Ok(Some((Reply::Array(_), n))) if n == whole.len()));
    }

    #[test]
    fn refuses_malformed_and_oversized_replies() {
        assert_eq!(
            parse(b"?x\r\n"),
            Err(ParseError::Malformed("unknown reply type"))
        );
        assert_eq!(
            parse(b":12a\r\n"),
            Err(ParseError::Malformed("bad integer"))
        );
        assert_eq!(
            parse(b"+OK\rX"),
            Err(ParseError::Malformed("CR without LF"))
        );
        assert_eq!(
            parse(b"$3\r\nabcde"),
            Err(ParseError::Malformed("bulk string without CRLF"))
        );
        assert_eq!(
            parse(b"$-2\r\n"),
            Err(ParseError::Malformed("negative length"))
        );
        assert_eq!(parse(b"$2000\r\n"), Err(ParseError::TooLarge));
        assert_eq!(parse(b"*99999999999\r\n"), Err(ParseError::TooLarge));
        assert_eq!(
            parse(b"$99999999999999999999999\r\n"),
            Err(ParseError::Malformed("bad integer"))
        );
        let deep = b"*1\r\n".repeat(MAX_DEPTH + 2);
        assert_eq!(parse(&deep), Err(ParseError::TooLarge));
    }

    #[test]
    fn config_from_url() {
        let c = Config::from_url("redis://isere:s%40cret@10.0.2.2:6380/2").unwrap();
        assert_eq!(c.username.as_deref(), Some("isere"));
        assert_eq!(c.password.as_deref(), Some("s@cret"));
        assert_eq!((c.host.as_str(), c.port, c.database), ("10.0.2.2", 6380, 2));
        let p = Config::from_url("redis://:pw@localhost").unwrap();
        assert_eq!(
            (p.username, p.password.as_deref(), p.port),
            (None, Some("pw"), 6379)
        );
        assert!(Config::from_url("redis://localhost/x").is_none());
    }
}
