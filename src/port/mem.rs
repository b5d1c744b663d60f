//! An in-memory [`Network`] for unit tests of the code above the port
//! boundary: the test plays the clients (it queues connections with the
//! bytes they send and reads what the server answered); the server side
//! is driven by the real code, in FreeRTOS tasks.
//!
//! Waits poll once per tick (`rtos::delay`), which is enough for tests and
//! keeps the model simple.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use std::sync::Mutex;

use super::{Listener, NetError, Network, Socket};
use crate::rtos::{self, TickType, WAIT_FOREVER};

/// A client connection, as the test sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client(u32);

#[derive(Default)]
struct Conn {
    /// Bytes the client sent that the server has not read.
    to_server: VecDeque<u8>,
    /// Everything the server sent.
    from_server: Vec<u8>,
    client_closed: bool,
    /// The client sent all it will but still reads (a half-close).
    client_done: bool,
    server_closed: bool,
    /// The client's address.
    from: [u8; 4],
}

#[derive(Default)]
struct Inner {
    /// Connections waiting to be accepted.
    pending: VecDeque<u32>,
    conns: BTreeMap<u32, Conn>,
    next: u32,
}

/// The in-memory network (see the module docs).
#[derive(Default)]
pub struct MemNetwork {
    inner: Mutex<Inner>,
}

impl MemNetwork {
    /// A network without connections.
    pub fn new() -> MemNetwork {
        MemNetwork::default()
    }

    /// A new client connection that has sent `bytes` so far, from
    /// 127.0.0.1.
    pub fn connect(&self, bytes: &[u8]) -> Client {
        self.connect_from([127, 0, 0, 1], bytes)
    }

    /// A new client connection from address `from` that has sent `bytes`
    /// so far.
    pub fn connect_from(&self, from: [u8; 4], bytes: &[u8]) -> Client {
        let mut inner = self.inner.lock().unwrap();
        inner.next += 1;
        let id = inner.next;
        let conn = Conn {
            to_server: bytes.iter().copied().collect(),
            from,
            ..Conn::default()
        };
        inner.conns.insert(id, conn);
        inner.pending.push_back(id);
        Client(id)
    }

    /// The client sends more.
    pub fn send(&self, client: Client, bytes: &[u8]) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(c) = inner.conns.get_mut(&client.0) {
            c.to_server.extend(bytes.iter().copied());
        }
    }

    /// The client has sent all it will (a TCP half-close): the server reads
    /// the end of the stream but can still answer.
    pub fn shutdown(&self, client: Client) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(c) = inner.conns.get_mut(&client.0) {
            c.client_done = true;
        }
    }

    /// The client closes its side.
    pub fn close(&self, client: Client) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(c) = inner.conns.get_mut(&client.0) {
            c.client_closed = true;
        }
    }

    /// What the server sent to `client` so far.
    pub fn received(&self, client: Client) -> Vec<u8> {
        let inner = self.inner.lock().unwrap();
        inner
            .conns
            .get(&client.0)
            .map(|c| c.from_server.clone())
            .unwrap_or_default()
    }

    /// Whether the server closed the connection.
    pub fn closed_by_server(&self, client: Client) -> bool {
        let inner = self.inner.lock().unwrap();
        inner.conns.get(&client.0).is_some_and(|c| c.server_closed)
    }

    /// Polls `f` once per tick until it gives a value or `timeout` passes.
    fn poll<R>(&self, timeout: TickType, mut f: impl FnMut(&mut Inner) -> Option<R>) -> Option<R> {
        let deadline = match timeout {
            WAIT_FOREVER => None,
            t => Some(rtos::tick_count().saturating_add(t)),
        };
        loop {
            if let Some(r) = f(&mut self.inner.lock().unwrap()) {
                return Some(r);
            }
            if deadline.is_some_and(|d| rtos::tick_count() >= d) {
                return None;
            }
            rtos::delay(1);
        }
    }
}

