//! `env` bindings: the JS objects a function reaches as `env.NAME` for the
//! bindings its configuration declares (see [`crate::config::Binding`]).
//! Each type's object is made by its native module; the calls that block
//! (storage, database round trips) run on the I/O workers ([`super::io`]).

use super::engine::{Ctx, Thrown, Value};
use super::natives::kv;
#[cfg(feature = "db-clients")]
use super::natives::{postgres, redis};
use crate::config::Binding;

/// The object behind binding `name` of the function of `ctx`; its client
/// belongs to `ctx` (see [`super::natives::shared`]).
pub fn create<'c>(ctx: &'c Ctx, name: &str, binding: &Binding) -> Result<Value<'c>, Thrown> {
    match binding {
        Binding::Kv { namespace } => kv::binding(ctx, name, namespace),
        #[cfg(feature = "db-clients")]
        Binding::Postgres { url, timeout_ms } => postgres::binding(ctx, name, url, *timeout_ms),
        #[cfg(feature = "db-clients")]
        Binding::Redis { url, timeout_ms } => redis::binding(ctx, name, url, *timeout_ms),
        #[cfg(not(feature = "db-clients"))]
        Binding::Postgres { .. } | Binding::Redis { .. } => Err(ctx.throw_type_error(&alloc::format!(
            "binding '{name}': {} bindings are not built into this firmware (cargo feature db-clients)",
            binding.type_name()
        ))),
    }
}
