//! A function's exchange with the JS task: the request handed over, then
//! what the JS task asks until the answer is written.
//!
//! * A body of at most [`WHOLE_BODY_MAX`] bytes is read whole first (from
//!   the body budget); a larger or chunked one stays in the socket and is
//!   read a piece at a time as the handler asks for it
//!   ([`ToConnection::Pull`]), so a large upload never sits whole in RAM.
//! * An answer whose body is a stream is written as it comes: its head
//!   first, then each piece ([`ToConnection::Piece`], acknowledged once
//!   written, so the function produces no faster than the client takes),
//!   chunked (raw, then closed, for an HTTP/1.0 client), until
//!   [`ToConnection::End`].

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::TAG;
use super::body::{BodyReader, Progress, WholeBody};
use super::connection::Worker;
use crate::http::admin::BodyError;
use crate::http::chunked::{encode_chunk, encode_last_chunk};
use crate::http::request::RequestHead;
use crate::http::response::ResponseFraming;
use crate::js::context::ContextSlot;
use crate::js::io::Completion;
use crate::js::task::{ToConnection, wait_note};
use crate::js::{Exchange, Reply};
use crate::port::Socket;
use crate::rtos::{self, TickType};
use crate::running::FunctionId;

/// Largest request body handed to a handler whole.
pub(super) const WHOLE_BODY_MAX: usize = 16 * 1024;

/// How much longer than `handler_timeout_ms` a connection waits for a word
/// of the JS task, so that a handler interrupted at that limit is answered
/// with its 500 rather than a 504.
const HANDLER_GRACE_MS: u64 = 500;

/// Most of an unread body dropped before the connection closes.
const LINGER_BYTES: usize = 64 * 1024;

/// Longest a connection task waits for room in the JS task's queue to hand
/// it a piece or an acknowledgement.
const DELIVERY_WAIT_MS: u64 = 1000;

/// What becomes of a piece of a streamed answer.
enum Ack {
    /// Written.
    Written,
    /// Not wanted (`HEAD`, a status without a body): the stream may stop.
    Unwanted,
    /// Not written: the client is gone.
    Failed,
}

/// A request's body as the exchange carries it.
pub(super) enum RequestBody {
    /// The request has none.
    None,
    /// Read whole.
    Whole(WholeBody),
    /// Read as the handler asks.
    Streamed(Progress),
}

/// The streamed request body's state during the exchange.
enum Incoming {
    /// Not streamed.
    No,
    /// Being read.
    Reading(Progress),
    /// Reading it failed with this status: the connection's framing is
    /// lost.
    Failed(u16),
}

impl Incoming {
    /// Whether what the client sent of it leaves the framing intact.
    fn intact(&self) -> bool {
        match self {
            Incoming::No => true,
            Incoming::Reading(p) => p.is_done(),
            Incoming::Failed(_) => false,
        }
    }
}

