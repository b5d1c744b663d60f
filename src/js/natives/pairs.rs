//! The iteration Web IDL gives interfaces with "pair iterators" (`Headers`,
//! `URLSearchParams`): `entries`, `keys`, `values` and `forEach` over a
//! snapshot of their `(name, value)` list.

use alloc::string::String;
use alloc::vec::Vec;

use crate::js::engine::{Ctx, Thrown, Value};

/// Bytes a list of pairs holds in the Rust heap.
pub fn heap_bytes(pairs: &Vec<(String, String)>) -> usize {
    pairs.capacity() * core::mem::size_of::<(String, String)>()
        + pairs
            .iter()
            .map(|(n, v)| n.capacity() + v.capacity())
            .sum::<usize>()
}

/// What a pair iterator yields of each pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// `[name, value]` arrays (`entries`, `[Symbol.iterator]`).
    Entries,
    /// The names.
    Keys,
    /// The values.
    Values,
}

/// An iterator over `part` of each of `pairs`.
pub fn iterator<'c>(
    ctx: &'c Ctx,
    pairs: &[(String, String)],
    part: Part,
) -> Result<Value<'c>, Thrown> {
    let mut items = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        items.push(match part {
            Part::Entries => ctx.array_of(alloc::vec![ctx.string(name)?, ctx.string(value)?])?,
            Part::Keys => ctx.string(name)?,
            Part::Values => ctx.string(value)?,
        });
    }
    ctx.array_of(items)?.call_method(c"values", &[])
}

/// `forEach(callback, thisArg)` of `this` over `pairs`: the callback gets
/// `(value, name, this)`. `what` names the method in the TypeError for a
/// callback that is not a function.
pub fn for_each<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    args: &[Value<'c>],
    pairs: Vec<(String, String)>,
    what: &str,
) -> Result<Value<'c>, Thrown> {
    let callback = match args.first() {
        Some(f) if f.is_function() => f,
        _ => {
            return Err(
                ctx.throw_type_error(&alloc::format!("{what}: callback must be a function"))
            );
        }
    };
    let this_arg = args.get(1).cloned().unwrap_or_else(|| ctx.undefined());
    for (name, value) in pairs {
        callback.call(
            &this_arg,
            &[ctx.string(&value)?, ctx.string(&name)?, this.clone()],
        )?;
    }
    Ok(ctx.undefined())
}

/// Calls `each(name, value)` for the pairs an init argument lists (Web IDL
/// `sequence<sequence<ByteString>> or record<ByteString, ByteString>`): the
/// `[name, value]` pairs of an iterable, else the own enumerable properties
/// of a record. A pair that is not a sequence of two is a TypeError saying
/// `not_a_pair`.
pub fn each_of_init<'c>(
    ctx: &'c Ctx,
    init: &Value<'c>,
    not_a_pair: &str,
    mut each: impl FnMut(&Value<'c>, &Value<'c>) -> Result<(), Thrown>,
) -> Result<(), Thrown> {
    use super::headers::{collect_iterable, is_iterable};
    if !is_iterable(ctx, init)? {
        for key in init.own_keys()? {
            each(&key, &init.get_value(&key)?)?;
        }
        return Ok(());
    }
    for pair in collect_iterable(ctx, init)? {
        let items = if is_iterable(ctx, &pair)? {
            Some(collect_iterable(ctx, &pair)?)
        } else {
            None
        };
        let Some([name, value]) = items.and_then(|p| <[Value<'_>; 2]>::try_from(p).ok()) else {
            return Err(ctx.throw_type_error(not_a_pair));
        };
        each(&name, &value)?;
    }
    Ok(())
}
