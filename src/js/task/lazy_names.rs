//! The lazy names of a function's context: the glue files' globals and
//! `internal` names, and the engine's built-ins added on first use (see
//! [`crate::js::lazy`] for the mechanism).

use crate::js::builtin;
use crate::js::context::ContextState;
use crate::js::engine::{Ctx, Intrinsic, Thrown, Value};
use crate::js::lazy;
use crate::js::natives;

/// The `tag` of the global object's lazy names (see [`lazy::install`]).
pub(super) const GLOBAL_NAMES: i32 = 0;
/// The `tag` of `internal`'s lazy names.
pub(super) const INTERNAL_NAMES: i32 = 1;

/// The names of the lazy glue files, on the global object and on `internal`.
pub(super) static LAZY_GLUE: lazy::LazyNames = lazy::LazyNames {
    pending: |ctx, tag, name| match definer_of(tag, name) {
        Some(Definer::Intrinsic(i)) => !ctx.has_intrinsic(i),
        Some(Definer::Glue(i)) => ContextState::of(ctx).is_ok_and(|s| !s.is_glue_loaded(i)),
        Some(Definer::Native(i)) => ContextState::of(ctx).is_ok_and(|s| !s.is_native_api_loaded(i)),
        None => false,
    },
    load: load_lazy_name,
};

/// What defines a lazy name.
#[derive(Clone, Copy)]
enum Definer {
    /// One of the engine's built-ins added on first use.
    Intrinsic(Intrinsic),
    /// A glue file (its index in `builtin::GLUE`).
    Glue(usize),
    /// A native API (its index in `natives::LAZY_APIS`).
    Native(usize),
}

/// What defines `name` on the object of `tag`, if it is a lazy name.
fn definer_of(tag: i32, name: &str) -> Option<Definer> {
    if tag == GLOBAL_NAMES
        && let Some(i) = Intrinsic::of_global(name)
    {
        return Some(Definer::Intrinsic(i));
    }
    let listed = |globals: &[&str], internals: &[&str]| {
        if tag == GLOBAL_NAMES {
            globals.contains(&name)
        } else {
            internals.contains(&name)
        }
    };
    if let Some(i) = natives::LAZY_APIS
        .iter()
        .position(|api| listed(api.globals, api.internals))
    {
        return Some(Definer::Native(i));
    }
    builtin::GLUE
        .iter()
        .position(|g| {
            let names = if tag == GLOBAL_NAMES {
                g.globals
            } else {
                g.internals
            };
            names.contains(&name)
        })
        .map(Definer::Glue)
}

/// Runs what defines `name` on the object of `tag` and returns the value
/// it got.
fn load_lazy_name<'c>(ctx: &'c Ctx, tag: i32, name: &str) -> Result<Value<'c>, Thrown> {
    let state = ContextState::of(ctx)?;
    let definer = definer_of(tag, name).ok_or_else(|| ctx.throw_type_error("not a lazy name"))?;
    match definer {
        Definer::Intrinsic(i) => ctx.ensure_intrinsic(i)?,
        Definer::Glue(i) => state.load_glue(ctx, i)?,
        Definer::Native(i) => state.load_native_api(ctx, i)?,
    }
    let target = if tag == GLOBAL_NAMES {
        ctx.global()
    } else {
        state.internal(ctx)?
    };
    let cname = alloc::ffi::CString::new(name).map_err(|_| ctx.throw_type_error("bad name"))?;
    if !target.has_own(&cname)? {
        let by = match definer {
            Definer::Intrinsic(i) => alloc::format!("{i:?}"),
            Definer::Glue(i) => alloc::format!("glue file {}", builtin::GLUE[i].name),
            Definer::Native(i) => alloc::format!("native API {}", natives::LAZY_APIS[i].name),
        };
        return Err(ctx.throw_type_error(&alloc::format!("{by} did not define {name}")));
    }
    target.get(&cname)
}
