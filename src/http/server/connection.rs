//! One connection's life: read a request head, its body, route it, answer,
//! and go on with the next request while the connection is kept alive.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::body::BodyReader;
use super::{Job, ReplyQueue, Shared, TAG};
use crate::http::request::{self, BodyFraming, Limits, RequestHead};
use crate::http::response::{self, ResponseFraming};
use crate::js::{Exchange, Reply};
use crate::port::{self, NetError, Socket};
use crate::rtos::{self, TickType, WAIT_FOREVER};
use crate::running::Resolved;

/// Bytes read from a socket at a time.
pub(super) const READ_CHUNK: usize = 4096;

/// How much longer than `handler_timeout_ms` a connection waits for its
/// reply, so that a handler interrupted by the JS task at that limit is
/// answered with its 500 rather than a 504.
const HANDLER_GRACE_MS: u64 = 500;

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
        let Job::Serve(socket) = *job else {
            // Counted out by `resize`, which sent this.
            break;
        };
        worker.serve(socket);
        shared.services.net.close(socket);
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

    /// The wait for each send, and for each read of a body.
    pub(super) fn io_timeout(&self) -> TickType {
        rtos::ms_to_ticks(u64::from(self.shared.running.limits().header_timeout_ms()))
    }

    fn serve(&mut self, socket: Socket) {
        loop {
            let (mut head, consumed) = match self.read_head(socket) {
                HeadOutcome::Request(h, c) => (h, c),
                HeadOutcome::Quiet => return,
                HeadOutcome::Fail(status) => {
                    self.send_error(socket, status, true, &[]);
                    return;
                }
            };
            self.buf.drain(..consumed);
            if !self.respond(socket, &mut head) || !head.keep_alive {
                return;
            }
        }
    }

    /// Reads until a complete request head is buffered.
    fn read_head(&mut self, socket: Socket) -> HeadOutcome {
        let limits = self.shared.running.limits();
        let idle_wait = rtos::ms_to_ticks(u64::from(limits.keep_alive_timeout_ms()));
        let head_wait = self.io_timeout();
        // Bundle uploads stream past the body limit of functions, which
        // `respond` applies to every other request.
        let request_limits = Limits {
            max_request_line: limits.max_request_line(),
            max_header_bytes: limits.max_header_bytes(),
            max_headers: limits.max_headers(),
            max_body: limits.max_body_bytes().max(limits.max_bundle_bytes()),
        };
        let mut head_deadline: Option<TickType> = None;
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
            let started = !self.buf.iter().all(|&b| b == b'\r' || b == b'\n');
            let timeout = if started {
                let deadline = *head_deadline
                    .get_or_insert_with(|| rtos::tick_count().saturating_add(head_wait));
                deadline.saturating_sub(rtos::tick_count())
            } else {
                idle_wait
            };
            if started && timeout == 0 {
                return HeadOutcome::Fail(408);
            }
            match self.fill(socket, timeout) {
                Ok(0) => return HeadOutcome::Quiet,
                Ok(_) => {}
                Err(NetError::TimedOut) if started => return HeadOutcome::Fail(408),
                Err(_) => return HeadOutcome::Quiet,
            }
        }
    }

    /// Appends what the socket has to `buf`; `Ok(0)` on end of stream.
    pub(super) fn fill(&mut self, socket: Socket, timeout: TickType) -> Result<usize, NetError> {
        let len = self.buf.len();
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
        let body = match BodyReader::new(self, socket, head, max).read_all() {
            Ok(b) => b,
            Err(status) => {
                self.send_error(socket, status.0, true, &[]);
                return false;
            }
        };
        self.run_function(socket, head, function, body)
    }

    /// Reads and drops the body of a request answered without it, so that
    /// the next request's framing is intact; `false` (after answering the
    /// error) when that fails.
    pub(super) fn skip_body(&mut self, socket: Socket, head: &RequestHead) -> bool {
        if matches!(head.framing, BodyFraming::None | BodyFraming::Length(0)) {
            return true;
        }
        let max = self.shared.running.limits().max_body_bytes();
        match BodyReader::new(self, socket, head, max).read_all() {
            Ok(_) => true,
            Err(status) => {
                self.send_error(socket, status.0, true, &[]);
                false
            }
        }
    }

    /// Hands the request to the JS task and writes its reply.
    fn run_function(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        function: crate::running::FunctionId,
        body: Option<Vec<u8>>,
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
        let exchange = Box::new(Exchange {
            seq: self.replies.seq,
            function,
            method: head.method.clone(),
            url,
            // The head keeps what the reply needs; the fields go to JS.
            headers: core::mem::take(&mut head.headers),
            body,
            reply_to: self.replies.queue,
        });
        if self.shared.js.submit(exchange).is_err() {
            log::warn!(target: TAG, "JS queue full: 503");
            return self.send_error(socket, 503, !head.keep_alive, &[("retry-after", "1")]);
        }
        let handler_ms = u64::from(self.shared.running.limits().handler_timeout_ms());
        let wait = rtos::ms_to_ticks(handler_ms + HANDLER_GRACE_MS);
        let Some(reply) = crate::js::task::wait_reply(self.replies.queue, self.replies.seq, wait)
        else {
            log::warn!(target: TAG, "{} {}: handler timed out", head.method, head.target);
            return self.send_error(socket, 504, true, &[]);
        };
        let ok = self.write_reply(socket, head, &reply);
        log::debug!(
            target: TAG,
            "{} {} -> {} ({} ms)",
            head.method,
            head.target,
            reply.status,
            rtos::ticks_to_ms(rtos::tick_count().saturating_sub(started))
        );
        ok
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
        let mut out = Vec::with_capacity(256 + body.len());
        let sent = response::write_head(
            &mut out,
            head.version,
            reply.status,
            &reply.status_text,
            &reply.headers,
            framing,
            head.keep_alive,
            &self.shared.date(),
        );
        if head.method != "HEAD" && !matches!(sent, ResponseFraming::None) {
            out.extend_from_slice(body);
        }
        port::send_all(self.net(), socket, &out, self.io_timeout()).is_ok()
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
        port::send_all(self.net(), socket, &out, self.io_timeout()).is_ok() && !close
    }
}

/// The path of an origin-form (`/a?b`) or absolute-form (`http://h/a?b`) target.
fn request_path(target: &str) -> Option<&str> {
    let path_and_query = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
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
    }
}
