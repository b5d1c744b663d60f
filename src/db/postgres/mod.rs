//! A PostgreSQL client: the frontend/backend protocol v3, spoken natively.
//!
//! * [`wire`]: messages as bytes; [`auth`]: md5 and SCRAM-SHA-256;
//!   [`types`]: text-format values.
//! * [`Connection`]: one authenticated session over a [`Transport`]; runs a
//!   query with the extended protocol (Parse, Bind, Describe, Execute, Sync;
//!   parameters only, never spliced into the SQL; text format) and returns a
//!   [`QueryResult`].
//! * [`Client`]: what a binding holds: one connection, opened on first use,
//!   reused, and reopened after a failure.
//!
//! After a database error (an ErrorResponse) the connection reads on to
//! ReadyForQuery and stays usable. After a transport failure, a timeout or a
//! malformed message it is dropped, since its state is unknown; the next
//! query opens a new one.

pub mod auth;
pub mod types;
pub mod wire;

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::db::{Connector, FillError, RandomSource, RecvBuffer, Transport, split_url};
use crate::port::NetError;

pub use types::Value;
use wire::{Auth, Backend};

/// How to reach and use a PostgreSQL server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Host name or IPv4 address.
    pub host: String,
    /// TCP port (5432).
    pub port: u16,
    /// Role to log in as.
    pub user: String,
    /// Its password, when the server asks for one.
    pub password: Option<String>,
    /// Database name (the user's name when empty, as libpq does).
    pub database: String,
    /// Milliseconds for connecting and authenticating.
    pub connect_timeout_ms: u32,
    /// Milliseconds for one query, from sending it to the last row.
    pub query_timeout_ms: u32,
    /// Largest single message accepted from the server, in bytes (bounds
    /// the receive buffer: one row must fit).
    pub max_message_bytes: usize,
    /// Largest result, in bytes of row data: a query returning more fails
    /// with [`Error::ResultTooLarge`] instead of exhausting the heap.
    pub max_result_bytes: usize,
    /// The authentication methods the server may choose (libpq's
    /// `require_auth`).
    pub require_auth: AuthMethods,
}

/// A set of authentication methods a server may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthMethods {
    /// No authentication (`trust`).
    pub none: bool,
    /// The password in clear on the wire.
    pub password: bool,
    /// An MD5 hash of the password.
    pub md5: bool,
    /// SCRAM-SHA-256 (proves the server knows the password too).
    pub scram: bool,
}

impl AuthMethods {
    /// Without `require_auth`: anything but the password in clear, which
    /// anyone on the path could ask for in place of the real server (a
    /// downgrade from SCRAM to read the password) and then read.
    pub const DEFAULT: AuthMethods = AuthMethods {
        none: true,
        password: false,
        md5: true,
        scram: true,
    };

    /// Reads libpq's `require_auth` list (`password`, `md5`,
    /// `scram-sha-256`, `none`, comma-separated); `None` if a name is
    /// unknown.
    pub fn parse(list: &str) -> Option<AuthMethods> {
        let mut m = AuthMethods {
            none: false,
            password: false,
            md5: false,
            scram: false,
        };
        for name in list.split(',') {
            match name.trim() {
                "none" => m.none = true,
                "password" => m.password = true,
                "md5" => m.md5 = true,
                "scram-sha-256" => m.scram = true,
                _ => return None,
            }
        }
        Some(m)
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "127.0.0.1".to_owned(),
            port: 5432,
            user: "postgres".to_owned(),
            password: None,
            database: String::new(),
            connect_timeout_ms: 5_000,
            query_timeout_ms: 10_000,
            max_message_bytes: 64 * 1024,
            max_result_bytes: 256 * 1024,
            require_auth: AuthMethods::DEFAULT,
        }
    }
}

impl Config {
    /// Reads `postgres://user:password@host:port/database` (also
    /// `postgresql://`); parts left out keep their defaults. Of the query
    /// parameters, `require_auth` is read (an unknown method: `None`); the
    /// others are ignored.
    pub fn from_url(url: &str) -> Option<Config> {
        let parts = split_url(url, &["postgres", "postgresql"])?;
        let mut config = Config {
            host: parts.host,
            ..Config::default()
        };
        if let Some(port) = parts.port {
            config.port = port;
        }
        if let Some(user) = parts.user {
            config.user = user;
        }
        config.password = parts.password;
        config.database = parts.path;
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split('#').next().unwrap_or("");
        for (key, value) in query.split('&').filter_map(|p| p.split_once('=')) {
            if key == "require_auth" {
                config.require_auth = AuthMethods::parse(&crate::db::percent_decode(value)?)?;
            }
        }
        Some(config)
    }
}

