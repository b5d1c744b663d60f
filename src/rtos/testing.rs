//! Unit tests with the FreeRTOS scheduler running (POSIX port only).
//!
//! `cargo test --lib` runs each `#[test]` on a thread of the test harness,
//! which is not a FreeRTOS task: kernel calls made there race with the tasks
//! (the POSIX port keeps one critical-section count for the whole process,
//! heap_4 and `vTaskSuspendAll` protect only against tasks), and blocking
//! calls there are meaningless. [`run`] hands a closure to a fresh task and
//! waits for its result, so that the closure can use every kernel service:
//! spawn tasks, block on queues, mutexes and notifications, delay, start
//! timers, use the port's host sockets.
//!
//! ```ignore
//! #[test]
//! fn a_worker_answers() {
//!     let answer = crate::rtos::testing::run(c"answer", || {
//!         let queue = alloc::sync::Arc::new(Queue::new(1).unwrap());
//!         // ... spawn a worker that sends on `queue` ...
//!         *queue.receive(ms_to_ticks(1000)).expect("the worker answers")
//!     });
//!     assert_eq!(answer, 42);
//! }
//! ```
//!
//! How it works:
//!
//! * **One scheduler per test process**, started on first use from a
//!   dedicated std thread (`freertos-scheduler`), which stays inside
//!   `vTaskStartScheduler` for the life of the process; the process exits
//!   with it (and any tasks still alive) when the harness is done. Tests may
//!   not end it: under test, [`super::end_scheduler`] panics.
//! * **A spawner task** takes the requests of the test threads from a std
//!   channel (`try_recv`, which never blocks: a task must not sit in a
//!   blocking system call on this port) once per tick, and creates one task
//!   per request. Test threads cannot create tasks themselves, being no tasks.
//! * **Results and panics** come back over a std channel. The task runs the
//!   closure under `catch_unwind` (tests unwind: cargo ignores the profiles'
//!   `panic = "abort"` for test harnesses); a panic hook notes the message and
//!   the place of a panic on a task thread instead of printing it, and the
//!   calling test panics with both, so a failing assertion reads as usual.
//!   Tasks spawned with [`super::spawn`] from inside a run inherit it: their
//!   panics are caught too and fail that run (a panic must not unwind out
//!   of a task's entry into the kernel's C code). The scheduler and other
//!   tests go on; the failed run's tasks may be left blocked for good.
//! * **Task exit**: a task that ends deletes itself, and on this port its
//!   thread then leaves through `pthread_exit`, a forced unwind through the
//!   task's Rust frames. In this unwinding build the task entry and
//!   `vTaskDelete` are "C-unwind" to let it pass (see `ffi::TaskFunction`).
//! * **Signals**: the port's tick (SIGALRM) is sent with `pthread_kill` to
//!   the thread of the running task only; but the SIGIO "network interrupt"
//!   of host sockets is process-directed, and the kernel would hand it to any
//!   thread that does not block it, such as a test thread, whose handler
//!   would then run kernel code outside any task. So the port's signals
//!   (SIGALRM, SIGIO, SIGUSR1) are blocked on the main thread before `main`
//!   (an `.init_array` entry), and every thread the harness creates inherits
//!   that; [`run`] blocks them on its calling thread again in case it was
//!   created otherwise. Task threads get them unblocked by the port as usual.
//! * **The idle hook** sleeps in `poll` on the port's epoll set
//!   ([`crate::posix::net`]); without that set it would return at once and
//!   the idle task would spin on a host core, so the scheduler's start calls
//!   [`crate::posix::init_io`] (epoll and SIGIO; not the SIGTERM/SIGINT
//!   handlers, which would keep Ctrl-C from stopping the test process).
//!
//! Rules for tests:
//!
//! * Touch the kernel (create or drop a [`super::Queue`], [`super::Mutex`],
//!   [`super::Timer`], spawn, read heap statistics) only inside the closure
//!   or the tasks it starts, and return plain data: a kernel object returned
//!   and dropped on the test thread would call the kernel from outside a
//!   task.
//! * Tests run concurrently on the one scheduler: do not assume a task has
//!   the processor to itself, and prefer timeouts generous enough for a
//!   loaded two-core machine.
//! * Output printed by a task is not captured by the harness (capture is per
//!   std thread); it goes straight to the process's stdout/stderr.
//! * Tasks use the host's `malloc` (the test binary has no kernel-heap
//!   global allocator). A task preempted while holding a lock of the C
//!   library is only resumed by the scheduler, so a task of *higher*
//!   priority that then needs that lock would wait for ever; run the tasks
//!   of a test at one priority unless priorities are what it tests.
//! * A panic inside a timer callback (an `extern "C"` function run by the
//!   kernel's timer task) cannot be caught: it aborts the test process.

