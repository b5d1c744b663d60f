//! The PostgreSQL frontend/backend protocol v3 as bytes.
//!
//! Read "Frontend/Backend Protocol" → "Message Formats" of the PostgreSQL
//! documentation alongside. Every message but the startup packet is a type
//! byte, a big-endian `i32` length that counts itself, and a body.
//!
//! * Frontend messages are appended to a `Vec<u8>` by the `put_*` functions;
//!   they fail (never panic) on a string with a NUL byte or a message too
//!   long for the length field.
//! * Backend messages are split off a receive buffer by [`frame`] and parsed
//!   by [`Backend::parse`] into views that borrow the buffer. Parsing checks
//!   every length against the body; a malformed message is a
//!   [`ProtocolError`], never a panic.

use alloc::vec::Vec;

/// The protocol version 3.0 of the startup packet.
const PROTOCOL_V3: i32 = 196_608;

/// A message the server sent that does not follow the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolError(pub &'static str);

impl core::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "malformed message from the server: {}", self.0)
    }
}

/// A frontend message that cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A string holds a NUL byte (the protocol's strings are C strings).
    Nul,
    /// The message is too long for its length field, or has too many parameters.
    TooLong,
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EncodeError::Nul => f.write_str("the query or a name contains a NUL character"),
            EncodeError::TooLong => f.write_str("the query or its parameters are too long"),
        }
    }
}

/// Starts a message of type `tag`; returns where its length goes.
fn begin(out: &mut Vec<u8>, tag: u8) -> usize {
    out.push(tag);
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    at
}

/// Writes the length of the message whose length field is at `at`.
fn finish(out: &mut [u8], at: usize) -> Result<(), EncodeError> {
    let len = i32::try_from(out.len() - at).map_err(|_| EncodeError::TooLong)?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn put_cstr(out: &mut Vec<u8>, s: &[u8]) -> Result<(), EncodeError> {
    if s.contains(&0) {
        return Err(EncodeError::Nul);
    }
    out.extend_from_slice(s);
    out.push(0);
    Ok(())
}

/// Runs `body` to append a message of type `tag`; on failure the output is
/// left as it was.
fn message(
    out: &mut Vec<u8>,
    tag: u8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = out.len();
    let at = begin(out, tag);
    let r = body(out).and_then(|()| finish(out, at));
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// StartupMessage: protocol 3.0 and `name`/`value` parameters (`user` first).
pub fn put_startup(out: &mut Vec<u8>, params: &[(&str, &str)]) -> Result<(), EncodeError> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&PROTOCOL_V3.to_be_bytes());
    let r = (|| {
        for (name, value) in params {
            put_cstr(out, name.as_bytes())?;
            put_cstr(out, value.as_bytes())?;
        }
        out.push(0);
        finish(out, start)
    })();
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// PasswordMessage with a cleartext or md5 password.
pub fn put_password(out: &mut Vec<u8>, password: &[u8]) -> Result<(), EncodeError> {
    message(out, b'p', |out| put_cstr(out, password))
}

/// SASLInitialResponse: the chosen mechanism and the client-first message.
pub fn put_sasl_initial(
    out: &mut Vec<u8>,
    mechanism: &str,
    data: &[u8],
) -> Result<(), EncodeError> {
    message(out, b'p', |out| {
        put_cstr(out, mechanism.as_bytes())?;
        let len = i32::try_from(data.len()).map_err(|_| EncodeError::TooLong)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(data);
        Ok(())
    })
}

/// SASLResponse: the client-final message.
pub fn put_sasl_response(out: &mut Vec<u8>, data: &[u8]) -> Result<(), EncodeError> {
    message(out, b'p', |out| {
        out.extend_from_slice(data);
        Ok(())
    })
}

/// Parse of the unnamed statement, every parameter's type left to the server.
pub fn put_parse(out: &mut Vec<u8>, sql: &str) -> Result<(), EncodeError> {
    message(out, b'P', |out| {
        put_cstr(out, b"")?;
        put_cstr(out, sql.as_bytes())?;
        out.extend_from_slice(&0i16.to_be_bytes());
        Ok(())
    })
}

/// Bind of the unnamed portal to the unnamed statement: parameters and
/// results all in text format; `None` is SQL NULL.
pub fn put_bind(out: &mut Vec<u8>, params: &[Option<&[u8]>]) -> Result<(), EncodeError> {
    message(out, b'B', |out| {
        put_cstr(out, b"")?;
        put_cstr(out, b"")?;
        // No parameter format codes: all text.
        out.extend_from_slice(&0i16.to_be_bytes());
        let count = i16::try_from(params.len()).map_err(|_| EncodeError::TooLong)?;
        out.extend_from_slice(&count.to_be_bytes());
        for param in params {
            match param {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(value) => {
                    let len = i32::try_from(value.len()).map_err(|_| EncodeError::TooLong)?;
                    out.extend_from_slice(&len.to_be_bytes());
                    out.extend_from_slice(value);
                }
            }
        }
        // No result format codes: all text.
        out.extend_from_slice(&0i16.to_be_bytes());
        Ok(())
    })
}

/// Describe of the unnamed portal (answered by RowDescription or NoData).
pub fn put_describe_portal(out: &mut Vec<u8>) -> Result<(), EncodeError> {
    message(out, b'D', |out| {
        out.push(b'P');
        put_cstr(out, b"")
    })
}

/// Execute of the unnamed portal, all rows.
pub fn put_execute(out: &mut Vec<u8>) -> Result<(), EncodeError> {
    message(out, b'E', |out| {
        put_cstr(out, b"")?;
        out.extend_from_slice(&0i32.to_be_bytes());
        Ok(())
    })
}

/// Sync: ends the extended-query cycle (the server answers ReadyForQuery).
pub fn put_sync(out: &mut Vec<u8>) {
    out.extend_from_slice(&[b'S', 0, 0, 0, 4]);
}

/// Terminate: the polite goodbye before closing.
pub fn put_terminate(out: &mut Vec<u8>) {
    out.extend_from_slice(&[b'X', 0, 0, 0, 4]);
}

/// A message split off a buffer: type byte, body, bytes used in all.
pub type Frame<'a> = (u8, &'a [u8], usize);

