//! The port boundary: what the core needs from an OS or a board.
//!
//! Kept as small as FreeRTOS keeps `portable/`: TCP ([`Network`]), a wall
//! clock ([`Clock`]), an entropy source ([`Entropy`]), flash
//! ([`BlockDevice`]) and a console ([`Console`]). Every call that can block
//! blocks only the calling FreeRTOS task (never the scheduler) and takes a
//! timeout in ticks.
//!
//! A port implements these and its composition root hands them down in
//! [`crate::services::Services`]; nothing in the core looks them up.
//! [`NoNetwork`] stands in for a board without a network; the unit tests'
//! in-memory network and test clock, entropy and console are in `mem`
//! (simulator builds only, and the `fuzzing` feature's targets).

use crate::rtos::TickType;

#[cfg(all(any(test, feature = "fuzzing"), feature = "port-posix"))]
pub mod mem;

/// A connected TCP socket, as numbered by the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Socket(pub u32);

/// A listening TCP socket, as numbered by the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Listener(pub u32);

/// Why a network operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetError {
    /// The timeout passed before the operation could proceed.
    TimedOut,
    /// The peer reset or the connection is gone.
    Closed,
    /// The address is taken or not available.
    AddrUnavailable,
    /// The port ran out of sockets or memory.
    Exhausted,
    /// The peer refused the connection (nothing listens on that port).
    Refused,
    /// The host name does not resolve to an IPv4 address.
    HostNotFound,
    /// The port cannot resolve host names (only IPv4 literals and `localhost`).
    NameResolutionUnsupported,
    /// No route to the host, or the network is down (no address yet).
    Unreachable,
    /// Any other failure, with the port's error code.
    Other(i32),
}

impl core::fmt::Display for NetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NetError::TimedOut => f.write_str("timed out"),
            NetError::Closed => f.write_str("connection closed"),
            NetError::AddrUnavailable => f.write_str("address unavailable"),
            NetError::Exhausted => f.write_str("out of sockets"),
            NetError::Refused => f.write_str("connection refused"),
            NetError::HostNotFound => f.write_str("host not found"),
            NetError::NameResolutionUnsupported => {
                f.write_str("this port cannot resolve host names: use an IPv4 address or localhost")
            }
            NetError::Unreachable => f.write_str("host unreachable (network down?)"),
            NetError::Other(code) => write!(f, "network error {code}"),
        }
    }
}

/// TCP over the port's network stack (host sockets, smoltcp, ...).
pub trait Network: Sync {
    /// Listens on `port` of the IPv4 address `addr` (`[0,0,0,0]` for all);
    /// port 0 picks a free one.
    fn listen(&self, addr: [u8; 4], port: u16) -> Result<Listener, NetError>;
    /// The port a listener is bound to.
    fn local_port(&self, listener: Listener) -> u16;
    /// Waits up to `timeout` ticks for a connection.
    fn accept(&self, listener: Listener, timeout: TickType) -> Result<Socket, NetError>;
    /// Reads what is available into `buf`, waiting up to `timeout` ticks for
    /// at least one byte. `Ok(0)` means the peer closed its side.
    fn recv(&self, socket: Socket, buf: &mut [u8], timeout: TickType) -> Result<usize, NetError>;
    /// Writes part of `buf`, waiting up to `timeout` ticks for room.
    fn send(&self, socket: Socket, buf: &[u8], timeout: TickType) -> Result<usize, NetError>;
    /// Closes the socket (after sending what was queued).
    fn close(&self, socket: Socket);
    /// The IPv4 address of the peer of a connected socket (`None` when the
    /// port cannot tell).
    fn peer_addr(&self, socket: Socket) -> Option<[u8; 4]> {
        let _ = socket;
        None
    }
    /// Opens a TCP connection to `port` of the IPv4 address `addr`, waiting
    /// up to `timeout` ticks for the handshake. The socket then works with
    /// `recv`/`send`/`close` as an accepted one does.
    fn connect(&self, addr: [u8; 4], port: u16, timeout: TickType) -> Result<Socket, NetError>;
    /// Resolves a host name to an IPv4 address, waiting up to `timeout`
    /// ticks. IPv4 literals and `localhost` work on every port (see
    /// [`resolve_literal`]); this default resolves nothing else, and a port
    /// with name resolution overrides it.
    fn resolve(&self, host: &str, timeout: TickType) -> Result<[u8; 4], NetError> {
        let _ = timeout;
        resolve_literal(host).ok_or(NetError::NameResolutionUnsupported)
    }
}

/// An IPv4 literal (`a.b.c.d`, each part decimal 0-255) or `localhost`
/// (127.0.0.1); `None` for anything else.
pub fn resolve_literal(host: &str) -> Option<[u8; 4]> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some([127, 0, 0, 1]);
    }
    let mut addr = [0u8; 4];
    let mut parts = host.split('.');
    for byte in addr.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *byte = part.parse().ok()?;
    }
    parts.next().is_none().then_some(addr)
}

