//! The admin API's transport: an admin call (any `/_isere/` path but
//! `stats`) is parsed here, its body streamed through the one body reader
//! to the [`AdminApi`] the server was given, and its answer written back.

use alloc::string::String;

use super::body::BodyReader;
use super::connection::Worker;
use crate::http::admin::{AdminApi, AdminRequest, AdminResponse};
use crate::http::request::RequestHead;
use crate::js::Reply;
use crate::port::Socket;
use crate::rtos;

/// Stack of the task an admin call that changes something runs on, in
/// words: 12 KiB on the 32-bit boards.
const ADMIN_STACK_WORDS: usize = 3072;

impl Worker {
    /// Answers an admin call, streaming its body; returns whether the
    /// connection may stay open.
    pub(super) fn serve_admin_call(
        &mut self,
        socket: Socket,
        head: &mut RequestHead,
        path: &str,
        query: &str,
    ) -> bool {
        let admin: Option<&'static dyn AdminApi> = self.shared.extras.admin;
        let priority = self.shared.sizes.priority;
        let method = head.method.clone();
        let authorization = head.header("authorization").map(<[u8]>::to_vec);
        let request = AdminRequest {
            method: &method,
            path,
            query,
            authorization: authorization.as_deref(),
        };
        let mut body = BodyReader::new(self, socket, head, usize::MAX);
        let response = match admin {
            None => AdminResponse::error(
                501,
                "this device has no bundle store: over-the-air deploys are not available on this port yet",
            ),
            Some(api) if request.is_read_only() => api.handle(&request, &mut body),
            // Calls that change something check signatures (Ed25519 wants a
            // few KiB of stack): they run on a task of their own, with the
            // stack a connection task does not keep for good.
            Some(api) => rtos::run_on_new_task(c"http-admin", ADMIN_STACK_WORDS, priority, || {
                api.handle(&request, &mut body)
            })
            .unwrap_or_else(|_| {
                AdminResponse::error(503, "not enough memory for an admin call now; try again")
            }),
        };
        if !body.is_done() {
            // The body was left unread: its framing is lost, so close.
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
