//! Entry points for the `fuzz/` crate (cargo-fuzz targets, `make fuzz`),
//! built only with the `fuzzing` feature: a way to run code in a FreeRTOS
//! task from a libFuzzer thread, and the private encodings the targets
//! check round trips of.
//!
//! Unlike `rtos::testing` (unit tests), a panic here is not caught: it
//! reaches libFuzzer's panic hook, which aborts, so that the fuzzer records
//! the input as a crash.

use alloc::boxed::Box;
use alloc::string::String;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use crate::rtos;

/// What the fuzzing task runs.
type Job = Box<dyn FnOnce() + Send>;

/// Blocks the port's signals on the calling thread and on the threads it
/// creates afterwards. Call it first thing in a target's `init` (libFuzzer
/// starts its helper threads after that).
pub fn block_port_signals() {
    crate::posix::block_port_signals();
}

/// Runs `f` in the fuzzing task (one per process, started with the
/// scheduler on first use, after libFuzzer has set up its own signal
/// handlers: the port's replace them) and returns its result. Panics if it
/// takes longer than `timeout`: a hang is a finding too.
pub fn in_task<R: Send + 'static>(timeout: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    static JOBS: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    block_port_signals();
    let (tx, rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    JOBS.get_or_init(start)
        .send(job)
        .expect("the fuzzing task is gone");
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(e) => panic!("the fuzzing task did not answer within {timeout:?}: {e}"),
    }
}

/// Starts the scheduler on its own thread with the fuzzing task, which
/// runs the jobs sent to the returned in-tray one after the other.
fn start() -> mpsc::Sender<Job> {
    crate::posix::init_io().expect("the POSIX port's epoll set and SIGIO handler");
    let (jobs, in_tray) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name(String::from("freertos-scheduler"))
        .spawn(move || {
            // Before the scheduler runs this thread is alone in the kernel.
            rtos::spawn(c"fuzz", 1024, 2, move || {
                loop {
                    // Polled: a task must not block in a host call.
                    while let Ok(job) = in_tray.try_recv() {
                        job();
                    }
                    rtos::delay(1);
                }
            })
            .expect("the fuzzing task");
            rtos::start_scheduler();
        })
        .expect("the FreeRTOS scheduler thread");
    jobs
}

/// The KV store's file name for `key` (see [`crate::kv`]).
pub fn kv_file_name(key: &str) -> String {
    crate::kv::file_name(key)
}

/// The key a KV file name stands for, if it is one the store makes.
pub fn kv_decode_name(name: &str) -> Option<String> {
    crate::kv::decode_name(name)
}

/// The KV `list` cursor after `key`.
pub fn kv_encode_cursor(key: &str) -> String {
    crate::kv::encode_cursor(key)
}

/// The key a KV `list` cursor names, if it is a well-formed cursor.
pub fn kv_decode_cursor(cursor: &str) -> Option<String> {
    crate::kv::decode_cursor(cursor)
}

/// Whether the KV store accepts `key` at all.
pub fn kv_key_valid(key: &str) -> bool {
    crate::kv::check_key(key).is_ok()
}
