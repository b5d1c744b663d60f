//! The one request-body reader: `Content-Length` or chunked, for functions
//! (read whole, up to `max_body_bytes`) and for admin uploads (streamed in
//! pieces). `100 Continue` is sent here and only here.
//!
//! A body read whole draws its bytes from the server's body budget, shared
//! by every connection ([`crate::budget`]), and from the heap with fallible
//! reservations: what does not fit is answered (413 if it never could, 503
//! while others hold the rest), never an aborted allocation.

use alloc::vec::Vec;

use super::pace::Pace;
use crate::budget::{Refused, Reservation};

use super::connection::Worker;
use crate::http::admin::{BodyError, BodySource};
use crate::http::chunked::ChunkedDecoder;
use crate::http::request::{BodyFraming, RequestHead};
use crate::port::{NetError, Socket};

/// How much of the body is left.
enum Remaining {
    Done,
    Length(usize),
    Chunked(ChunkedDecoder),
}

/// A request's body, read from the connection (what is already buffered
/// first; what follows the body stays buffered for the next request).
pub(super) struct BodyReader<'w> {
    worker: &'w mut Worker,
    socket: Socket,
    /// Where the reading stands (kept apart while it is paused).
    p: Progress,
}

impl<'w> BodyReader<'w> {
    /// The body `head` announced; sends `100 Continue` when the client
    /// asked for it and nothing of the body has arrived yet.
    pub(super) fn new(
        worker: &'w mut Worker,
        socket: Socket,
        head: &RequestHead,
        max: usize,
    ) -> BodyReader<'w> {
        let remaining = match head.framing {
            BodyFraming::None => Remaining::Done,
            BodyFraming::Length(n) => Remaining::Length(n),
            BodyFraming::Chunked => Remaining::Chunked(ChunkedDecoder::new(max)),
        };
        let announced = !matches!(remaining, Remaining::Done);
        if head.expect_continue && announced && worker.buf.is_empty() {
            let mut pace = worker.transfer_pace();
            let _ = worker.send_paced(socket, b"HTTP/1.1 100 Continue\r\n\r\n", &mut pace);
        }
        let pace = worker.transfer_pace();
        BodyReader {
            worker,
            socket,
            p: Progress {
                remaining,
                max,
                pace,
            },
        }
    }

    /// Puts the reading aside (the connection task waits for the handler
    /// to ask for the next piece meanwhile).
    pub(super) fn pause(self) -> Progress {
        self.p
    }

    /// Goes on reading where [`BodyReader::pause`] left off.
    pub(super) fn resume(worker: &'w mut Worker, socket: Socket, p: Progress) -> BodyReader<'w> {
        BodyReader { worker, socket, p }
    }

    /// Whether the whole body was read (the connection's framing is intact).
    pub(super) fn is_done(&self) -> bool {
        self.p.is_done()
    }

    /// Reads more from the socket into the worker's buffer.
    fn fill(&mut self) -> Result<(), BodyError> {
        let wait = self.p.pace.wait().ok_or(BodyError(408))?;
        match self.worker.fill(self.socket, wait) {
            Ok(0) => Err(BodyError(400)),
            Ok(n) => {
                self.p.pace.advance(n);
                Ok(())
            }
            Err(NetError::TimedOut) => Err(BodyError(408)),
            Err(NetError::Exhausted) => Err(BodyError(503)),
            Err(_) => Err(BodyError(400)),
        }
    }

    /// The whole body of a `Content-Length` request (`None` when the
    /// request had no body framing) and its share of the body budget, or
    /// the status to answer with: 413 above the limit or the whole budget,
    /// 503 when the budget or the heap has no room now, 408 when the client
    /// stalls, 400 when it closes.
    pub(super) fn read_all(mut self) -> Result<Option<WholeBody>, BodyError> {
        let shared = self.worker.shared;
        let budget = &shared.bodies;
        match self.p.remaining {
            Remaining::Done => Ok(None),
            Remaining::Length(n) if n > self.p.max => Err(BodyError(413)),
            Remaining::Length(n) => {
                let reservation = budget.reserve(n).map_err(refused)?;
                let mut bytes = Vec::new();
                bytes.try_reserve_exact(n).map_err(|_| BodyError(503))?;
                let buffered = n.min(self.worker.buf.len());
                bytes.extend(self.worker.buf.drain(..buffered));
                // The rest straight from the socket into its place: the
                // read buffer never holds more than a read's worth.
                bytes.resize(n, 0);
                let mut filled = buffered;
                while filled < n {
                    filled += self.recv_into(&mut bytes[filled..])?;
                }
                self.p.remaining = Remaining::Done;
                Ok(Some(WholeBody { bytes, reservation }))
            }
            // A chunked body is streamed to the handler, never read whole.
            Remaining::Chunked(_) => Err(BodyError(500)),
        }
    }

    /// Reads body bytes into `out` (what the read buffer holds was taken
    /// before); how many.
    fn recv_into(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        let wait = self.p.pace.wait().ok_or(BodyError(408))?;
        match self.worker.net().recv(self.socket, out, wait) {
            Ok(0) => Err(BodyError(400)),
            Ok(n) => {
                self.p.pace.advance(n);
                Ok(n)
            }
            Err(NetError::TimedOut) => Err(BodyError(408)),
            Err(_) => Err(BodyError(400)),
        }
    }

    /// Reads the body and drops it, a piece at a time (a request answered
    /// without it keeps its connection's framing intact); 413 at once for a
    /// declared length above the limit.
    pub(super) fn discard(mut self) -> Result<(), BodyError> {
        if matches!(self.p.remaining, Remaining::Length(n) if n > self.p.max) {
            return Err(BodyError(413));
        }
        let mut piece = Vec::new();
        while self.next_chunk(&mut piece)? {}
        Ok(())
    }
}

