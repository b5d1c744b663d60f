//! Where the JS engine's memory comes from.
//!
//! * [`EngineHeap::Kernel`]: straight from the FreeRTOS heap. heap_4 already
//!   keeps each block's size in its header, and `src/rtos/heap.c` reads it,
//!   so an engine allocation costs no more than any other. This is what the
//!   firmware uses: the engine makes thousands of small allocations, and a
//!   second header would cost 8 bytes on each (tens of KiB per context).
//! * [`EngineHeap::Global`]: through the Rust global allocator, with a size
//!   header of our own: for hosts without the kernel (unit tests, tools).
//!
//! Both count the bytes the engine holds in a `Cell<usize>` given as the
//! allocator's opaque pointer, so the JS task can read the engine's size
//! cheaply (QuickJS's own statistics walk every object).

use core::alloc::Layout;
use core::cell::Cell;
use core::ffi::c_void;
use core::ptr;

use rquickjs_sys as qjs;

use crate::rtos::ffi;

/// The allocator a runtime uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineHeap {
    /// The FreeRTOS heap, without extra headers (firmware).
    Kernel,
    /// The Rust global allocator, with a size header (hosts, tests).
    Global,
}

impl EngineHeap {
    /// QuickJS's table of allocation functions for this heap.
    pub(super) fn functions(self) -> &'static qjs::JSMallocFunctions {
        match self {
            EngineHeap::Kernel => &KERNEL,
            EngineHeap::Global => &GLOBAL,
        }
    }
}

/// Adjusts the byte counter behind `opaque` (a `Cell<usize>`, or null).
fn count(opaque: *mut c_void, add: usize, sub: usize) {
    // SAFETY: the runtime passes the counter it was created with, which
    // outlives it; QuickJS calls the allocator from its one thread.
    if let Some(c) = unsafe { opaque.cast::<Cell<usize>>().as_ref() } {
        c.set(c.get().wrapping_add(add).wrapping_sub(sub));
    }
}

static KERNEL: qjs::JSMallocFunctions = qjs::JSMallocFunctions {
    js_calloc: Some(kernel_calloc),
    js_malloc: Some(kernel_malloc),
    js_free: Some(kernel_free),
    js_realloc: Some(kernel_realloc),
    js_malloc_usable_size: Some(kernel_usable_size),
};

unsafe extern "C" fn kernel_malloc(opaque: *mut c_void, size: qjs::size_t) -> *mut c_void {
    // SAFETY: plain kernel allocation; the usable size is read back from it.
    unsafe {
        let p = ffi::pvPortMalloc((size as usize).max(1));
        if !p.is_null() {
            count(opaque, ffi::isere_heap_usable_size(p), 0);
        }
        p
    }
}

unsafe extern "C" fn kernel_calloc(
    opaque: *mut c_void,
    n: qjs::size_t,
    size: qjs::size_t,
) -> *mut c_void {
    // SAFETY: kernel_malloc is this table's allocation function.
    unsafe { zeroed(kernel_malloc, opaque, n, size) }
}

/// `calloc` over an allocation function of ours: checked size, zeroed block.
///
/// # Safety
/// `malloc` must return null or `n * size` writable bytes.
unsafe fn zeroed(
    malloc: unsafe extern "C" fn(*mut c_void, qjs::size_t) -> *mut c_void,
    opaque: *mut c_void,
    n: qjs::size_t,
    size: qjs::size_t,
) -> *mut c_void {
    let Some(total) = (n as usize).checked_mul(size as usize) else {
        return ptr::null_mut();
    };
    // SAFETY: per the contract, the block holds `total` bytes.
    unsafe {
        let p = malloc(opaque, total as _);
        if !p.is_null() {
            ptr::write_bytes(p.cast::<u8>(), 0, total);
        }
        p
    }
}

unsafe extern "C" fn kernel_free(opaque: *mut c_void, p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from kernel_malloc.
    unsafe {
        count(opaque, 0, ffi::isere_heap_usable_size(p));
        ffi::vPortFree(p);
    }
}

