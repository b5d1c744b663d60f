//! The file system's flash on the RP2040: the partition after the firmware
//! (`__isere_fs_start`..`__isere_fs_end` in memory.x, 512 KiB on a Pico).
//!
//! Reads go through the XIP window (the flash is memory-mapped). Erasing
//! and programming use the boot ROM's flash routines, during which the
//! flash cannot be read, so no code may run from it: the sequence
//! (connect the flash, leave XIP, erase or program, flush the XIP cache,
//! re-enter XIP) runs from RAM ([`run_from_ram`], placed in `.data`) with
//! interrupts masked, which also keeps the FreeRTOS scheduler from
//! switching to a task whose code is in flash. The ROM's function pointers
//! are looked up beforehand (the lookup runs from flash). Fast XIP is
//! restored by calling a RAM copy of the second-stage bootloader, as the
//! boot ROM did at reset (boot2 returns to a caller whose `lr` is not 0).
//!
//! An erase masks interrupts for a sector erase time (~45 ms typical on
//! the Pico's W25Q16JV), a program for a page program time (~0.4 ms): USB
//! and the tick wait that long. Only core 0 runs (core 1 is not started),
//! so nothing else executes from flash meanwhile.

use isere::port::{BlockDevice, FLASH_BLOCK_SIZE, FlashError};
use rp2040_hal::rom_data;

/// Where the flash is mapped (XIP, cached).
const XIP_BASE: usize = 0x1000_0000;
/// The flash's page: the unit `flash_range_program` takes.
const PAGE: usize = 256;
/// 64 KiB block erase command and size, which `flash_range_erase` may use
/// for large aligned ranges (never for one 4 KiB sector).
const BLOCK_ERASE_CMD: u8 = 0xD8;
const BLOCK_ERASE_SIZE: u32 = 1 << 16;

/// The boot ROM routines one erase or program needs, as plain pointers.
#[derive(Clone, Copy)]
struct Rom {
    connect_internal_flash: unsafe extern "C" fn(),
    flash_exit_xip: unsafe extern "C" fn(),
    flash_range_erase: unsafe extern "C" fn(u32, usize, u32, u8),
    flash_range_program: unsafe extern "C" fn(u32, *const u8, usize),
    flash_flush_cache: unsafe extern "C" fn(),
}

/// One flash operation, for [`run_from_ram`].
#[derive(Clone, Copy)]
enum Op {
    Erase { offset: u32 },
    Program { offset: u32, data: *const u8 },
}

/// The second-stage bootloader copied to RAM, to restore fast XIP after a
/// write (it returns to its caller when called with a non-zero `lr`).
static mut BOOT2_COPY: [u32; 64] = [0; 64];

/// The partition after the firmware, as a block device.
pub struct FlashPartition {
    /// Offset of the partition from the start of the flash.
    offset: u32,
    blocks: u32,
    rom: Rom,
    /// Bounce buffer: programs never take their data from the flash itself.
    page: [u8; PAGE],
}

impl FlashPartition {
    /// The partition memory.x reserves.
    ///
    /// # Safety
    /// Call once; nothing else may write the partition, and core 1 must not
    /// run code from flash.
    pub unsafe fn new() -> FlashPartition {
        // Symbols memory.x defines; only their addresses are used.
        unsafe extern "C" {
            static __isere_fs_start: u8;
            static __isere_fs_end: u8;
        }
        let start = &raw const __isere_fs_start as usize;
        let end = &raw const __isere_fs_end as usize;
        // SAFETY: 256 bytes of boot2 at the start of the mapped flash, read
        // before any write; the copy is only used by `run_from_ram`.
        unsafe {
            core::ptr::copy_nonoverlapping(
                XIP_BASE as *const u32,
                (&raw mut BOOT2_COPY).cast::<u32>(),
                64,
            );
        }
        FlashPartition {
            offset: (start - XIP_BASE) as u32,
            blocks: ((end - start) / FLASH_BLOCK_SIZE as usize) as u32,
            rom: Rom {
                connect_internal_flash: rom_data::connect_internal_flash::ptr(),
                flash_exit_xip: rom_data::flash_exit_xip::ptr(),
                flash_range_erase: rom_data::flash_range_erase::ptr(),
                flash_range_program: rom_data::flash_range_program::ptr(),
                flash_flush_cache: rom_data::flash_flush_cache::ptr(),
            },
            page: [0; PAGE],
        }
    }

    fn address(&self, block: u32, offset: u32, len: usize) -> Result<u32, FlashError> {
        if block >= self.blocks || offset as usize + len > FLASH_BLOCK_SIZE as usize {
            return Err(FlashError::OutOfRange);
        }
        Ok(self.offset + block * FLASH_BLOCK_SIZE + offset)
    }

    fn run(&self, op: Op) {
        let rom = self.rom;
        let boot2 = (&raw const BOOT2_COPY).cast::<u8>();
        // SAFETY: interrupts are masked for the whole sequence, which runs
        // from RAM and calls only the ROM and the RAM copy of boot2.
        cortex_m::interrupt::free(|_| unsafe { run_from_ram(&rom, op, boot2) });
    }
}

/// Leaves XIP, erases a sector or programs a page, and restores XIP. In RAM
/// (`.data` is copied there at reset), calling nothing in flash.
///
/// # Safety
/// Interrupts must be masked; `op`'s offsets must be sector (erase) or
/// page (program) aligned inside the flash, its data in RAM.
#[inline(never)]
#[unsafe(link_section = ".data.isere_flash")]
unsafe fn run_from_ram(rom: &Rom, op: Op, boot2: *const u8) {
    // SAFETY: per the function's contract; the ROM routines are documented
    // to be callable with XIP off.
    unsafe {
        (rom.connect_internal_flash)();
        (rom.flash_exit_xip)();
        match op {
            Op::Erase { offset } => (rom.flash_range_erase)(
                offset,
                FLASH_BLOCK_SIZE as usize,
                BLOCK_ERASE_SIZE,
                BLOCK_ERASE_CMD,
            ),
            Op::Program { offset, data } => (rom.flash_range_program)(offset, data, PAGE),
        }
        (rom.flash_flush_cache)();
        // Thumb code: the call address has its low bit set.
        let boot2: unsafe extern "C" fn() = core::mem::transmute(boot2 as usize | 1);
        boot2();
    }
}

impl BlockDevice for FlashPartition {
    fn block_count(&self) -> u32 {
        self.blocks
    }

    fn read(&mut self, block: u32, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let at = self.address(block, offset, buf.len())?;
        // SAFETY: inside the mapped partition (checked above); the XIP cache
        // is flushed after every write, so it never holds stale bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (XIP_BASE + at as usize) as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            );
        }
        Ok(())
    }

    fn program(&mut self, block: u32, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let at = self.address(block, offset, data.len())?;
        if !(at as usize).is_multiple_of(PAGE) || !data.len().is_multiple_of(PAGE) {
            return Err(FlashError::Io);
        }
        for (i, chunk) in data.chunks(PAGE).enumerate() {
            self.page.copy_from_slice(chunk);
            self.run(Op::Program {
                offset: at + (i * PAGE) as u32,
                data: self.page.as_ptr(),
            });
        }
        Ok(())
    }

    fn erase(&mut self, block: u32) -> Result<(), FlashError> {
        let at = self.address(block, 0, FLASH_BLOCK_SIZE as usize)?;
        self.run(Op::Erase { offset: at });
        Ok(())
    }

    /// The ROM routines return when the flash has finished.
    fn sync(&mut self) -> Result<(), FlashError> {
        Ok(())
    }
}
