//! The Rust global allocator over the FreeRTOS heap (heap_4).
//!
//! A firmware binary installs it with
//! `#[global_allocator] static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;`
//! so that Rust, QuickJS (through [`crate::js`]'s allocator hooks) and the
//! kernel's own objects share one heap whose statistics
//! ([`crate::rtos::heap_stats`]) are the board's real memory use.
//!
//! heap_4 returns blocks aligned to `portBYTE_ALIGNMENT` (8). A larger
//! alignment is honoured by over-allocating and storing the distance to the
//! block's start in the word just below the aligned pointer.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

use crate::rtos::ffi;

/// Alignment heap_4 guarantees on every port we build.
const KERNEL_ALIGN: usize = 8;

/// The global allocator over `pvPortMalloc`/`vPortFree`.
pub struct FreeRtosHeap;

// SAFETY: pvPortMalloc/vPortFree are thread-safe (they suspend the scheduler)
// and the alignment contract is met as described in the module docs.
unsafe impl GlobalAlloc for FreeRtosHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= KERNEL_ALIGN {
            // SAFETY: plain allocation; heap_4 aligns to 8.
            return unsafe { ffi::pvPortMalloc(layout.size().max(1)) }.cast();
        }
        let extra = layout.align() + core::mem::size_of::<usize>();
        let Some(total) = layout.size().checked_add(extra) else {
            return core::ptr::null_mut();
        };
        // SAFETY: the block is large enough for the offset word and the padding.
        unsafe {
            let raw = ffi::pvPortMalloc(total).cast::<u8>();
            if raw.is_null() {
                return raw;
            }
            let start = raw as usize + core::mem::size_of::<usize>();
            let aligned = (start + layout.align() - 1) & !(layout.align() - 1);
            let p = aligned as *mut u8;
            p.cast::<usize>()
                .sub(1)
                .write_unaligned(aligned - raw as usize);
            p
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with the same layout.
        unsafe {
            if layout.align() <= KERNEL_ALIGN {
                ffi::vPortFree(ptr.cast::<c_void>());
            } else {
                let offset = ptr.cast::<usize>().sub(1).read_unaligned();
                ffi::vPortFree(ptr.sub(offset).cast::<c_void>());
            }
        }
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;

    /// The only test that touches the kernel heap directly. It runs in a
    /// task ([`crate::rtos::testing`]): once the tests' scheduler runs, a
    /// test thread must not call the kernel. Task switches are off while it
    /// measures, so that the tasks of tests running at the same time do not
    /// change the statistics under it (heap_4 allocates with the scheduler
    /// suspended, which nests). The list of blocks is allocated before: the
    /// host's `malloc` may wait for a lock that a preempted task holds, and
    /// with task switches off that task would never run again.
    #[test]
    fn alignments_are_honoured_and_statistics_follow() {
        crate::rtos::testing::run(c"heap", || {
            let mut blocks = alloc::vec::Vec::with_capacity(20);
            crate::rtos::without_task_switches(|| alignments_and_statistics(&mut blocks));
        });
    }

    fn alignments_and_statistics(blocks: &mut alloc::vec::Vec<(*mut u8, Layout)>) {
        let before = crate::rtos::heap_stats();
        for align in [1usize, 8, 16, 64, 4096] {
            for size in [1usize, 7, 100, 5000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero layout; freed below with the same layout.
                let p = unsafe { FreeRtosHeap.alloc(layout) };
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "size {size} align {align}");
                // SAFETY: the block holds `size` bytes.
                unsafe { core::ptr::write_bytes(p, 0xA5, size) };
                blocks.push((p, layout));
            }
        }
        let during = crate::rtos::heap_stats();
        assert!(during.used > before.used);
        assert!(during.peak >= during.used);
        assert_eq!(during.used + during.free, during.total);
        for (p, layout) in blocks.drain(..) {
            // SAFETY: allocated above with this layout.
            unsafe { FreeRtosHeap.dealloc(p, layout) };
        }
        assert_eq!(crate::rtos::heap_stats().used, before.used);
    }
}