/// The fields PostgreSQL reports with an error (ErrorResponse).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbError {
    /// `ERROR`, `FATAL` or `PANIC` (not localised).
    pub severity: String,
    /// The SQLSTATE code, e.g. `42P01` (undefined table), `23505` (unique violation).
    pub code: String,
    /// The primary message.
    pub message: String,
    /// A secondary message with more detail, if any.
    pub detail: Option<String>,
    /// A suggestion, if any.
    pub hint: Option<String>,
    /// 1-based character position in the query the error points at, if any.
    pub position: Option<u32>,
}

impl DbError {
    fn from_fields(f: wire::Fields<'_>) -> DbError {
        let owned = |code| f.get(code).map(str::to_owned);
        DbError {
            severity: owned(b'V')
                .or_else(|| owned(b'S'))
                .unwrap_or_else(|| "ERROR".to_owned()),
            code: owned(b'C').unwrap_or_else(|| "XX000".to_owned()),
            message: owned(b'M').unwrap_or_default(),
            detail: owned(b'D'),
            hint: owned(b'H'),
            position: f.get(b'P').and_then(|p| p.parse().ok()),
        }
    }
}

/// Why connecting or a query failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The server's host could not be reached, or the connection broke
    /// (including [`NetError::TimedOut`] for the connect and query timeouts).
    Net(NetError),
    /// The server reported an error (bad SQL, constraint violation,
    /// authentication refused...). The connection stays usable unless the
    /// severity is `FATAL`.
    Db(alloc::boxed::Box<DbError>),
    /// The server asks for an authentication method this client lacks.
    UnsupportedAuth(&'static str),
    /// The server asks for a password and none is configured.
    PasswordRequired,
    /// The server chose a method `require_auth` does not allow.
    AuthNotAllowed(&'static str),
    /// SCRAM authentication failed on the client's side.
    Scram(auth::ScramError),
    /// The server broke the protocol.
    Protocol(wire::ProtocolError),
    /// A value could not be decoded.
    Decode(types::DecodeError),
    /// The query or its parameters cannot be sent (NUL byte, too long).
    Encode(wire::EncodeError),
    /// The rows exceeded `max_result_bytes` (the connection stays usable).
    ResultTooLarge,
    /// One message from the server exceeded `max_message_bytes` (the
    /// connection is dropped: the rest of the message was not read).
    MessageTooLarge,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Net(NetError::TimedOut) => f.write_str("PostgreSQL: timed out"),
            Error::Net(e) => write!(f, "PostgreSQL: {e}"),
            Error::Db(e) => write!(f, "PostgreSQL {} {}: {}", e.severity, e.code, e.message),
            Error::UnsupportedAuth(m) => {
                write!(f, "PostgreSQL: unsupported authentication method {m}")
            }
            Error::PasswordRequired => {
                f.write_str("PostgreSQL: the server asks for a password and none is configured")
            }
            Error::AuthNotAllowed(m) => write!(
                f,
                "PostgreSQL: the server asked for {m} authentication, which require_auth does not allow (the default allows none, md5 and scram-sha-256; add ?require_auth=password to the URL to send the password in clear)"
            ),
            Error::Scram(e) => write!(f, "PostgreSQL: {e}"),
            Error::Protocol(e) => write!(f, "PostgreSQL: {e}"),
            Error::Decode(e) => write!(f, "PostgreSQL: {e}"),
            Error::Encode(e) => write!(f, "PostgreSQL: {e}"),
            Error::ResultTooLarge => {
                f.write_str("PostgreSQL: the result exceeds the configured size limit (max_result_bytes)")
            }
            Error::MessageTooLarge => f.write_str(
                "PostgreSQL: a row or message exceeds the configured size limit (max_message_bytes)",
            ),
        }
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Error {
        Error::Net(e)
    }
}

impl From<wire::ProtocolError> for Error {
    fn from(e: wire::ProtocolError) -> Error {
        Error::Protocol(e)
    }
}

impl From<wire::EncodeError> for Error {
    fn from(e: wire::EncodeError) -> Error {
        Error::Encode(e)
    }
}