/// Wall-clock time.
pub trait Clock: Sync {
    /// Seconds since the Unix epoch (for `Date` headers).
    fn unix_time(&self) -> u64;

    /// Milliseconds since the Unix epoch, by the clock JS's `Date.now()`
    /// reads on this port (JS timers wait until it has moved by their delay).
    fn unix_millis(&self) -> u64 {
        self.unix_time().saturating_mul(1000)
    }
}

/// The port has no entropy to give (no source, or the source failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntropyError;

impl core::fmt::Display for EntropyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("no entropy source")
    }
}

/// Unpredictable bytes from the hardware (or the host), only used to seed
/// and reseed the core's generator (`crypto::random::Drbg`), so it may be
/// slow. Each byte should carry close to 8 bits of entropy: a source with
/// biased raw bits debiases them itself. May block the calling task for a
/// moment; never called from an interrupt.
pub trait Entropy: Sync {
    /// Fills all of `buf`, or fails without a partial result being used.
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// Where log lines go.
pub trait Console: Sync {
    /// Writes one complete line (atomically with respect to other lines).
    fn write_line(&self, line: &str);
}

/// A port without a network (the ESP32-C3 until its Wi-Fi is driven):
/// every operation fails with [`NetError::Unreachable`].
pub struct NoNetwork;

impl Network for NoNetwork {
    fn listen(&self, _addr: [u8; 4], _port: u16) -> Result<Listener, NetError> {
        Err(NetError::Unreachable)
    }
    fn local_port(&self, _listener: Listener) -> u16 {
        0
    }
    fn accept(&self, _listener: Listener, _timeout: TickType) -> Result<Socket, NetError> {
        Err(NetError::Unreachable)
    }
    fn recv(&self, _s: Socket, _buf: &mut [u8], _timeout: TickType) -> Result<usize, NetError> {
        Err(NetError::Closed)
    }
    fn send(&self, _s: Socket, _buf: &[u8], _timeout: TickType) -> Result<usize, NetError> {
        Err(NetError::Closed)
    }
    fn close(&self, _socket: Socket) {}
    fn connect(&self, _addr: [u8; 4], _port: u16, _timeout: TickType) -> Result<Socket, NetError> {
        Err(NetError::Unreachable)
    }
}

/// Writes all of `buf`, each wait bounded by `timeout` ticks.
pub fn send_all(
    net: &dyn Network,
    socket: Socket,
    mut buf: &[u8],
    timeout: TickType,
) -> Result<(), NetError> {
    while !buf.is_empty() {
        let n = net.send(socket, buf, timeout)?;
        if n == 0 {
            return Err(NetError::Closed);
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Size of a flash block: the unit the file system erases (the RP2040's
/// flash sector). Every port uses the same geometry, so an image made on the
/// simulator mounts on a board.
pub const FLASH_BLOCK_SIZE: u32 = 4096;

/// Why a block-device operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// The device could not read, program or erase (or lost power).
    Io,
    /// The block or range lies outside the device.
    OutOfRange,
}

impl core::fmt::Display for FlashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FlashError::Io => f.write_str("flash I/O error"),
            FlashError::OutOfRange => f.write_str("flash access out of range"),
        }
    }
}

/// The port's flash: blocks of [`FLASH_BLOCK_SIZE`] bytes under the file
/// system ([`crate::fs`]).
///
/// Calls block the calling task until the operation is done (a flash
/// erase takes tens of milliseconds on a board). The file system serialises
/// them: a device is only ever called by one task at a time.
pub trait BlockDevice: Send {
    /// Number of blocks.
    fn block_count(&self) -> u32;
    /// Reads `buf.len()` bytes at `offset` of `block`.
    fn read(&mut self, block: u32, offset: u32, buf: &mut [u8]) -> Result<(), FlashError>;
    /// Programs `data` at `offset` of `block`, which was erased before.
    fn program(&mut self, block: u32, offset: u32, data: &[u8]) -> Result<(), FlashError>;
    /// Erases `block`.
    fn erase(&mut self, block: u32) -> Result<(), FlashError>;
    /// Returns once everything programmed so far is durable.
    fn sync(&mut self) -> Result<(), FlashError>;
}

#[cfg(test)]
mod tests {
    use super::resolve_literal;

    #[test]
    fn literals_and_localhost() {
        assert_eq!(resolve_literal("10.0.2.2"), Some([10, 0, 2, 2]));
        assert_eq!(resolve_literal("LocalHost"), Some([127, 0, 0, 1]));
        assert_eq!(resolve_literal("255.255.255.255"), Some([255; 4]));
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1..2.3",
            "+1.2.3.4",
            "db.local",
            "1.2.3.0004",
        ] {
            assert_eq!(resolve_literal(bad), None, "{bad}");
        }
    }
}
