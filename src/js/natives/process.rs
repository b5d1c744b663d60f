//! The natives of `node:process` (`src/js/glue/process.js`):
//! `uptimeMs()`, the monotonic time since the scheduler started, in
//! milliseconds (the kernel tick's resolution), for `process.hrtime` and
//! `process.uptime`; `version`, the firmware version (a string).

use crate::js::engine::{Ctx, Thrown, Value};
use crate::rtos;

/// Creates the natives object of `process`.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let o = ctx.object()?;
    o.set(c"uptimeMs", ctx.function(c"uptimeMs", 0, uptime_ms)?)?;
    o.set(c"version", ctx.string(crate::VERSION)?)?;
    Ok(o)
}

fn uptime_ms<'c>(ctx: &'c Ctx, _this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    Ok(ctx.number(rtos::ticks_to_ms(rtos::tick_count()) as f64))
}