impl From<FillError> for Error {
    fn from(e: FillError) -> Error {
        match e {
            FillError::Net(e) => Error::Net(e),
            FillError::TooLarge => Error::MessageTooLarge,
        }
    }
}

impl Error {
    /// Whether the connection is still good after this error: the query
    /// cycle ran to ReadyForQuery (or never started) and the session lives.
    fn keeps_connection(&self) -> bool {
        match self {
            Error::Db(e) => e.severity != "FATAL" && e.severity != "PANIC",
            Error::Encode(_) | Error::Decode(_) | Error::ResultTooLarge => true,
            _ => false,
        }
    }
}

/// A column of a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The column's name.
    pub name: String,
    /// The OID of its type ([`types::oid`]).
    pub type_oid: u32,
}

/// What a query returned.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// The columns (empty for a statement without rows, e.g. `INSERT`
    /// without `RETURNING`).
    pub fields: Vec<Field>,
    /// The rows, one value per field.
    pub rows: Vec<Vec<Value>>,
    /// The command tag (`SELECT 2`, `INSERT 0 1`, `CREATE TABLE`...);
    /// empty for an empty query.
    pub command: String,
    /// Rows the command returned or touched, where its tag says
    /// (`SELECT`, `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `COPY`, `FETCH`, `MOVE`).
    pub row_count: Option<u64>,
}

/// The row count of a command tag, where the tag has one.
fn row_count(tag: &str) -> Option<u64> {
    let mut words = tag.split(' ');
    match words.next()? {
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY" | "FETCH" | "MOVE" => {
            words.next_back()?.parse().ok()
        }
        _ => None,
    }
}

/// A query parameter in text form; `None` is SQL NULL. The server infers
/// each parameter's type from the statement.
pub type Param<'a> = Option<&'a [u8]>;

/// One authenticated session with a server.
pub struct Connection<T: Transport> {
    io: T,
    recv: RecvBuffer,
    send: Vec<u8>,
    max_message_bytes: usize,
    server_version: String,
}

