//! ARM semihosting: the board's way to talk to the host QEMU runs on.
//!
//! Used to read the command line, to keep the file system in a host file
//! ([`HostImage`]), (`-semihosting-config enable=on,arg=...`;
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

const SYS_OPEN: u32 = 0x01;
const SYS_CLOSE: u32 = 0x02;
const SYS_READ: u32 = 0x06;
const SYS_FLEN: u32 = 0x0C;
/// `fopen` mode "rb" in the semihosting numbering.
const MODE_READ_BINARY: usize = 1;

/// Opens the host file `path` (relative to QEMU's working directory) in the
/// semihosting `fopen` mode `mode`; its handle, or `None`.
fn open_host(path: &str, mode: usize) -> Option<usize> {
    let mut name = alloc::vec::Vec::with_capacity(path.len() + 1);
    name.extend_from_slice(path.as_bytes());
    name.push(0);
    let block = [name.as_ptr() as usize, mode, path.len()];
    // SAFETY: the block names a NUL-terminated path of `len` bytes.
    let handle = unsafe { call(SYS_OPEN, block.as_ptr() as usize) };
    (handle >= 0).then_some(handle as usize)
}

/// Reads a whole file of the host (relative to QEMU's working directory).
pub fn read_file(path: &str) -> Result<alloc::vec::Vec<u8>, &'static str> {
    let handle = open_host(path, MODE_READ_BINARY).ok_or("cannot open the file on the host")?;
    let block = [handle];
    // SAFETY: the block holds an open handle.
    let len = unsafe { call(SYS_FLEN, block.as_ptr() as usize) };
    let result = if len < 0 {
        Err("cannot read the file's length")
    } else {
        let mut data = alloc::vec![0u8; len as usize];
        let read = [handle, data.as_mut_ptr() as usize, data.len()];
        // SAFETY: the block names `len` writable bytes; the host returns how
        // many it did not fill.
        let left = unsafe { call(SYS_READ, read.as_ptr() as usize) };
        if left != 0 {
            Err("short read from the host")
        } else {
            Ok(data)
        }
    };
    // SAFETY: closes the handle opened above.
    unsafe { call(SYS_CLOSE, block.as_ptr() as usize) };
    result
}

const SYS_WRITE: u32 = 0x05;
const SYS_SEEK: u32 = 0x0A;
/// `fopen` modes "r+b" and "w+b" in the semihosting numbering.
const MODE_UPDATE_BINARY: usize = 3;
const MODE_CREATE_BINARY: usize = 7;

/// The board's flash as a file of the host: the file system persists across
/// boots, and an image prepared with `isere-sim --data IMG --put ...`
/// mounts here (`data=IMG`). Each block operation is a semihosting call,
/// which QEMU carries out synchronously with the host's `read`/`write`.
pub struct HostImage {
    handle: usize,
    blocks: u32,
}

impl HostImage {
    /// Opens the host file `path` (relative to QEMU's working directory),
    /// creating it with `create_bytes` if it does not exist.
    pub fn open(path: &str, create_bytes: u32) -> Result<HostImage, &'static str> {
        let handle = open_host(path, MODE_UPDATE_BINARY)
            .or_else(|| open_host(path, MODE_CREATE_BINARY))
            .ok_or("cannot open or create the image on the host")?;
        let mut image = HostImage { handle, blocks: 0 };
        let block = [image.handle];
        // SAFETY: the block holds an open handle.
        let mut len = unsafe { call(SYS_FLEN, block.as_ptr() as usize) };
        if len == 0 {
            // A new image: give it its size by writing its last byte.
            len = create_bytes as i32;
            image.write_at(create_bytes as usize - 1, &[0xFF])?;
        }
        let block_size = isere::port::FLASH_BLOCK_SIZE as i32;
        if len <= 0 || len % block_size != 0 {
            return Err("the image is not a whole number of 4096-byte blocks");
        }
        image.blocks = (len / block_size) as u32;
        Ok(image)
    }

    fn seek(&self, at: usize) -> Result<(), isere::port::FlashError> {
        let block = [self.handle, at];
        // SAFETY: the block holds an open handle and a position.
        match unsafe { call(SYS_SEEK, block.as_ptr() as usize) } {
            0 => Ok(()),
            _ => Err(isere::port::FlashError::Io),
        }
    }

    fn write_at(&self, at: usize, data: &[u8]) -> Result<(), &'static str> {
        self.seek(at).map_err(|_| "cannot seek in the image")?;
        let block = [self.handle, data.as_ptr() as usize, data.len()];
        // SAFETY: the block names `len` readable bytes; the host returns how
        // many it did not write.
        match unsafe { call(SYS_WRITE, block.as_ptr() as usize) } {
            0 => Ok(()),
            _ => Err("short write to the image"),
        }
    }

    fn offset(
        &self,
        block: u32,
        offset: u32,
        len: usize,
    ) -> Result<usize, isere::port::FlashError> {
        let size = isere::port::FLASH_BLOCK_SIZE;
        if block >= self.blocks || offset as usize + len > size as usize {
            return Err(isere::port::FlashError::OutOfRange);
        }
        Ok(block as usize * size as usize + offset as usize)
    }
}

impl isere::port::BlockDevice for HostImage {
    fn block_count(&self) -> u32 {
        self.blocks
    }

    fn read(
        &mut self,
        block: u32,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<(), isere::port::FlashError> {
        let at = self.offset(block, offset, buf.len())?;
        self.seek(at)?;
        let args = [self.handle, buf.as_mut_ptr() as usize, buf.len()];
        // SAFETY: the block names `len` writable bytes; the host returns how
        // many it did not fill.
        match unsafe { call(SYS_READ, args.as_ptr() as usize) } {
            0 => Ok(()),
            _ => Err(isere::port::FlashError::Io),
        }
    }

    fn program(
        &mut self,
        block: u32,
        offset: u32,
        data: &[u8],
    ) -> Result<(), isere::port::FlashError> {
        let at = self.offset(block, offset, data.len())?;
        self.write_at(at, data)
            .map_err(|_| isere::port::FlashError::Io)
    }

    /// A no-op, as for the simulator's image: LittleFS does not rely on
    /// what an erased block reads as.
    fn erase(&mut self, block: u32) -> Result<(), isere::port::FlashError> {
        self.offset(block, 0, 0).map(drop)
    }

    /// Every write already went to the host file.
    fn sync(&mut self) -> Result<(), isere::port::FlashError> {
        Ok(())
    }
}

/// Fills `buf` from the start of a host file (e.g. `/dev/urandom`), without
/// asking its length (a device has none).
pub fn read_exact(path: &str, buf: &mut [u8]) -> Result<(), &'static str> {
    let handle = open_host(path, MODE_READ_BINARY).ok_or("cannot open the file on the host")?;
    let read = [handle, buf.as_mut_ptr() as usize, buf.len()];
    // SAFETY: the block names `len` writable bytes; the host returns how
    // many it did not fill.
    let left = unsafe { call(SYS_READ, read.as_ptr() as usize) };
    let block = [handle];
    // SAFETY: closes the handle opened above.
    unsafe { call(SYS_CLOSE, block.as_ptr() as usize) };
    if left == 0 {
        Ok(())
    } else {
        Err("short read from the host")
    }
}
