//! Our own small FFI layer over the FreeRTOS kernel.
//!
//! Only what the firmware uses: tasks, queues of pointers, task notifications,
//! mutexes, software timers, ticks, critical sections and heap statistics;
//! and three small tools built on them: [`Shared`] (a counted reference),
//! [`Once`] (a value set once, after its holder was made) and a rendezvous
//! ([`wait_for_answer`]: one answer from another task, the slot on the
//! waiter's stack). `testing` (unit tests only) runs test code in tasks
//! with the scheduler running.
//! The kernel's types are declared as C `long` (`BaseType_t`, `UBaseType_t`,
//! `TickType_t`): that is what every port we build defines them as, 64-bit on
//! the POSIX port on x86-64 and 32-bit on the boards. `src/rtos/shim.c` turns
//! a mismatch into a compile error and exports the sizes for a test.
//!
//! Macro-only parts of the API (critical sections, timer commands, yield from
//! ISR) are wrapped as functions in `shim.c`. Every `unsafe` block here calls
//! the kernel with handles this module created and still owns.

pub mod ffi;
mod once;
mod rendezvous;
mod shared;
#[cfg(all(test, feature = "port-posix"))]
pub mod testing;

use core::ffi::{CStr, c_void};
use core::ptr::{self, NonNull};

pub use ffi::{BaseType, TickType, UBaseType};
pub use once::Once;
pub use rendezvous::{Rendezvous, wait_for_answer};
pub use shared::Shared;

/// Ticks to wait forever.
pub const WAIT_FOREVER: TickType = TickType::MAX;

/// The kernel's tick rate, as configured for this port.
pub fn tick_rate_hz() -> TickType {
    // SAFETY: a constant exported by shim.c.
    unsafe { ffi::isere_rtos_tick_rate_hz }
}

/// Milliseconds → ticks, rounding up so that a wait is never shorter than asked.
// `TickType` is u64 on the POSIX port but u32 on the boards.
#[allow(clippy::useless_conversion)]
pub fn ms_to_ticks(ms: u64) -> TickType {
    let hz = u64::from(tick_rate_hz());
    let ticks = (ms.saturating_mul(hz)).div_ceil(1000);
    TickType::try_from(ticks).unwrap_or(WAIT_FOREVER - 1)
}

/// Ticks → milliseconds.
#[allow(clippy::useless_conversion)]
pub fn ticks_to_ms(ticks: TickType) -> u64 {
    u64::from(ticks).saturating_mul(1000) / u64::from(tick_rate_hz())
}

/// The tick count since the scheduler started (callable from any context).
pub fn tick_count() -> TickType {
    // SAFETY: both calls only read the kernel's tick counter.
    unsafe {
        if ffi::isere_in_isr() != 0 {
            ffi::xTaskGetTickCountFromISR()
        } else {
            ffi::xTaskGetTickCount()
        }
    }
}

/// Blocks the calling task for `ticks`.
pub fn delay(ticks: TickType) {
    // SAFETY: called from a task.
    unsafe { ffi::vTaskDelay(ticks) }
}

/// Gives up the processor to another ready task of the same priority.
pub fn yield_now() {
    // SAFETY: called from a task.
    unsafe { ffi::isere_yield() }
}

/// At the end of an interrupt handler: switch to the task it woke, if that
/// task outranks the interrupted one.
pub fn yield_from_isr(woken: bool) {
    // SAFETY: called from interrupt context, as its name says.
    unsafe { ffi::isere_yield_from_isr(woken as BaseType) }
}

/// Whether the caller runs in interrupt context (use the FromISR calls then).
pub fn in_isr() -> bool {
    // SAFETY: reads port state only.
    unsafe { ffi::isere_in_isr() != 0 }
}

