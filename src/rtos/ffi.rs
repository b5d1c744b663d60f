//! Raw declarations of the kernel functions and the `shim.c` wrappers.
//!
//! Names and argument order follow FreeRTOS-Kernel V11.2.0 (`task.h`,
//! `queue.h`, `timers.h`, `portable.h`).

#![allow(non_snake_case, non_upper_case_globals, missing_docs)]

use core::ffi::{c_char, c_long, c_ulong, c_void};

/// `BaseType_t`: C `long` on every port we build.
pub type BaseType = c_long;
/// `UBaseType_t`: C `unsigned long` on every port we build.
pub type UBaseType = c_ulong;
/// `TickType_t`: `unsigned long` on POSIX, `uint32_t` (same width) on the boards.
pub type TickType = c_ulong;

/// A task's entry. On the POSIX port a task that deletes itself ends its
/// thread with `pthread_exit`, a forced unwind through the entry's frame
/// (see [`vTaskDelete`]); in unwinding builds (unit tests) only a
/// "C-unwind" frame lets it pass.
#[cfg(panic = "unwind")]
pub type TaskFunction = Option<extern "C-unwind" fn(*mut c_void)>;
/// A task's entry (see the unwinding variant).
#[cfg(not(panic = "unwind"))]
pub type TaskFunction = Option<extern "C" fn(*mut c_void)>;
pub type TimerCallback = Option<extern "C" fn(*mut c_void)>;

/// `eIncrement` of `eNotifyAction`.
pub const E_NOTIFY_ACTION_INCREMENT: u32 = 2;

unsafe extern "C" {
    pub static isere_rtos_type_sizes: [u8; 5];
    pub static isere_rtos_tick_rate_hz: TickType;
    pub static isere_rtos_total_heap: usize;
    pub static isere_rtos_max_priorities: UBaseType;

    pub fn xTaskCreate(
        code: TaskFunction,
        name: *const c_char,
        stack_depth: usize,
        params: *mut c_void,
        priority: UBaseType,
        created: *mut *mut c_void,
    ) -> BaseType;
}

// `vTaskDelete(NULL)` on the POSIX port does not return: its thread leaves
// through `pthread_exit`, whose forced unwind passes through the Rust frames
// of the task (its entry, `exit_task`, ...). Those frames must let it pass,
// and which ABI does depends on the panic strategy. In unwinding builds
// (unit tests) a "C" task entry gets an abort-on-unwind guard, which fires on
// this unwind too (seen: "panic in a function that cannot unwind"), so the
// entry is "C-unwind", and so is this call, which does unwind. With
// `panic = "abort"` (the firmware, the simulator) it is the other way round:
// a "C-unwind" call gets the guard (seen as well), while plain "C" frames
// have no unwind actions and let the unwind pass. On the boards the call
// never unwinds.
#[cfg(panic = "unwind")]
unsafe extern "C-unwind" {
    pub fn vTaskDelete(task: *mut c_void);
}
#[cfg(not(panic = "unwind"))]
unsafe extern "C" {
    pub fn vTaskDelete(task: *mut c_void);
}

unsafe extern "C" {
    pub fn vTaskDelay(ticks: TickType);
    pub fn xTaskGetTickCount() -> TickType;
    pub fn xTaskGetTickCountFromISR() -> TickType;
    pub fn vTaskStartScheduler();
    pub fn vTaskEndScheduler();
    pub fn xTaskGetCurrentTaskHandle() -> *mut c_void;
    /// Not on the POSIX port, whose tasks run on their threads' stacks.
    #[cfg(target_os = "none")]
    pub fn uxTaskGetStackHighWaterMark(task: *mut c_void) -> UBaseType;
    pub fn vTaskSuspendAll();
    pub fn xTaskResumeAll() -> BaseType;
    pub fn ulTaskGenericNotifyTake(
        index: UBaseType,
        clear_on_exit: BaseType,
        ticks: TickType,
    ) -> u32;
    pub fn xTaskGenericNotify(
        task: *mut c_void,
        index: UBaseType,
        value: u32,
        action: u32,
        previous: *mut u32,
    ) -> BaseType;
    pub fn vTaskGenericNotifyGiveFromISR(task: *mut c_void, index: UBaseType, woken: *mut BaseType);
    pub fn xTaskGenericNotifyStateClear(task: *mut c_void, index: UBaseType) -> BaseType;
    pub fn ulTaskGenericNotifyValueClear(
        task: *mut c_void,
        index: UBaseType,
        bits: UBaseType,
    ) -> u32;
    pub fn isere_in_isr() -> BaseType;

    pub fn xQueueGenericCreate(length: UBaseType, item_size: UBaseType, kind: u8) -> *mut c_void;
    pub fn xQueueGenericSend(
        queue: *mut c_void,
        item: *const c_void,
        ticks: TickType,
        position: BaseType,
    ) -> BaseType;
    pub fn xQueueGenericSendFromISR(
        queue: *mut c_void,
        item: *const c_void,
        woken: *mut BaseType,
        position: BaseType,
    ) -> BaseType;
    pub fn xQueueReceive(queue: *mut c_void, item: *mut c_void, ticks: TickType) -> BaseType;
    pub fn uxQueueMessagesWaiting(queue: *const c_void) -> UBaseType;
    pub fn vQueueDelete(queue: *mut c_void);
    pub fn xQueueCreateMutex(kind: u8) -> *mut c_void;
    pub fn xQueueSemaphoreTake(queue: *mut c_void, ticks: TickType) -> BaseType;

    pub fn xTimerCreate(
        name: *const c_char,
        period: TickType,
        auto_reload: UBaseType,
        id: *mut c_void,
        callback: TimerCallback,
    ) -> *mut c_void;
    pub fn pvTimerGetTimerID(timer: *const c_void) -> *mut c_void;

    pub fn pvPortMalloc(size: usize) -> *mut c_void;
    pub fn vPortFree(p: *mut c_void);
    pub fn xPortGetFreeHeapSize() -> usize;
    pub fn xPortGetMinimumEverFreeHeapSize() -> usize;
    pub fn xPortResetHeapMinimumEverFreeHeapSize();
    pub fn isere_heap_usable_size(p: *mut c_void) -> usize;

    pub fn isere_enter_critical();
    pub fn isere_exit_critical();
    pub fn isere_enter_critical_from_isr() -> UBaseType;
    pub fn isere_exit_critical_from_isr(saved: UBaseType);
    pub fn isere_yield();
    pub fn isere_yield_from_isr(woken: BaseType);
    pub fn isere_timer_start(timer: *mut c_void, ticks: TickType) -> BaseType;
    pub fn isere_timer_stop(timer: *mut c_void, ticks: TickType) -> BaseType;
    pub fn isere_timer_delete(timer: *mut c_void, ticks: TickType) -> BaseType;
    pub fn isere_timer_change_period(
        timer: *mut c_void,
        period: TickType,
        ticks: TickType,
    ) -> BaseType;
}
