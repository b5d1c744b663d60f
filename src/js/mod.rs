//! JavaScript: the engine layer, the Web API glue and the JS task.
//!
//! * [`engine`]: our safe layer over QuickJS-NG (`rquickjs-sys`).
//! * [`compiler`]: source → bytecode, shared with `build.rs`.
//! * [`builtin`]: bytecode compiled at build time (glue and example functions).
//! * [`natives`]: the native functions the glue is built on.
//! * [`task`]: the one task that owns the runtime and runs every function;
//!   [`context`]: what each of its contexts carries (below the natives,
//!   the module loader and the I/O pool, which all reach it).
//! * [`io`]: the I/O workers, whose results come back as promise settlements.
//! * [`class`]: native classes (JS classes written in Rust, cheap in the
//!   engine's heap).
//! * [`lazy`]: names defined on first use (the glue's and the engine's
//!   `Date`, `Map`/`Set` and typed arrays), through one object in front of
//!   the global object's prototype.
//!
//! The request path (`Request`, `Response`, `Headers`) is native
//! (`natives/{headers,body,request,response}.rs`): every request goes
//! through it and JS classes cost tens of KiB of heap per context. The other
//! Web APIs a handler sees (`URL`, `console`, timers, streams...) are
//! JavaScript in `src/js/glue/`, one file per API, each a function
//! `(internal, global) => void`, most run on first use.

pub mod bindings;
pub mod builtin;
pub mod class;
pub mod compiler;
pub mod context;
pub mod engine;
pub mod heap;
pub mod io;
pub mod lazy;
pub mod modules;
pub mod natives;
pub mod task;

pub use task::{Exchange, JsTask, Reply};
