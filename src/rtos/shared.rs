//! [`Shared`]: a value owned jointly by several tasks and dropped by the last
//! one to let go of it, like `alloc::sync::Arc`.
//!
//! `Arc` needs atomic read-modify-write instructions, which the RP2040's
//! Cortex-M0+ (`thumbv6m-none-eabi`) does not have; here the count changes
//! inside a kernel critical section ([`super::critical`]) instead, which every
//! port has. The value itself is dropped outside the critical section, so
//! dropping it may block (close a socket, take a mutex).

use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use super::critical;

struct Inner<T> {
    /// How many [`Shared`] point here; read and written in critical
    /// sections only.
    holders: UnsafeCell<usize>,
    value: T,
}

/// A counted reference to a `T` on the heap; cloning it adds a holder, and
/// the last holder to be dropped drops the `T` (on the task that drops it).
pub struct Shared<T> {
    inner: NonNull<Inner<T>>,
    /// A `Shared<T>` owns (a share of) a `T`.
    owns: PhantomData<Inner<T>>,
}

// SAFETY: as for `Arc`: a `Shared<T>` gives out `&T` on any task (so `T:
// Sync`) and may drop the `T` on any task (so `T: Send`); the count is only
// touched in critical sections.
unsafe impl<T: Send + Sync> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Moves `value` to the heap with one holder: the `Shared` returned.
    pub fn new(value: T) -> Shared<T> {
        let inner = Box::new(Inner {
            holders: UnsafeCell::new(1),
            value,
        });
        Shared {
            inner: NonNull::from(Box::leak(inner)),
            owns: PhantomData,
        }
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the allocation lives while a holder (`self`) does.
        unsafe { self.inner.as_ref() }
    }

    /// How many holders the value has now (another task may change it the
    /// moment after).
    pub fn holders(&self) -> usize {
        // SAFETY: the count is read inside a critical section.
        critical(|| unsafe { *self.inner().holders.get() })
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        critical(|| {
            // SAFETY: the count is written inside a critical section. It
            // cannot overflow: every holder is a distinct pointer in memory
            // (short of `mem::forget` in a loop, which nothing here does).
            unsafe { *self.inner().holders.get() += 1 };
        });
        Shared {
            inner: self.inner,
            owns: PhantomData,
        }
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        let last = critical(|| {
            // SAFETY: the count is read and written inside a critical section.
            let holders = unsafe { &mut *self.inner().holders.get() };
            *holders -= 1;
            *holders == 0
        });
        if last {
            // SAFETY: the count reached 0, so no other holder exists and
            // none can appear (a holder is made only by cloning one); the
            // allocation came from `Box::leak` in `new`.
            drop(unsafe { Box::from_raw(self.inner.as_ptr()) });
        }
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;
    use core::cell::Cell;

    /// Counts its drops.
    struct Probe<'a>(&'a Cell<u32>);

    impl Drop for Probe<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn the_last_holder_drops_the_value() {
        let drops = Cell::new(0);
        let a = Shared::new(Probe(&drops));
        let b = a.clone();
        let c = b.clone();
        assert_eq!(a.holders(), 3);
        drop(a);
        drop(c);
        assert_eq!((drops.get(), b.holders()), (0, 1));
        assert!(core::ptr::eq(b.0, &drops));
        drop(b);
        assert_eq!(drops.get(), 1);
    }
}
