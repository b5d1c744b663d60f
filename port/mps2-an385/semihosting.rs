//! ARM semihosting: the board's way to talk to the host QEMU runs on.
//!
//! Used to read the command line (`-semihosting-config enable=on,arg=...`;
//! QEMU M-profile boards ignore `-append`) and to exit QEMU with a status,
//! which is how a test run or a fault ends the emulation. Without a debugger
//! or QEMU's semihosting enabled, the `bkpt` traps: only call these when
//! running under QEMU with semihosting on.

const SYS_GET_CMDLINE: u32 = 0x15;
const SYS_EXIT_EXTENDED: u32 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;

/// Issues semihosting call `op` with parameter `arg`.
///
/// # Safety
/// `arg` must be what the call expects (a pointer to its parameter block).
unsafe fn call(op: u32, arg: usize) -> i32 {
    let mut r0 = op;
    // SAFETY: the semihosting trap; the host reads the block `arg` points to.
    unsafe {
        core::arch::asm!("bkpt #0xab", inout("r0") r0, in("r1") arg, options(nostack));
    }
    r0 as i32
}

/// The command line given with `-semihosting-config ...,arg=...`, if any.
pub fn command_line(buf: &mut [u8]) -> Option<&str> {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: the block names a buffer of `len` writable bytes; the host
    // writes the length back into block[1].
    let r = unsafe { call(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) };
    if r != 0 {
        return None;
    }
    let len = block[1].min(buf.len());
    core::str::from_utf8(&buf[..len]).ok()
}

/// Ends the emulation with `status` as QEMU's exit status.
pub fn exit(status: i32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT as usize, status as usize];
    loop {
        // SAFETY: the parameter block lives across the call.
        unsafe { call(SYS_EXIT_EXTENDED, block.as_ptr() as usize) };
    }
}
