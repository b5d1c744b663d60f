//! Bodies in transit between a connection task and the JS task, for the
//! glue (`src/js/glue/body.js`) through `internal`:
//!
//! * `pullBody(token)` → a promise of the request body's next piece (a
//!   `Uint8Array`), or null at its end: the connection task reads it from
//!   the socket only now, so a large upload never sits whole in RAM;
//! * `sendPiece(token, bytes)` → a promise settled once the connection
//!   task has written that piece of a streamed answer (the stream is read
//!   no faster than the client takes it): true, or false when the client
//!   takes no body (`HEAD`);
//! * `endBody(token, ok)`: the streamed answer ended, or failed.
//!
//! A token names an exchange ([`Transit`]) while it is open; past its end a
//! piece is refused with a TypeError.

use alloc::vec::Vec;

use crate::js::context::{ContextState, Transit};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::task::ToConnection;

/// The context's state, and the token in `args[0]` with its exchange; a
/// TypeError once the exchange is over.
fn exchange<'c>(
    ctx: &'c Ctx,
    args: &[Value<'_>],
) -> Result<(&'c ContextState, u32, Transit), Thrown> {
    let state = ContextState::of(ctx)?;
    let token = match args.first() {
        Some(v) => v.to_f64()? as u32,
        None => 0,
    };
    match state.transit(token) {
        Some(t) => Ok((state, token, t)),
        None => Err(ctx.throw_type_error("the request this body belongs to is over")),
    }
}

/// Sends `note` (given the I/O id) to the exchange's connection task with a
/// promise settled by its answer; a TypeError when the connection no longer
/// listens.
fn ask<'c>(
    ctx: &'c Ctx,
    state: &ContextState,
    transit: Transit,
    note: impl FnOnce(u32) -> ToConnection,
) -> Result<Value<'c>, Thrown> {
    let [promise, resolve, reject] = ctx.promise()?;
    let id = state.add_pending_io(resolve, reject);
    // Never blocks the JS task: a connection has one word in flight at a
    // time, and its queue holds two.
    if transit
        .reply_to
        .send(alloc::boxed::Box::new(note(id)), 0)
        .is_err()
    {
        state.drop_pending_io(ctx, id);
        return Err(ctx.throw_type_error("the connection of this request is gone"));
    }
    Ok(promise)
}

/// `pullBody(token)`.
pub fn pull_body<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let (state, _, transit) = exchange(ctx, args)?;
    let slot = state.slot();
    ask(ctx, state, transit, |id| ToConnection::Pull {
        seq: transit.seq,
        slot,
        id,
    })
}

/// `sendPiece(token, bytes)`.
pub fn send_piece<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let (state, _, transit) = exchange(ctx, args)?;
    let bytes: Vec<u8> = match args.get(1).and_then(|v| v.bytes()) {
        Some(b) => b.to_vec(),
        None => {
            return Err(
                ctx.throw_type_error("a streamed response body must produce Uint8Array chunks")
            );
        }
    };
    let slot = state.slot();
    ask(ctx, state, transit, |id| ToConnection::Piece {
        seq: transit.seq,
        slot,
        id,
        bytes,
    })
}

/// `endBody(token, ok)`: closes the transit.
pub fn end_body<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let (state, token, transit) = exchange(ctx, args)?;
    let ok = args.get(1).is_some_and(|v| v.to_bool());
    state.close_transit(token);
    if let Some(request_body) = transit.with {
        state.close_transit(request_body);
    }
    let end = ToConnection::End {
        seq: transit.seq,
        ok,
    };
    if transit
        .reply_to
        .send(alloc::boxed::Box::new(end), 0)
        .is_err()
    {
        log::warn!(target: "js", "the end of a streamed answer was dropped: its connection is gone");
    }
    Ok(ctx.undefined())
}