impl<T: Transport> Connection<T> {
    /// Starts a session over a connected transport: startup, authentication,
    /// and the server's parameters, within `config.connect_timeout_ms`.
    /// `random` supplies the SCRAM nonce.
    pub fn startup(mut io: T, config: &Config, random: RandomSource) -> Result<Self, Error> {
        io.start_deadline(config.connect_timeout_ms);
        let database = if config.database.is_empty() {
            &config.user
        } else {
            &config.database
        };
        let mut conn = Connection {
            io,
            recv: RecvBuffer::new(),
            send: Vec::new(),
            max_message_bytes: config.max_message_bytes.max(1024),
            server_version: String::new(),
        };
        wire::put_startup(
            &mut conn.send,
            &[
                ("user", &config.user),
                ("database", database),
                ("application_name", "isere"),
                ("client_encoding", "UTF8"),
                // One text form per type for `types` to decode.
                ("DateStyle", "ISO, MDY"),
                ("TimeZone", "UTC"),
                ("bytea_output", "hex"),
                ("extra_float_digits", "3"),
            ],
        )?;
        conn.flush()?;
        let mut scram: Option<auth::Scram> = None;
        // What was proven before the server says yes: a password sent (or
        // its hash), the server's SCRAM signature checked.
        let (mut sent_password, mut scram_verified) = (false, false);
        loop {
            let total = conn.next_message()?;
            let frame = &conn.recv.pending()[..total];
            let (tag, body) = (frame[0], &frame[wire::HEADER_LEN..]);
            match Backend::parse(tag, body)? {
                Backend::Authentication(step) => {
                    let password = config.password.as_deref();
                    let allowed = config.require_auth;
                    let refuse = |m| Err(Error::AuthNotAllowed(m));
                    match step {
                        // Once SCRAM started, the server must prove it knows
                        // the password (its final message) before it may
                        // say yes; "yes" at once is `none`.
                        Auth::Ok if scram.is_some() && !scram_verified => {
                            return Err(Error::Scram(auth::ScramError::ServerSkippedProof));
                        }
                        Auth::Ok if scram.is_none() && !sent_password && !allowed.none => {
                            return refuse("no");
                        }
                        Auth::Ok => {}
                        Auth::Cleartext if !allowed.password => {
                            return refuse("cleartext password");
                        }
                        Auth::Md5 { .. } if !allowed.md5 => return refuse("md5"),
                        Auth::Sasl { .. } if !allowed.scram => return refuse("SCRAM-SHA-256"),
                        Auth::Cleartext => {
                            let pw = password.ok_or(Error::PasswordRequired)?;
                            wire::put_password(&mut conn.send, pw.as_bytes())?;
                            sent_password = true;
                        }
                        Auth::Md5 { salt } => {
                            let pw = password.ok_or(Error::PasswordRequired)?;
                            let hashed = auth::md5_password(&config.user, pw, salt);
                            wire::put_password(&mut conn.send, hashed.as_bytes())?;
                            sent_password = true;
                        }
                        Auth::Sasl { mechanisms } => {
                            if !wire::mechanisms(mechanisms)
                                .any(|m| m == auth::Scram::MECHANISM.as_bytes())
                            {
                                return Err(Error::UnsupportedAuth("SASL without SCRAM-SHA-256"));
                            }
                            let pw = password.ok_or(Error::PasswordRequired)?;
                            let mut nonce = [0u8; 18];
                            crate::db::scram_nonce(random, &mut nonce);
                            // PostgreSQL takes the user from the startup packet.
                            let s = auth::Scram::new("", pw, &nonce);
                            wire::put_sasl_initial(
                                &mut conn.send,
                                auth::Scram::MECHANISM,
                                s.client_first().as_bytes(),
                            )?;
                            scram = Some(s);
                        }
                        Auth::SaslContinue(data) => {
                            let s = scram
                                .as_mut()
                                .ok_or(wire::ProtocolError("SASL step out of order"))?;
                            let reply = s.client_final(data).map_err(Error::Scram)?;
                            wire::put_sasl_response(&mut conn.send, reply.as_bytes())?;
                        }
                        Auth::SaslFinal(data) => {
                            let s = scram
                                .as_ref()
                                .ok_or(wire::ProtocolError("SASL step out of order"))?;
                            s.verify_server_final(data).map_err(Error::Scram)?;
                            scram_verified = true;
                        }
                        Auth::Unsupported(2) => return Err(Error::UnsupportedAuth("Kerberos V5")),
                        Auth::Unsupported(7 | 8) => return Err(Error::UnsupportedAuth("GSSAPI")),
                        Auth::Unsupported(9) => return Err(Error::UnsupportedAuth("SSPI")),
                        Auth::Unsupported(_) => return Err(Error::UnsupportedAuth("unknown")),
                    }
                    conn.flush()?;
                }
                Backend::ParameterStatus {
                    name: "server_version",
                    value,
                } => {
                    conn.server_version = value.to_owned();
                }
                Backend::ErrorResponse(f) => {
                    return Err(Error::Db(alloc::boxed::Box::new(DbError::from_fields(f))));
                }
                Backend::ReadyForQuery(_) => {
                    conn.recv.consume(total);
                    break;
                }
                // BackendKeyData, notices, NegotiateProtocolVersion: nothing to do.
                _ => {}
            }
            conn.recv.consume(total);
        }
        Ok(conn)
    }

    /// The server's version, as it reported it at startup.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// Whether the idle connection still looks usable (see
    /// [`Transport::is_idle_usable`]).
    pub fn is_idle_usable(&mut self) -> bool {
        self.recv.pending().is_empty() && self.io.is_idle_usable()
    }