/// Runs `f` with interrupts masked and the scheduler unable to switch tasks
/// (from a task or from interrupt context). `f` must not block.
pub fn critical<R>(f: impl FnOnce() -> R) -> R {
    /// Leaves the critical section when dropped: after `f`, and also when `f`
    /// unwinds, which only unit tests do (the firmware aborts on panic), so
    /// that a failing test's task does not end with interrupts masked.
    struct Leave(Option<UBaseType>);
    impl Drop for Leave {
        fn drop(&mut self) {
            // SAFETY: balances the enter below, with the variant it used.
            unsafe {
                match self.0 {
                    Some(saved) => ffi::isere_exit_critical_from_isr(saved),
                    None => ffi::isere_exit_critical(),
                }
            }
        }
    }
    // SAFETY: the enter that fits the context, balanced by `Leave`.
    let _leave = unsafe {
        if ffi::isere_in_isr() != 0 {
            Leave(Some(ffi::isere_enter_critical_from_isr()))
        } else {
            ffi::isere_enter_critical();
            Leave(None)
        }
    };
    f()
}

/// Runs `f` with the scheduler suspended (no task switch, interrupts still
/// served); in interrupt context it just runs `f`. `f` must not block.
pub fn without_task_switches<R>(f: impl FnOnce() -> R) -> R {
    /// Resumes the scheduler when dropped, also when `f` unwinds (unit tests
    /// only): a scheduler left suspended would stop every other task.
    struct Resume;
    impl Drop for Resume {
        fn drop(&mut self) {
            // SAFETY: balances the suspension below.
            unsafe { ffi::xTaskResumeAll() };
        }
    }
    if in_isr() {
        return f();
    }
    // SAFETY: balanced by `Resume` around `f`, which must not block.
    unsafe { ffi::vTaskSuspendAll() };
    let _resume = Resume;
    f()
}

/// Starts the scheduler; returns only after [`end_scheduler`] (POSIX port).
pub fn start_scheduler() {
    // SAFETY: called once from the start-up thread.
    unsafe { ffi::vTaskStartScheduler() }
}

/// Stops the scheduler (the POSIX port returns from [`start_scheduler`]).
///
/// In unit tests it panics instead: the scheduler of `rtos::testing` serves
/// every test of the process and must outlive them all.
pub fn end_scheduler() {
    if cfg!(all(test, feature = "port-posix")) {
        panic!("a unit test must not end the FreeRTOS scheduler: other tests share it");
    }
    // SAFETY: called from a task.
    unsafe { ffi::vTaskEndScheduler() }
}

/// Why a kernel object could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl core::fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the FreeRTOS heap is exhausted")
    }
}

/// A handle to a task; it can be copied and notified from any task or ISR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskHandle(NonNull<c_void>);

// SAFETY: task handles are plain kernel object addresses, valid in every task.
unsafe impl Send for TaskHandle {}
// SAFETY: as above; the kernel serialises operations on them.
unsafe impl Sync for TaskHandle {}

/// Which task-notification slot a wait or notify uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notification {
    /// Replies addressed to the task (e.g. a response ready for a connection).
    Reply = 0,
    /// I/O readiness delivered by the port.
    Io = 1,
}

impl TaskHandle {
    /// The calling task.
    pub fn current() -> TaskHandle {
        // SAFETY: valid once the scheduler runs, which is when tasks call this.
        let h = unsafe { ffi::xTaskGetCurrentTaskHandle() };
        TaskHandle(NonNull::new(h).expect("no current task before the scheduler starts"))
    }

    /// The raw kernel handle.
    pub fn as_ptr(self) -> *mut c_void {
        self.0.as_ptr()
    }

    /// Rebuilds a handle from [`TaskHandle::as_ptr`]; `None` for null.
    pub fn from_ptr(p: *mut c_void) -> Option<TaskHandle> {
        NonNull::new(p).map(TaskHandle)
    }

