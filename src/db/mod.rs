//! Database clients spoken natively over TCP: PostgreSQL ([`postgres`]) and
//! Redis ([`redis`]).
//!
//! Both protocols are written against the [`crate::net::Transport`] and
//! [`crate::net::Connector`] traits, so the same code runs over the port's
//! network in the firmware and over a host `std::net::TcpStream` in tests
//! (one open connection per binding, reopened on the next call after a
//! failure).
//!
//! Nothing here allocates per byte or panics on what a server sends: every
//! message length is checked against a configured limit before a buffer
//! grows.

#[cfg(feature = "db-clients")]
pub mod postgres;
#[cfg(feature = "db-clients")]
pub mod redis;

use alloc::vec::Vec;

use core::sync::atomic::{AtomicU32, Ordering};

pub use crate::net::{Connector, PortConnector, PortTransport, Transport};
use crate::port::{Entropy, NetError};
use crate::rtos;

/// Nonce bytes for SCRAM: from the port's `entropy`. Where it fails, from
/// what the core can observe (the tick count, a call counter, the
/// heap's state, whitened with SHA-256): unique per exchange, which a SCRAM
/// client nonce needs most, though not secret.
pub fn scram_nonce(entropy: &dyn Entropy, buf: &mut [u8]) {
    if entropy.fill(buf).is_ok() {
        return;
    }
    use sha2::{Digest, Sha256};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    // A load and a store, not fetch_add: the RP2040 has no atomic RMW.
    let call = CALLS.load(Ordering::Relaxed).wrapping_add(1);
    CALLS.store(call, Ordering::Relaxed);
    let heap = rtos::heap_stats();
    for (counter, chunk) in buf.chunks_mut(32).enumerate() {
        let mut h = Sha256::new();
        h.update(call.to_le_bytes());
        h.update((counter as u64).to_le_bytes());
        h.update((rtos::tick_count() as u64).to_le_bytes());
        h.update((heap.free as u64).to_le_bytes());
        h.update((heap.peak as u64).to_le_bytes());
        h.update((chunk.as_ptr() as usize as u64).to_le_bytes());
        let digest = h.finalize();
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
}

/// The source of the SCRAM client nonce (see [`scram_nonce`]).
pub type RandomSource = &'static dyn Entropy;

/// A growable receive buffer that hands out complete protocol frames.
///
/// Bytes are read from the transport into `buf[end..]`; the protocol parses
/// `buf[start..end]` and consumes what it used. The buffer never grows past
/// `limit` bytes of one pending frame.
pub(crate) struct RecvBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Bytes read from the transport at a time.
const READ_CHUNK: usize = 1024;

impl RecvBuffer {
    pub(crate) fn new() -> RecvBuffer {
        RecvBuffer {
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// The bytes received and not consumed yet.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks `n` pending bytes as used.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads until at least `want` bytes are pending (`want` more than
    /// pending now), refusing to hold more than `limit` pending bytes. A
    /// closed connection is [`NetError::Closed`].
    pub(crate) fn fill<T: Transport + ?Sized>(
        &mut self,
        io: &mut T,
        want: usize,
        limit: usize,
    ) -> Result<(), FillError> {
        if want > limit {
            return Err(FillError::TooLarge);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // Read ahead a chunk when the limit allows: one frame rarely comes alone.
        let capacity = (self.end + READ_CHUNK).min(limit).max(want);
        if self.buf.len() < capacity {
            self.buf
                .try_reserve(capacity - self.buf.len())
                .map_err(|_| FillError::TooLarge)?;
            self.buf.resize(capacity, 0);
        }
        while self.end < want {
            let n = io.read(&mut self.buf[self.end..])?;
            if n == 0 {
                return Err(FillError::Net(NetError::Closed));
            }
            self.end += n;
        }
        Ok(())
    }

    /// Drops the buffer's memory when it grew for a large frame.
    #[cfg(feature = "db-clients")]
    pub(crate) fn shrink(&mut self) {
        if self.start == self.end && self.buf.len() > 4 * READ_CHUNK {
            self.buf = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }
}

/// Why [`RecvBuffer::fill`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FillError {
    /// The transport failed or closed.
    Net(NetError),
    /// A frame would exceed the configured limit (or memory ran out).
    TooLarge,
}

impl From<NetError> for FillError {
    fn from(e: NetError) -> FillError {
        FillError::Net(e)
    }
}

/// Decodes `%XX` escapes of a URL component.
#[cfg(feature = "db-clients")]
pub(crate) fn percent_decode(s: &str) -> Option<alloc::string::String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    alloc::string::String::from_utf8(out).ok()
}

/// The parts of a `scheme://user:password@host:port/path` URL.
#[cfg(feature = "db-clients")]
pub(crate) struct UrlParts {
    pub(crate) user: Option<alloc::string::String>,
    pub(crate) password: Option<alloc::string::String>,
    pub(crate) host: alloc::string::String,
    pub(crate) port: Option<u16>,
    pub(crate) path: alloc::string::String,
}

/// Splits a database URL with the given scheme(s); `None` when malformed.
#[cfg(feature = "db-clients")]
pub(crate) fn split_url(url: &str, schemes: &[&str]) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    if !schemes.contains(&scheme) {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Some(percent_decode(u)?), Some(percent_decode(p)?)),
            None => (Some(percent_decode(info)?), None),
        },
        None => (None, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse().ok()?)),
        None => (hostport, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(UrlParts {
        user: user.filter(|u| !u.is_empty()),
        password,
        host: percent_decode(host)?,
        port,
        path: percent_decode(path)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_everything() {
        let u = split_url(
            "postgres://al%40ice:p%3Ass@db.local:6543/app?sslmode=disable",
            &["postgres"],
        )
        .unwrap();
        assert_eq!(u.user.as_deref(), Some("al@ice"));
        assert_eq!(u.password.as_deref(), Some("p:ss"));
        assert_eq!(u.host, "db.local");
        assert_eq!(u.port, Some(6543));
        assert_eq!(u.path, "app");
    }

    #[test]
    fn url_minimal_and_malformed() {
        let u = split_url("redis://127.0.0.1", &["redis"]).unwrap();
        assert_eq!((u.user, u.password, u.port), (None, None, None));
        assert!(split_url("http://x", &["redis"]).is_none());
        assert!(split_url("redis://x:notaport", &["redis"]).is_none());
        assert!(split_url("redis://:pw@", &["redis"]).is_none());
        assert!(split_url("redis://x/%zz", &["redis"]).is_none());
    }
}
