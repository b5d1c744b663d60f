//! The one request-body reader: `Content-Length` or chunked, for functions
//! (read whole, up to `max_body_bytes`) and for admin uploads (streamed in
//! pieces). `100 Continue` is sent here and only here.

use alloc::vec::Vec;

use super::connection::Worker;
use crate::http::admin::{BodyError, BodySource};
use crate::http::chunked::ChunkedDecoder;
use crate::http::request::{BodyFraming, RequestHead};
use crate::port::{self, NetError, Socket};

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
    remaining: Remaining,
    /// Most body bytes accepted (413 above it): a declared length is
    /// checked before anything is read, chunks as they are decoded.
    max: usize,
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
            let wait = worker.io_timeout();
            let _ = port::send_all(worker.net(), socket, b"HTTP/1.1 100 Continue\r\n\r\n", wait);
        }
        BodyReader {
            worker,
            socket,
            remaining,
            max,
        }
    }

    /// Whether the whole body was read (the connection's framing is intact).
    pub(super) fn is_done(&self) -> bool {
        matches!(self.remaining, Remaining::Done)
    }

    /// Reads more from the socket into the worker's buffer.
    fn fill(&mut self) -> Result<(), BodyError> {
        let wait = self.worker.io_timeout();
        match self.worker.fill(self.socket, wait) {
            Ok(0) => Err(BodyError(400)),
            Ok(_) => Ok(()),
            Err(NetError::TimedOut) => Err(BodyError(408)),
            Err(_) => Err(BodyError(400)),
        }
    }

    /// The whole body (`None` when the request had no body framing), or
    /// the status to answer with: 413 above the limit, 408 when the client
    /// stalls, 400 when it closes or the chunks are malformed.
    pub(super) fn read_all(mut self) -> Result<Option<Vec<u8>>, BodyError> {
        match self.remaining {
            Remaining::Done => Ok(None),
            Remaining::Length(n) if n > self.max => Err(BodyError(413)),
            Remaining::Length(n) => {
                while self.worker.buf.len() < n {
                    self.fill()?;
                }
                // The body is the buffer's head: split it off whole, no copy.
                let rest = self.worker.buf.split_off(n);
                self.remaining = Remaining::Done;
                Ok(Some(core::mem::replace(&mut self.worker.buf, rest)))
            }
            Remaining::Chunked(_) => {
                // The decoder refuses more than `max` decoded bytes (413).
                let mut body = Vec::new();
                let mut chunk = Vec::new();
                while self.next_chunk(&mut chunk)? {
                    body.append(&mut chunk);
                }
                Ok(Some(body))
            }
        }
    }
}

impl BodySource for BodyReader<'_> {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, BodyError> {
        out.clear();
        loop {
            match &mut self.remaining {
                Remaining::Done => return Ok(false),
                Remaining::Length(0) => {
                    self.remaining = Remaining::Done;
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
                            self.remaining = Remaining::Done;
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