impl Network for MemNetwork {
    fn listen(&self, _addr: [u8; 4], _port: u16) -> Result<Listener, NetError> {
        Ok(Listener(0))
    }

    fn local_port(&self, _listener: Listener) -> u16 {
        80
    }

    fn accept(&self, _listener: Listener, timeout: TickType) -> Result<Socket, NetError> {
        self.poll(timeout, |inner| inner.pending.pop_front().map(Socket))
            .ok_or(NetError::TimedOut)
    }

    fn recv(&self, socket: Socket, buf: &mut [u8], timeout: TickType) -> Result<usize, NetError> {
        self.poll(timeout, |inner| {
            let c = inner.conns.get_mut(&socket.0)?;
            if c.server_closed {
                return Some(Err(NetError::Closed));
            }
            if c.to_server.is_empty() {
                return (c.client_closed || c.client_done).then_some(Ok(0));
            }
            let n = buf.len().min(c.to_server.len());
            for (slot, b) in buf.iter_mut().zip(c.to_server.drain(..n)) {
                *slot = b;
            }
            Some(Ok(n))
        })
        .unwrap_or(Err(NetError::TimedOut))
    }

    fn send(&self, socket: Socket, buf: &[u8], _timeout: TickType) -> Result<usize, NetError> {
        let mut inner = self.inner.lock().unwrap();
        match inner.conns.get_mut(&socket.0) {
            Some(c) if !c.server_closed && !c.client_closed => {
                c.from_server.extend_from_slice(buf);
                Ok(buf.len())
            }
            _ => Err(NetError::Closed),
        }
    }

    fn peer_addr(&self, socket: Socket) -> Option<[u8; 4]> {
        let inner = self.inner.lock().unwrap();
        inner.conns.get(&socket.0).map(|c| c.from)
    }

    fn close(&self, socket: Socket) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(c) = inner.conns.get_mut(&socket.0) {
            c.server_closed = true;
        }
    }

    fn connect(&self, _addr: [u8; 4], _port: u16, _timeout: TickType) -> Result<Socket, NetError> {
        Err(NetError::Refused)
    }
}

/// A wall clock that stands still (tests).
pub struct FixedClock(pub u64);

impl super::Clock for FixedClock {
    fn unix_time(&self) -> u64 {
        self.0
    }
}

/// Entropy from a counter: deterministic, for tests only.
pub struct CounterEntropy(Mutex<u8>);

impl CounterEntropy {
    /// A source starting at `seed`.
    pub const fn new(seed: u8) -> CounterEntropy {
        CounterEntropy(Mutex::new(seed))
    }
}

impl super::Entropy for CounterEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), super::EntropyError> {
        let mut next = self.0.lock().unwrap();
        for b in buf {
            *next = next.wrapping_add(1);
            *b = *next;
        }
        Ok(())
    }
}

/// A console that keeps nothing (tests read the logger's ring instead).
pub struct NullConsole;

impl super::Console for NullConsole {
    fn write_line(&self, _line: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtos::testing::run;

    #[test]
    fn a_half_closed_client_reads_the_answer_after_the_end_of_its_stream() {
        let (read, eof, sent, received) = run(c"half-close", || {
            let net = MemNetwork::new();
            let client = net.connect(b"ping");
            net.shutdown(client);
            let socket = net.accept(Listener(0), 0).unwrap();
            let mut buf = [0u8; 8];
            let n = net.recv(socket, &mut buf, 0).unwrap();
            let eof = net.recv(socket, &mut buf[n..], 0);
            let sent = Network::send(&net, socket, b"pong", 0);
            (buf[..n].to_vec(), eof, sent, net.received(client))
        });
        assert_eq!(read, b"ping");
        assert_eq!(eof, Ok(0), "the end of the client's stream");
        assert_eq!(sent, Ok(4), "the server can still answer");
        assert_eq!(received, b"pong");
    }
}