    /// Increments the task's notification `slot`, waking it if it waits there.
    /// Works from tasks and from interrupt context; from an interrupt it
    /// returns whether the woken task outranks the interrupted one (the
    /// caller should then yield on its way out).
    pub fn notify(self, slot: Notification) -> bool {
        // SAFETY: the handle names a task that is never deleted while notified
        // (connection and JS tasks live as long as the scheduler).
        unsafe {
            if ffi::isere_in_isr() != 0 {
                let mut woken: BaseType = 0;
                ffi::vTaskGenericNotifyGiveFromISR(self.as_ptr(), slot as UBaseType, &mut woken);
                woken != 0
            } else {
                ffi::xTaskGenericNotify(
                    self.as_ptr(),
                    slot as UBaseType,
                    0,
                    ffi::E_NOTIFY_ACTION_INCREMENT,
                    ptr::null_mut(),
                );
                false
            }
        }
    }
}

/// Waits up to `ticks` for a notification on `slot` of the calling task and
/// clears it; returns whether one arrived.
pub fn wait_notification(slot: Notification, ticks: TickType) -> bool {
    // SAFETY: called from a task, on its own notification slot.
    unsafe { ffi::ulTaskGenericNotifyTake(slot as UBaseType, 1, ticks) != 0 }
}

/// Drops a notification already pending on `slot` of the calling task.
pub fn clear_notification(slot: Notification) {
    // SAFETY: acts on the calling task only.
    unsafe {
        ffi::xTaskGenericNotifyStateClear(ptr::null_mut(), slot as UBaseType);
        ffi::ulTaskGenericNotifyValueClear(ptr::null_mut(), slot as UBaseType, UBaseType::MAX);
    }
}

/// Creates a task running `f` at `priority` with `stack_words` of stack; the
/// task is deleted when `f` returns.
pub fn spawn<F: FnOnce() + Send + 'static>(
    name: &'static CStr,
    stack_words: usize,
    priority: u32,
    f: F,
) -> Result<TaskHandle, OutOfMemory> {
    fn run_task<F: FnOnce()>(arg: *mut c_void) -> ! {
        // SAFETY: `arg` is the box leaked below for this task alone.
        let f = unsafe { alloc::boxed::Box::from_raw(arg.cast::<F>()) };
        f();
        exit_task();
    }
    // The entry's ABI follows the panic strategy: see `ffi::TaskFunction`.
    #[cfg(panic = "unwind")]
    extern "C-unwind" fn trampoline<F: FnOnce()>(arg: *mut c_void) {
        run_task::<F>(arg)
    }
    #[cfg(not(panic = "unwind"))]
    extern "C" fn trampoline<F: FnOnce()>(arg: *mut c_void) {
        run_task::<F>(arg)
    }
    /// The trampoline for the closure type behind `arg`.
    fn entry_for<F: FnOnce()>(_arg: *mut F) -> ffi::TaskFunction {
        Some(trampoline::<F>)
    }
    // In unit tests a panic of the task is caught and reported to the test
    // that started it: it must not unwind out of the entry into the kernel.
    #[cfg(all(test, feature = "port-posix"))]
    let f = testing::adopt(f);
    let arg = alloc::boxed::Box::into_raw(alloc::boxed::Box::new(f));
    let entry = entry_for(arg);
    let mut handle = ptr::null_mut();
    // The new task is listed before it can run: one that ends at once
    // (before its creator runs again) must find itself there to leave.
    let ok = without_task_switches(|| {
        // SAFETY: `name` is copied by the kernel; the trampoline takes `arg`.
        let ok = unsafe {
            ffi::xTaskCreate(
                entry,
                name.as_ptr(),
                stack_words as _,
                arg.cast(),
                priority as UBaseType,
                &mut handle,
            )
        };
        if let Some(h) = TaskHandle::from_ptr(handle).filter(|_| ok == 1) {
            track(h, name, stack_words);
        }
        ok
    });
    match TaskHandle::from_ptr(handle) {
        Some(h) if ok == 1 => Ok(h),
        _ => {
            // SAFETY: the task was not created, so the box is still ours.
            drop(unsafe { alloc::boxed::Box::from_raw(arg) });
            Err(OutOfMemory)
        }
    }
}

