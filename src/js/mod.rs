//! JavaScript: the engine layer, the Web API glue and the JS task.
//!
//! * [`engine`]: our safe layer over QuickJS-NG (`rquickjs-sys`).
//! * [`compiler`]: source → bytecode, shared with `build.rs`.
//! * [`builtin`]: bytecode compiled at build time (glue and example functions).
//! * [`natives`]: the native functions the glue is built on.
//! * [`task`]: the one task that owns the runtime and runs every function.
//!
//! The Web APIs a handler sees (`Request`, `Response`, `Headers`, `URL`,
//! `console`, timers) are JavaScript in `src/js/glue/`, one file per API,
//! each a function `(internal, global) => void` run once per context.

pub mod bindings;
pub mod builtin;
pub mod class;
pub mod compiler;
pub mod engine;
pub mod heap;
pub mod io;
pub mod modules;
pub mod natives;
pub mod task;

pub use task::{Exchange, JsTask, Reply};