impl Worker {
    /// Hands the request to the JS task and answers as it says; returns
    /// whether the connection may stay open.
    pub(super) fn run_function(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        function: FunctionId,
        body: RequestBody,
    ) -> bool {
        let started = rtos::tick_count();
        self.replies.seq = self.replies.seq.wrapping_add(1);
        let host = head
            .header("host")
            .and_then(|h| core::str::from_utf8(h).ok())
            .filter(|h| !h.is_empty())
            .unwrap_or(&self.shared.listen_host);
        let url = if head.target.starts_with('/') {
            alloc::format!("http://{host}{}", head.target)
        } else {
            head.target.clone()
        };
        let (bytes, body_reservation, mut incoming) = match body {
            RequestBody::None => (None, None, Incoming::No),
            RequestBody::Whole(b) => (Some(b.bytes), Some(b.reservation), Incoming::No),
            RequestBody::Streamed(p) => (None, None, Incoming::Reading(p)),
        };
        let exchange = Box::new(Exchange {
            seq: self.replies.seq,
            function,
            method: head.method.clone(),
            url,
            // The head keeps what the reply needs; the fields go to JS.
            headers: core::mem::take(&mut head.headers),
            body: bytes,
            streamed_body: matches!(incoming, Incoming::Reading(_)),
            body_reservation,
            reply_to: self.replies.queue,
        });
        if self.shared.js.submit(exchange).is_err() {
            log::warn!(target: TAG, "JS queue full: 503");
            return self.send_error(socket, 503, true, &[("retry-after", "1")]);
        }
        let reply = loop {
            match self.next_note() {
                None => {
                    log::warn!(target: TAG, "{} {}: handler timed out", head.method, head.target);
                    return self.send_error(socket, 504, true, &[]);
                }
                Some(ToConnection::Reply(reply)) => break reply,
                Some(ToConnection::Pull { slot, id, .. }) => {
                    self.pull(socket, &mut incoming, slot, id)
                }
                Some(ToConnection::Piece { slot, id, .. }) => {
                    self.acknowledge(slot, id, Ack::Failed)
                }
                Some(ToConnection::End { .. }) => {}
            }
        };
        // A body the client got wrong is answered as such (413, 408, 400),
        // whatever the handler made of the error it saw.
        if let Incoming::Failed(status) = incoming {
            if reply.streamed {
                self.end_stream_unsent();
            }
            return self.refuse_body(socket, BodyError(status));
        }
        // What the handler left unread of the body cannot be skipped
        // reliably: say the connection closes.
        if !incoming.intact() {
            head.keep_alive = false;
        }
        let ok = match reply.streamed {
            false => self.write_reply(socket, head, &reply),
            true => self.stream_reply(socket, head, &reply, &mut incoming),
        };
        log::debug!(
            target: TAG,
            "{} {} -> {} ({} ms)",
            head.method,
            head.target,
            reply.status,
            rtos::ticks_to_ms(rtos::tick_count().wrapping_sub(started))
        );
        let intact = incoming.intact();
        if let Incoming::Reading(progress) = incoming
            && ok
            && !intact
        {
            self.linger(socket, progress);
        }
        ok && intact
    }

    /// Reads and drops some of a body the handler left unread before the
    /// connection closes: a client still sending when the socket closes
    /// gets a reset, and may lose the answer it was sent.
    fn linger(&mut self, socket: Socket, progress: Progress) {
        let mut reader = BodyReader::resume(self, socket, progress);
        let mut piece = Vec::new();
        let mut dropped = 0;
        while dropped < LINGER_BYTES {
            match crate::http::admin::BodySource::next_chunk(&mut reader, &mut piece) {
                Ok(true) => dropped += piece.len(),
                _ => return,
            }
        }
    }

    /// The JS task's next word about the current exchange, waiting as long
    /// as a handler may run; `None` when it says nothing for that long.
    fn next_note(&self) -> Option<ToConnection> {
        let handler_ms = u64::from(self.shared.running.limits().handler_timeout_ms());
        let wait: TickType = rtos::ms_to_ticks(handler_ms + HANDLER_GRACE_MS);
        wait_note(self.replies.queue, self.replies.seq, wait).map(|n| *n)
    }

    /// Reads the next piece of the streamed request body for the handler
    /// that asked (I/O `id` of the context in `slot`).
    fn pull(&mut self, socket: Socket, incoming: &mut Incoming, slot: ContextSlot, id: u32) {
        let completion: Completion = match core::mem::replace(incoming, Incoming::Failed(400)) {
            Incoming::Reading(progress) => {
                let mut reader = BodyReader::resume(self, socket, progress);
                let mut piece = Vec::new();
                let read = crate::http::admin::BodySource::next_chunk(&mut reader, &mut piece);
                let progress = reader.pause();
                match read {
                    Ok(true) => {
                        *incoming = Incoming::Reading(progress);
                        Box::new(move |ctx| ctx.uint8_array(&piece))
                    }
                    Ok(false) => {
                        *incoming = Incoming::Reading(progress);
                        Box::new(|ctx| Ok(ctx.null()))
                    }
                    Err(e) => {
                        log::debug!(target: TAG, "a streamed request body failed: {}", e.0);
                        *incoming = Incoming::Failed(e.0);
                        Box::new(move |ctx| {
                            let why = match e.0 {
                                408 => "the client sent it too slowly",
                                413 => "it is larger than server.max_body_bytes",
                                _ => "the client closed the connection or sent malformed chunks",
                            };
                            Err(ctx.throw_type_error(&alloc::format!(
                                "the request body could not be read: {why}"
                            )))
                        })
                    }
                }
            }
            other => {
                let no_body = matches!(other, Incoming::No);
                *incoming = other;
                Box::new(move |ctx| {
                    Err(ctx.throw_type_error(match no_body {
                        true => "this request's body is not streamed",
                        false => "the request body could not be read",
                    }))
                })
            }
        };
        self.deliver(slot, id, completion);
    }

