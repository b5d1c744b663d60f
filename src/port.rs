//! The port boundary: what the core needs from an OS or a board.
//!
//! Kept as small as FreeRTOS keeps `portable/`: TCP, a wall clock, an
//! entropy source and a console. Every call that can block blocks only the calling FreeRTOS task
//! (never the scheduler) and takes a timeout in ticks.

use crate::rtos::TickType;

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
}

/// Wall-clock time.
pub trait Clock: Sync {
    /// Seconds since the Unix epoch (for `Date` headers).
    fn unix_time(&self) -> u64;
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

/// What the core needs from a port, as static references.
pub struct Port {
    /// TCP.
    pub net: &'static dyn Network,
    /// Wall clock.
    pub clock: &'static dyn Clock,
    /// Log sink.
    pub console: &'static dyn Console,
    /// Nanoseconds the CPU has spent awake since boot, where the port can
    /// tell (reported by `GET /_isere/stats`).
    pub cpu_busy_ns: Option<fn() -> u64>,
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
