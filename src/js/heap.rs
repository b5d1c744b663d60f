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
//! Both keep a [`Budget`], given as the allocator's opaque pointer: the bytes
//! the engine holds (so the JS task reads the engine's size cheaply; QuickJS's
//! own statistics walk every object) and the memory limit, enforced here
//! rather than by QuickJS so that running out leaves room to say so: the
//! engine is refused at the limit less a reserve ([`oom_reserve`]), and the
//! first refused allocation opens the reserve, in which QuickJS builds its
//! `InternalError: out of memory` and rejects the handler's promise (without
//! it, that error itself often fails and the handler's failure is reported
//! as `null`). The reserve closes when the engine is back under the limit
//! less the reserve. The limit itself is never passed: a board sizes it so
//! that the rest of its heap stays for everything else.

/// The reserve of a `limit` (see above): 32 KiB, or an eighth of a small
/// limit (a few KiB are enough to throw and unwind).
pub fn oom_reserve(limit: usize) -> usize {
    (32 * 1024).min(limit / 8)
}

/// The engine's memory account (the allocator's opaque pointer).
#[derive(Debug, Default)]
pub struct Budget {
    /// Bytes the engine holds now.
    pub allocated: Cell<usize>,
    /// Most bytes it may hold (0: no limit).
    pub limit: Cell<usize>,
    /// An allocation was refused and the reserve is in use.
    reserve_open: Cell<bool>,
}

impl Budget {
    /// Counts `add` bytes the engine's objects hold outside its allocator
    /// (the Rust data of native class instances) and uncounts `sub`. False
    /// when that takes the engine over its limit: the bytes are counted
    /// anyway, so that uncounting them later balances, and the caller throws
    /// "out of memory" as an engine allocation would.
    pub fn charge(&self, add: usize, sub: usize) -> bool {
        let opaque = (self as *const Budget).cast_mut().cast::<c_void>();
        let admitted = add <= sub || admit(opaque, add - sub);
        count(opaque, add, sub);
        admitted
    }
}

/// Whether the engine may take `size` more bytes (see the module docs).
fn admit(opaque: *mut c_void, size: usize) -> bool {
    // SAFETY: the runtime passes the budget it was created with, which
    // outlives it; QuickJS calls the allocator from its one thread.
    let Some(b) = (unsafe { opaque.cast::<Budget>().as_ref() }) else {
        return true;
    };
    let limit = b.limit.get();
    let after = b.allocated.get().saturating_add(size);
    if limit == 0 || after <= limit - oom_reserve(limit) {
        return true;
    }
    if b.reserve_open.get() {
        return after <= limit;
    }
    b.reserve_open.set(true);
    false
}

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

/// Adjusts the byte count of the [`Budget`] behind `opaque` (or null).
fn count(opaque: *mut c_void, add: usize, sub: usize) {
    // SAFETY: see `admit`.
    if let Some(b) = unsafe { opaque.cast::<Budget>().as_ref() } {
        let now = b.allocated.get().wrapping_add(add).wrapping_sub(sub);
        b.allocated.set(now);
        let limit = b.limit.get();
        if now <= limit - oom_reserve(limit) {
            b.reserve_open.set(false);
        }
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
    if !admit(opaque, size as usize) {
        return ptr::null_mut();
    }
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
    if !admit(opaque, size as usize) {
        return ptr::null_mut();
    }
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
    // SAFETY: `p` came from global_malloc, whose header holds the size.
    let old = unsafe { p.cast::<u8>().sub(HDR).cast::<usize>().read() };
    if !admit(opaque, (size as usize).saturating_sub(old)) {
        return ptr::null_mut();
    }
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
