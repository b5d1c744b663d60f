//! Test support for the database client tests: the crate's [`Transport`]
//! over a host `std::net::TcpStream`, and the servers' settings.
//!
//! The servers are the real ones `scripts/test-servers.sh` starts on
//! loopback (CI runs it through `scripts/deps.sh`); environment variables
//! point the tests elsewhere. A server that is not there fails the test with
//! a message saying how to start it.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use isere::db::{Connector, Transport};
use isere::port::NetError;

/// A host TCP connection with the deadline the clients ask for.
pub struct StdTransport {
    stream: TcpStream,
    deadline: Instant,
}

fn to_net_error(e: std::io::Error) -> NetError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => NetError::TimedOut,
        ErrorKind::ConnectionRefused => NetError::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            NetError::Closed
        }
        _ => NetError::Other(e.raw_os_error().unwrap_or(-1)),
    }
}

impl StdTransport {
    fn left(&self) -> Result<Duration, NetError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(NetError::TimedOut)
        } else {
            Ok(left)
        }
    }
}

impl Transport for StdTransport {
    fn start_deadline(&mut self, timeout_ms: u32) {
        self.deadline = Instant::now() + Duration::from_millis(u64::from(timeout_ms.max(1)));
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
        let left = self.left()?;
        self.stream
            .set_read_timeout(Some(left))
            .map_err(to_net_error)?;
        self.stream.read(buf).map_err(to_net_error)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, NetError> {
        let left = self.left()?;
        self.stream
            .set_write_timeout(Some(left))
            .map_err(to_net_error)?;
        self.stream.write(buf).map_err(to_net_error)
    }

    fn is_idle_usable(&mut self) -> bool {
        let mut probe = [0u8; 1];
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let idle =
            matches!(self.stream.read(&mut probe), Err(e) if e.kind() == ErrorKind::WouldBlock);
        self.stream.set_nonblocking(false).is_ok() && idle
    }
}

impl Drop for StdTransport {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Opens [`StdTransport`]s.
pub struct StdConnector;

impl Connector for StdConnector {
    type Transport = StdTransport;

    fn connect(
        &mut self,
        host: &str,
        port: u16,
        timeout_ms: u32,
    ) -> Result<StdTransport, NetError> {
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|_| NetError::HostNotFound)?
            .find(|a| a.is_ipv4())
            .ok_or(NetError::HostNotFound)?;
        let timeout = Duration::from_millis(u64::from(timeout_ms.max(1)));
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(to_net_error)?;
        stream.set_nodelay(true).map_err(to_net_error)?;
        Ok(StdTransport {
            stream,
            deadline: Instant::now() + timeout,
        })
    }
}

/// Random bytes from the host (the SCRAM nonce).
pub static HOST_RANDOM: isere::posix::HostEntropy = isere::posix::HostEntropy;

/// An environment variable or its default.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Fails the test with instructions unless something listens on host:port.
pub fn require_server(what: &str, host: &str, port: u16) {
    let addr = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    let up = addr.is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    assert!(
        up,
        "no {what} server on {host}:{port}: start the test servers with \
         `sudo bash scripts/test-servers.sh` (scripts/deps.sh does it), or point the \
         tests at one with the ISERE_* variables of tests/dbsupport/mod.rs"
    );
}

/// A port on loopback where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