/// Runs `f` on a new task with `stack_words` of stack at `priority` and
/// waits (blocking the calling task) until it returns, then gives back its
/// result; the new task is deleted after it. For rare calls that need far
/// more stack than their task has (the admin API's signature checks run on
/// connection tasks sized for serving requests), so that no task keeps that
/// stack for good. Uses the calling task's [`Notification::Reply`] slot.
pub fn run_on_new_task<R, F: FnOnce() -> R + Send>(
    name: &'static CStr,
    stack_words: usize,
    priority: u32,
    f: F,
) -> Result<R, OutOfMemory> {
    struct Erased(*mut (dyn FnMut() + 'static));
    // SAFETY: the pointee is only used by the new task while its creator
    // waits, never by both at once.
    unsafe impl Send for Erased {}
    let mut f = Some(f);
    let mut result: Option<R> = None;
    let done = core::sync::atomic::AtomicBool::new(false);
    let waiter = TaskHandle::current();
    let mut call = || {
        if let Some(f) = f.take() {
            result = Some(f());
        }
    };
    let call: &mut dyn FnMut() = &mut call;
    // SAFETY: the lifetime is erased only for the duration of this function,
    // which does not return before the new task has finished with `call`
    // (it waits for `done`, set after the last use).
    let erased = Erased(unsafe {
        core::mem::transmute::<*mut (dyn FnMut() + '_), *mut (dyn FnMut() + 'static)>(call)
    });
    let done_ptr = &done as *const core::sync::atomic::AtomicBool as usize;
    clear_notification(Notification::Reply);
    spawn(name, stack_words, priority, move || {
        let erased = erased;
        // SAFETY: see above: the creator waits until `done` is set.
        unsafe { (*erased.0)() };
        // SAFETY: `done` lives in the waiting creator's frame.
        let done = unsafe { &*(done_ptr as *const core::sync::atomic::AtomicBool) };
        done.store(true, core::sync::atomic::Ordering::Release);
        // After this the creator may return: touch nothing of its frame.
        let _ = waiter.notify(Notification::Reply);
    })?;
    while !done.load(core::sync::atomic::Ordering::Acquire) {
        wait_notification(Notification::Reply, WAIT_FOREVER);
    }
    Ok(result.expect("the task ran the call"))
}

/// Deletes the calling task.
pub fn exit_task() -> ! {
    untrack(TaskHandle::current());
    // SAFETY: deleting self never returns.
    unsafe { ffi::vTaskDelete(ptr::null_mut()) };
    unreachable!("vTaskDelete(NULL) returned")
}

/// A FreeRTOS queue carrying owned `Box<T>` messages as pointers.
///
/// Ownership moves with the message: `send` gives the box away only when the
/// queue accepted it, `receive` hands it to the receiver. Dropping the queue
/// frees undelivered messages.
pub struct Queue<T> {
    handle: NonNull<c_void>,
    _msg: core::marker::PhantomData<alloc::boxed::Box<T>>,
}

// SAFETY: the kernel serialises queue operations; messages are `Send`.
unsafe impl<T: Send> Send for Queue<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Queue<T> {}

impl<T> Queue<T> {
    /// A queue holding at most `capacity` messages.
    pub fn new(capacity: usize) -> Result<Self, OutOfMemory> {
        // SAFETY: creates a queue of pointer-sized items.
        let h = unsafe {
            ffi::xQueueGenericCreate(
                capacity as UBaseType,
                core::mem::size_of::<*mut T>() as UBaseType,
                0,
            )
        };
        NonNull::new(h)
            .map(|handle| Queue {
                handle,
                _msg: core::marker::PhantomData,
            })
            .ok_or(OutOfMemory)
    }

    /// Sends `msg`, waiting up to `ticks` for room (0 from interrupt context);
    /// gives the message back if the queue stayed full.
    pub fn send(
        &self,
        msg: alloc::boxed::Box<T>,
        ticks: TickType,
    ) -> Result<(), alloc::boxed::Box<T>> {
        let p = alloc::boxed::Box::into_raw(msg);
        // SAFETY: the kernel copies the pointer value out of `&p`.
        let ok = unsafe {
            if ffi::isere_in_isr() != 0 {
                ffi::xQueueGenericSendFromISR(
                    self.handle.as_ptr(),
                    (&p as *const *mut T).cast(),
                    ptr::null_mut(),
                    0,
                )
            } else {
                ffi::xQueueGenericSend(self.handle.as_ptr(), (&p as *const *mut T).cast(), ticks, 0)
            }
        };
        if ok == 1 {
            Ok(())
        } else {
            // SAFETY: the queue refused it, so we still own `p`.
            Err(unsafe { alloc::boxed::Box::from_raw(p) })
        }
    }

    /// Receives a message, waiting up to `ticks`.
    pub fn receive(&self, ticks: TickType) -> Option<alloc::boxed::Box<T>> {
        let mut p: *mut T = ptr::null_mut();
        // SAFETY: the kernel writes one pointer into `p`.
        let ok = unsafe {
            ffi::xQueueReceive(self.handle.as_ptr(), (&mut p as *mut *mut T).cast(), ticks)
        };
        // SAFETY: every pointer in the queue came from `Box::into_raw` in `send`.
        (ok == 1 && !p.is_null()).then(|| unsafe { alloc::boxed::Box::from_raw(p) })
    }

    /// Messages waiting in the queue.
    pub fn len(&self) -> usize {
        // SAFETY: reads the queue's counter.
        unsafe { ffi::uxQueueMessagesWaiting(self.handle.as_ptr()) as usize }
    }

    /// Whether no message is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        while self.receive(0).is_some() {}
        // SAFETY: no task holds the queue any more (we own it).
        unsafe { ffi::vQueueDelete(self.handle.as_ptr()) }
    }
}

/// A FreeRTOS mutex (with priority inheritance) guarding a `T`.
pub struct Mutex<T> {
    handle: NonNull<c_void>,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: access to `value` is serialised by the kernel mutex.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub fn new(value: T) -> Result<Self, OutOfMemory> {
        // SAFETY: creates a mutex (queueQUEUE_TYPE_MUTEX = 1).
        let h = unsafe { ffi::xQueueCreateMutex(1) };
        NonNull::new(h)
            .map(|handle| Mutex {
                handle,
                value: core::cell::UnsafeCell::new(value),
            })
            .ok_or(OutOfMemory)
    }

    /// Locks the mutex for the duration of `f` (tasks only, never from an ISR).
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        /// Gives the mutex back when dropped, also when `f` unwinds (unit
        /// tests only): the kernel would otherwise keep a deleted task as
        /// the holder, and the next taker would inherit its priority
        /// through a freed task record.
        struct Give(*mut c_void);
        impl Drop for Give {
            fn drop(&mut self) {
                // SAFETY: we hold the mutex `self.0`; giving it releases it.
                unsafe { ffi::xQueueGenericSend(self.0, ptr::null(), 0, 0) };
            }
        }
        // SAFETY: take blocks until we own the mutex; `Give` releases it.
        unsafe { ffi::xQueueSemaphoreTake(self.handle.as_ptr(), WAIT_FOREVER) };
        let _give = Give(self.handle.as_ptr());
        // SAFETY: we hold the mutex, so this is the only reference.
        f(unsafe { &mut *self.value.get() })
    }
}