/// Size of a backend message header: type byte and length.
pub const HEADER_LEN: usize = 5;

/// Splits the first complete message off `buf`: `Ok(Some((tag, body,
/// consumed)))`, `Ok(None)` when more bytes are needed (then
/// [`needed`] tells how many in all).
pub fn frame(buf: &[u8]) -> Result<Option<Frame<'_>>, ProtocolError> {
    let Some(total) = needed(buf)? else {
        return Ok(None);
    };
    if buf.len() < total {
        return Ok(None);
    }
    Ok(Some((buf[0], &buf[HEADER_LEN..total], total)))
}

/// How many bytes the first message of `buf` takes in all, once its header
/// is there (`None` before).
pub fn needed(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    if len < 4 {
        return Err(ProtocolError("message length below 4"));
    }
    Ok(Some(len as usize + 1))
}

/// A cursor over a message body.
struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if self.buf.len() < n {
            return Err(ProtocolError("message shorter than its fields"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> Result<i16, ProtocolError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, ProtocolError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn cstr(&mut self) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or(ProtocolError("string without its NUL"))?;
        let s = &self.buf[..end];
        self.buf = &self.buf[end + 1..];
        Ok(s)
    }

    fn str(&mut self) -> Result<&'a str, ProtocolError> {
        core::str::from_utf8(self.cstr()?).map_err(|_| ProtocolError("string not UTF-8"))
    }

    fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }
}

