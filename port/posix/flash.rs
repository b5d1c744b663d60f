//! The simulator's flash: a file-backed image of the file system.
//!
//! The image is the device's raw blocks, [`FLASH_BLOCK_SIZE`] bytes each,
//! exactly what a board's flash partition holds: an image prepared on the
//! simulator (`isere-sim --data IMG --put ...`) mounts on the QEMU board
//! (`data=IMG` through semihosting) and could be written to a board's flash.
//! The file is locked (`flock`) while a simulator uses it, so that two
//! simulators never write one image.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::port::{BlockDevice, FLASH_BLOCK_SIZE, FlashError};

/// Size of an image the simulator creates, unless told otherwise: 1 MiB,
/// the RP2040's file-system partition.
pub const DEFAULT_IMAGE_BYTES: u64 = 1 << 20;

/// A block device on an image file.
pub struct ImageDevice {
    file: File,
    blocks: u32,
}

/// Why an image could not be opened.
#[derive(Debug)]
pub enum ImageError {
    /// The file could not be opened, created or sized.
    Io(io::Error),
    /// Another process holds the image.
    Busy,
    /// The file's length is not a whole number of blocks (or is zero).
    BadSize(u64),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Io(e) => write!(f, "{e}"),
            ImageError::Busy => f.write_str("in use by another isere-sim"),
            ImageError::BadSize(n) => write!(
                f,
                "{n} bytes is not a whole number of {FLASH_BLOCK_SIZE}-byte blocks"
            ),
        }
    }
}

impl ImageDevice {
    /// Opens the image at `path`, creating it with `create_bytes` (rounded
    /// up to whole blocks) if it does not exist; returns whether it was
    /// created (and so needs formatting).
    pub fn open(path: &Path, create_bytes: u64) -> Result<(ImageDevice, bool), ImageError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(ImageError::Io)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(ImageError::Busy);
        }
        let mut len = file.metadata().map_err(ImageError::Io)?.len();
        let created = len == 0;
        if created {
            let block = u64::from(FLASH_BLOCK_SIZE);
            len = create_bytes.div_ceil(block).max(2) * block;
            file.set_len(len).map_err(ImageError::Io)?;
        }
        if len % u64::from(FLASH_BLOCK_SIZE) != 0
            || len / u64::from(FLASH_BLOCK_SIZE) > u64::from(u32::MAX)
        {
            return Err(ImageError::BadSize(len));
        }
        let blocks = (len / u64::from(FLASH_BLOCK_SIZE)) as u32;
        Ok((ImageDevice { file, blocks }, created))
    }

    fn offset(&self, block: u32, offset: u32, len: usize) -> Result<u64, FlashError> {
        if block >= self.blocks || offset as usize + len > FLASH_BLOCK_SIZE as usize {
            return Err(FlashError::OutOfRange);
        }
        Ok(u64::from(block) * u64::from(FLASH_BLOCK_SIZE) + u64::from(offset))
    }
}

impl BlockDevice for ImageDevice {
    fn block_count(&self) -> u32 {
        self.blocks
    }

    fn read(&mut self, block: u32, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let at = self.offset(block, offset, buf.len())?;
        self.file.read_exact_at(buf, at).map_err(|_| FlashError::Io)
    }

    fn program(&mut self, block: u32, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let at = self.offset(block, offset, data.len())?;
        self.file.write_all_at(data, at).map_err(|_| FlashError::Io)
    }

    /// A no-op: LittleFS does not rely on what an erased block reads as,
    /// and skipping the write halves the I/O of a file image.
    fn erase(&mut self, block: u32) -> Result<(), FlashError> {
        self.offset(block, 0, 0).map(drop)
    }

    /// `fdatasync`: a write the file system acknowledged survives the host
    /// losing power, not only the simulator being killed.
    fn sync(&mut self) -> Result<(), FlashError> {
        self.file.sync_data().map_err(|_| FlashError::Io)
    }
}

#[cfg(test)]
mod tests {
    use std::boxed::Box;
    use std::format;

    use super::*;
    use crate::fs::Fs;
    use crate::kv::{Kv, KvLimits, PutOptions};

    struct Clock;
    impl crate::port::Clock for Clock {
        fn unix_time(&self) -> u64 {
            1_700_000_000
        }
    }
    static CLOCK: Clock = Clock;

    #[test]
    fn an_image_is_created_locked_and_mounts_again_with_its_data() {
        let dir = std::env::temp_dir().join(format!("isere-image-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.img");
        let _ = std::fs::remove_file(&path);
        let (device, created) = ImageDevice::open(&path, 100_000).unwrap();
        assert!(created);
        assert_eq!(device.block_count(), 25, "rounded up to whole blocks");
        assert!(matches!(ImageDevice::open(&path, 0), Err(ImageError::Busy)));
        let mut fs = Fs::format(Box::new(device)).unwrap();
        let kv = Kv::open(&mut fs, "t", KvLimits::default(), &CLOCK).unwrap();
        let started = std::time::Instant::now();
        let puts = 50;
        for i in 0..puts {
            kv.put(
                &mut fs,
                &format!("key{i}"),
                b"value",
                &PutOptions::default(),
            )
            .unwrap();
        }
        let per_put = started.elapsed() / puts;
        std::eprintln!("KV put on an image file (with fdatasync): {per_put:?} each");
        drop(fs);
        let (device, created) = ImageDevice::open(&path, 0).unwrap();
        assert!(!created);
        let mut fs = Fs::mount(Box::new(device)).unwrap();
        let kv = Kv::open(&mut fs, "t", KvLimits::default(), &CLOCK).unwrap();
        assert_eq!(kv.get(&mut fs, "key7").unwrap().unwrap().value, b"value");
        drop(fs);
        std::fs::write(&path, b"odd").unwrap();
        assert!(matches!(
            ImageDevice::open(&path, 0),
            Err(ImageError::BadSize(3))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