impl<T> Drop for Mutex<T> {
    fn drop(&mut self) {
        // SAFETY: we own the mutex and nobody holds it (`&mut self`).
        unsafe { ffi::vQueueDelete(self.handle.as_ptr()) }
    }
}

/// A software timer whose callback runs in the kernel's timer task.
pub struct Timer {
    handle: NonNull<c_void>,
    repeat: bool,
}

// SAFETY: timer commands go through the kernel's timer queue.
unsafe impl Send for Timer {}

impl Timer {
    /// A stopped timer calling `callback(id)` after `period` ticks (again and
    /// again if `repeat`). `id` is handed back to the callback.
    pub fn new(
        name: &CStr,
        period: TickType,
        repeat: bool,
        id: usize,
        callback: extern "C" fn(*mut c_void),
    ) -> Result<Timer, OutOfMemory> {
        // SAFETY: the kernel stores `id` as the timer's ID; callback has the C ABI.
        let h = unsafe {
            ffi::xTimerCreate(
                name.as_ptr(),
                period.max(1),
                repeat as UBaseType,
                id as *mut c_void,
                Some(callback),
            )
        };
        NonNull::new(h)
            .map(|handle| Timer { handle, repeat })
            .ok_or(OutOfMemory)
    }

    /// Whether the timer fires again and again.
    pub fn is_auto_reload(&self) -> bool {
        self.repeat
    }

