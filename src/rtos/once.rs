//! A value set once, after its holder was made, and read from any task.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A write-once slot for a `Copy` value (a handle made after the holder
/// that needs it).
pub struct Once<T: Copy> {
    value: UnsafeCell<Option<T>>,
    set: AtomicBool,
}

// SAFETY: the value is written once, inside a critical section, before
// `set` is released; readers only read after acquiring `set`.
unsafe impl<T: Copy + Send + Sync> Sync for Once<T> {}

impl<T: Copy> Once<T> {
    /// An empty slot.
    pub const fn new() -> Once<T> {
        Once {
            value: UnsafeCell::new(None),
            set: AtomicBool::new(false),
        }
    }

    /// Sets the value; `false` (and nothing changes) if it was set before.
    pub fn set(&self, value: T) -> bool {
        super::critical(|| {
            if self.set.load(Ordering::Acquire) {
                return false;
            }
            // SAFETY: not set yet, and inside a critical section: no other
            // writer, and readers wait for `set`.
            unsafe { *self.value.get() = Some(value) };
            self.set.store(true, Ordering::Release);
            true
        })
    }

    /// A reference to the value, once set (it never changes after).
    pub fn get_ref(&self) -> Option<&T> {
        if self.set.load(Ordering::Acquire) {
            // SAFETY: written before `set` was released, never again.
            unsafe { (*self.value.get()).as_ref() }
        } else {
            None
        }
    }

    /// The value, once set.
    pub fn get(&self) -> Option<T> {
        if self.set.load(Ordering::Acquire) {
            // SAFETY: written before `set` was released, never again.
            unsafe { *self.value.get() }
        } else {
            None
        }
    }
}

impl<T: Copy> Default for Once<T> {
    fn default() -> Self {
        Once::new()
    }
}