    /// Settles I/O `id` of the context in `slot` as `ack` says.
    fn acknowledge(&self, slot: ContextSlot, id: u32, ack: Ack) {
        let completion: Completion = match ack {
            Ack::Written => Box::new(|ctx| Ok(ctx.bool(true))),
            Ack::Unwanted => Box::new(|ctx| Ok(ctx.bool(false))),
            Ack::Failed => Box::new(|ctx| {
                Err(ctx.throw_type_error("the response body could not be sent: the client is gone"))
            }),
        };
        self.deliver(slot, id, completion);
    }

    fn deliver(&self, slot: ContextSlot, id: u32, completion: Completion) {
        let wait = rtos::ms_to_ticks(DELIVERY_WAIT_MS);
        if !self.shared.js.complete_io(slot, id, completion, wait) {
            log::warn!(target: TAG, "the JS task's queue stayed full: a body piece's answer was dropped");
        }
    }

    /// Refuses every piece of a streamed answer that will not be sent, until
    /// its end (so that the function's stream stops).
    fn end_stream_unsent(&self) {
        while let Some(note) = self.next_note() {
            match note {
                ToConnection::Piece { slot, id, .. } => self.acknowledge(slot, id, Ack::Failed),
                ToConnection::Pull { slot, id, .. } => self.deliver(
                    slot,
                    id,
                    Box::new(|ctx| Err(ctx.throw_type_error("the request body could not be read"))),
                ),
                ToConnection::End { .. } => return,
                ToConnection::Reply(_) => {}
            }
        }
    }

    /// Writes an answer whose body comes in pieces; whether the connection
    /// may stay open.
    fn stream_reply(
        &mut self,
        socket: Socket,
        head: &RequestHead,
        reply: &Reply,
        incoming: &mut Incoming,
    ) -> bool {
        let bodiless_status = matches!(reply.status, 204 | 304);
        let no_body = head.method == "HEAD" || bodiless_status;
        // A HEAD answer announces the framing a GET would get.
        let framing = match bodiless_status {
            true => ResponseFraming::None,
            false => ResponseFraming::Chunked,
        };
        let mut out = Vec::with_capacity(256);
        let sent = self.answer_head(
            &mut out,
            head,
            reply.status,
            &reply.status_text,
            &reply.headers,
            framing,
        );
        let chunked = matches!(sent, ResponseFraming::Chunked);
        let mut writing = self.send_paced(socket, &out, &mut self.transfer_pace());
        loop {
            match self.next_note() {
                None => {
                    log::warn!(target: TAG, "{}: a streamed answer stalled; closing", head.target);
                    return false;
                }
                Some(ToConnection::Piece {
                    slot, id, bytes, ..
                }) => {
                    if no_body {
                        self.acknowledge(slot, id, Ack::Unwanted);
                        continue;
                    }
                    if writing {
                        // Each piece has its own allowance: the time the
                        // function takes to make the next is not the
                        // client's.
                        let mut pace = self.transfer_pace();
                        writing = match chunked {
                            true => {
                                out.clear();
                                encode_chunk(&bytes, &mut out);
                                self.send_paced(socket, &out, &mut pace)
                            }
                            false => self.send_paced(socket, &bytes, &mut pace),
                        };
                    }
                    let ack = if writing { Ack::Written } else { Ack::Failed };
                    self.acknowledge(slot, id, ack);
                }
                Some(ToConnection::End { ok, .. }) => {
                    if no_body {
                        return writing;
                    }
                    if writing && ok && chunked {
                        out.clear();
                        encode_last_chunk(&mut out);
                        writing = self.send_paced(socket, &out, &mut self.transfer_pace());
                    }
                    // Raw (HTTP/1.0), the body ends with the connection.
                    return writing && ok && chunked;
                }
                Some(ToConnection::Pull { slot, id, .. }) => self.pull(socket, incoming, slot, id),
                Some(ToConnection::Reply(_)) => {}
            }
        }
    }
}