/// Where a body's reading stands.
pub(super) struct Progress {
    remaining: Remaining,
    /// Most body bytes accepted (413 above it): a declared length is
    /// checked before anything is read, chunks as they are decoded.
    max: usize,
    /// The whole body's allowance: a client that trickles it is cut off.
    pace: Pace,
}

impl Progress {
    /// Whether the whole body was read.
    pub(super) fn is_done(&self) -> bool {
        matches!(self.remaining, Remaining::Done)
    }
}

/// A body read whole, with its share of the body budget.
pub(super) struct WholeBody {
    /// The bytes.
    pub(super) bytes: Vec<u8>,
    /// Held until the engine takes the bytes over.
    pub(super) reservation: Reservation<'static>,
}

/// The status a refused budget reservation is answered with.
fn refused(r: Refused) -> BodyError {
    match r {
        Refused::TooLarge => BodyError(413),
        Refused::Busy => BodyError(503),
    }
}

impl BodySource for BodyReader<'_> {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, BodyError> {
        out.clear();
        loop {
            match &mut self.p.remaining {
                Remaining::Done => return Ok(false),
                Remaining::Length(0) => {
                    self.p.remaining = Remaining::Done;
                    return Ok(false);
                }
                Remaining::Length(left) => {
                    if !self.worker.buf.is_empty() {
                        let n = (*left).min(self.worker.buf.len());
                        out.extend(self.worker.buf.drain(..n));
                        *left -= n;
                        return Ok(true);
                    }
                }
                Remaining::Chunked(decoder) => match decoder.decode(&self.worker.buf, out) {
                    Ok((used, done)) => {
                        self.worker.buf.drain(..used);
                        if done {
                            self.p.remaining = Remaining::Done;
                            return Ok(!out.is_empty());
                        }
                        if !out.is_empty() {
                            return Ok(true);
                        }
                    }
                    Err(e) => return Err(BodyError(e.status())),
                },
            }
            self.fill()?;
        }
    }
}
