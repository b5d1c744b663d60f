//! Loading a function's version into a context of its own, and switching
//! versions all or nothing (see [`super::JsTask::activate`]).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::event_loop::{EventLoop, TAG, loaded};
use super::lazy_names::{GLOBAL_NAMES, INTERNAL_NAMES, LAZY_GLUE};
use super::messages::{ActivationError, FunctionChange, LoadError, LoadedFunction};
use crate::js::builtin;
use crate::js::context::{ContextSlot, ContextState};
use crate::js::engine::{Context, Ctx, JsError, Persistent, Runtime, Thrown, Value};
use crate::js::{lazy, natives};
use crate::rtos;
use crate::running::FunctionId;

/// Most contexts the task holds at once (active and retired versions).
pub const MAX_CONTEXTS: usize = 255;

/// A loaded context: one version of one function.
pub(crate) struct Function {
    pub(super) ctx: Context,
    pub(super) state: Box<ContextState>,
    /// [`LoadedFunction::cpu_limit_ms`].
    pub(super) cpu_limit_ms: u32,
    pub(super) name: Persistent,
    pub(super) dispatch: Persistent,
    pub(super) namespace: Persistent,
    pub(super) env: Persistent,
}

impl Function {
    /// Stops the context's timers, drops its pending I/O and frees it.
    pub(super) fn free(self) {
        let Function {
            ctx,
            state,
            name,
            dispatch,
            namespace,
            env,
            ..
        } = self;
        state.release(&ctx);
        for p in [name, dispatch, namespace, env] {
            p.free(&ctx);
        }
        drop(ctx);
        drop(state);
    }
}

impl EventLoop {
    fn load(
        &self,
        rt: &Runtime,
        slot: ContextSlot,
        f: LoadedFunction,
    ) -> Result<Function, LoadError> {
        let ctx = rt.new_context().ok_or(LoadError::OutOfMemory)?;
        let state = Box::new(ContextState::new(
            f.name.clone(),
            slot,
            self.task,
            f.modules,
        ));
        ctx.set_opaque::<ContextState>(&*state);
        let setup = || -> Result<[Persistent; 4], LoadError> {
            let internal = load_step(&ctx, &f.name, "setup", ctx.object())?;
            let natives = load_step(&ctx, &f.name, "setup", natives::create(&ctx))?;
            load_step(&ctx, &f.name, "setup", internal.set(c"natives", natives))?;
            *state.internal.borrow_mut() = Some(Persistent::new(internal.clone()));
            let mut used = rt.allocated();
            log::debug!(target: TAG, "[{}] context: {used} bytes of engine heap", f.name);
            let global = ctx.global();
            // The engine's own versions of a few (DOMException, performance)
            // would hide ours.
            for name in builtin::GLUE.iter().flat_map(|g| g.globals) {
                load_step(&ctx, &f.name, "setup", global.delete_own(name))?;
            }
            for (target, tag) in [(&global, GLOBAL_NAMES), (&internal, INTERNAL_NAMES)] {
                load_step(
                    &ctx,
                    &f.name,
                    "setup",
                    lazy::install(&ctx, target, tag, &LAZY_GLUE),
                )?;
            }
            load_step(
                &ctx,
                &f.name,
                "setup",
                natives::install_request_path(&ctx, &internal),
            )?;
            let now = rt.allocated();
            log::debug!(target: TAG, "[{}] request path (native): {:+} bytes", f.name, now as isize - used as isize);
            used = now;
            // Eager files run now; lazy ones run when one of their names is
            // first used, so a function pays RAM only for what it touches.
            for (i, glue) in builtin::GLUE.iter().enumerate() {
                let name = glue.name;
                if !glue.is_lazy() {
                    load_step(&ctx, &f.name, name, state.load_glue(&ctx, i))?;
                }
                let now = rt.allocated();
                // Signed: a file's allocations can trigger a collection
                // that frees more than the file took.
                let delta = now as isize - used as isize;
                log::debug!(target: TAG, "[{}] glue {name}: {delta:+} bytes", f.name);
                used = now;
            }
            let env = load_step(&ctx, &f.name, "env", ctx.object())?;
            let env_key = |k: &str| {
                alloc::ffi::CString::new(k).map_err(|_| load_failed(&f.name, "env", bad_key()))
            };
            for (k, v) in &f.env {
                let key = env_key(k)?;
                let val = load_step(&ctx, &f.name, "env", ctx.string(v))?;
                load_step(&ctx, &f.name, "env", env.set(&key, val))?;
            }
            // `node:process` reads the env vars as `internal.env` while the
            // module is evaluated, so they are set before it runs.
            load_step(&ctx, &f.name, "env", internal.set(c"env", env.clone()))?;
            for (k, b) in &f.bindings {
                let key = env_key(k)?;
                let val = load_step(
                    &ctx,
                    &f.name,
                    "env",
                    crate::js::bindings::create(&ctx, k, b),
                )?;
                load_step(&ctx, &f.name, "env", env.set(&key, val))?;
            }
            let namespace = ctx.run_bytecode(rt, &f.bytecode);
            // What the entry did not import is never needed (see `modules`).
            state.modules.borrow_mut().clear();
            let namespace = namespace.map_err(|e| load_failed(&f.name, "module", e))?;
            if !has_handler(&namespace) {
                return Err(LoadError::NoHandler {
                    function: f.name.clone(),
                });
            }
            let dispatch = load_step(&ctx, &f.name, "glue", internal.get(c"dispatch"))?;
            if !dispatch.is_function() {
                return Err(LoadError::NoDispatch);
            }
            let name = load_step(&ctx, &f.name, "setup", ctx.string(&f.name))?;
            // Nothing fails from here on, so no persistent reference leaks.
            Ok([name, dispatch, namespace, env].map(Persistent::new))
        };
        let [name, dispatch, namespace, env] = match setup() {
            Ok(refs) => refs,
            Err(e) => {
                state.release(&ctx);
                return Err(e);
            }
        };
        Ok(Function {
            ctx,
            state,
            cpu_limit_ms: f.cpu_limit_ms,
            name,
            dispatch,
            namespace,
            env,
        })
    }