    /// Runs one statement with `params` ($1, $2, ...), within
    /// `timeout_ms`; results are limited to `max_result_bytes` of row data.
    pub fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        timeout_ms: u32,
        max_result_bytes: usize,
    ) -> Result<QueryResult, Error> {
        self.send.clear();
        wire::put_parse(&mut self.send, sql)?;
        wire::put_bind(&mut self.send, params)?;
        wire::put_describe_portal(&mut self.send)?;
        wire::put_execute(&mut self.send)?;
        wire::put_sync(&mut self.send);
        self.io.start_deadline(timeout_ms);
        self.flush()?;

        let mut result = QueryResult {
            fields: Vec::new(),
            rows: Vec::new(),
            command: String::new(),
            row_count: None,
        };
        let mut failure: Option<Error> = None;
        let mut result_bytes = 0usize;
        loop {
            let total = self.next_message()?;
            let frame = &self.recv.pending()[..total];
            let (tag, body) = (frame[0], &frame[wire::HEADER_LEN..]);
            match Backend::parse(tag, body)? {
                Backend::RowDescription(d) if failure.is_none() => {
                    for column in d.columns() {
                        let column = column?;
                        result.fields.push(Field {
                            name: column.name.to_owned(),
                            type_oid: column.type_oid,
                        });
                    }
                }
                Backend::DataRow(row) if failure.is_none() => {
                    result_bytes = result_bytes.saturating_add(body.len());
                    if result_bytes > max_result_bytes {
                        // Keep reading to ReadyForQuery so the session stays
                        // in step, but drop the rows.
                        result.rows = Vec::new();
                        failure = Some(Error::ResultTooLarge);
                    } else if row.len() != result.fields.len() {
                        failure = Some(Error::Protocol(wire::ProtocolError(
                            "row length differs from its description",
                        )));
                    } else {
                        let mut values = Vec::with_capacity(row.len());
                        for (raw, field) in row.values().zip(&result.fields) {
                            match types::decode(field.type_oid, raw?) {
                                Ok(v) => values.push(v),
                                Err(e) => {
                                    failure = Some(Error::Decode(e));
                                    break;
                                }
                            }
                        }
                        result.rows.push(values);
                    }
                }
                Backend::CommandComplete(tag) => {
                    result.row_count = row_count(tag);
                    result.command = tag.to_owned();
                }
                Backend::ErrorResponse(f) => {
                    failure = Some(Error::Db(alloc::boxed::Box::new(DbError::from_fields(f))));
                }
                Backend::ReadyForQuery(_) => {
                    self.recv.consume(total);
                    self.recv.shrink();
                    return match failure {
                        Some(e) => Err(e),
                        None => Ok(result),
                    };
                }
                // ParseComplete, BindComplete, NoData, EmptyQueryResponse,
                // notices, notifications, parameter changes: nothing to keep.
                _ => {}
            }
            self.recv.consume(total);
        }
    }

    /// Says goodbye to the server and closes the connection.
    pub fn terminate(mut self) {
        self.send.clear();
        wire::put_terminate(&mut self.send);
        self.io.start_deadline(100);
        let _ = self.flush();
    }

    fn flush(&mut self) -> Result<(), NetError> {
        let r = self.io.write_all(&self.send);
        self.send.clear();
        r
    }

    /// Reads until a complete message is at the front of the receive
    /// buffer; returns its length (header included).
    fn next_message(&mut self) -> Result<usize, Error> {
        loop {
            let pending = self.recv.pending().len();
            let want = match wire::needed(self.recv.pending())? {
                Some(total) if total <= pending => return Ok(total),
                Some(total) => total,
                None => wire::HEADER_LEN,
            };
            self.recv.fill(&mut self.io, want, self.max_message_bytes)?;
        }
    }
}

/// A binding's client: one connection, opened on first use and reused;
/// after a failure that leaves the connection in doubt, the next query
/// opens a new one. Dropping the client ends the session and closes the
/// connection.
pub struct Client<C: Connector> {
    connector: C,
    config: Config,
    random: RandomSource,
    conn: Option<Connection<C::Transport>>,
}

impl<C: Connector> Client<C> {
    /// A client; nothing is opened until the first query.
    pub fn new(connector: C, config: Config, random: RandomSource) -> Client<C> {
        Client {
            connector,
            config,
            random,
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

    /// Opens the connection now if none is open or the open one went stale.
    pub fn connect(&mut self) -> Result<&mut Connection<C::Transport>, Error> {
        if let Some(conn) = self.conn.as_mut()
            && !conn.is_idle_usable()
        {
            self.conn = None;
        }
        if self.conn.is_none() {
            let io = self.connector.connect(
                &self.config.host,
                self.config.port,
                self.config.connect_timeout_ms,
            )?;
            self.conn = Some(Connection::startup(io, &self.config, self.random)?);
        }
        self.conn.as_mut().ok_or(Error::Net(NetError::Closed))
    }

    /// Runs one statement with parameters (see [`Connection::query`]),
    /// connecting first when needed.
    pub fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<QueryResult, Error> {
        let (timeout, limit) = (self.config.query_timeout_ms, self.config.max_result_bytes);
        let result = self.connect()?.query(sql, params, timeout, limit);
        if let Err(e) = &result
            && !e.keeps_connection()
        {
            self.conn = None;
        }
        result
    }

    /// Closes the connection, if one is open (the next query reopens it).
    pub fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.terminate();
        }
    }
}

impl<C: Connector> Drop for Client<C> {
    /// Says goodbye to the server, as [`Client::close`] does, so that it
    /// ends the session at once; the transport's own drop closes the socket.
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tags() {
        assert_eq!(row_count("SELECT 3"), Some(3));
        assert_eq!(row_count("INSERT 0 5"), Some(5));
        assert_eq!(row_count("UPDATE 0"), Some(0));
        assert_eq!(row_count("CREATE TABLE"), None);
        assert_eq!(row_count(""), None);
    }

