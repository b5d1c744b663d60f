//! Work off the JS task: blocking I/O (database round trips, outgoing HTTP,
//! flash writes) and long computations run on a small pool of worker tasks,
//! and their results come back to the JS task as promise settlements.
//!
//! A native calls [`spawn`] with the work (a `Send` closure run on a worker)
//! and a `finish` function (run on the JS task with the work's result, in the
//! context that asked); JS gets a promise at once. The JS task keeps serving
//! other requests meanwhile. Workers start on first use, so a function that
//! does no I/O costs no worker stacks.

use alloc::boxed::Box;

use super::engine::{Ctx, Thrown, Value};
use super::task::{self, ContextState};
use crate::rtos::{self, Queue, WAIT_FOREVER};

/// Turns a finished work's result into the value its promise resolves to
/// (or, when it throws, the reason it rejects with). Runs on the JS task.
pub type Finish<R> = for<'c> fn(&'c Ctx, R) -> Result<Value<'c>, Thrown>;

/// What a worker hands back to the JS task: `finish` applied to the result.
pub type Completion = Box<dyn for<'c> FnOnce(&'c Ctx) -> Result<Value<'c>, Thrown> + Send>;

/// One unit of work for the pool.
struct Job {
    function: usize,
    id: u32,
    run: Box<dyn FnOnce() -> Completion + Send>,
}

/// Sizes of the worker pool.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// Worker tasks (started on first use); at least 1.
    pub workers: usize,
    /// Each worker's FreeRTOS stack, in words.
    pub stack_words: usize,
    /// Their priority.
    pub priority: u32,
    /// Jobs that may wait for a worker; more make [`spawn`] throw.
    pub queue_len: usize,
}

struct Pool {
    config: PoolConfig,
    jobs: Option<&'static Queue<Job>>,
}

/// Written by the JS task only (in `configure` and `spawn`), so no lock.
static mut POOL: Pool = Pool {
    config: PoolConfig {
        workers: 1,
        stack_words: 2048,
        priority: 1,
        queue_len: 8,
    },
    jobs: None,
};

/// Sets the pool's sizes; call before the first [`spawn`] (the JS task does,
/// from its `JsConfig`).
pub(super) fn configure(config: PoolConfig) {
    // SAFETY: only the JS task touches POOL.
    unsafe {
        let pool = &mut *core::ptr::addr_of_mut!(POOL);
        pool.config = config;
    }
}

/// The job queue, starting the workers the first time.
fn jobs() -> Result<&'static Queue<Job>, &'static str> {
    // SAFETY: only the JS task touches POOL.
    let pool = unsafe { &mut *core::ptr::addr_of_mut!(POOL) };
    if let Some(q) = pool.jobs {
        return Ok(q);
    }
    let config = pool.config;
    let queue =
        Queue::new(config.queue_len.max(1)).map_err(|_| "out of memory for the I/O queue")?;
    let queue: &'static Queue<Job> = Box::leak(Box::new(queue));
    let mut started = 0;
    for _ in 0..config.workers.max(1) {
        if rtos::spawn(c"js-io", config.stack_words, config.priority, move || {
            worker(queue)
        })
        .is_ok()
        {
            started += 1;
        }
    }
    if started == 0 {
        return Err("out of memory for an I/O worker task");
    }
    log::debug!(target: "js", "{started} I/O worker(s) started");
    pool.jobs = Some(queue);
    Ok(queue)
}

fn worker(jobs: &'static Queue<Job>) {
    loop {
        let Some(job) = jobs.receive(WAIT_FOREVER) else {
            continue;
        };
        let Job { function, id, run } = *job;
        task::complete_io(function, id, run());
    }
}

/// Runs `work` on a worker task and returns a promise settled on the JS task
/// with `finish(ctx, result)`. Throws when the pool is saturated.
pub fn spawn<'c, R: Send + 'static>(
    ctx: &'c Ctx,
    work: impl FnOnce() -> R + Send + 'static,
    finish: Finish<R>,
) -> Result<Value<'c>, Thrown> {
    // SAFETY: every context the JS task creates carries its ContextState.
    let state = unsafe { ctx.opaque::<ContextState>() }
        .ok_or_else(|| ctx.throw_type_error("no function state"))?;
    let queue = jobs().map_err(|e| ctx.throw_range_error(e))?;
    let [promise, resolve, reject] = ctx.promise()?;
    let id = state.add_pending_io(resolve, reject);
    let job = Box::new(Job {
        function: state.function(),
        id,
        run: Box::new(move || {
            let result = work();
            let completion: Completion = Box::new(move |ctx| finish(ctx, result));
            completion
        }),
    });
    if queue.send(job, 0).is_err() {
        state.drop_pending_io(ctx, id);
        return Err(ctx.throw_range_error(
            "too many I/O operations in flight: await some before starting more",
        ));
    }
    Ok(promise)
}