    /// Starts (or restarts) the timer.
    pub fn start(&self) -> bool {
        // SAFETY: a live timer of ours.
        unsafe { ffi::isere_timer_start(self.handle.as_ptr(), WAIT_FOREVER) == 1 }
    }

    /// Stops the timer; its callback will not run again.
    pub fn stop(&self) -> bool {
        // SAFETY: a live timer of ours.
        unsafe { ffi::isere_timer_stop(self.handle.as_ptr(), WAIT_FOREVER) == 1 }
    }

    /// The ID given to [`Timer::new`], from inside the callback's argument.
    ///
    /// # Safety
    /// `raw` must be the argument the kernel passed to a timer callback.
    pub unsafe fn id_of(raw: *mut c_void) -> usize {
        // SAFETY: per the contract, `raw` is a live timer handle.
        unsafe { ffi::pvTimerGetTimerID(raw) as usize }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // SAFETY: the delete command is queued; the kernel frees the timer later.
        unsafe { ffi::isere_timer_delete(self.handle.as_ptr(), WAIT_FOREVER) };
    }
}

/// The kernel heap's counters, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapStats {
    /// The heap's size (`configTOTAL_HEAP_SIZE`).
    pub total: usize,
    /// Bytes in use now.
    pub used: usize,
    /// The most bytes ever in use (since start or the last [`reset_heap_peak`]).
    pub peak: usize,
    /// Bytes free now.
    pub free: usize,
}

/// Reads the heap counters of heap_4.
pub fn heap_stats() -> HeapStats {
    // SAFETY: reads heap_4's counters.
    let (total, free, min_free) = unsafe {
        (
            ffi::isere_rtos_total_heap,
            ffi::xPortGetFreeHeapSize(),
            ffi::xPortGetMinimumEverFreeHeapSize(),
        )
    };
    HeapStats {
        total,
        used: total - free,
        peak: total - min_free,
        free,
    }
}

/// Restarts the peak counter at the current use (e.g. to measure one request).
pub fn reset_heap_peak() {
    // SAFETY: resets heap_4's low-water mark.
    unsafe { ffi::xPortResetHeapMinimumEverFreeHeapSize() }
}

extern crate alloc;

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;

    #[test]
    fn kernel_type_widths_match_the_c_side() {
        // SAFETY: a constant array exported by shim.c.
        let sizes = unsafe { ffi::isere_rtos_type_sizes };
        assert_eq!(sizes[0] as usize, core::mem::size_of::<BaseType>());
        assert_eq!(sizes[1] as usize, core::mem::size_of::<UBaseType>());
        assert_eq!(sizes[2] as usize, core::mem::size_of::<TickType>());
        assert!(
            sizes[4] >= 8,
            "portBYTE_ALIGNMENT below the allocator's minimum"
        );
    }

    #[test]
    #[allow(clippy::useless_conversion)]
    fn tick_conversions_round_up() {
        let hz = u64::from(tick_rate_hz());
        assert_eq!(ms_to_ticks(0), 0);
        assert_eq!(ms_to_ticks(1000) as u64, hz);
        assert!(ms_to_ticks(1) >= 1);
        assert_eq!(ticks_to_ms(ms_to_ticks(1000)), 1000);
    }
}