    /// Loads every new version of `changes` into a fresh context; if all
    /// load, makes them active and removes the functions without one, else
    /// frees what was loaded and changes nothing.
    pub(super) fn apply_changes(
        &mut self,
        rt: &Runtime,
        changes: Vec<FunctionChange>,
    ) -> Result<(), ActivationError> {
        let mut staged: Vec<(FunctionId, Option<ContextSlot>)> = Vec::with_capacity(changes.len());
        for change in changes {
            let loaded = match change.load {
                Some(f) => self.load_into_free_slot(rt, f, change.init_limit_ms),
                None => Ok(None),
            };
            match loaded {
                Ok(slot) => staged.push((change.function, slot)),
                Err(e) => {
                    for slot in staged.into_iter().filter_map(|(_, s)| s) {
                        if let Some(f) = unload(&mut self.contexts, slot) {
                            f.free();
                        }
                    }
                    return Err(e);
                }
            }
        }
        for (function, slot) in staged {
            let at = function.index();
            if self.active.len() <= at {
                self.active.resize(at + 1, None);
            }
            let old = core::mem::replace(&mut self.active[at], slot);
            if let Some(old) = old {
                self.retired.push(old);
            }
            if let Some((s, f)) = slot.and_then(|s| Some((s, self.context(s)?))) {
                log::info!(target: TAG, "[{}] new version active (context {})", f.state.name, s.0);
            }
        }
        Ok(())
    }

    /// Loads `f` into a fresh context under the time limit, in a free slot
    /// (not active yet); returns the slot.
    fn load_into_free_slot(
        &mut self,
        rt: &Runtime,
        f: LoadedFunction,
        init_limit_ms: u32,
    ) -> Result<Option<ContextSlot>, ActivationError> {
        let free = (1..=MAX_CONTEXTS)
            .map(|i| (self.last_slot + i) % MAX_CONTEXTS)
            .find(|&i| loaded(&self.contexts, ContextSlot(i as u16)).is_none())
            .ok_or(ActivationError::NoFreeContext)?;
        let slot = ContextSlot(free as u16);
        // The slot is used up even if the load fails: a timer or an I/O
        // result its module's top level started may still arrive for it, and
        // must not reach the next context loaded there.
        self.last_slot = free;
        let limit = match init_limit_ms {
            0 => self.cpu_limit(),
            ms => rtos::ms_to_ticks(u64::from(ms)),
        };
        self.deadline.set(rtos::tick_count().saturating_add(limit));
        let loaded = self.load(rt, slot, f);
        self.disarm();
        let function = loaded.map_err(ActivationError::LoadFailed)?;
        self.contexts.push((slot, function));
        Ok(Some(slot))
    }

    /// Frees the retired contexts no request in flight still uses.
    pub(super) fn free_retired(&mut self) {
        let mut i = 0;
        while i < self.retired.len() {
            let slot = self.retired[i];
            if self.has_requests_in(slot) {
                i += 1;
                continue;
            }
            self.retired.swap_remove(i);
            if let Some(f) = unload(&mut self.contexts, slot) {
                log::debug!(target: TAG, "[{}] old version freed (context {})", f.state.name, slot.0);
                f.free();
            }
        }
    }
}

fn bad_key() -> JsError {
    JsError {
        message: "env names must not contain NUL".to_string(),
        stack: String::new(),
    }
}

/// A stage of loading `function` threw `error` (one out-of-line place for
/// the many steps of a load that can fail).
#[inline(never)]
fn load_failed(function: &str, stage: &'static str, error: JsError) -> LoadError {
    LoadError::Failed {
        function: String::from(function),
        stage,
        error,
    }
}

/// `r`, or the exception it threw as the failure of `stage` of loading
/// `function`.
#[inline(never)]
fn load_step<T>(
    ctx: &Ctx,
    function: &str,
    stage: &'static str,
    r: Result<T, Thrown>,
) -> Result<T, LoadError> {
    r.map_err(|Thrown| load_failed(function, stage, ctx.take_exception()))
}

/// Takes the context in `slot` out of `contexts`, if loaded.
fn unload(contexts: &mut Vec<(ContextSlot, Function)>, slot: ContextSlot) -> Option<Function> {
    let i = contexts.iter().position(|(s, _)| *s == slot)?;
    Some(contexts.swap_remove(i).1)
}

/// Whether a module exports a Workers `default.fetch` or a Lambda `handler`.
fn has_handler(ns: &Value<'_>) -> bool {
    let workers = ns
        .get(c"default")
        .ok()
        .filter(|d| d.is_object())
        .and_then(|d| d.get(c"fetch").ok())
        .is_some_and(|f| f.is_function());
    let lambda = ns.get(c"handler").ok().is_some_and(|h| h.is_function());
    workers || lambda
}