use core::cell::{Cell, RefCell};
use core::ffi::CStr;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::boxed::Box;
use std::format;
use std::string::String;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use super::{TickType, ms_to_ticks};

/// The priority [`run`] gives its task: the one the simulator gives its
/// server and JS tasks, so that code under test sees the same peers.
pub const PRIORITY: u32 = 2;

/// Stack words [`run`] asks for. On the POSIX port a task runs on its own
/// pthread stack (the C library's default size, from `ulimit -s`: 8 MiB
/// usually), which is what code under test really gets; the kernel's stack
/// only holds the port's thread record, so this is plenty.
pub const STACK_WORDS: usize = 1024;

/// How long [`run`] waits for its task before failing the test: long
/// enough for debug builds of the JS engine on a busy machine, short enough
/// that a deadlock fails the test instead of hanging the whole run.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// How a test's task is started by [`run_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The task's priority (the kernel's timer task is above all).
    pub priority: u32,
    /// The task's stack, in words (see [`STACK_WORDS`]).
    pub stack_words: usize,
    /// How long the calling test waits for the task's result.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            priority: PRIORITY,
            stack_words: STACK_WORDS,
            timeout: TIMEOUT,
        }
    }
}

/// Runs `f` in a new FreeRTOS task (named `name`) with the scheduler running
/// and returns its result to the calling test thread, which waits (at most
/// [`TIMEOUT`]). The first call of the process starts the scheduler.
///
/// Panics, and so fails the calling test, if `f` panics (with `f`'s message
/// and the place of the panic), if a task that `f` spawned panics while the
/// test waits, if the task cannot be created, or on timeout. The test's
/// failure points at the call of `run` and quotes the task's panic, its
/// place included.
#[track_caller]
pub fn run<R: Send + 'static>(name: &'static CStr, f: impl FnOnce() -> R + Send + 'static) -> R {
    run_with(name, Options::default(), f)
}

