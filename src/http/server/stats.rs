//! `GET /_isere/stats`: the device's version, uptime, heap, task stacks,
//! connection pool and engine memory, as JSON (unauthenticated: figures
//! only, nothing secret).

use alloc::string::String;

use super::connection::Worker;
use crate::http::request::RequestHead;
use crate::js::Reply;
use crate::port::Socket;
use crate::rtos;

#[derive(serde::Serialize)]
struct Stats<'a> {
    version: &'a str,
    uptime_ms: u64,
    cpu_busy_ns: Option<u64>,
    heap: Heap,
    stacks: StackList<'a>,
    max_connections: usize,
    connections: Connections,
    js_memory: JsMemory,
}

#[derive(serde::Serialize)]
struct Heap {
    total: usize,
    used: usize,
    peak: usize,
    free: usize,
}

/// A group of tasks of one name and stack size, in bytes; `least_free` is
/// null where the port cannot tell.
#[derive(serde::Serialize)]
struct Stack<'a> {
    task: &'a str,
    count: usize,
    size: usize,
    least_free: Option<usize>,
}

/// The stacks as they are reported, serialised without a copy.
struct StackList<'a>(&'a [rtos::StackUse]);

impl serde::Serialize for StackList<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|u| Stack {
            task: u.name.to_str().unwrap_or("?"),
            count: u.tasks,
            size: u.size,
            least_free: u.least_free,
        }))
    }
}

#[derive(serde::Serialize)]
struct Connections {
    tasks: usize,
    idle: usize,
    ceiling: usize,
}

#[derive(serde::Serialize)]
struct JsMemory {
    limit: usize,
    used: usize,
    ceiling: usize,
}

impl Worker {
    /// Answers `GET`/`HEAD /_isere/stats`.
    pub(super) fn serve_stats(&self, socket: Socket, head: &RequestHead) -> bool {
        if head.method != "GET" && head.method != "HEAD" {
            return self.send_error(socket, 405, !head.keep_alive, &[("allow", "GET, HEAD")]);
        }
        let shared = self.shared;
        let heap = rtos::heap_stats();
        let pool = shared.pool.counts();
        let limits = shared.running.limits();
        let stacks = rtos::stack_use();
        let stats = Stats {
            version: crate::VERSION,
            uptime_ms: rtos::ticks_to_ms(rtos::tick_count()),
            cpu_busy_ns: shared.services.cpu_busy_ns.map(|f| f()),
            heap: Heap {
                total: heap.total,
                used: heap.used,
                peak: heap.peak,
                free: heap.free,
            },
            stacks: StackList(&stacks),
            max_connections: pool.target,
            connections: Connections {
                tasks: pool.tasks,
                idle: pool.idle,
                ceiling: limits.ceilings().max_connections,
            },
            js_memory: JsMemory {
                limit: limits.js_memory_bytes(),
                used: shared.js.memory_used(),
                ceiling: limits.ceilings().js_memory_bytes,
            },
        };
        let reply = Reply {
            seq: self.replies.seq,
            status: 200,
            status_text: String::new(),
            headers: alloc::vec![
                (
                    String::from("content-type"),
                    String::from("application/json")
                ),
                (String::from("cache-control"), String::from("no-store")),
            ],
            body: Some(crate::json::to_vec(&stats)),
            streamed: false,
        };
        self.write_reply(socket, head, &reply)
    }
}
