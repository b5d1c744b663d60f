//! The JS task: the one FreeRTOS task that owns the QuickJS runtime.
//!
//! QuickJS is single-threaded, so every JS value lives here. Other tasks talk
//! to it only through its queue of messages ([`messages`]):
//!
//! * a connection task sends a request ([`Exchange`]) and waits on its own
//!   reply queue for the [`Reply`] (tagged with a sequence number so that a
//!   late reply to an abandoned request is recognised and dropped);
//! * the admin API (through the device's control) sends an activation and
//!   waits for its outcome ([`JsTask::activate`]);
//! * the kernel's timer task and the I/O workers send timer and I/O events
//!   ([`crate::js::context`], [`crate::js::io`]);
//! * the port sends a shutdown ([`ShutdownSignal`], from interrupt context,
//!   with a message allocated in advance).
//!
//! Files: [`messages`] (what is queued), [`functions`] (configured
//! functions to bytecode), `event_loop.rs` (the loop and the requests in
//! flight), `activation.rs` (loading contexts, switching versions),
//! `lazy_names.rs` (the names a context defines on first use). The state
//! of each context is [`crate::js::context`].

mod activation;
mod event_loop;
pub mod functions;
mod lazy_names;
pub mod messages;
#[cfg(all(test, feature = "port-posix"))]
pub(crate) mod tests;

pub use functions::{CompilePath, resolve_function, resolve_functions};
pub use messages::{
    ActivationError, Exchange, FunctionChange, LoadError, LoadedFunction, Reply, ToConnection,
};

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use super::context::TaskContext;
use super::io::{IoPool, PoolConfig};
use crate::rtos::{self, Queue};
use crate::running::{FunctionId, Limits};
use crate::services::Services;
use messages::Message;

/// How long an activation waits for room in the JS task's queue.
const ACTIVATION_QUEUE_WAIT_MS: u64 = 1000;

/// Sizes of the JS task.
#[derive(Clone, Copy)]
pub struct JsConfig {
    /// Native stack JS may use (below `task_stack_words` on the boards).
    pub stack_limit: usize,
    /// The task's FreeRTOS stack, in words.
    pub task_stack_words: usize,
    /// Task priority.
    pub priority: u32,
    /// Messages the queue holds.
    pub queue_len: usize,
    /// Worker tasks for I/O off the JS task (started on first use).
    pub io_workers: usize,
    /// Each I/O worker's FreeRTOS stack, in words.
    pub io_stack_words: usize,
}

/// Why the JS task did not start.
#[derive(Debug)]
pub enum StartError {
    /// Not enough memory for the task, its queue or the runtime.
    OutOfMemory,
    /// A function failed to load.
    Load(ActivationError),
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::OutOfMemory => f.write_str("out of memory for the JS task"),
            StartError::Load(why) => write!(f, "{why}"),
        }
    }
}

/// The handle other tasks use to reach the JS task.
#[derive(Clone, Copy)]
pub struct JsTask {
    task: &'static TaskContext,
}

/// Why a request could not be handed over: the queue is full.
pub struct Busy(pub Box<Exchange>);

