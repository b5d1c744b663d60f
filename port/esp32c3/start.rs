//! Start-up: the ESP-IDF application descriptor, the trap vector table and
//! `_start`, the ELF entry the second-stage bootloader jumps to.
//!
//! The bootloader has already loaded `.data` (and `.tdata`) into DRAM and
//! mapped the flash (`.text`, `.rodata`) through the caches, so `_start`
//! only has to:
//!
//! 1. mask interrupts (they stay masked until the first task starts);
//! 2. take the boot stack, which later becomes the interrupt stack;
//! 3. point `tp` at the TLS block, before any picolibc code runs: picolibc's
//!    `errno` and its other thread-locals are addressed from `tp`;
//! 4. zero `.tbss` and `.bss`;
//! 5. install the vector table: the C3 implements only vectored mode, with
//!    a 256-byte aligned base (the linker script aligns it and checks); all
//!    32 entries (exceptions at entry 0,
//!    interrupt line n at entry n) go to FreeRTOS's trap handler, which
//!    reads `mcause` itself;
//! 6. call [`crate::board_main`].
//!
//! Own start-up rather than `riscv-rt`: FreeRTOS owns the trap entry, the
//! ESP-IDF image needs its own linker script anyway, and this is all the
//! start-up there is.

core::arch::global_asm!(
    r#"
    .section .text.isere_vectors, "ax"
    .balign 4
    .globl isere_vectors
isere_vectors:
    .option push
    .option norvc
    .rept 32
    j freertos_risc_v_trap_handler
    .endr
    .option pop

    .section .text.isere_start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    csrci mstatus, 8
    la sp, _stack_top
    la tp, __tls_base
    la t0, __bss_start
    la t1, __bss_end
1:
    bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:
    la t0, isere_vectors
    ori t0, t0, 1
    csrw mtvec, t0
    call isere_esp32c3_main
3:
    wfi
    j 3b
    .option pop
    "#
);

/// The application descriptor of ESP-IDF's image format (`esp_app_desc_t`,
/// 256 bytes), which the bootloader and the flashing tools read from the
/// start of the first DROM segment.
#[repr(C)]
pub struct EspAppDesc {
    magic_word: u32,
    secure_version: u32,
    reserv1: [u32; 2],
    version: [u8; 32],
    project_name: [u8; 32],
    time: [u8; 16],
    date: [u8; 16],
    idf_ver: [u8; 32],
    app_elf_sha256: [u8; 32],
    min_efuse_blk_rev_full: u16,
    max_efuse_blk_rev_full: u16,
    /// log2 of the MMU page size (64 KiB on the C3).
    mmu_page_size: u8,
    reserv3: [u8; 3],
    reserv2: [u32; 18],
}

const _: () = assert!(core::mem::size_of::<EspAppDesc>() == 256);

const fn c_string<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    // Leave room for the terminating NUL.
    while i < bytes.len() && i + 1 < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Read by the bootloader (it logs the version and checks the eFuse block
/// revision range, left open here) and by espflash/esptool.
#[unsafe(export_name = "esp_app_desc")]
#[unsafe(link_section = ".flash.appdesc")]
#[used]
pub static ESP_APP_DESC: EspAppDesc = EspAppDesc {
    magic_word: 0xABCD_5432,
    secure_version: 0,
    reserv1: [0; 2],
    version: c_string(env!("CARGO_PKG_VERSION")),
    project_name: c_string("isere-esp32c3"),
    time: [0; 16],
    date: [0; 16],
    idf_ver: c_string("none"),
    app_elf_sha256: [0; 32],
    min_efuse_blk_rev_full: 0,
    max_efuse_blk_rev_full: u16::MAX,
    mmu_page_size: 16,
    reserv3: [0; 3],
    reserv2: [0; 18],
};
