//! One connection's life: read a request head, its body, route it, answer,
//! and go on with the next request while the connection is kept alive.

use alloc::string::String;
use alloc::vec::Vec;

use super::body::BodyReader;
use super::exchange::{RequestBody, WHOLE_BODY_MAX};
use super::pace::{Deadline, Pace};
use super::{Job, ReplyQueue, Shared, TAG};
use crate::http::admin::BodyError;
use crate::http::request::{self, BodyFraming, Limits, RequestHead};
use crate::http::response::{self, ResponseFraming};
use crate::js::Reply;
use crate::port::{self, NetError, Socket};
use crate::rtos::{TickType, WAIT_FOREVER};
use crate::running::Resolved;

/// Bytes read from a socket at a time.
pub(super) const READ_CHUNK: usize = 4096;

/// Largest reply body sent in one piece with its head (one segment for
/// small answers); a larger one is sent from where it is, not copied.
const COALESCED_BODY: usize = 2048;

/// A connection task's own state: its reply queue and its read buffer.
pub(super) struct Worker {
    pub(super) shared: &'static Shared,
    pub(super) replies: ReplyQueue,
    /// Bytes received and not consumed yet (the next request's, pipelined).
    pub(super) buf: Vec<u8>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The queue stays alive for the next task (a late reply may still
        // arrive in it), whether this task retired or never started.
        let replies = ReplyQueue {
            queue: self.replies.queue,
            seq: self.replies.seq,
        };
        self.shared.pool.spare_reply(Some(replies));
    }
}

/// A connection task: serves one connection after another until the pool
/// shrinks below it.
pub(super) fn connection_task(mut worker: Worker) {
    let shared = worker.shared;
    loop {
        if shared.pool.retire_if_surplus() {
            break;
        }
        shared.pool.release_idle();
        let Some(job) = shared.pool.work.receive(WAIT_FOREVER) else {
            continue;
        };
        let Job::Serve(socket, peer) = *job else {
            // Counted out by `resize`, which sent this.
            break;
        };
        worker.serve(socket);
        shared.services.net.close(socket);
        if let Some(addr) = peer {
            shared.pool.leave(addr);
        }
        worker.buf.clear();
        if worker.buf.capacity() > 2 * READ_CHUNK {
            worker.buf = Vec::new();
        }
    }
}

/// How reading a request head ended.
enum HeadOutcome {
    Request(RequestHead, usize),
    /// Peer closed or idle timeout before any byte of a request: close quietly.
    Quiet,
    /// Answer with this status and close.
    Fail(u16),
}

impl Worker {
    pub(super) fn new(shared: &'static Shared, replies: ReplyQueue) -> Worker {
        Worker {
            shared,
            replies,
            buf: Vec::new(),
        }
    }