/// [`run`] with another priority, stack size or timeout.
#[track_caller]
pub fn run_with<R: Send + 'static>(
    name: &'static CStr,
    options: Options,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    // A task waiting here would sit in a host wait the scheduler cannot see.
    assert!(
        !IN_TASK.with(Cell::get),
        "testing::run is for test threads; inside a task, use rtos::spawn"
    );
    // SAFETY: a constant exported by shim.c.
    let levels = unsafe { super::ffi::isere_rtos_max_priorities };
    // The kernel asserts on it, which aborts the whole test process.
    assert!(
        super::UBaseType::from(options.priority) < levels,
        "priority {} is not below configMAX_PRIORITIES ({levels})",
        options.priority
    );
    // The calling thread must never take one of the port's signals (see the
    // module docs); harness threads already block them, this covers others.
    block_port_signals();
    let run = Arc::new(Run {
        child_panic: AtomicPtr::new(ptr::null_mut()),
        over: AtomicBool::new(false),
    });
    // Whatever way this function leaves, later panics of the run's tasks are
    // printed rather than kept for a test that no longer listens.
    struct Over(Arc<Run>);
    impl Drop for Over {
        fn drop(&mut self) {
            self.0.over.store(true, Ordering::Release);
            // A report that came after the last look (or while the test
            // succeeded) is printed rather than lost.
            if let Some(message) = self.0.take_child_panic() {
                print_stray(message);
            }
        }
    }
    let _over = Over(run.clone());
    let (result_tx, result_rx) = mpsc::channel::<Result<R, String>>();
    let task_run = run.clone();
    // Spawned through `super::spawn`, which wraps it with `adopt` (so its
    // thread is marked as a task's); it belongs to its own run.
    let body = Box::new(move || {
        CURRENT_RUN.with(|r| *r.borrow_mut() = Some(task_run));
        let outcome = std::panic::catch_unwind(core::panic::AssertUnwindSafe(f))
            .map_err(|payload| describe_caught(&*payload));
        // The test may have given up waiting: then the result is dropped here.
        let _ = result_tx.send(outcome);
        // Let go of the run now rather than in the thread's TLS destructors,
        // which the port runs after the next task was already resumed.
        CURRENT_RUN.with(|r| r.borrow_mut().take());
    });
    let job = Job {
        name,
        options,
        body,
    };
    spawner()
        .send(job)
        .expect("the FreeRTOS test spawner is gone");

    let deadline = Instant::now() + options.timeout;
    loop {
        // Short waits, to notice a panic of a task `f` spawned while `f`
        // itself may wait for that task for ever.
        let outcome = result_rx.recv_timeout(Duration::from_millis(20));
        if let Some(message) = run.take_child_panic() {
            panic!("a task spawned by FreeRTOS test task {name:?} {message}");
        }
        match outcome {
            Ok(Ok(value)) => return value,
            Ok(Err(message)) => panic!("FreeRTOS test task {name:?} {message}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                "FreeRTOS test task {name:?} could not be created (the FreeRTOS heap is exhausted)"
            ),
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= deadline => panic!(
                "FreeRTOS test task {name:?} did not finish within {:?} (a deadlock?)",
                options.timeout
            ),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Waits up to `ms` milliseconds (in ticks, from a task) for `condition`,
/// checking it once per tick; returns whether it became true. For tests
/// that watch state a task changes without notifying anyone.
pub fn wait_for(ms: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = super::tick_count().saturating_add(ms_to_ticks(ms));
    loop {
        if condition() {
            return true;
        }
        if super::tick_count() >= deadline {
            return false;
        }
        super::delay(1);
    }
}

/// The tasks of one [`run`]: where a panic of a task it spawned is left for
/// the waiting test.
struct Run {
    /// The first such panic, described (a leaked `Box<String>`, or null).
    /// An atomic rather than a lock: a task must not wait in a host lock,
    /// and a task that found the lock taken would have to drop its report.
    child_panic: AtomicPtr<String>,
    /// The calling test stopped waiting (it returned or failed).
    over: AtomicBool,
}

impl Run {
    /// Keeps the first panic of a spawned task for the test; later ones, and
    /// those after the test stopped waiting, are printed.
    fn child_panicked(&self, message: String) {
        if !self.over.load(Ordering::Acquire) {
            let kept = Box::into_raw(Box::new(message));
            match self.child_panic.compare_exchange(
                ptr::null_mut(),
                kept,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // The test may have stopped waiting meanwhile: then
                    // whoever takes the report back prints it.
                    if self.over.load(Ordering::Acquire)
                        && let Some(message) = self.take_child_panic()
                    {
                        print_stray(message);
                    }
                    return;
                }
                // SAFETY: not stored, so still ours.
                Err(_) => return print_stray(*unsafe { Box::from_raw(kept) }),
            }
        }
        print_stray(message);
    }

    fn take_child_panic(&self) -> Option<String> {
        let p = self.child_panic.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a pointer stored by `child_panicked`, taken out just now.
        (!p.is_null()).then(|| *unsafe { Box::from_raw(p) })
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        drop(self.take_child_panic());
    }
}

/// Reports the panic of a task that no test waits for.
fn print_stray(message: String) {
    std::eprintln!("a FreeRTOS task of a unit test {message}");
}

std::thread_local! {
    /// The run the task on this thread belongs to (set in its task and
    /// handed down by [`adopt`] to the tasks it spawns).
    static CURRENT_RUN: RefCell<Option<Arc<Run>>> = const { RefCell::new(None) };
    /// This thread is a task's: the panic hook keeps its panics' messages
    /// for [`describe_caught`] instead of printing them.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
    /// The description of the last panic on this task's thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Wraps the body of a task being spawned (by [`super::spawn`], in unit
/// tests only) so that it belongs to the caller's run, if any, and a panic
/// of it is caught: reported to that run's test, or printed, and the task
/// then ends as if the body had returned.
pub(super) fn adopt<F: FnOnce() + Send + 'static>(f: F) -> impl FnOnce() + Send + 'static {
    let run = CURRENT_RUN.with(|r| r.borrow().clone());
    move || {
        IN_TASK.with(|t| t.set(true));
        LAST_PANIC.with(|p| p.borrow_mut().take());
        CURRENT_RUN.with(|r| *r.borrow_mut() = run.clone());
        if let Err(payload) = std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)) {
            let message = describe_caught(&*payload);
            match &run {
                Some(run) => run.child_panicked(message),
                None => print_stray(message),
            }
        }
        CURRENT_RUN.with(|r| r.borrow_mut().take());
    }
}