/// How much of its stack a group of tasks of the same name has used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackUse {
    /// The tasks' name.
    pub name: &'static CStr,
    /// How many are running.
    pub tasks: usize,
    /// Bytes of stack each has.
    pub size: usize,
    /// The least stack (bytes) any of them ever had left, where the port
    /// can tell (not on the POSIX port, whose tasks run on thread stacks).
    pub least_free: Option<usize>,
}

/// The most tasks [`spawn`] keeps track of for [`stack_use`]: the QEMU
/// board's 32 connection tasks and its other tasks (16 bytes of static RAM
/// each); tasks beyond it are left out of the report.
const TRACKED: usize = 40;

#[derive(Clone, Copy)]
struct Tracked {
    task: TaskHandle,
    name: &'static CStr,
    words: usize,
}

/// The running tasks [`spawn`] started, changed in critical sections only.
struct TrackedTasks(core::cell::UnsafeCell<[Option<Tracked>; TRACKED]>);

// SAFETY: only touched inside `critical`.
unsafe impl Sync for TrackedTasks {}

static TRACKED_TASKS: TrackedTasks = TrackedTasks(core::cell::UnsafeCell::new([None; TRACKED]));

fn track(task: TaskHandle, name: &'static CStr, words: usize) {
    critical(|| {
        // SAFETY: inside a critical section.
        let slots = unsafe { &mut *TRACKED_TASKS.0.get() };
        if let Some(slot) = slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some(Tracked { task, name, words });
        }
    });
}

fn untrack(task: TaskHandle) {
    critical(|| {
        // SAFETY: inside a critical section.
        let slots = unsafe { &mut *TRACKED_TASKS.0.get() };
        for slot in slots.iter_mut() {
            if slot.is_some_and(|t| t.task == task) {
                *slot = None;
            }
        }
    });
}

/// The stack use of the running tasks started with [`spawn`], grouped by
/// name and stack size, in the order they were started.
pub fn stack_use() -> alloc::vec::Vec<StackUse> {
    let tasks = critical(|| {
        // SAFETY: inside a critical section.
        unsafe { *TRACKED_TASKS.0.get() }
    });
    let mut out: alloc::vec::Vec<StackUse> = alloc::vec::Vec::new();
    for t in tasks.iter().flatten() {
        // One stack at a time with task switches off: the task cannot exit
        // and be freed by the idle task while its stack is read, and the
        // others wait for one stack's scan only.
        let read = without_task_switches(|| {
            let listed = critical(|| {
                // SAFETY: inside a critical section.
                unsafe { &*TRACKED_TASKS.0.get() }
                    .iter()
                    .flatten()
                    .any(|s| s.task == t.task)
            });
            listed.then(|| least_free_stack(t.task))
        });
        // Gone since the list was copied.
        let Some(free) = read else { continue };
        let size = t.words * core::mem::size_of::<usize>();
        match out.iter_mut().find(|u| u.name == t.name && u.size == size) {
            Some(u) => {
                u.tasks += 1;
                u.least_free = u.least_free.zip(free).map(|(a, b)| a.min(b));
            }
            None => out.push(StackUse {
                name: t.name,
                tasks: 1,
                size,
                least_free: free,
            }),
        }
    }
    out
}

/// The least stack (bytes) `task` ever had left.
#[cfg(target_os = "none")]
fn least_free_stack(task: TaskHandle) -> Option<usize> {
    // SAFETY: a tracked task is alive: it leaves the list before it exits,
    // tasks are never deleted from outside, and the caller keeps other
    // tasks (the idle task that frees exited ones) from running.
    let words = unsafe { ffi::uxTaskGetStackHighWaterMark(task.0.as_ptr()) };
    Some(words as usize * core::mem::size_of::<usize>())
}

#[cfg(not(target_os = "none"))]
fn least_free_stack(_task: TaskHandle) -> Option<usize> {
    None
}
