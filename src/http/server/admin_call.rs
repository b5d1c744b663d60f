//! The admin API's transport: an admin call (any `/_isere/` path) is
//! parsed here, authenticated by the [`AdminApi`](crate::http::admin::AdminApi) the server was given
//! from its head alone, then its body streamed through the one body reader
//! to it, and its answer written back. `stats`, once authenticated
//! (or on a device without an admin API), is the server's own page.

use alloc::string::String;

use super::body::BodyReader;
use super::connection::Worker;
use crate::http::admin::{AdminRequest, AdminResponse};
use crate::http::request::{BodyFraming, RequestHead};
use crate::js::Reply;
use crate::port::Socket;
use crate::rtos;

/// Stack of the tasks an admin call is authenticated and answered on, in
/// words: 12 KiB on the 32-bit boards (a board with little RAM keeps that
/// much out of the engine's reach).
pub const ADMIN_STACK_WORDS: usize = 3072;

impl Worker {
    /// Answers an admin call (and `stats`), streaming its body; returns
    /// whether the connection may stay open. The call is authenticated
    /// from its head first: `100 Continue` and the body only follow a call
    /// that passed.
    pub(super) fn serve_admin_call(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        path: &str,
        query: &str,
    ) -> bool {
        let priority = self.shared.sizes.priority;
        let Some(api) = self.shared.extras.admin else {
            if path == "stats" {
                // No admin API to authenticate with: the server's own page.
                return self.skip_body(socket, head) && self.serve_stats(socket, head);
            }
            let response = AdminResponse::error(
                501,
                "this device has no bundle store: over-the-air deploys are not available on this port yet",
            );
            return self.answer_admin(socket, head, false, response);
        };
        let method = head.method.clone();
        let authorization = head.header("authorization").map(<[u8]>::to_vec);
        let request = AdminRequest {
            method: &method,
            path,
            query,
            authorization: authorization.as_deref(),
        };
        // Signatures are checked on a task of their own (Ed25519 wants a
        // few KiB of stack, which a connection task does not keep).
        let auth = rtos::run_on_new_task(c"http-admin", ADMIN_STACK_WORDS, priority, || {
            api.authenticate(&request)
        })
        .unwrap_or_else(|_| Err(out_of_memory()));
        let auth = match auth {
            Ok(auth) => auth,
            Err(response) => return self.answer_admin(socket, head, false, response),
        };
        if path == "stats" {
            return self.skip_body(socket, head) && self.serve_stats(socket, head);
        }
        let mut body = BodyReader::new(self, socket, head, usize::MAX);
        // The call itself too, reads included: its handler is one frame for
        // every call (~2 KiB on ARMv6-M, with deploys and configurations
        // beside reads), more than an RP2040 connection task has left.
        let response = rtos::run_on_new_task(c"http-admin", ADMIN_STACK_WORDS, priority, || {
            api.handle(&request, auth, &mut body)
        })
        .unwrap_or_else(|_| out_of_memory());
        let read = body.is_done();
        self.answer_admin(socket, head, read, response)
    }

    /// Writes an admin answer; `body_read`: whether the request's body was
    /// read whole (else its framing is lost and the connection closes).
    fn answer_admin(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        body_read: bool,
        response: AdminResponse,
    ) -> bool {
        if !body_read && head.framing != BodyFraming::None {
            head.keep_alive = false;
        }
        let reply = Reply {
            seq: self.replies.seq,
            status: response.status,
            status_text: String::new(),
            headers: [
                (
                    String::from("content-type"),
                    String::from(response.content_type),
                ),
                (String::from("cache-control"), String::from("no-store")),
            ]
            .into_iter()
            .chain(response.headers)
            .collect(),
            body: Some(response.body),
            streamed: false,
        };
        self.write_reply(socket, head, &reply) && head.keep_alive
    }
}

fn out_of_memory() -> AdminResponse {
    AdminResponse::error(503, "not enough memory for an admin call now; try again")
}