/// "panicked at FILE:LINE:COL:\nMESSAGE" for a panic just caught on this
/// thread: from the hook's note, else from the payload alone.
fn describe_caught(payload: &(dyn core::any::Any + Send)) -> String {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| format!("panicked:\n{}", payload_text(payload)))
}

fn payload_text(payload: &(dyn core::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic payload that is not a string)"
    }
}

/// Installs, once, a panic hook that notes panics on task threads (for
/// [`describe_caught`]) and leaves all others to the previous hook.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if IN_TASK.try_with(Cell::get).unwrap_or(false) {
            let message = payload_text(info.payload());
            let described = match info.location() {
                Some(at) => format!("panicked at {at}:\n{message}"),
                None => format!("panicked:\n{message}"),
            };
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(described));
        } else {
            previous(info);
        }
    }));
}

/// A request for a task, from a test thread to the spawner task.
struct Job {
    name: &'static CStr,
    options: Options,
    body: Box<dyn FnOnce() + Send>,
}

/// The spawner's in-tray; the first call starts the scheduler.
fn spawner() -> &'static mpsc::Sender<Job> {
    static JOBS: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    JOBS.get_or_init(start)
}

/// The spawner's priority: that of the tests' tasks, so that time slicing
/// shares the processor between them and it (see the module docs on locks).
const SPAWNER_PRIORITY: u32 = PRIORITY;

/// Starts the scheduler with the spawner task on its own thread; returns the
/// spawner's in-tray.
fn start() -> mpsc::Sender<Job> {
    crate::posix::init_io().expect("the POSIX port's epoll set and SIGIO handler");
    install_panic_hook();
    let (jobs, in_tray) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("freertos-scheduler".into())
        .spawn(move || {
            // Before the scheduler runs, this thread is the only one in the
            // kernel (no test thread calls it), so creating a task is safe.
            super::spawn(c"test-spawner", STACK_WORDS, SPAWNER_PRIORITY, move || {
                serve(in_tray)
            })
            .expect("the FreeRTOS test spawner task");
            // Does not return: tests cannot end the scheduler.
            super::start_scheduler();
        })
        .expect("the FreeRTOS scheduler thread");
    jobs
}

/// The spawner task: creates a task per request, polling its in-tray once
/// per tick (a wait on the std channel would block the task in the host
/// kernel, where the scheduler cannot see it).
fn serve(in_tray: mpsc::Receiver<Job>) -> ! {
    const POLL: TickType = 1;
    loop {
        while let Ok(job) = in_tray.try_recv() {
            // On failure the body is dropped, and with it the sender of the
            // result: the waiting test reports that the task was not created.
            let _ = super::spawn(
                job.name,
                job.options.stack_words,
                job.options.priority,
                job.body,
            );
        }
        super::delay(POLL);
    }
}

use crate::posix::{PORT_SIGNALS, block_port_signals};

/// Runs before `main` on the main thread of the test binary, so that every
/// thread of the harness inherits the blocked port signals (see the module
/// docs): test threads that never call [`run`] must not take SIGIO either.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static BLOCK_PORT_SIGNALS_BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn block() {
        block_port_signals();
    }
    block
};

mod tests {
    use super::*;
    use crate::port::{Network as _, Socket};
    use crate::rtos::{
        self, Mutex, Notification, Queue, TaskHandle, Timer, ms_to_ticks, tick_count,
        wait_notification,
    };
    use core::sync::atomic::{AtomicU32, AtomicUsize};
    use std::vec::Vec;

    /// The failure message of `f`, which must panic.
    fn failure_of(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(f).expect_err("it should have failed");
        payload_text(&*payload).into()
    }