    pub(super) fn net(&self) -> &'static dyn port::Network {
        self.shared.services.net
    }

    /// The allowance of a transfer starting now, a body read or an answer
    /// sent (see [`Pace`]).
    pub(super) fn transfer_pace(&self) -> Pace {
        let limits = self.shared.running.limits();
        Pace::start(limits.header_timeout_ms(), limits.min_bytes_per_second())
    }

    /// Sends all of `bytes` within `pace`; whether that worked.
    pub(super) fn send_paced(&self, socket: Socket, mut bytes: &[u8], pace: &mut Pace) -> bool {
        while !bytes.is_empty() {
            let Some(wait) = pace.wait() else {
                log::debug!(target: TAG, "a client too slow to take its answer: closing");
                return false;
            };
            match self.net().send(socket, bytes, wait) {
                Ok(n) if n > 0 => {
                    pace.advance(n);
                    bytes = &bytes[n..];
                }
                _ => return false,
            }
        }
        true
    }

    fn serve(&mut self, socket: Socket) {
        let mut first = true;
        loop {
            let (mut head, consumed) = match self.read_head(socket, first) {
                HeadOutcome::Request(h, c) => (h, c),
                HeadOutcome::Quiet => return,
                HeadOutcome::Fail(status) => {
                    self.send_error(socket, status, true, &[]);
                    return;
                }
            };
            first = false;
            self.buf.drain(..consumed);
            if !self.respond(socket, &mut head) || !head.keep_alive {
                return;
            }
        }
    }

    /// Reads until a complete request head is buffered. Both waits are
    /// deadlines, not per read: for a first byte (`header_timeout_ms` on a
    /// new connection, `keep_alive_timeout_ms` between requests), then for
    /// the whole head from its first byte (leading CR/LF counts).
    fn read_head(&mut self, socket: Socket, first: bool) -> HeadOutcome {
        let limits = self.shared.running.limits();
        let idle_ms = match first {
            true => limits.header_timeout_ms(),
            false => limits.keep_alive_timeout_ms(),
        };
        let idle_deadline = Deadline::after_ms(idle_ms);
        let head_ms = limits.header_timeout_ms();
        // Bundle uploads stream past the body limit of functions, which
        // `respond` applies to every other request.
        let request_limits = Limits {
            max_request_line: limits.max_request_line(),
            max_header_bytes: limits.max_header_bytes(),
            max_headers: limits.max_headers(),
            max_body: limits.max_body_bytes().max(limits.max_bundle_bytes()),
        };
        let mut head_deadline: Option<Deadline> = None;
        loop {
            if !self.buf.is_empty() {
                match request::parse_head(&self.buf, &request_limits) {
                    Ok(Some((head, consumed))) => return HeadOutcome::Request(head, consumed),
                    Ok(None) => {}
                    Err(e) => {
                        log::debug!(target: TAG, "bad request: {e}");
                        return HeadOutcome::Fail(e.status());
                    }
                }
            }
            let started = !self.buf.is_empty();
            let deadline = match started {
                true => *head_deadline.get_or_insert_with(|| Deadline::after_ms(head_ms)),
                false => idle_deadline,
            };
            let Some(timeout) = deadline.left() else {
                return match started {
                    true => HeadOutcome::Fail(408),
                    false => HeadOutcome::Quiet,
                };
            };
            match self.fill(socket, timeout) {
                Ok(0) => return HeadOutcome::Quiet,
                Ok(_) => {}
                Err(NetError::TimedOut) if started => return HeadOutcome::Fail(408),
                Err(NetError::Exhausted) => return HeadOutcome::Fail(503),
                Err(_) => return HeadOutcome::Quiet,
            }
        }
    }

    /// Appends what the socket has to `buf`; `Ok(0)` on end of stream,
    /// `Exhausted` when the heap has no room for another read.
    pub(super) fn fill(&mut self, socket: Socket, timeout: TickType) -> Result<usize, NetError> {
        let len = self.buf.len();
        self.buf
            .try_reserve(READ_CHUNK)
            .map_err(|_| NetError::Exhausted)?;
        self.buf.resize(len + READ_CHUNK, 0);
        let r = self.net().recv(socket, &mut self.buf[len..], timeout);
        self.buf.truncate(len + *r.as_ref().unwrap_or(&0));
        r
    }

    /// Routes the request and answers it (the admin API, a static file, a
    /// function); returns whether the connection may stay open.
    fn respond(&mut self, socket: Socket, head: &mut RequestHead) -> bool {
        let close = !head.keep_alive;
        let Some(path) = request_path(&head.target) else {
            self.send_error(socket, 400, true, &[]);
            return false;
        };
        if let Some(admin) = path.strip_prefix("/_isere/") {
            let query = head
                .target
                .split_once('?')
                .map(|(_, q)| q.split('#').next().unwrap_or(""))
                .unwrap_or("");
            let (admin, query) = (String::from(admin), String::from(query));
            return self.serve_admin_call(socket, head, &admin, &query);
        }
        let function = match self.shared.running.resolve(path, &head.method) {
            None => {
                return self.skip_body(socket, head) && self.send_error(socket, 404, close, &[]);
            }
            Some(Resolved::Asset(asset)) => {
                return self.skip_body(socket, head) && self.send_asset(socket, head, &asset);
            }
            Some(Resolved::MethodNotAllowed { allow }) => {
                return self.skip_body(socket, head)
                    && self.send_error(socket, 405, close, &[("allow", &allow)]);
            }
            Some(Resolved::Static { dir, prefix_len }) => {
                let rest = path.get(prefix_len..).unwrap_or("");
                return self.skip_body(socket, head)
                    && self.serve_static(socket, head, &dir, path, rest);
            }
            Some(Resolved::Function(f)) => f,
        };
        let max = self.shared.running.limits().max_body_bytes();
        let body = match head.framing {
            BodyFraming::None => RequestBody::None,
            BodyFraming::Length(n) if n > max => return self.refuse_body(socket, BodyError(413)),
            BodyFraming::Length(n) if n <= WHOLE_BODY_MAX => {
                match BodyReader::new(self, socket, head, max).read_all() {
                    Ok(Some(b)) => RequestBody::Whole(b),
                    Ok(None) => RequestBody::None,
                    Err(e) => return self.refuse_body(socket, e),
                }
            }
            _ => RequestBody::Streamed(BodyReader::new(self, socket, head, max).pause()),
        };
        self.run_function(socket, head, function, body)
    }

    /// Answers a body that could not be read, and closes (its framing is
    /// lost); a body refused for want of memory now is asked again later.
    pub(super) fn refuse_body(&self, socket: Socket, e: BodyError) -> bool {
        let retry: &[(&str, &str)] = if e.0 == 503 {
            &[("retry-after", "1")]
        } else {
            &[]
        };
        self.send_error(socket, e.0, true, retry);
        false
    }

    /// Reads and drops the body of a request answered without it, so that
    /// the next request's framing is intact; `false` (after answering the
    /// error) when that fails.
    pub(super) fn skip_body(&mut self, socket: Socket, head: &RequestHead) -> bool {
        if matches!(head.framing, BodyFraming::None | BodyFraming::Length(0)) {
            return true;
        }
        let max = self.shared.running.limits().max_body_bytes();
        match BodyReader::new(self, socket, head, max).discard() {
            Ok(()) => true,
            Err(e) => self.refuse_body(socket, e),
        }
    }

    /// Writes the head of an answer to `head` into `out` (its version, its
    /// connection's keep-alive, the date); the framing actually written.
    pub(super) fn answer_head(
        &self,
        out: &mut Vec<u8>,
        head: &RequestHead,
        status: u16,
        reason: &str,
        headers: &[(String, String)],
        framing: ResponseFraming,
    ) -> ResponseFraming {
        response::write_head(
            out,
            head.version,
            status,
            reason,
            headers,
            framing,
            head.keep_alive,
            &self.shared.date(),
        )
    }

    /// Writes `reply` (its head and, unless the request was `HEAD` or the
    /// status has none, its body); returns whether that worked.
    pub(super) fn write_reply(&self, socket: Socket, head: &RequestHead, reply: &Reply) -> bool {
        let body = reply.body.as_deref().unwrap_or(&[]);
        let no_body_status = matches!(reply.status, 100..=199 | 204 | 304);
        let framing = if no_body_status {
            ResponseFraming::None
        } else {
            ResponseFraming::Length(body.len())
        };
        let mut out = Vec::with_capacity(256 + body.len().min(COALESCED_BODY));
        let sent = self.answer_head(
            &mut out,
            head,
            reply.status,
            &reply.status_text,
            &reply.headers,
            framing,
        );
        let with_body = head.method != "HEAD" && !matches!(sent, ResponseFraming::None);
        let mut pace = self.transfer_pace();
        if with_body && body.len() <= COALESCED_BODY {
            out.extend_from_slice(body);
            return self.send_paced(socket, &out, &mut pace);
        }
        // A large body is sent from where it is: no second copy of it.
        self.send_paced(socket, &out, &mut pace)
            && (!with_body || self.send_paced(socket, body, &mut pace))
    }

    /// Sends a server-generated error; returns whether the connection may stay open.
    pub(super) fn send_error(
        &self,
        socket: Socket,
        status: u16,
        close: bool,
        extra: &[(&str, &str)],
    ) -> bool {
        let mut out = Vec::new();
        response::simple_response(&mut out, status, close, &self.shared.date(), extra);
        self.send_paced(socket, &out, &mut self.transfer_pace()) && !close
    }
}

/// The path of an origin-form (`/a?b`) or absolute-form (`http://h/a?b`)
/// target; `None` for any other form or an authority that is not
/// `host[:port]`.
fn request_path(target: &str) -> Option<&str> {
    let path_and_query = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if !request::valid_authority(&rest.as_bytes()[..end]) {
            return None;
        }
        match &rest[end..] {
            p if p.starts_with('/') => p,
            _ => "/",
        }
    };
    let end = path_and_query
        .find(['?', '#'])
        .unwrap_or(path_and_query.len());
    Some(&path_and_query[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths() {
        assert_eq!(request_path("/a/b?x=1"), Some("/a/b"));
        assert_eq!(request_path("/"), Some("/"));
        assert_eq!(request_path("http://h:1/a?b"), Some("/a"));
        assert_eq!(request_path("http://h"), Some("/"));
        assert_eq!(request_path("*"), None);
        assert_eq!(request_path("example.com:443"), None);
        assert_eq!(request_path("http://h?q/x"), Some("/"));
        assert_eq!(request_path("http://a b/x"), None);
        assert_eq!(request_path("http://evil@h/x"), None);
        assert_eq!(request_path("http://h:99999/x"), None);
    }
}