    /// A server that answers with `reply` whatever it is sent.
    struct Scripted {
        reply: Vec<u8>,
        at: usize,
        sent: Vec<u8>,
    }

    impl Transport for Scripted {
        fn start_deadline(&mut self, _timeout_ms: u32) {}
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
            let n = buf.len().min(self.reply.len() - self.at);
            buf[..n].copy_from_slice(&self.reply[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
        fn write(&mut self, buf: &[u8]) -> Result<usize, NetError> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn is_idle_usable(&mut self) -> bool {
            true
        }
    }

    /// An `Authentication` message with `code` and `data`.
    fn auth(code: u32, data: &[u8]) -> Vec<u8> {
        let mut m = alloc::vec![b'R'];
        m.extend_from_slice(&(8 + data.len() as u32).to_be_bytes());
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(data);
        m
    }

    /// Starts a session with a server that says `reply`, over `url`.
    fn startup_with(url: &str, reply: Vec<u8>) -> Result<(), Error> {
        static RANDOM: crate::port::mem::CounterEntropy = crate::port::mem::CounterEntropy::new(7);
        let io = Scripted {
            reply,
            at: 0,
            sent: Vec::new(),
        };
        let config = Config::from_url(url).unwrap();
        Connection::startup(io, &config, &RANDOM).map(|_| ())
    }

    #[test]
    fn a_server_cannot_downgrade_the_login() {
        let ready = [b'Z', 0, 0, 0, 5, b'I'];
        let ok_then_ready = [auth(0, b""), ready.to_vec()].concat();
        // The password in clear: refused unless the URL allows it.
        let clear = [auth(3, b""), ok_then_ready.clone()].concat();
        let url = "postgres://app:secret@h/db";
        match startup_with(url, clear.clone()) {
            Err(Error::AuthNotAllowed(m)) => assert_eq!(m, "cleartext password"),
            other => panic!("{other:?}"),
        }
        startup_with(&alloc::format!("{url}?require_auth=password"), clear).unwrap();
        // Only SCRAM allowed: md5 and "no authentication" are refused.
        let scram_only = alloc::format!("{url}?require_auth=scram-sha-256");
        let md5 = [auth(5, b"salt"), ok_then_ready.clone()].concat();
        assert!(matches!(
            startup_with(&scram_only, md5),
            Err(Error::AuthNotAllowed("md5"))
        ));
        assert!(matches!(
            startup_with(&scram_only, ok_then_ready.clone()),
            Err(Error::AuthNotAllowed("no"))
        ));
        // SCRAM started, then "yes" without the server's proof.
        let skipped = [auth(10, b"SCRAM-SHA-256\0\0"), ok_then_ready].concat();
        assert!(matches!(
            startup_with(url, skipped),
            Err(Error::Scram(auth::ScramError::ServerSkippedProof))
        ));
        assert!(Config::from_url("postgres://h/db?require_auth=kerberos").is_none());
    }

    #[test]
    fn config_from_url() {
        let c = Config::from_url("postgresql://app:s%23cret@10.0.2.2:5433/shop").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str()),
            ("10.0.2.2", 5433, "app")
        );
        assert_eq!(
            (c.password.as_deref(), c.database.as_str()),
            (Some("s#cret"), "shop")
        );
        let d = Config::from_url("postgres://localhost").unwrap();
        assert_eq!(
            (d.port, d.user.as_str(), d.password),
            (5432, "postgres", None)
        );
        assert!(Config::from_url("mysql://localhost").is_none());
    }

    #[test]
    fn errors_say_what_happened() {
        let e = Error::Db(alloc::boxed::Box::new(DbError {
            severity: "ERROR".into(),
            code: "42P01".into(),
            message: "relation \"nope\" does not exist".into(),
            detail: None,
            hint: None,
            position: Some(15),
        }));
        assert_eq!(
            alloc::format!("{e}"),
            "PostgreSQL ERROR 42P01: relation \"nope\" does not exist"
        );
        assert!(e.keeps_connection());
        assert!(!Error::Net(NetError::TimedOut).keeps_connection());
        assert_eq!(
            alloc::format!("{}", Error::Net(NetError::Refused)),
            "PostgreSQL: connection refused"
        );
    }
}
