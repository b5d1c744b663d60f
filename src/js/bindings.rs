//! `env` bindings: the JS objects a function reaches as `env.NAME` for the
//! bindings its configuration declares (see [`crate::config::Binding`]).
//! Each type's object is made by its native module; the calls that block
//! (storage, database round trips) run on the I/O workers ([`super::io`]).

use super::engine::{Ctx, Thrown, Value};
use super::natives::{kv, postgres, redis, shared};
use crate::config::Binding;

/// The object behind binding `name` of the function of `ctx`.
pub fn create<'c>(ctx: &'c Ctx, name: &str, binding: &Binding) -> Result<Value<'c>, Thrown> {
    let function = shared::function_of(ctx)?;
    match binding {
        Binding::Postgres { url, timeout_ms } => {
            postgres::binding(ctx, function, name, url, *timeout_ms)
        }
        Binding::Redis { url, timeout_ms } => redis::binding(ctx, function, name, url, *timeout_ms),
        Binding::Kv { namespace } => kv::binding(ctx, function, name, namespace),
    }
}
