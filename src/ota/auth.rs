//! Admin request signatures: no admin secret crosses the wire or sits on
//! the device.
//!
//! Each admin call carries one header,
//!
//! ```text
//! authorization: Isere-Ed25519 time=T,nonce=N,body=B,sig=S
//! ```
//!
//! `T` a decimal counter (the CLI uses milliseconds since the epoch, or
//! more, see below), `N` 16 random bytes (32 hex digits), `B` the SHA-256
//! of the body (64 hex digits; of nothing when there is none), `S` the
//! Ed25519 signature (128 hex digits), by one of `admin.admin_keys`, over
//! [`signed_message`]: the device id, method, path, query, `T`, `N` and `B`,
//! one a line. The device holds public keys only: reading its flash gives
//! nothing to sign with; a captured request names its device (no other
//! accepts it), its method, path and body (no other call can be made of
//! it), and is refused when replayed.
//!
//! # Replay protection without a clock
//!
//! The RP2040 has no clock that knows the date, so `T` is compared only
//! with the `T`s the device has accepted, never with a clock: [`ReplayGuard`]
//! accepts a request whose `T` is above its floor and whose `(T, N)` it
//! has not seen, and keeps the last [`SEEN`] of them. The floor is the
//! highest `T` accepted less [`REPLAY_WINDOW`] (requests may arrive out of
//! order within it: two terminals, or a retry), raised to any `T` it had to
//! forget for room. So every request ever accepted is either remembered or
//! at or below the floor.
//!
//! A restart must not forget: before a request with `T` above the
//! persisted floor acts, the device writes `T +` [`RESERVE`] to its state
//! (one small flash write per hour of admin activity, not one per
//! request), and starts from that floor. After a restart a client's clock
//! may be below it: `GET /_isere/device` (no signature needed; it reveals
//! the device id, its fleet and the floor, nothing reusable) tells the CLI
//! the floor, and the CLI signs with `max(now, floor + 1)`. `T` is thus a
//! counter the admin's clock usually drives, never a time the device
//! trusts.

use alloc::string::String;
use alloc::vec::Vec;

use ed25519_dalek::{Signature, VerifyingKey};

use super::bundle;

/// The `authorization` scheme of a signed admin request.
pub const SCHEME: &str = "Isere-Ed25519";
/// How far below the highest `T` accepted a request may still be (ms).
pub const REPLAY_WINDOW: u64 = 5 * 60 * 1000;
/// How far above a request's `T` the persisted floor is set (ms).
pub const RESERVE: u64 = 60 * 60 * 1000;
/// Requests remembered within the window (24 bytes each).
pub const SEEN: usize = 16;

/// What the `authorization` header of a signed admin request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The request's counter.
    pub time: u64,
    /// Its nonce.
    pub nonce: [u8; 16],
    /// SHA-256 of its body.
    pub body_sha256: [u8; 32],
    /// The signature of [`signed_message`].
    pub signature: [u8; 64],
}

/// Why an admin request was not authenticated (each a 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `authorization: Isere-Ed25519 ...` header, or a malformed one.
    Missing,
    /// The device trusts no admin key.
    NoAdminKey,
    /// Not signed by an admin key of the device (or for another request).
    BadSignature,
    /// `T` is at or below the floor (the value).
    Stale(u64),
    /// The very request was accepted before.
    Replayed,
}

impl core::fmt::Display for AuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AuthError::Missing => write!(
                f,
                "admin calls are signed: `authorization: {SCHEME} time=T,nonce=N,body=SHA256,sig=S` (the isere CLI signs them)"
            ),
            AuthError::NoAdminKey => {
                f.write_str("this device has no admin.admin_keys: provision one (isere keygen)")
            }
            AuthError::BadSignature => {
                f.write_str("bad signature: not by an admin key of this device, or for another request or device")
            }
            AuthError::Stale(floor) => write!(f, "stale request: time must be above {floor}"),
            AuthError::Replayed => f.write_str("replayed request: sign each request anew"),
        }
    }
}

