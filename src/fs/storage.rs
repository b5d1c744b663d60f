//! The device's file system, shared between tasks.

use super::{File, Fs, FsError, SeekFrom, Stamp};
use crate::rtos::{Mutex, OutOfMemory};

/// An [`Fs`] behind a FreeRTOS mutex: every task that uses the file system
/// (connection tasks serving static files, the KV binding's worker) takes
/// it for one operation at a time.
pub struct Storage {
    fs: Mutex<Fs>,
}

impl Storage {
    /// Shares `fs` (needs the FreeRTOS heap for the mutex).
    pub fn new(fs: Fs) -> Result<Storage, OutOfMemory> {
        Ok(Storage {
            fs: Mutex::new(fs)?,
        })
    }

    /// Runs `f` with the file system locked (tasks only, not from an ISR).
    /// Keep `f` short: other tasks wait for it.
    pub fn with<R>(&self, f: impl FnOnce(&mut Fs) -> R) -> R {
        self.fs.with(f)
    }

    /// Opens `path` for reading as a [`SharedFile`], which takes the lock
    /// for each read and closes the file when dropped.
    pub fn open_shared(&'static self, path: &str) -> Result<SharedFile, FsError> {
        let file = self.with(|fs| fs.open(path, super::OpenOptions::new().read(true)))?;
        Ok(SharedFile {
            storage: self,
            file: Some(file),
        })
    }
}

/// A file of a [`Storage`] open for reading, usable across lock releases
/// (a response streamed to a slow client holds the file, not the lock).
pub struct SharedFile {
    storage: &'static Storage,
    file: Option<File>,
}

impl SharedFile {
    fn with<R>(&self, f: impl FnOnce(&mut Fs, &File) -> Result<R, FsError>) -> Result<R, FsError> {
        let file = self.file.as_ref().ok_or(FsError::BadHandle)?;
        self.storage.with(|fs| f(fs, file))
    }

    /// The file's length.
    pub fn size(&self) -> Result<u32, FsError> {
        self.with(|fs, file| fs.file_size(file))
    }

    /// The file's stamp.
    pub fn stamp(&self) -> Result<Stamp, FsError> {
        self.with(|fs, file| fs.file_stamp(file))
    }

    /// Reads up to `buf.len()` bytes at `offset`; `Ok(0)` at the end.
    pub fn read_at(&self, offset: u32, buf: &mut [u8]) -> Result<usize, FsError> {
        self.with(|fs, file| {
            fs.seek(file, SeekFrom::Start(offset))?;
            fs.read_full(file, buf)
        })
    }
}

impl Drop for SharedFile {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = self.storage.with(|fs| fs.close(file));
        }
    }
}
