//! One answer from another task to a task that waits for it: the waiter's
//! stack holds the answer's slot, so nothing is allocated and nothing is
//! shared beyond the call.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use super::{Notification, TaskHandle, WAIT_FOREVER, clear_notification, wait_notification};

struct Slot<T> {
    value: UnsafeCell<Option<T>>,
    /// Set (after `value`) once the answer is in or will never come.
    done: AtomicBool,
    waiter: TaskHandle,
}

/// The answering side: [`Rendezvous::answer`] it once, or drop it (the
/// waiter then gets `None`). Travels inside a message to the answering task.
pub struct Rendezvous<T> {
    slot: *const Slot<T>,
}

// SAFETY: the slot lives in the frame of `wait_for_answer`, which does not
// return before `done` is set, and `done` is set exactly once, by whoever
// holds the `Rendezvous` (answering or dropping it), after its last use.
unsafe impl<T: Send> Send for Rendezvous<T> {}

impl<T> Rendezvous<T> {
    /// Hands `value` to the waiting task.
    pub fn answer(self, value: T) {
        // SAFETY: see the `Send` impl: the slot is alive until `done`.
        unsafe { *(*self.slot).value.get() = Some(value) };
        // `drop` sets `done` and wakes the waiter.
    }
}

impl<T> Drop for Rendezvous<T> {
    fn drop(&mut self) {
        // SAFETY: see the `Send` impl. After the store the waiter may
        // return and free the slot: only the copied handle is used.
        let waiter = unsafe { (*self.slot).waiter };
        unsafe { (*self.slot).done.store(true, Ordering::Release) };
        let _ = waiter.notify(Notification::Reply);
    }
}

/// Calls `send` with the answering side of a rendezvous (to put into a
/// message for another task; `send` returns whether it was handed over,
/// and drops it when not) and waits, blocking the calling task, until it
/// is answered (`Some`) or dropped unanswered, or was never sent (`None`).
/// Uses the calling task's [`Notification::Reply`] slot; tasks only.
pub fn wait_for_answer<T>(send: impl FnOnce(Rendezvous<T>) -> bool) -> Option<T> {
    let slot = Slot {
        value: UnsafeCell::new(None),
        done: AtomicBool::new(false),
        waiter: TaskHandle::current(),
    };
    clear_notification(Notification::Reply);
    let sent = send(Rendezvous { slot: &slot });
    // Wait until the rendezvous is gone either way (a failed send dropped
    // it already), so that nothing can touch the slot once this returns.
    while !slot.done.load(Ordering::Acquire) {
        wait_notification(Notification::Reply, WAIT_FOREVER);
    }
    let answer = slot.value.into_inner();
    if sent { answer } else { None }
}