unsafe extern "C" fn kernel_realloc(
    opaque: *mut c_void,
    p: *mut c_void,
    size: qjs::size_t,
) -> *mut c_void {
    // SAFETY: `p` is null or came from kernel_malloc; the copy stays within
    // both blocks.
    unsafe {
        if p.is_null() {
            return kernel_malloc(opaque, size);
        }
        let old = ffi::isere_heap_usable_size(p);
        if size as usize <= old {
            // heap_4 cannot shrink a block in place; keep it.
            return p;
        }
        let q = kernel_malloc(opaque, size);
        if !q.is_null() {
            ptr::copy_nonoverlapping(p.cast::<u8>(), q.cast::<u8>(), old);
            kernel_free(opaque, p);
        }
        q
    }
}

unsafe extern "C" fn kernel_usable_size(p: *const c_void) -> qjs::size_t {
    // SAFETY: `p` is null or came from kernel_malloc.
    unsafe { ffi::isere_heap_usable_size(p.cast_mut()) as _ }
}

/// Size of the header the global-allocator variant puts before each block.
const HDR: usize = if core::mem::size_of::<usize>() == 8 {
    16
} else {
    8
};

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HDR)?, HDR).ok()
}

static GLOBAL: qjs::JSMallocFunctions = qjs::JSMallocFunctions {
    js_calloc: Some(global_calloc),
    js_malloc: Some(global_malloc),
    js_free: Some(global_free),
    js_realloc: Some(global_realloc),
    js_malloc_usable_size: Some(global_usable_size),
};

unsafe extern "C" fn global_malloc(opaque: *mut c_void, size: qjs::size_t) -> *mut c_void {
    let Some(l) = layout(size as usize) else {
        return ptr::null_mut();
    };
    // SAFETY: non-zero layout; the size is stored in the header.
    unsafe {
        let p = alloc::alloc::alloc(l);
        if p.is_null() {
            return ptr::null_mut();
        }
        p.cast::<usize>().write(size as usize);
        count(opaque, size as usize, 0);
        p.add(HDR).cast()
    }
}

unsafe extern "C" fn global_calloc(
    opaque: *mut c_void,
    n: qjs::size_t,
    size: qjs::size_t,
) -> *mut c_void {
    // SAFETY: global_malloc is this table's allocation function.
    unsafe { zeroed(global_malloc, opaque, n, size) }
}

unsafe extern "C" fn global_free(opaque: *mut c_void, p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from global_malloc/global_realloc, whose header holds the size.
    unsafe {
        let base = p.cast::<u8>().sub(HDR);
        let size = base.cast::<usize>().read();
        count(opaque, 0, size);
        alloc::alloc::dealloc(base, layout(size).unwrap_unchecked());
    }
}

unsafe extern "C" fn global_realloc(
    opaque: *mut c_void,
    p: *mut c_void,
    size: qjs::size_t,
) -> *mut c_void {
    if p.is_null() {
        // SAFETY: plain allocation.
        return unsafe { global_malloc(opaque, size) };
    }
    let Some(new) = layout(size as usize) else {
        return ptr::null_mut();
    };
    // SAFETY: `p` came from global_malloc; realloc keeps the header's alignment.
    unsafe {
        let base = p.cast::<u8>().sub(HDR);
        let old = base.cast::<usize>().read();
        let q = alloc::alloc::realloc(base, layout(old).unwrap_unchecked(), new.size());
        if q.is_null() {
            return ptr::null_mut();
        }
        q.cast::<usize>().write(size as usize);
        count(opaque, size as usize, old);
        q.add(HDR).cast()
    }
}

unsafe extern "C" fn global_usable_size(p: *const c_void) -> qjs::size_t {
    if p.is_null() {
        return 0;
    }
    // SAFETY: `p` came from global_malloc.
    unsafe { p.cast::<u8>().sub(HDR).cast::<usize>().read() as _ }
}
