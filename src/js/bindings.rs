//! `env` bindings: the JS objects a function reaches as `env.NAME` for the
//! bindings its configuration declares (see [`crate::config::Binding`]).
//! Each type's object is made by its native module; the calls that block
//! (storage, database round trips) run on the I/O workers ([`super::io`]).

use super::engine::{Ctx, Thrown, Value};
use crate::config::Binding;

/// The object behind binding `name` of the function of `ctx`.
pub fn create<'c>(ctx: &'c Ctx, name: &str, binding: &Binding) -> Result<Value<'c>, Thrown> {
    Err(ctx.throw_type_error(&alloc::format!(
        "binding '{name}': {} bindings are not available in this firmware",
        binding.type_name()
    )))
}
