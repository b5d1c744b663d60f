//! Natives of `performance` (High Resolution Time) and `navigator`, for
//! `src/js/glue/performance.js`:
//!
//! * `now()` → milliseconds since the scheduler started, from the kernel tick
//!   (1 ms resolution on the boards, 10 ms on the simulator's 100 Hz tick).
//! * `wrapMs`: the milliseconds after which the tick counter wraps (the glue
//!   extends `now()` past a wrap; on 32-bit ticks at 1 kHz that is ~49.7 days).
//! * `userAgent`: `Isere/<crate version>`.

use crate::js::engine::{Ctx, Thrown, Value};
use crate::rtos::{self, TickType};

/// Creates the natives object of this module.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let natives = ctx.object()?;
    natives.set(c"now", ctx.function(c"now", 0, now)?)?;
    natives.set(c"wrapMs", ctx.number(wrap_ms()))?;
    natives.set(
        c"userAgent",
        ctx.string(concat!("Isere/", env!("CARGO_PKG_VERSION")))?,
    )?;
    Ok(natives)
}

/// The span of the tick counter in milliseconds.
// `TickType` is u64 on the POSIX port but u32 on the boards.
#[allow(clippy::useless_conversion)]
fn wrap_ms() -> f64 {
    (u64::from(TickType::MAX) as f64 + 1.0) * 1000.0 / u64::from(rtos::tick_rate_hz()) as f64
}

#[allow(clippy::useless_conversion)]
fn now<'c>(ctx: &'c Ctx, _this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let ticks = u64::from(rtos::tick_count()) as f64;
    Ok(ctx.number(ticks * 1000.0 / u64::from(rtos::tick_rate_hz()) as f64))
}
