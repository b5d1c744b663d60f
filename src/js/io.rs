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
use core::cell::Cell;

use super::context::{ContextSlot, ContextState};
use super::engine::{Ctx, Thrown, Value};
use super::task::messages::Message;
use crate::rtos::{self, Queue, WAIT_FOREVER};

/// Turns a finished work's result into the value its promise resolves to
/// (or, when it throws, the reason it rejects with). Runs on the JS task.
pub type Finish<R> = for<'c> fn(&'c Ctx, R) -> Result<Value<'c>, Thrown>;

/// What a worker hands back to the JS task: `finish` applied to the result.
pub type Completion = Box<dyn for<'c> FnOnce(&'c Ctx) -> Result<Value<'c>, Thrown> + Send>;

/// One unit of work for the pool.
struct Job {
    slot: ContextSlot,
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

/// The JS task's I/O workers, started on first use. Owned by the JS task
/// (its [`super::context::TaskContext`]) and only touched from it.
pub struct IoPool {
    config: PoolConfig,
    /// Where workers send completions: the JS task's queue.
    results: &'static Queue<Message>,
    jobs: Cell<Option<&'static Queue<Job>>>,
}

// SAFETY: `jobs` is only read and written by the JS task (natives call
// `spawn` there); the queues themselves are kernel-synchronised.
unsafe impl Sync for IoPool {}

impl IoPool {
    /// A pool of `config`'s size whose workers report to `results`.
    pub(crate) fn new(config: PoolConfig, results: &'static Queue<Message>) -> IoPool {
        IoPool {
            config,
            results,
            jobs: Cell::new(None),
        }
    }

    /// The job queue, starting the workers the first time. The queue lives
    /// as long as its workers, which run for the firmware's life.
    fn jobs(&self) -> Result<&'static Queue<Job>, &'static str> {
        if let Some(q) = self.jobs.get() {
            return Ok(q);
        }
        let config = self.config;
        let queue =
            Queue::new(config.queue_len.max(1)).map_err(|_| "out of memory for the I/O queue")?;
        let queue: &'static Queue<Job> = Box::leak(Box::new(queue));
        let results = self.results;
        let mut started = 0;
        for _ in 0..config.workers.max(1) {
            if rtos::spawn(c"js-io", config.stack_words, config.priority, move || {
                worker(queue, results)
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
        self.jobs.set(Some(queue));
        Ok(queue)
    }
}

fn worker(jobs: &'static Queue<Job>, results: &'static Queue<Message>) {
    loop {
        let Some(job) = jobs.receive(WAIT_FOREVER) else {
            continue;
        };
        let Job { slot, id, run } = *job;
        let msg = Box::new(Message::Io {
            slot,
            id,
            completion: run(),
        });
        if results.send(msg, WAIT_FOREVER).is_err() {
            log::error!(target: "js", "I/O result dropped: the JS queue refused it");
        }
    }
}

/// Runs `work` on a worker task and returns a promise settled on the JS task
/// with `finish(ctx, result)`. Throws when the pool is saturated.
pub fn spawn<'c, R: Send + 'static>(
    ctx: &'c Ctx,
    work: impl FnOnce() -> R + Send + 'static,
    finish: Finish<R>,
) -> Result<Value<'c>, Thrown> {
    let state = ContextState::of(ctx)?;
    let queue = state
        .task()
        .io
        .jobs()
        .map_err(|e| ctx.throw_range_error(e))?;
    let [promise, resolve, reject] = ctx.promise()?;
    let id = state.add_pending_io(resolve, reject);
    let job = Box::new(Job {
        slot: state.slot(),
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
