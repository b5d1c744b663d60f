//! The admin API as the server sees it: a route target under `/_isere/`
//! (besides `/_isere/stats`, which the server answers itself). The server
//! parses the call, streams its body and writes the answer; what the call
//! does is the [`AdminApi`] implementation's business (the over-the-air
//! layer's, `crate::ota::admin`), handed to the server at start.

use alloc::string::String;
use alloc::vec::Vec;

/// An admin call, as the server parsed it.
pub struct AdminRequest<'a> {
    /// Method.
    pub method: &'a str,
    /// The path after `/_isere/`.
    pub path: &'a str,
    /// The query string (after `?`), possibly empty.
    pub query: &'a str,
    /// The `Authorization` header (a signature: `crate::ota::auth`).
    pub authorization: Option<&'a [u8]>,
}

/// Why a request body could not be read: the status to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyError(pub u16);

/// A request body, streamed.
pub trait BodySource {
    /// Replaces `out` with the next bytes of the body; `Ok(false)` once the
    /// body has ended.
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, BodyError>;
}

/// The answer to an admin call.
pub struct AdminResponse {
    /// Status code.
    pub status: u16,
    /// `content-type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// Extra header fields.
    pub headers: Vec<(String, String)>,
}

/// A JSON object of one string member, `{"KEY": value}` (errors, and
/// answers as small): one serializer for all of them.
pub struct OneField<'a> {
    /// The member's name.
    pub key: &'static str,
    /// Its value.
    pub value: &'a str,
}

impl serde::Serialize for OneField<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut object = serializer.serialize_struct("OneField", 1)?;
        object.serialize_field(self.key, self.value)?;
        object.end()
    }
}

impl AdminResponse {
    /// A JSON answer: `value` serialised.
    pub fn json<T: serde::Serialize>(status: u16, value: &T) -> AdminResponse {
        AdminResponse {
            status,
            content_type: "application/json",
            body: crate::json::to_vec(value),
            headers: Vec::new(),
        }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: &str) -> AdminResponse {
        AdminResponse::json(
            status,
            &OneField {
                key: "error",
                value: message,
            },
        )
    }

    /// `{"error": message}` with `status`, the message formatted here (one
    /// out-of-line place, instead of a `String` made and dropped at each
    /// of the admin API's many refusals).
    #[inline(never)]
    pub fn error_fmt(status: u16, message: core::fmt::Arguments<'_>) -> AdminResponse {
        AdminResponse::error(status, &alloc::format!("{message}"))
    }
}

/// An admin call that passed [`AdminApi::authenticate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The body's SHA-256 its signature covers (`None`: a public call,
    /// whose body is not read).
    pub body_sha256: Option<[u8; 32]>,
}

/// The admin API behind `/_isere/` (see the module docs).
pub trait AdminApi: Sync {
    /// Decides on `req` from its head alone, before any of its body is read
    /// (so `100 Continue` goes only to an authenticated call). Also asked
    /// about `stats`, which the server answers itself when this passes.
    fn authenticate(&self, req: &AdminRequest<'_>) -> Result<Authenticated, AdminResponse>;
    /// Answers `req`, authenticated as `auth`, reading its body from `body`.
    fn handle(
        &self,
        req: &AdminRequest<'_>,
        auth: Authenticated,
        body: &mut dyn BodySource,
    ) -> AdminResponse;
}
