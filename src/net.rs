//! Outgoing connections, above the port's [`Network`]: what the database
//! clients and `fetch()` speak over.
//!
//! Both are written against two small traits, so the same protocol code
//! runs over the port's TCP in the firmware ([`PortConnector`]) and over a
//! host `std::net::TcpStream` in tests:
//!
//! * a [`Transport`] is one connected byte stream with a time budget: the
//!   client starts a deadline before each exchange, and every read and write
//!   after it fails with [`NetError::TimedOut`] once it has passed;
//! * a [`Connector`] opens transports, so a client can reconnect on its own
//!   when the server went away.

use crate::port::{NetError, Network, Socket};
use crate::rtos::{self, TickType};

/// A connected byte stream with a deadline (see the module docs).
pub trait Transport {
    /// Starts a time budget: reads and writes from now on fail with
    /// [`NetError::TimedOut`] once `timeout_ms` milliseconds have passed.
    fn start_deadline(&mut self, timeout_ms: u32);
    /// Reads what is available into `buf`, waiting until the deadline for at
    /// least one byte. `Ok(0)` means the peer closed the connection.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError>;
    /// Writes part of `buf`, waiting until the deadline for room.
    fn write(&mut self, buf: &[u8]) -> Result<usize, NetError>;
    /// Whether an idle connection can still be used, checked without waiting:
    /// `false` when the peer closed it or sent something while nothing was
    /// asked (a server announcing its shutdown).
    fn is_idle_usable(&mut self) -> bool;

    /// Writes all of `buf` (within the current deadline).
    fn write_all(&mut self, mut buf: &[u8]) -> Result<(), NetError> {
        while !buf.is_empty() {
            match self.write(buf)? {
                0 => return Err(NetError::Closed),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// Opens [`Transport`]s to a host and port.
pub trait Connector {
    /// The kind of connection this connector opens.
    type Transport: Transport;
    /// Resolves `host` (an IPv4 literal, `localhost`, or a name where the
    /// port resolves names) and connects to `port`, within `timeout_ms`.
    fn connect(
        &mut self,
        host: &str,
        port: u16,
        timeout_ms: u32,
    ) -> Result<Self::Transport, NetError>;
}

/// Opens connections through the port's [`Network`] (the firmware's TCP).
#[derive(Clone, Copy)]
pub struct PortConnector {
    net: &'static dyn Network,
}

impl PortConnector {
    /// A connector over `net` (the device's `services.net`).
    pub fn new(net: &'static dyn Network) -> PortConnector {
        PortConnector { net }
    }
}

impl Connector for PortConnector {
    type Transport = PortTransport;

    fn connect(
        &mut self,
        host: &str,
        port: u16,
        timeout_ms: u32,
    ) -> Result<PortTransport, NetError> {
        let net = self.net;
        let ticks = rtos::ms_to_ticks(u64::from(timeout_ms));
        let deadline = rtos::tick_count().saturating_add(ticks);
        let addr = net.resolve(host, ticks)?;
        let left = deadline.saturating_sub(rtos::tick_count());
        let socket = net.connect(addr, port, left.max(1))?;
        Ok(PortTransport {
            net,
            socket,
            deadline,
        })
    }
}

/// A TCP connection through the port's [`Network`]; closed when dropped.
pub struct PortTransport {
    net: &'static dyn Network,
    socket: Socket,
    deadline: TickType,
}

impl PortTransport {
    fn ticks_left(&self) -> Result<TickType, NetError> {
        match self.deadline.saturating_sub(rtos::tick_count()) {
            0 => Err(NetError::TimedOut),
            left => Ok(left),
        }
    }
}

impl Transport for PortTransport {
    fn start_deadline(&mut self, timeout_ms: u32) {
        self.deadline =
            rtos::tick_count().saturating_add(rtos::ms_to_ticks(u64::from(timeout_ms)).max(1));
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
        let left = self.ticks_left()?;
        self.net.recv(self.socket, buf, left)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, NetError> {
        let left = self.ticks_left()?;
        self.net.send(self.socket, buf, left)
    }

    fn is_idle_usable(&mut self) -> bool {
        let mut probe = [0u8; 1];
        // Nothing is owed to us while idle: only "no data yet" is healthy.
        matches!(
            self.net.recv(self.socket, &mut probe, 0),
            Err(NetError::TimedOut)
        )
    }
}

impl Drop for PortTransport {
    fn drop(&mut self) {
        self.net.close(self.socket);
    }
}
