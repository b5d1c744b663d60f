//! What goes in and out of the JS task's queue.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::budget::Reservation;
use crate::js::context::ContextSlot;
use crate::js::engine::JsError;
use crate::js::io::Completion;
use crate::rtos::{Queue, Rendezvous};
use crate::running::FunctionId;

/// A request handed to the JS task.
pub struct Exchange {
    /// Matches the [`Reply`] to this request.
    pub seq: u32,
    /// The function that serves it.
    pub function: FunctionId,
    /// Request method.
    pub method: String,
    /// Absolute URL (`http://host/path?query`).
    pub url: String,
    /// Header fields as received (names as sent, values as bytes).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body; `None` when the request had no body framing at all, or
    /// when it is streamed.
    pub body: Option<Vec<u8>>,
    /// The body stays with the connection, which sends it a piece at a
    /// time as the handler reads it ([`ToConnection::Pull`]).
    pub streamed_body: bool,
    /// The body's share of the server's body budget, given back once the
    /// engine has taken the body over (and charged it to its own limit).
    pub body_reservation: Option<Reservation<'static>>,
    /// Where the reply goes.
    pub reply_to: &'static Queue<ToConnection>,
}

/// What the JS task tells the connection task of an exchange.
pub enum ToConnection {
    /// The answer (its body whole, or announced as streamed).
    Reply(Reply),
    /// The handler reads the request body: send its next piece, as the
    /// completion of I/O `id` of the context in `slot`.
    Pull {
        /// The exchange.
        seq: u32,
        /// The context that reads.
        slot: ContextSlot,
        /// Its I/O job.
        id: u32,
    },
    /// A piece of a streamed answer: write it, then complete I/O `id` of
    /// the context in `slot` (the handler's stream waits for that).
    Piece {
        /// The exchange.
        seq: u32,
        /// The context that writes.
        slot: ContextSlot,
        /// Its I/O job.
        id: u32,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A streamed answer ended (`ok`), or failed: the connection is then
    /// closed without the end of the body, so the client sees it cut.
    End {
        /// The exchange.
        seq: u32,
        /// Whether the stream ended normally.
        ok: bool,
    },
}

impl ToConnection {
    /// The exchange it is about.
    pub fn seq(&self) -> u32 {
        match self {
            ToConnection::Reply(r) => r.seq,
            ToConnection::Pull { seq, .. }
            | ToConnection::Piece { seq, .. }
            | ToConnection::End { seq, .. } => *seq,
        }
    }
}

/// A handler's response, handed back to the connection task.
pub struct Reply {
    /// The [`Exchange::seq`] this answers.
    pub seq: u32,
    /// Status code.
    pub status: u16,
    /// Reason phrase chosen by the handler (empty: the standard one).
    pub status_text: String,
    /// Header fields (lowercase names).
    pub headers: Vec<(String, String)>,
    /// The body; `None` for a null body or a streamed one.
    pub body: Option<Vec<u8>>,
    /// The body follows in pieces ([`ToConnection::Piece`], then
    /// [`ToConnection::End`]).
    pub streamed: bool,
}

/// One function's part of an activation (see
/// [`super::JsTask::activate`]).
pub struct FunctionChange {
    /// The function.
    pub function: FunctionId,
    /// The new version; `None` removes the function.
    pub load: Option<LoadedFunction>,
    /// Longest the module's top level may run (0: the handler limit).
    pub init_limit_ms: u32,
}

/// A function ready to be loaded into its context.
pub struct LoadedFunction {
    /// Its name (used in logs and as the Lambda `functionName`).
    pub name: String,
    /// QuickJS bytecode of its entry module.
    pub bytecode: Vec<u8>,
    /// Its other modules, which the entry imports by relative specifiers:
    /// name (see [`crate::js::modules`]) and bytecode.
    pub modules: Vec<(String, Vec<u8>)>,
    /// Its `env` variables.
    pub env: BTreeMap<String, String>,
    /// Its `env` bindings.
    pub bindings: BTreeMap<String, crate::config::Binding>,
    /// Its own CPU limit in ms (a bundle's `limits.cpu_ms`), below the
    /// device's `handler_timeout_ms`; 0: the device's.
    pub cpu_limit_ms: u32,
}

/// Why a function's version did not load into its context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// No memory for the runtime or a new context.
    OutOfMemory,
    /// A stage of the set-up (`setup`, `env`, `module`, a glue file...)
    /// threw: the module's top level, most often.
    Failed {
        /// The function.
        function: String,
        /// What was being done.
        stage: &'static str,
        /// What was thrown.
        error: JsError,
    },
    /// The module exports no handler.
    NoHandler {
        /// The function.
        function: String,
    },
    /// The glue did not set up its dispatcher (a firmware bug).
    NoDispatch,
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoadError::OutOfMemory => f.write_str("out of memory for a JS context"),
            LoadError::Failed {
                function,
                stage,
                error,
            } => write!(f, "function '{function}': {stage}: {error}"),
            LoadError::NoHandler { function } => write!(
                f,
                "function '{function}': the module has neither `export default {{ fetch }}` nor `export const handler`"
            ),
            LoadError::NoDispatch => f.write_str("glue: internal.dispatch is not a function"),
        }
    }
}

/// Why an activation changed nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivationError {
    /// The JS task's queue stayed full: try again.
    Busy,
    /// A new version failed to load or to initialise; the old versions
    /// keep running.
    LoadFailed(LoadError),
    /// More function contexts than the task has slots for.
    NoFreeContext,
}

impl core::fmt::Display for ActivationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ActivationError::Busy => f.write_str("the JS task is too busy; try again"),
            ActivationError::LoadFailed(why) => write!(f, "{why}"),
            ActivationError::NoFreeContext => write!(
                f,
                "more than {} function contexts",
                crate::running::FunctionId::MAX
            ),
        }
    }
}

/// A message to the JS task.
pub(crate) enum Message {
    /// Run a request.
    Request(Box<Exchange>),
    /// Apply a change of the running functions, all or nothing, and report
    /// the outcome.
    Activate {
        changes: Vec<FunctionChange>,
        done: Rendezvous<Result<(), ActivationError>>,
    },
    /// A JS timer fired.
    Timer { slot: ContextSlot, id: u32 },
    /// An I/O job finished.
    Io {
        slot: ContextSlot,
        id: u32,
        completion: Completion,
    },
    /// Free everything and stop the scheduler.
    Shutdown,
}