    #[test]
    fn a_task_runs_with_the_scheduler_and_hands_back_its_result() {
        let (in_isr, ticking) = run(c"basics", || {
            // Panics outside a task: there is no current task.
            let _ = TaskHandle::current();
            let start = tick_count();
            rtos::delay(2);
            (rtos::in_isr(), tick_count() > start)
        });
        assert!(!in_isr, "the closure runs in a task, not an interrupt");
        assert!(ticking, "the tick advances: the scheduler runs");
    }

    #[test]
    fn a_queue_carries_messages_between_tasks_with_timeouts() {
        let received = run(c"queue", || {
            let queue = Arc::new(Queue::<u32>::new(2).expect("queue"));
            // Empty: a receive waits out its timeout, in ticks.
            let before = tick_count();
            assert!(queue.receive(5).is_none());
            assert!(tick_count() - before >= 5, "the receive waited its timeout");

            // The producer fills the queue faster than it is read, so its
            // sends wait for room; a send to a full queue times out and
            // gives the message back.
            let waiter = TaskHandle::current();
            let to_consumer = queue.clone();
            rtos::spawn(c"producer", STACK_WORDS, PRIORITY, move || {
                for n in 1..=6 {
                    to_consumer
                        .send(Box::new(n), ms_to_ticks(5_000))
                        .expect("room within the timeout");
                }
                let refused = to_consumer.send(Box::new(99), 3);
                assert_eq!(refused.map_err(|b| *b), Err(99), "the queue stayed full");
                waiter.notify(Notification::Reply);
            })
            .expect("producer");
            let mut got = Vec::new();
            for _ in 0..4 {
                rtos::delay(1);
                got.push(*queue.receive(ms_to_ticks(5_000)).expect("a message"));
            }
            // Two more fill the queue; the producer's last send finds it full.
            assert!(wait_notification(Notification::Reply, ms_to_ticks(5_000)));
            assert_eq!(queue.len(), 2);
            while let Some(n) = queue.receive(0) {
                got.push(*n);
            }
            got
        });
        assert_eq!(received, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_mutex_keeps_contending_tasks_apart() {
        const ROUNDS: u32 = 20;
        let (total, holders_seen, switches) = run(c"mutex", || {
            // `inside` counts the tasks inside the lock: a second one there
            // would mean the mutex let it in.
            let shared = Arc::new(Mutex::new((0u32, Vec::<u8>::new())).expect("mutex"));
            let inside = Arc::new(AtomicU32::new(0));
            let overlaps = Arc::new(AtomicU32::new(0));
            let waiter = TaskHandle::current();
            for id in [1u8, 2] {
                let (shared, inside, overlaps) = (shared.clone(), inside.clone(), overlaps.clone());
                rtos::spawn(c"contender", STACK_WORDS, PRIORITY, move || {
                    for _ in 0..ROUNDS {
                        shared.with(|(count, order)| {
                            if inside.fetch_add(1, Ordering::SeqCst) != 0 {
                                overlaps.fetch_add(1, Ordering::SeqCst);
                            }
                            // Read, sleep holding the lock (the other task
                            // runs and blocks on it), write.
                            let read = *count;
                            rtos::delay(1);
                            *count = read + 1;
                            order.push(id);
                            inside.fetch_sub(1, Ordering::SeqCst);
                        });
                        // Let the task the give woke take the lock first.
                        rtos::yield_now();
                    }
                    waiter.notify(Notification::Reply);
                })
                .expect("contender");
            }
            for _ in 0..2 {
                assert!(wait_notification(Notification::Reply, ms_to_ticks(10_000)));
            }
            assert_eq!(
                overlaps.load(Ordering::SeqCst),
                0,
                "two tasks held the mutex"
            );
            shared.with(|(count, order)| {
                let switches = order.windows(2).filter(|w| w[0] != w[1]).count();
                let mut seen = order.clone();
                seen.dedup();
                seen.sort();
                seen.dedup();
                (*count, seen, switches)
            })
        });
        assert_eq!(total, 2 * ROUNDS, "no increment was lost");
        assert_eq!(holders_seen, [1, 2]);
        assert!(
            switches >= 2,
            "the tasks took turns ({switches} hand-overs)"
        );
    }

    #[test]
    fn delay_advances_the_tick_count_and_host_time() {
        let (ticks, elapsed) = run(c"delay", || {
            let (start, started) = (tick_count(), Instant::now());
            rtos::delay(ms_to_ticks(100));
            (tick_count() - start, started.elapsed())
        });
        assert!(ticks >= ms_to_ticks(100), "{ticks} ticks");
        // The port's tick follows the host clock (a signal per period).
        assert!(elapsed >= Duration::from_millis(90), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    }

    #[test]
    fn timers_fire_in_the_timer_task() {
        static FIRED: AtomicUsize = AtomicUsize::new(0);
        extern "C" fn on_expiry(timer: *mut core::ffi::c_void) {
            // SAFETY: the kernel passes the expiring timer.
            let task = unsafe { Timer::id_of(timer) };
            // No assertion here: a panic in a timer callback aborts.
            FIRED.fetch_add(1, Ordering::SeqCst);
            if let Some(task) = TaskHandle::from_ptr(task as *mut core::ffi::c_void) {
                task.notify(Notification::Reply);
            }
        }
        let (one_shot_after, repeats) = run(c"timer", || {
            let me = TaskHandle::current().as_ptr() as usize;
            let period = ms_to_ticks(30);
            let once = Timer::new(c"once", period, false, me, on_expiry).expect("timer");
            let start = tick_count();
            assert!(once.start());
            assert!(wait_notification(Notification::Reply, ms_to_ticks(5_000)));
            let after = tick_count() - start;
            assert!(
                !wait_notification(Notification::Reply, period * 3),
                "fired once"
            );

            let again = Timer::new(c"again", ms_to_ticks(10), true, me, on_expiry).expect("timer");
            assert!(again.start());
            assert!(
                wait_for(5_000, || FIRED.load(Ordering::SeqCst) >= 4),
                "the auto-reload timer fired again and again"
            );
            assert!(again.stop());
            // The timers are deleted (in the timer task) before `me` ends.
            drop((once, again));
            rtos::delay(ms_to_ticks(50));
            rtos::clear_notification(Notification::Reply);
            (after, FIRED.load(Ordering::SeqCst))
        });
        assert!(one_shot_after >= ms_to_ticks(30), "{one_shot_after} ticks");
        assert!(repeats >= 4, "{repeats} expiries");
    }

    #[test]
    #[should_panic(expected = "one plus one is not three")]
    fn a_failing_assertion_fails_the_test() {
        run(c"failing", || {
            assert_eq!(1 + 1, 3, "one plus one is not three")
        });
    }

    #[test]
    fn a_failure_says_where_and_the_scheduler_survives_it() {
        let message = failure_of(|| {
            run(c"failing", || {
                let answer = 41;
                assert_eq!(answer, 42, "the answer is wrong");
            })
        });
        assert!(
            message.contains("FreeRTOS test task \"failing\""),
            "{message}"
        );
        assert!(
            message.contains("panicked at src/rtos/testing.rs:"),
            "{message}"
        );
        assert!(message.contains("the answer is wrong"), "{message}");
        assert!(message.contains("left: 41"), "{message}");
        // The next run gets a task from the same scheduler.
        assert_eq!(run(c"after", || 7), 7);
    }

    #[test]
    fn a_panic_in_a_spawned_task_fails_the_run_that_spawned_it() {
        let message = failure_of(|| {
            run(c"parent", || {
                rtos::spawn(c"child", STACK_WORDS, PRIORITY, || {
                    panic!("the child gives up");
                })
                .expect("child");
                // Waits for a notification that will never come: the test
                // must fail at once anyway, not after the timeout.
                wait_notification(Notification::Reply, rtos::WAIT_FOREVER);
            })
        });
        assert!(
            message.contains("spawned by FreeRTOS test task \"parent\""),
            "{message}"
        );
        assert!(message.contains("the child gives up"), "{message}");
        assert!(message.contains("src/rtos/testing.rs:"), "{message}");
    }

    #[test]
    fn a_test_cannot_end_the_scheduler() {
        let message = failure_of(|| run(c"ender", rtos::end_scheduler));
        assert!(
            message.contains("must not end the FreeRTOS scheduler"),
            "{message}"
        );
        assert_eq!(run(c"after", || 8), 8);
    }

    #[test]
    #[should_panic(expected = "is not below configMAX_PRIORITIES")]
    fn an_impossible_priority_is_refused_before_the_kernel_asserts() {
        let options = Options {
            priority: 100,
            ..Options::default()
        };
        run_with(c"too-high", options, || ());
    }

    #[test]
    fn a_task_cannot_wait_for_a_run() {
        let message = failure_of(|| {
            run(c"outer", || run(c"inner", || 1));
        });
        assert!(
            message.contains("testing::run is for test threads"),
            "{message}"
        );
    }

    #[test]
    fn a_deadlock_times_out() {
        let options = Options {
            timeout: Duration::from_millis(200),
            ..Options::default()
        };
        let message = failure_of(|| {
            run_with(c"stuck", options, || {
                wait_notification(Notification::Reply, rtos::WAIT_FOREVER);
            })
        });
        assert!(message.contains("did not finish within 200ms"), "{message}");
    }

    #[test]
    fn runs_from_many_threads_at_once_get_their_own_results() {
        let threads: Vec<_> = (0..6u64)
            .map(|i| {
                std::thread::spawn(move || {
                    (0..3u64)
                        .map(|j| {
                            run(c"many", move || {
                                // Interleave with the other runs' tasks.
                                rtos::delay(1);
                                rtos::yield_now();
                                i * 10 + j
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (i, thread) in threads.into_iter().enumerate() {
            let i = i as u64;
            assert_eq!(thread.join().unwrap(), [i * 10, i * 10 + 1, i * 10 + 2]);
        }
    }

    #[test]
    fn test_threads_block_the_port_signals() {
        run(c"signals", || ());
        // SAFETY: reads the calling thread's signal mask.
        let blocked = unsafe {
            let mut set: libc::sigset_t = core::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, core::ptr::null(), &mut set);
            PORT_SIGNALS.map(|s| libc::sigismember(&set, s) == 1)
        };
        assert_eq!(blocked, [true; 3], "SIGALRM, SIGIO, SIGUSR1");
        // And a thread the harness made before any run inherited that from
        // the main thread: a new std thread here inherits this thread's mask,
        // so ask the main thread's mask through /proc instead.
        let status = std::fs::read_to_string(std::format!(
            "/proc/self/task/{}/status",
            std::process::id()
        ))
        .expect("/proc");
        let mask = status
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .map(|m| u64::from_str_radix(m.trim(), 16).expect("hex"))
            .expect("SigBlk");
        for signal in PORT_SIGNALS {
            assert!(
                mask & (1 << (signal - 1)) != 0,
                "signal {signal} blocked on main"
            );
        }
    }

    #[test]
    fn host_sockets_wake_their_tasks() {
        let reply = run(c"net-server", || {
            let net = &crate::posix::net::HostNetwork;
            let wait = ms_to_ticks(10_000);
            let listener = net.listen([127, 0, 0, 1], 0).expect("listen");
            let port = net.local_port(listener);
            let waiter = TaskHandle::current();
            rtos::spawn(c"net-client", STACK_WORDS, PRIORITY, move || {
                let net = &crate::posix::net::HostNetwork;
                let socket = net.connect([127, 0, 0, 1], port, wait).expect("connect");
                crate::port::send_all(net, socket, b"ping", wait).expect("send");
                let mut answer = Vec::new();
                let mut buf = [0u8; 16];
                while answer.len() < 4 {
                    let n = net.recv(socket, &mut buf, wait).expect("recv");
                    assert!(n > 0, "the server closed early");
                    answer.extend_from_slice(&buf[..n]);
                }
                assert_eq!(answer, b"pong");
                net.close(socket);
                waiter.notify(Notification::Reply);
            })
            .expect("client");
            let socket = net.accept(listener, wait).expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 16];
            while request.len() < 4 {
                let n = net.recv(socket, &mut buf, wait).expect("recv");
                assert!(n > 0, "the client closed early");
                request.extend_from_slice(&buf[..n]);
            }
            crate::port::send_all(net, socket, b"pong", wait).expect("send");
            assert!(
                wait_notification(Notification::Reply, wait),
                "the client finished"
            );
            net.close(socket);
            net.close(Socket(listener.0));
            request
        });
        assert_eq!(reply, b"ping");
    }
}