/// An authentication request (message `R`).
#[derive(Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    /// Authenticated.
    Ok,
    /// Send the password in clear.
    Cleartext,
    /// Send `md5` of the password with this salt.
    Md5 {
        /// The server's salt.
        salt: [u8; 4],
    },
    /// Start SASL with one of these mechanisms (a list of C strings).
    Sasl {
        /// The mechanisms, NUL-separated.
        mechanisms: &'a [u8],
    },
    /// SASL challenge data (SCRAM's server-first message).
    SaslContinue(&'a [u8]),
    /// SASL outcome data (SCRAM's server-final message).
    SaslFinal(&'a [u8]),
    /// A method this client does not speak (Kerberos, GSSAPI, SSPI), by number.
    Unsupported(i32),
}

/// The fields of an ErrorResponse or NoticeResponse, as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    /// The field with this code (`S` severity, `V` non-localised severity,
    /// `C` SQLSTATE, `M` message, `D` detail, `H` hint, `P` position...).
    pub fn get(&self, code: u8) -> Option<&'a str> {
        let mut c = Cursor { buf: self.0 };
        loop {
            let t = c.u8().ok()?;
            if t == 0 {
                return None;
            }
            let value = c.cstr().ok()?;
            if t == code {
                return core::str::from_utf8(value).ok();
            }
        }
    }
}

/// A RowDescription: the columns of the rows that follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowDescription<'a> {
    count: usize,
    body: &'a [u8],
}

/// One column of a [`RowDescription`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column<'a> {
    /// The column's name.
    pub name: &'a str,
    /// The OID of its type (`pg_type.oid`).
    pub type_oid: u32,
}

impl<'a> RowDescription<'a> {
    /// Number of columns.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no columns.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The columns, checked one by one.
    pub fn columns(&self) -> impl Iterator<Item = Result<Column<'a>, ProtocolError>> + 'a {
        let mut c = Cursor { buf: self.body };
        (0..self.count).map(move |_| {
            let name = c.str()?;
            let _table_oid = c.i32()?;
            let _column = c.i16()?;
            let type_oid = c.i32()? as u32;
            let _type_size = c.i16()?;
            let _type_modifier = c.i32()?;
            let _format = c.i16()?;
            Ok(Column { name, type_oid })
        })
    }
}

/// A DataRow: one value per column, `None` for NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRow<'a> {
    count: usize,
    body: &'a [u8],
}

impl<'a> DataRow<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the row has no values.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The values, checked one by one.
    pub fn values(&self) -> impl Iterator<Item = Result<Option<&'a [u8]>, ProtocolError>> + 'a {
        let mut c = Cursor { buf: self.body };
        (0..self.count).map(move |_| {
            let len = c.i32()?;
            if len < 0 {
                Ok(None)
            } else {
                c.take(len as usize).map(Some)
            }
        })
    }
}