impl JsTask {
    /// Starts the JS task with the device's `services` and the running
    /// `limits`, loads each of `functions` into its own context and returns
    /// once they are ready, or with the first load error. Call from a task;
    /// at most once.
    pub fn start(
        functions: Vec<(FunctionId, LoadedFunction)>,
        config: JsConfig,
        services: &'static Services,
        limits: &'static Limits,
    ) -> Result<JsTask, StartError> {
        // The queue and the task context live as long as the JS task,
        // which runs until the scheduler stops.
        let queue: &'static Queue<Message> = Box::leak(Box::new(
            Queue::new(config.queue_len).map_err(|_| StartError::OutOfMemory)?,
        ));
        let task: &'static TaskContext = Box::leak(Box::new(TaskContext {
            services,
            io: IoPool::new(
                PoolConfig {
                    workers: config.io_workers,
                    stack_words: config.io_stack_words,
                    priority: config.priority,
                    queue_len: config.queue_len,
                },
                queue,
            ),
            queue,
            memory_used: AtomicUsize::new(0),
            shutdown: AtomicPtr::new(Box::into_raw(Box::new(Message::Shutdown))),
        }));
        let outcome = rtos::wait_for_answer(|started| {
            rtos::spawn(c"js", config.task_stack_words, config.priority, move || {
                event_loop::run_task(event_loop::Start {
                    functions,
                    config,
                    task,
                    limits,
                    started,
                })
            })
            .is_ok()
        });
        match outcome {
            Some(Ok(())) => Ok(JsTask { task }),
            Some(Err(e)) => Err(StartError::Load(e)),
            None => Err(StartError::OutOfMemory),
        }
    }

    /// Applies a change of the running functions (an over-the-air deploy,
    /// rollback or delete, a pushed configuration, a restore at start) and
    /// waits for the outcome. The JS task applies it between requests, all
    /// or nothing: every new version is loaded into a fresh context and its
    /// module's top level run under its `init_limit_ms`; only if all of
    /// them succeed do they replace the old versions (and the removed
    /// functions go), at once. Requests in flight finish on the old
    /// contexts, each freed once the last of its requests is answered; the
    /// next request sees the new state.
    pub fn activate(&self, changes: Vec<FunctionChange>) -> Result<(), ActivationError> {
        let outcome = rtos::wait_for_answer(|done| {
            let msg = Box::new(Message::Activate { changes, done });
            // The queue is full only under a burst of requests: wait it out
            // (a message refused is dropped, and with it the rendezvous).
            self.task
                .queue
                .send(msg, rtos::ms_to_ticks(ACTIVATION_QUEUE_WAIT_MS))
                .is_ok()
        });
        outcome.unwrap_or(Err(ActivationError::Busy))
    }

    /// Hands a request to the JS task without waiting; gives it back when the
    /// queue is full.
    pub fn submit(&self, exchange: Box<Exchange>) -> Result<(), Busy> {
        match self
            .task
            .queue
            .send(Box::new(Message::Request(exchange)), 0)
        {
            Ok(()) => Ok(()),
            Err(msg) => match *msg {
                Message::Request(ex) => Err(Busy(ex)),
                _ => unreachable!("sent a request"),
            },
        }
    }

    /// Settles I/O `id` of the context in `slot` with `completion` (a
    /// connection task answering a [`ToConnection::Pull`] or a
    /// [`ToConnection::Piece`]), waiting up to `wait` for room in the queue;
    /// whether it was delivered.
    pub fn complete_io(
        &self,
        slot: crate::js::context::ContextSlot,
        id: u32,
        completion: crate::js::io::Completion,
        wait: rtos::TickType,
    ) -> bool {
        let msg = Box::new(Message::Io {
            slot,
            id,
            completion,
        });
        self.task.queue.send(msg, wait).is_ok()
    }

    /// Bytes the engine held after the JS task's last message.
    pub fn memory_used(&self) -> usize {
        self.task.memory_used.load(Ordering::Relaxed)
    }

    /// The way a port asks the JS task to stop (see [`ShutdownSignal`]).
    pub fn shutdown_signal(&self) -> ShutdownSignal {
        ShutdownSignal { task: self.task }
    }
}

/// Asks the JS task to free everything, run the leak check and stop the
/// scheduler. Safe from interrupt context; only the first call counts.
#[derive(Clone, Copy)]
pub struct ShutdownSignal {
    task: &'static TaskContext,
}

impl ShutdownSignal {
    /// Sends the shutdown (see the type's docs).
    pub fn raise(&self) {
        let shutdown = &self.task.shutdown;
        // A critical section instead of an atomic swap: thumbv6m has no CAS.
        let msg = rtos::critical(|| {
            let m = shutdown.load(Ordering::Acquire);
            shutdown.store(core::ptr::null_mut(), Ordering::Release);
            m
        });
        if msg.is_null() {
            return;
        }
        // SAFETY: the message was leaked from a box in `start` and is taken once.
        let msg = unsafe { Box::from_raw(msg) };
        if let Err(msg) = self.task.queue.send(msg, 0) {
            // Queue full: put it back so the next call retries.
            shutdown.store(Box::into_raw(msg), Ordering::Release);
        }
    }
}

/// Waits for the next word of exchange `seq` on `replies`, dropping stale
/// ones (about earlier exchanges that were given up on); `None` after
/// `timeout`.
pub fn wait_note(
    replies: &Queue<ToConnection>,
    seq: u32,
    timeout: rtos::TickType,
) -> Option<Box<ToConnection>> {
    let started = rtos::tick_count();
    loop {
        let left = timeout.checked_sub(rtos::tick_count().wrapping_sub(started))?;
        if left == 0 {
            return None;
        }
        let note = replies.receive(left)?;
        if note.seq() == seq {
            return Some(note);
        }
    }
}

/// Waits for the reply of exchange `seq` (one that does not stream: any
/// other word about it is dropped); `None` after `timeout`.
pub fn wait_reply(
    replies: &Queue<ToConnection>,
    seq: u32,
    timeout: rtos::TickType,
) -> Option<Box<Reply>> {
    let started = rtos::tick_count();
    loop {
        let left = timeout.checked_sub(rtos::tick_count().wrapping_sub(started))?;
        if let ToConnection::Reply(reply) = *wait_note(replies, seq, left)? {
            return Some(Box::new(reply));
        }
    }
}
