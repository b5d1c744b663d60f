//! A memory budget: a fixed number of heap bytes shared by many holders,
//! each reservation exact and refusable.
//!
//! Request bodies draw from one such budget for all connections, so that
//! no number of clients, each sending a large body slowly, can take more
//! heap than the port set aside for them: a request that does not fit now
//! is told to come back (503), one that could never fit is refused (413).
//! The JS engine has its own limit; a body leaves this budget when the
//! engine takes it over (and charges it to that limit).

use core::cell::UnsafeCell;

use crate::rtos;

/// Heap bytes set aside for one purpose (see the module docs).
pub struct MemoryBudget {
    capacity: usize,
    /// Bytes reserved now. Changed only with task switches off: the RP2040
    /// has no atomic read-modify-write, and holders live on many tasks.
    reserved: UnsafeCell<usize>,
}

// SAFETY: `reserved` is only read or written inside
// `rtos::without_task_switches`, and never from an interrupt.
unsafe impl Sync for MemoryBudget {}

/// Why a reservation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// More than the whole budget: it could never be granted.
    TooLarge,
    /// Not now: other holders have the rest.
    Busy,
}

impl MemoryBudget {
    /// A budget of `capacity` bytes, none reserved.
    pub const fn new(capacity: usize) -> MemoryBudget {
        MemoryBudget {
            capacity,
            reserved: UnsafeCell::new(0),
        }
    }

    /// Its size.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes reserved now.
    pub fn reserved(&self) -> usize {
        // SAFETY: see the `Sync` impl.
        rtos::without_task_switches(|| unsafe { *self.reserved.get() })
    }

    /// Reserves `bytes`, held until the reservation is dropped.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation<'_>, Refused> {
        let mut r = Reservation {
            budget: self,
            bytes: 0,
        };
        r.grow(bytes)?;
        Ok(r)
    }

    fn take(&self, bytes: usize) -> Result<(), Refused> {
        if bytes > self.capacity {
            return Err(Refused::TooLarge);
        }
        rtos::without_task_switches(|| {
            // SAFETY: see the `Sync` impl.
            let reserved = unsafe { &mut *self.reserved.get() };
            if *reserved + bytes > self.capacity {
                return Err(Refused::Busy);
            }
            *reserved += bytes;
            Ok(())
        })
    }

    fn give_back(&self, bytes: usize) {
        rtos::without_task_switches(|| {
            // SAFETY: see the `Sync` impl.
            let reserved = unsafe { &mut *self.reserved.get() };
            *reserved = reserved.saturating_sub(bytes);
        });
    }
}

/// Bytes held from a [`MemoryBudget`], given back when dropped.
pub struct Reservation<'b> {
    budget: &'b MemoryBudget,
    bytes: usize,
}

impl Reservation<'_> {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds `more` bytes besides; on refusal, what is held stays held.
    pub fn grow(&mut self, more: usize) -> Result<(), Refused> {
        let total = self.bytes.checked_add(more).ok_or(Refused::TooLarge)?;
        if total > self.budget.capacity {
            return Err(Refused::TooLarge);
        }
        self.budget.take(more)?;
        self.bytes = total;
        Ok(())
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_exact_and_given_back() {
        crate::rtos::testing::run(c"budget", || {
            let budget = MemoryBudget::new(100);
            let a = budget.reserve(60).unwrap();
            assert_eq!(budget.reserve(41).err(), Some(Refused::Busy));
            assert_eq!(budget.reserve(101).err(), Some(Refused::TooLarge));
            let mut b = budget.reserve(40).unwrap();
            assert_eq!(budget.reserved(), 100);
            assert_eq!(b.grow(1), Err(Refused::Busy));
            assert_eq!(b.bytes(), 40, "a refused growth keeps what was held");
            drop(a);
            b.grow(60).unwrap();
            assert_eq!(b.grow(usize::MAX), Err(Refused::TooLarge));
            drop(b);
            assert_eq!(budget.reserved(), 0);
        });
    }
}