fn hex_into(out: &mut [u8], s: &str) -> Option<()> {
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(s.chunks(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *o = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(())
}

impl Credentials {
    /// Parses the `authorization` header's value; `None` unless every field
    /// is there once and well formed.
    pub fn parse(header: &[u8]) -> Option<Credentials> {
        let text = core::str::from_utf8(header).ok()?;
        let fields = text.strip_prefix(SCHEME)?.strip_prefix(' ')?;
        let mut c = Credentials {
            time: 0,
            nonce: [0; 16],
            body_sha256: [0; 32],
            signature: [0; 64],
        };
        let mut found = 0u8;
        for field in fields.split(',') {
            let (key, value) = field.trim().split_once('=')?;
            let bit = match key {
                "time" => {
                    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                    c.time = value.parse().ok().filter(|_| digits)?;
                    1
                }
                "nonce" => hex_into(&mut c.nonce, value).map(|_| 2)?,
                "body" => hex_into(&mut c.body_sha256, value).map(|_| 4)?,
                "sig" => hex_into(&mut c.signature, value).map(|_| 8)?,
                _ => return None,
            };
            if found & bit != 0 {
                return None;
            }
            found |= bit;
        }
        (found == 15).then_some(c)
    }

    /// The header's value (for clients).
    pub fn to_header(&self) -> String {
        let mut s = alloc::format!("{SCHEME} time={},nonce=", self.time);
        bundle::hex(&mut s, &self.nonce);
        s.push_str(",body=");
        bundle::hex(&mut s, &self.body_sha256);
        s.push_str(",sig=");
        bundle::hex(&mut s, &self.signature);
        s
    }

    /// Whether one of `keys` signed this request to `device`.
    pub fn verify(&self, keys: &[VerifyingKey], device: &str, req: &RequestLine<'_>) -> bool {
        let message = signed_message(device, req, self.time, &self.nonce, &self.body_sha256);
        let signature = Signature::from_bytes(&self.signature);
        keys.iter()
            .any(|k| k.verify_strict(&message, &signature).is_ok())
    }
}

/// What of an admin request its signature covers besides the credentials.
pub struct RequestLine<'a> {
    /// Method.
    pub method: &'a str,
    /// The path after `/_isere/`.
    pub path: &'a str,
    /// The query (after `?`), possibly empty.
    pub query: &'a str,
}

/// The message an admin request's signature signs.
pub fn signed_message(
    device: &str,
    req: &RequestLine<'_>,
    time: u64,
    nonce: &[u8; 16],
    body_sha256: &[u8; 32],
) -> Vec<u8> {
    let mut m = alloc::format!(
        "isere admin v1\n{device}\n{}\n/_isere/{}\n{}\n{time}\n",
        req.method,
        req.path,
        req.query
    );
    bundle::hex(&mut m, nonce);
    m.push('\n');
    bundle::hex(&mut m, body_sha256);
    m.into_bytes()
}

/// The requests accepted lately and the floor below which none is (see
/// the module docs).
pub struct ReplayGuard {
    /// Nothing at or below it is accepted.
    floor: u64,
    /// The highest `T` accepted.
    high: u64,
    /// The floor as persisted: a request above it must raise it first.
    reserved: u64,
    seen: heapless::Vec<(u64, [u8; 16]), SEEN>,
}

impl ReplayGuard {
    /// A guard starting from the floor persisted before this start.
    pub fn new(persisted: u64) -> ReplayGuard {
        ReplayGuard {
            floor: persisted,
            high: persisted,
            reserved: persisted,
            seen: heapless::Vec::new(),
        }
    }

    /// The lowest `T` is this plus one. With the list of recent requests
    /// full, a new one must also be above the oldest kept (which it
    /// pushes out).
    pub fn floor(&self) -> u64 {
        let base = self.floor.max(self.high.saturating_sub(REPLAY_WINDOW));
        let oldest_kept = match self.seen.is_full() {
            true => self.seen.iter().map(|(t, _)| *t).min().unwrap_or(0),
            false => 0,
        };
        base.max(oldest_kept)
    }

    /// Accepts `(time, nonce)` once; `Ok(Some(f))` when floor `f` must be
    /// persisted (then [`ReplayGuard::persisted`]) before the request acts.
    pub fn admit(&mut self, time: u64, nonce: &[u8; 16]) -> Result<Option<u64>, AuthError> {
        let floor = self.floor();
        if time <= floor {
            return Err(AuthError::Stale(floor));
        }
        if self.seen.iter().any(|(t, n)| *t == time && n == nonce) {
            return Err(AuthError::Replayed);
        }
        // What is forgotten below stays refused: the floor keeps it out.
        self.floor = floor;
        self.seen.retain(|(t, _)| *t > floor);
        if self.seen.is_full() {
            // Forget the oldest; the floor rises to it, so it stays refused.
            let (i, oldest) = self
                .seen
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (i, *t))
                .min_by_key(|(_, t)| *t)
                .unwrap_or((0, 0));
            if time <= oldest {
                return Err(AuthError::Stale(oldest));
            }
            self.seen.swap_remove(i);
            self.floor = self.floor.max(oldest);
        }
        let _ = self.seen.push((time, *nonce));
        self.high = self.high.max(time);
        Ok((time > self.reserved).then(|| time.saturating_add(RESERVE)))
    }

    /// Records that floor `f` was persisted.
    pub fn persisted(&mut self, f: u64) {
        self.reserved = self.reserved.max(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_it_reports_is_the_one_it_applies() {
        let mut guard = ReplayGuard::new(0);
        // Clients that sign with `floor + 1`, as the tests and a CLI with a
        // clock behind the device's do, fill the list of recent requests.
        let mut accepted = Vec::new();
        for n in 0..(3 * SEEN as u64) {
            let time = guard.floor() + 1;
            let nonce = [n as u8; 16];
            guard
                .admit(time, &nonce)
                .unwrap_or_else(|e| panic!("request {n} at {time}: {e}"));
            assert!(guard.admit(time, &nonce).is_err(), "{n}: replayed at once");
            accepted.push((time, nonce));
        }
        // Every request accepted is refused again, whether still in the
        // list (seen) or pushed out of it (below the floor).
        for (time, nonce) in accepted {
            assert!(
                guard.admit(time, &nonce).is_err(),
                "replay of {time} accepted"
            );
        }
        assert!(guard.floor() > 0);
    }
}