/// A message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Backend<'a> {
    /// `R`: an authentication step.
    Authentication(Auth<'a>),
    /// `S`: a run-time parameter's value (server_version, TimeZone...).
    ParameterStatus {
        /// The parameter.
        name: &'a str,
        /// Its value.
        value: &'a str,
    },
    /// `K`: the key for cancelling this session's queries.
    BackendKeyData,
    /// `Z`: ready for the next query; the transaction status (`I`, `T`, `E`).
    ReadyForQuery(u8),
    /// `T`: the columns of the rows to come.
    RowDescription(RowDescription<'a>),
    /// `D`: a row.
    DataRow(DataRow<'a>),
    /// `C`: a command finished; its tag (`SELECT 3`, `INSERT 0 1`...).
    CommandComplete(&'a str),
    /// `I`: the query string was empty.
    EmptyQueryResponse,
    /// `E`: the command failed.
    ErrorResponse(Fields<'a>),
    /// `N`: a warning or notice.
    NoticeResponse(Fields<'a>),
    /// `1`
    ParseComplete,
    /// `2`
    BindComplete,
    /// `3`
    CloseComplete,
    /// `n`: the portal returns no rows.
    NoData,
    /// `t`: the statement's parameter types.
    ParameterDescription,
    /// `A`: a NOTIFY on a channel this session listens to.
    NotificationResponse,
    /// `s`: Execute stopped at its row limit.
    PortalSuspended,
    /// `v`: the server speaks an older minor version or lacks options.
    NegotiateProtocolVersion,
    /// Anything else (COPY messages and future ones), by type byte.
    Other(u8),
}

impl<'a> Backend<'a> {
    /// Parses the body of a message of type `tag`.
    pub fn parse(tag: u8, body: &'a [u8]) -> Result<Backend<'a>, ProtocolError> {
        let mut c = Cursor { buf: body };
        Ok(match tag {
            b'R' => Backend::Authentication(match c.i32()? {
                0 => Auth::Ok,
                3 => Auth::Cleartext,
                5 => {
                    let s = c.take(4)?;
                    Auth::Md5 {
                        salt: [s[0], s[1], s[2], s[3]],
                    }
                }
                10 => Auth::Sasl {
                    mechanisms: c.rest(),
                },
                11 => Auth::SaslContinue(c.rest()),
                12 => Auth::SaslFinal(c.rest()),
                other => Auth::Unsupported(other),
            }),
            b'S' => Backend::ParameterStatus {
                name: c.str()?,
                value: c.str()?,
            },
            b'K' => Backend::BackendKeyData,
            b'Z' => Backend::ReadyForQuery(c.u8()?),
            b'T' => {
                let count = c.i16()?;
                if count < 0 {
                    return Err(ProtocolError("negative column count"));
                }
                let description = RowDescription {
                    count: count as usize,
                    body: c.rest(),
                };
                // Check every column now, so later walks cannot fail.
                for column in description.columns() {
                    column?;
                }
                Backend::RowDescription(description)
            }
            b'D' => {
                let count = c.i16()?;
                if count < 0 {
                    return Err(ProtocolError("negative value count"));
                }
                let row = DataRow {
                    count: count as usize,
                    body: c.rest(),
                };
                for value in row.values() {
                    value?;
                }
                Backend::DataRow(row)
            }
            b'C' => Backend::CommandComplete(c.str()?),
            b'I' => Backend::EmptyQueryResponse,
            b'E' => Backend::ErrorResponse(Fields(body)),
            b'N' => Backend::NoticeResponse(Fields(body)),
            b'1' => Backend::ParseComplete,
            b'2' => Backend::BindComplete,
            b'3' => Backend::CloseComplete,
            b'n' => Backend::NoData,
            b't' => Backend::ParameterDescription,
            b'A' => Backend::NotificationResponse,
            b's' => Backend::PortalSuspended,
            b'v' => Backend::NegotiateProtocolVersion,
            other => Backend::Other(other),
        })
    }
}

/// Iterates the NUL-separated mechanism names of an AuthenticationSASL.
pub fn mechanisms(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    list.split(|&b| b == 0).filter(|m| !m.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn startup_packet() {
        let mut out = Vec::new();
        put_startup(&mut out, &[("user", "bob"), ("database", "db")]).unwrap();
        let mut expected = vec![0, 0, 0, 30, 0, 3, 0, 0];
        expected.extend_from_slice(b"user\0bob\0database\0db\0\0");
        assert_eq!(out, expected);
    }

    #[test]
    fn extended_query_messages() {
        let mut out = Vec::new();
        put_parse(&mut out, "select $1").unwrap();
        assert_eq!(out, b"P\0\0\0\x11\0select $1\0\0\0");
        out.clear();
        put_bind(&mut out, &[Some(b"42"), None]).unwrap();
        assert_eq!(
            out,
            b"B\0\0\0\x16\0\0\0\0\0\x02\0\0\0\x0242\xff\xff\xff\xff\0\0"
        );
        out.clear();
        put_describe_portal(&mut out).unwrap();
        put_execute(&mut out).unwrap();
        put_sync(&mut out);
        assert_eq!(out, b"D\0\0\0\x06P\0E\0\0\0\x09\0\0\0\0\0S\0\0\0\x04");
    }

    #[test]
    fn nul_in_sql_is_refused_and_leaves_the_buffer_alone() {
        let mut out = b"xyz".to_vec();
        assert_eq!(
            put_parse(&mut out, "select 1\0; drop"),
            Err(EncodeError::Nul)
        );
        assert_eq!(out, b"xyz");
        assert_eq!(
            put_startup(&mut out, &[("user", "a\0b")]),
            Err(EncodeError::Nul)
        );
        assert_eq!(out, b"xyz");
    }

    #[test]
    fn too_many_parameters_are_refused() {
        let params = vec![None; 40_000];
        let mut out = Vec::new();
        assert_eq!(put_bind(&mut out, &params), Err(EncodeError::TooLong));
        assert!(out.is_empty());
    }

    #[test]
    fn framing_waits_for_whole_messages() {
        let bytes = b"Z\0\0\0\x05IC\0\0\0\x0dSELECT 1\0";
        assert_eq!(frame(&bytes[..3]), Ok(None));
        assert_eq!(needed(&bytes[..5]), Ok(Some(6)));
        assert_eq!(frame(&bytes[..5]), Ok(None));
        let (tag, body, used) = frame(bytes).unwrap().unwrap();
        assert_eq!((tag, body, used), (b'Z', &b"I"[..], 6));
        assert_eq!(Backend::parse(tag, body), Ok(Backend::ReadyForQuery(b'I')));
        let (tag, body, used) = frame(&bytes[6..]).unwrap().unwrap();
        assert_eq!(used, 14);
        assert_eq!(
            Backend::parse(tag, body),
            Ok(Backend::CommandComplete("SELECT 1"))
        );
        assert!(frame(b"Z\0\0\0\x03").is_err());
    }

    #[test]
    fn authentication_requests() {
        assert_eq!(
            Backend::parse(b'R', &[0, 0, 0, 0]),
            Ok(Backend::Authentication(Auth::Ok))
        );
        assert_eq!(
            Backend::parse(b'R', &[0, 0, 0, 5, 1, 2, 3, 4]),
            Ok(Backend::Authentication(Auth::Md5 { salt: [1, 2, 3, 4] }))
        );
        let sasl = b"\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0";
        let Ok(Backend::Authentication(Auth::Sasl { mechanisms: m })) = Backend::parse(b'R', sasl)
        else {
            panic!("not SASL");
        };
        let names: Vec<&[u8]> = mechanisms(m).collect();
        assert_eq!(names, [&b"SCRAM-SHA-256-PLUS"[..], b"SCRAM-SHA-256"]);
        assert_eq!(
            Backend::parse(b'R', &[0, 0, 0, 7]),
            Ok(Backend::Authentication(Auth::Unsupported(7)))
        );
        assert!(Backend::parse(b'R', &[0, 0, 0, 5, 1]).is_err());
    }

    #[test]
    fn row_description_and_data_row() {
        let mut t = vec![0, 2];
        for (name, oid) in [("id", 23u32), ("name", 25)] {
            t.extend_from_slice(name.as_bytes());
            t.push(0);
            t.extend_from_slice(&[0; 6]);
            t.extend_from_slice(&oid.to_be_bytes());
            t.extend_from_slice(&[0; 8]);
        }
        let Ok(Backend::RowDescription(d)) = Backend::parse(b'T', &t) else {
            panic!("not a row description");
        };
        let columns: Vec<Column> = d.columns().map(Result::unwrap).collect();
        assert_eq!(
            columns[1],
            Column {
                name: "name",
                type_oid: 25
            }
        );
        assert!(Backend::parse(b'T', &t[..t.len() - 1]).is_err());

        let row = b"\0\x02\0\0\0\x017\xff\xff\xff\xff";
        let Ok(Backend::DataRow(r)) = Backend::parse(b'D', row) else {
            panic!("not a data row");
        };
        let values: Vec<Option<&[u8]>> = r.values().map(Result::unwrap).collect();
        assert_eq!(values, [Some(&b"7"[..]), None]);
        assert!(Backend::parse(b'D', b"\0\x01\0\0\0\x09abc").is_err());
        assert!(Backend::parse(b'D', b"\xff\xff").is_err());
    }

    #[test]
    fn error_fields() {
        let body = b"SERROR\0VERROR\0C42P01\0Mrelation \"nope\" does not exist\0P15\0\0";
        let Ok(Backend::ErrorResponse(f)) = Backend::parse(b'E', body) else {
            panic!("not an error");
        };
        assert_eq!(f.get(b'C'), Some("42P01"));
        assert_eq!(f.get(b'M'), Some("relation \"nope\" does not exist"));
        assert_eq!(f.get(b'H'), None);
        // A truncated list ends the search instead of failing.
        assert_eq!(Fields(b"SERROR").get(b'C'), None);
    }
}
