//! The file system: LittleFS over the port's flash ([`crate::port::BlockDevice`]).
//!
//! A thin safe layer of our own over the C library as bundled by
//! `littlefs2-sys` (the high-level `littlefs2` crate does not build for
//! `thumbv6m-none-eabi`). LittleFS is power-loss resilient: every file
//! operation is copy-on-write, a file's new contents (and its custom
//! attributes) become visible atomically when it is synced or closed, and a
//! rename or remove is one atomic metadata commit. After a power cut the file
//! system mounts in its last committed state.
//!
//! * [`Fs`]: one mounted file system, used through `&mut self` (no locking:
//!   unit tests and start-up code use it directly).
//! * [`Storage`]: an [`Fs`] behind a FreeRTOS mutex, for the tasks that
//!   share it (connection tasks serving static files, the KV binding's
//!   worker); the composition root makes one and hands it down in
//!   [`crate::services::Services`].
//! * [`ram::RamDevice`]: a block device in RAM (tests, boards without flash).
//!
//! Open files are kept in a table inside [`Fs`] (LittleFS links each open
//! file into its own list, so the C structure must not move while open); a
//! [`File`] is a handle into that table, so a task can release the lock
//! between two reads of the same file. A handle used after `close` (or
//! forged) is refused with [`FsError::BadHandle`], never undefined behaviour.
//!
//! Every file written through this layer carries a *stamp* (a LittleFS
//! custom attribute committed with its contents): the time it was written
//! and, when it was written in one sequential pass, an FNV-1a hash of its
//! contents. The static file server makes its `ETag` and `Last-Modified`
//! from it.
//!
//! Geometry: blocks of [`crate::port::FLASH_BLOCK_SIZE`] bytes, reads of 16,
//! programs of 256 (a flash page), caches of 256 bytes: under 1 KiB of RAM
//! for a mounted file system plus under 0.5 KiB per open file (a unit test
//! holds these bounds).

pub mod ram;
mod storage;

/// Where the device keeps its own data: the stored configuration, the
/// deployed bundles and what guards them.
pub const DEVICE_DIR: &str = "/.isere";
/// Where the KV store keeps its namespaces.
pub const KV_DIR: &str = "/kv";
/// The device's private directories: no static route may reach them.
pub const PRIVATE_DIRS: [&str; 2] = [DEVICE_DIR, KV_DIR];

pub use storage::{SharedFile, Storage};

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::{c_int, c_void};
use core::ptr::{self, NonNull};

use littlefs2_sys as lfs;

use crate::port::{BlockDevice, Clock, FLASH_BLOCK_SIZE};

/// Bytes LittleFS reads at a time.
const READ_SIZE: u32 = 16;
/// Bytes LittleFS programs at a time (a flash page).
const PROG_SIZE: u32 = 256;
/// Size of each cache: the read and program caches and one per open file.
const CACHE_SIZE: usize = 256;
/// Lookahead bitmap (bits = blocks scanned per allocation pass).
const LOOKAHEAD_SIZE: usize = 32;
/// Erase cycles of a metadata block before LittleFS moves it (wear levelling).
const BLOCK_CYCLES: i32 = 500;
/// Longest path accepted (LittleFS names are at most 255 bytes each).
pub const MAX_PATH: usize = 1024;
/// Longest file name.
pub const MAX_NAME: usize = 255;

/// The custom attribute holding a file's [`Stamp`].
const STAMP_ATTR: u8 = 0x53;
const STAMP_LEN: usize = 16;

/// Why a file-system operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    /// The block device failed.
    Io,
    /// The file system's structures are damaged (or it was never formatted).
    Corrupt,
    /// No such file or directory.
    NotFound,
    /// The entry already exists.
    Exists,
    /// A path component is not a directory.
    NotADirectory,
    /// The entry is a directory.
    IsADirectory,
    /// The directory is not empty.
    NotEmpty,
    /// A file handle that is closed or was never opened.
    BadHandle,
    /// The file would grow past the largest size.
    FileTooLarge,
    /// An invalid argument (a path with a NUL byte, a bad seek...).
    Invalid,
    /// The device is full.
    NoSpace,
    /// Out of memory.
    NoMemory,
    /// The entry has no such attribute.
    NoAttribute,
    /// A path component is longer than [`MAX_NAME`], or the path than [`MAX_PATH`].
    NameTooLong,
    /// Any other LittleFS error code.
    Other(i32),
}

impl FsError {
    fn from_code(code: c_int) -> FsError {
        match code {
            lfs::lfs_error_LFS_ERR_IO => FsError::Io,
            lfs::lfs_error_LFS_ERR_CORRUPT => FsError::Corrupt,
            lfs::lfs_error_LFS_ERR_NOENT => FsError::NotFound,
            lfs::lfs_error_LFS_ERR_EXIST => FsError::Exists,
            lfs::lfs_error_LFS_ERR_NOTDIR => FsError::NotADirectory,
            lfs::lfs_error_LFS_ERR_ISDIR => FsError::IsADirectory,
            lfs::lfs_error_LFS_ERR_NOTEMPTY => FsError::NotEmpty,
            lfs::lfs_error_LFS_ERR_BADF => FsError::BadHandle,
            lfs::lfs_error_LFS_ERR_FBIG => FsError::FileTooLarge,
            lfs::lfs_error_LFS_ERR_INVAL => FsError::Invalid,
            lfs::lfs_error_LFS_ERR_NOSPC => FsError::NoSpace,
            lfs::lfs_error_LFS_ERR_NOMEM => FsError::NoMemory,
            lfs::lfs_error_LFS_ERR_NOATTR => FsError::NoAttribute,
            lfs::lfs_error_LFS_ERR_NAMETOOLONG => FsError::NameTooLong,
            other => FsError::Other(other),
        }
    }
}

impl core::fmt::Display for FsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FsError::Io => f.write_str("flash I/O error"),
            FsError::Corrupt => f.write_str("file system corrupt or not formatted"),
            FsError::NotFound => f.write_str("no such file or directory"),
            FsError::Exists => f.write_str("already exists"),
            FsError::NotADirectory => f.write_str("not a directory"),
            FsError::IsADirectory => f.write_str("is a directory"),
            FsError::NotEmpty => f.write_str("directory not empty"),
            FsError::BadHandle => f.write_str("file handle not open"),
            FsError::FileTooLarge => f.write_str("file too large"),
            FsError::Invalid => f.write_str("invalid argument"),
            FsError::NoSpace => f.write_str("no space left on the file system"),
            FsError::NoMemory => f.write_str("out of memory"),
            FsError::NoAttribute => f.write_str("no such attribute"),
            FsError::NameTooLong => f.write_str("name too long"),
            FsError::Other(code) => write!(f, "file system error {code}"),
        }
    }
}

/// A LittleFS return value: negative is an error, else a count.
fn check(code: c_int) -> Result<u32, FsError> {
    if code < 0 {
        Err(FsError::from_code(code))
    } else {
        Ok(code as u32)
    }
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// What [`Fs::stat`] tells about an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// File or directory.
    pub kind: FileKind,
    /// Size in bytes (0 for directories).
    pub size: u32,
}

/// One entry of a directory (without `.` and `..`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name (LittleFS names are bytes; ours are UTF-8, others are
    /// shown lossily).
    pub name: String,
    /// File or directory.
    pub kind: FileKind,
    /// Size in bytes (0 for directories).
    pub size: u32,
}

/// When a file was written and what it holds, as recorded when it was
/// written through this layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Stamp {
    /// Seconds since the Unix epoch, if the writer had a clock.
    pub mtime: Option<u64>,
    /// FNV-1a 64 of the contents, if the file was written in one pass.
    pub content_hash: Option<u64>,
}

impl Stamp {
    fn decode(raw: &[u8; STAMP_LEN]) -> Stamp {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[i..i + 8]);
            u64::from_le_bytes(b)
        };
        Stamp {
            mtime: Some(word(0)).filter(|&t| t != 0),
            content_hash: Some(word(8)).filter(|&h| h != 0),
        }
    }

    fn encode(&self) -> [u8; STAMP_LEN] {
        let mut raw = [0u8; STAMP_LEN];
        raw[..8].copy_from_slice(&self.mtime.unwrap_or(0).to_le_bytes());
        raw[8..].copy_from_slice(&self.content_hash.unwrap_or(0).to_le_bytes());
        raw
    }
}

/// FNV-1a, 64 bits: the content hash of a [`Stamp`].
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a(u64);

impl Fnv1a {
    /// The hash of nothing.
    pub const fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

/// How to open a file (like `std::fs::OpenOptions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    create: bool,
    create_new: bool,
    truncate: bool,
    append: bool,
}

impl OpenOptions {
    /// Nothing set (set at least `read` or `write`).
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }
    /// Read access.
    pub fn read(mut self, on: bool) -> Self {
        self.read = on;
        self
    }
    /// Write access.
    pub fn write(mut self, on: bool) -> Self {
        self.write = on;
        self
    }
    /// Create the file if it does not exist.
    pub fn create(mut self, on: bool) -> Self {
        self.create = on;
        self
    }
    /// Create the file, failing with [`FsError::Exists`] if it exists.
    pub fn create_new(mut self, on: bool) -> Self {
        self.create_new = on;
        self
    }
    /// Empty the file when opening it.
    pub fn truncate(mut self, on: bool) -> Self {
        self.truncate = on;
        self
    }
    /// Write at the end of the file, always.
    pub fn append(mut self, on: bool) -> Self {
        self.append = on;
        self
    }

    fn flags(&self) -> Result<c_int, FsError> {
        let mut flags = match (self.read, self.write || self.append) {
            (true, false) => lfs::lfs_open_flags_LFS_O_RDONLY,
            (false, true) => lfs::lfs_open_flags_LFS_O_WRONLY,
            (true, true) => lfs::lfs_open_flags_LFS_O_RDWR,
            (false, false) => return Err(FsError::Invalid),
        };
        if self.create || self.create_new {
            flags |= lfs::lfs_open_flags_LFS_O_CREAT;
        }
        if self.create_new {
            flags |= lfs::lfs_open_flags_LFS_O_EXCL;
        }
        if self.truncate {
            flags |= lfs::lfs_open_flags_LFS_O_TRUNC;
        }
        if self.append {
            flags |= lfs::lfs_open_flags_LFS_O_APPEND;
        }
        Ok(flags as c_int)
    }
}

/// Where [`Fs::seek`] moves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekFrom {
    /// Bytes from the start.
    Start(u32),
    /// Bytes from the end (usually negative).
    End(i32),
    /// Bytes from the current position.
    Current(i32),
}

/// How much of the device is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Block size in bytes.
    pub block_size: u32,
    /// Blocks on the device.
    pub block_count: u32,
    /// Blocks in use (files, directories, metadata).
    pub blocks_used: u32,
}

/// A handle to a file open in an [`Fs`]: pass it back to the `Fs` to read,
/// write or close it. Not `Clone`: [`Fs::close`] takes it.
#[derive(Debug, PartialEq, Eq)]
pub struct File {
    slot: u16,
    generation: u32,
}

/// What LittleFS needs to stay put while it is mounted: its state, its
/// configuration (whose `context` points at `device`) and its buffers.
struct Mounted {
    lfs: lfs::lfs_t,
    config: lfs::lfs_config,
    device: Box<dyn BlockDevice>,
    read_buffer: [u8; CACHE_SIZE],
    prog_buffer: [u8; CACHE_SIZE],
    lookahead: [u64; LOOKAHEAD_SIZE / 8],
}

/// An open file's LittleFS structure, its cache and its stamp attribute;
/// boxed so that the pointers between them (and LittleFS's list of open
/// files) stay valid.
struct OpenSlot {
    file: lfs::lfs_file_t,
    config: lfs::lfs_file_config,
    attr: lfs::lfs_attr,
    stamp: [u8; STAMP_LEN],
    buffer: [u8; CACHE_SIZE],
    generation: u32,
    /// The hash of bytes `0..hashed` while the file is written sequentially
    /// from empty; `None` once it is not.
    hasher: Option<(Fnv1a, u32)>,
    written: bool,
    mtime: Option<u64>,
}

/// A mounted LittleFS file system on a block device.
pub struct Fs {
    mounted: NonNull<Mounted>,
    files: Vec<Option<Box<OpenSlot>>>,
    next_generation: u32,
    clock: Option<&'static dyn Clock>,
}

// SAFETY: `Fs` owns the device (`Send`) and every buffer LittleFS points
// into; nothing is shared with another `Fs`.
unsafe impl Send for Fs {}

impl Fs {
    /// Mounts the file system on `device`; [`FsError::Corrupt`] if it holds
    /// none.
    pub fn mount(device: Box<dyn BlockDevice>) -> Result<Fs, FsError> {
        let fs = Fs::prepare(device);
        // SAFETY: `prepare` set up the configuration and its buffers.
        let r = unsafe { lfs::lfs_mount(fs.lfs(), fs.config()) };
        check(r)?;
        Ok(fs)
    }

    /// Formats `device` (losing what it held) and mounts it.
    pub fn format(device: Box<dyn BlockDevice>) -> Result<Fs, FsError> {
        let fs = Fs::prepare(device);
        // SAFETY: as in `mount`; format leaves the state unmounted.
        check(unsafe { lfs::lfs_format(fs.lfs(), fs.config()) })?;
        // SAFETY: as in `mount`.
        check(unsafe { lfs::lfs_mount(fs.lfs(), fs.config()) })?;
        Ok(fs)
    }

    /// Mounts the file system on `device`, formatting it first if it holds
    /// none (first use of a board's flash). Device errors are returned, not
    /// formatted over.
    pub fn mount_or_format(device: Box<dyn BlockDevice>) -> Result<Fs, FsError> {
        let fs = Fs::prepare(device);
        // SAFETY: as in `mount`.
        match check(unsafe { lfs::lfs_mount(fs.lfs(), fs.config()) }) {
            Ok(_) => Ok(fs),
            Err(FsError::Corrupt) => {
                log::info!(target: "fs", "no file system on the flash: formatting");
                // SAFETY: as in `format`.
                check(unsafe { lfs::lfs_format(fs.lfs(), fs.config()) })?;
                // SAFETY: as in `mount`.
                check(unsafe { lfs::lfs_mount(fs.lfs(), fs.config()) })?;
                Ok(fs)
            }
            Err(e) => Err(e),
        }
    }

    fn prepare(device: Box<dyn BlockDevice>) -> Fs {
        let block_count = device.block_count();
        let mounted = Box::new(Mounted {
            lfs: lfs::lfs_t::default(),
            config: lfs::lfs_config::default(),
            device,
            read_buffer: [0; CACHE_SIZE],
            prog_buffer: [0; CACHE_SIZE],
            lookahead: [0; LOOKAHEAD_SIZE / 8],
        });
        let p = Box::into_raw(mounted);
        // SAFETY: `p` is the box just leaked; the pointers stored into the
        // configuration point into it and live as long as the `Fs`.
        unsafe {
            (*p).config = lfs::lfs_config {
                context: ptr::addr_of_mut!((*p).device).cast(),
                read: Some(device_read),
                prog: Some(device_program),
                erase: Some(device_erase),
                sync: Some(device_sync),
                read_size: READ_SIZE,
                prog_size: PROG_SIZE,
                block_size: FLASH_BLOCK_SIZE,
                block_count,
                block_cycles: BLOCK_CYCLES,
                cache_size: CACHE_SIZE as u32,
                lookahead_size: LOOKAHEAD_SIZE as u32,
                read_buffer: ptr::addr_of_mut!((*p).read_buffer).cast(),
                prog_buffer: ptr::addr_of_mut!((*p).prog_buffer).cast(),
                lookahead_buffer: ptr::addr_of_mut!((*p).lookahead).cast(),
                ..lfs::lfs_config::default()
            };
        }
        Fs {
            // SAFETY: from `Box::into_raw`, never null.
            mounted: unsafe { NonNull::new_unchecked(p) },
            files: Vec::new(),
            next_generation: 1,
            clock: None,
        }
    }

    fn lfs(&self) -> *mut lfs::lfs_t {
        // SAFETY: a field of the live allocation; no reference is made.
        unsafe { ptr::addr_of_mut!((*self.mounted.as_ptr()).lfs) }
    }

    fn config(&self) -> *const lfs::lfs_config {
        // SAFETY: as in `lfs`.
        unsafe { ptr::addr_of!((*self.mounted.as_ptr()).config) }
    }

    /// The clock that stamps files written from now on.
    pub fn set_clock(&mut self, clock: &'static dyn Clock) {
        self.clock = Some(clock);
    }

    fn now(&self) -> Option<u64> {
        self.clock.map(|c| c.unix_time()).filter(|&t| t != 0)
    }

    /// Blocks used and available.
    pub fn usage(&mut self) -> Result<Usage, FsError> {
        // SAFETY: a mounted file system.
        let used = check(unsafe { lfs::lfs_fs_size(self.lfs()) })?;
        // SAFETY: reads our own configuration.
        let block_count = unsafe { (*self.config()).block_count };
        Ok(Usage {
            block_size: FLASH_BLOCK_SIZE,
            block_count,
            blocks_used: used,
        })
    }

    /// Information about the entry at `path`.
    pub fn stat(&mut self, path: &str) -> Result<Metadata, FsError> {
        let path = c_path(path)?;
        let mut info = lfs::lfs_info::default();
        // SAFETY: a NUL-terminated path and an info structure to fill.
        check(unsafe { lfs::lfs_stat(self.lfs(), path.as_ptr().cast(), &mut info) })?;
        Ok(metadata(&info))
    }

    /// Whether something exists at `path`.
    pub fn exists(&mut self, path: &str) -> Result<bool, FsError> {
        match self.stat(path) {
            Ok(_) => Ok(true),
            Err(FsError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates the directory `path` (its parent must exist).
    pub fn mkdir(&mut self, path: &str) -> Result<(), FsError> {
        let path = c_path(path)?;
        // SAFETY: a NUL-terminated path.
        check(unsafe { lfs::lfs_mkdir(self.lfs(), path.as_ptr().cast()) }).map(drop)
    }

    /// Creates the directory `path` and any missing parents; fine if it exists.
    pub fn create_dir_all(&mut self, path: &str) -> Result<(), FsError> {
        let mut prefix = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            prefix.push('/');
            prefix.push_str(part);
            match self.mkdir(&prefix) {
                Ok(()) | Err(FsError::Exists) => {}
                Err(e) => return Err(e),
            }
        }
        match self.stat(path)?.kind {
            FileKind::Dir => Ok(()),
            FileKind::File => Err(FsError::NotADirectory),
        }
    }

    /// Removes the file or empty directory `path`.
    pub fn remove(&mut self, path: &str) -> Result<(), FsError> {
        let path = c_path(path)?;
        // SAFETY: a NUL-terminated path.
        check(unsafe { lfs::lfs_remove(self.lfs(), path.as_ptr().cast()) }).map(drop)
    }

    /// Renames `from` to `to`, atomically replacing a file (or empty
    /// directory) at `to`.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        let from = c_path(from)?;
        let to = c_path(to)?;
        // SAFETY: two NUL-terminated paths.
        check(unsafe { lfs::lfs_rename(self.lfs(), from.as_ptr().cast(), to.as_ptr().cast()) })
            .map(drop)
    }

    /// Calls `f` with each entry of the directory `path` (without `.` and
    /// `..`), in LittleFS's order; stops early when `f` returns `false`.
    pub fn visit_dir(
        &mut self,
        path: &str,
        mut f: impl FnMut(&DirEntry) -> bool,
    ) -> Result<(), FsError> {
        let path = c_path(path)?;
        // The directory handle is linked into LittleFS's list of open
        // handles while open: keep it boxed and close it before returning.
        let mut dir = Box::new(lfs::lfs_dir_t::default());
        // SAFETY: a NUL-terminated path and a directory structure to fill.
        check(unsafe { lfs::lfs_dir_open(self.lfs(), &mut *dir, path.as_ptr().cast()) })?;
        let mut info = Box::new(lfs::lfs_info::default());
        let result = loop {
            // SAFETY: an open directory and an info structure to fill.
            match check(unsafe { lfs::lfs_dir_read(self.lfs(), &mut *dir, &mut *info) }) {
                Ok(0) => break Ok(()),
                Ok(_) => {
                    let name = info_name(&info);
                    if name == b"." || name == b".." {
                        continue;
                    }
                    let meta = metadata(&info);
                    let entry = DirEntry {
                        name: String::from_utf8_lossy(name).into_owned(),
                        kind: meta.kind,
                        size: meta.size,
                    };
                    if !f(&entry) {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        // SAFETY: closes the directory opened above.
        let closed = check(unsafe { lfs::lfs_dir_close(self.lfs(), &mut *dir) });
        result.and(closed.map(drop))
    }

    /// The entries of the directory `path`.
    pub fn read_dir(&mut self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let mut out = Vec::new();
        self.visit_dir(path, |e| {
            out.push(e.clone());
            true
        })?;
        Ok(out)
    }

    /// Reads the custom attribute `kind` of `path` into `buf`; returns its
    /// full size (which may exceed `buf.len()`).
    pub fn get_attr(&mut self, path: &str, kind: u8, buf: &mut [u8]) -> Result<usize, FsError> {
        let path = c_path(path)?;
        // SAFETY: a NUL-terminated path and a buffer of `len` bytes.
        let n = check(unsafe {
            lfs::lfs_getattr(
                self.lfs(),
                path.as_ptr().cast(),
                kind,
                buf.as_mut_ptr().cast(),
                buf.len() as u32,
            )
        })?;
        Ok(n as usize)
    }

    /// Sets the custom attribute `kind` of `path` (at most 1022 bytes).
    pub fn set_attr(&mut self, path: &str, kind: u8, value: &[u8]) -> Result<(), FsError> {
        let path = c_path(path)?;
        // SAFETY: a NUL-terminated path and `len` readable bytes.
        check(unsafe {
            lfs::lfs_setattr(
                self.lfs(),
                path.as_ptr().cast(),
                kind,
                value.as_ptr().cast(),
                value.len() as u32,
            )
        })
        .map(drop)
    }

    /// Removes the custom attribute `kind` of `path`.
    pub fn remove_attr(&mut self, path: &str, kind: u8) -> Result<(), FsError> {
        let path = c_path(path)?;
        // SAFETY: a NUL-terminated path.
        check(unsafe { lfs::lfs_removeattr(self.lfs(), path.as_ptr().cast(), kind) }).map(drop)
    }

    /// The stamp of the file at `path` (empty if it was not written through
    /// this layer).
    pub fn stamp(&mut self, path: &str) -> Result<Stamp, FsError> {
        let mut raw = [0u8; STAMP_LEN];
        match self.get_attr(path, STAMP_ATTR, &mut raw) {
            Ok(_) => Ok(Stamp::decode(&raw)),
            Err(FsError::NoAttribute) => Ok(Stamp::default()),
            Err(e) => Err(e),
        }
    }

    /// Opens the file at `path`.
    pub fn open(&mut self, path: &str, options: OpenOptions) -> Result<File, FsError> {
        let flags = options.flags()?;
        let cpath = c_path(path)?;
        let index = match self.files.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                if self.files.len() >= usize::from(u16::MAX) {
                    return Err(FsError::NoMemory);
                }
                self.files.push(None);
                self.files.len() - 1
            }
        };
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        let mut slot = Box::new(OpenSlot {
            file: lfs::lfs_file_t::default(),
            config: lfs::lfs_file_config::default(),
            attr: lfs::lfs_attr::default(),
            stamp: [0; STAMP_LEN],
            buffer: [0; CACHE_SIZE],
            generation,
            hasher: None,
            written: false,
            mtime: None,
        });
        slot.attr = lfs::lfs_attr {
            type_: STAMP_ATTR,
            buffer: slot.stamp.as_mut_ptr().cast(),
            size: STAMP_LEN as u32,
        };
        slot.config = lfs::lfs_file_config {
            buffer: slot.buffer.as_mut_ptr().cast(),
            attrs: &mut slot.attr,
            attr_count: 1,
        };
        let s: &mut OpenSlot = &mut slot;
        // SAFETY: the slot is boxed (its address is stable) and stays in the
        // table until `close`; the path is NUL-terminated.
        check(unsafe {
            lfs::lfs_file_opencfg(
                self.lfs(),
                &mut s.file,
                cpath.as_ptr().cast(),
                flags,
                &s.config,
            )
        })?;
        // SAFETY: the file was just opened.
        let size = unsafe { lfs::lfs_file_size(self.lfs(), &mut s.file) };
        if size == 0 {
            s.hasher = Some((Fnv1a::new(), 0));
        }
        self.files[index] = Some(slot);
        Ok(File {
            slot: index as u16,
            generation,
        })
    }

    fn slot(&mut self, file: &File) -> Result<&mut OpenSlot, FsError> {
        match self.files.get_mut(usize::from(file.slot)) {
            Some(Some(s)) if s.generation == file.generation => Ok(s),
            _ => Err(FsError::BadHandle),
        }
    }

    /// Reads from the current position into `buf`; `Ok(0)` at the end.
    pub fn read(&mut self, file: &File, buf: &mut [u8]) -> Result<usize, FsError> {
        let lfs = self.lfs();
        let s = self.slot(file)?;
        let len = buf.len().min(i32::MAX as usize) as u32;
        // SAFETY: an open file and a buffer of `len` bytes.
        let n =
            check(unsafe { lfs::lfs_file_read(lfs, &mut s.file, buf.as_mut_ptr().cast(), len) })?;
        Ok(n as usize)
    }

    /// Reads until `buf` is full or the file ends; returns the bytes read.
    pub fn read_full(&mut self, file: &File, buf: &mut [u8]) -> Result<usize, FsError> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.read(file, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// Writes all of `data` at the current position (the end in append mode).
    pub fn write(&mut self, file: &File, data: &[u8]) -> Result<(), FsError> {
        let lfs = self.lfs();
        let s = self.slot(file)?;
        // SAFETY: an open file.
        let pos = unsafe { lfs::lfs_file_tell(lfs, &mut s.file) };
        // SAFETY: as above.
        let size = unsafe { lfs::lfs_file_size(lfs, &mut s.file) };
        let appending = s.file.flags & lfs::lfs_open_flags_LFS_O_APPEND != 0;
        let at = if appending { size } else { pos };
        match &mut s.hasher {
            Some((h, hashed)) if at >= 0 && at as u32 == *hashed && size as u32 == *hashed => {
                h.update(data);
                *hashed = hashed.saturating_add(data.len() as u32);
            }
            _ => s.hasher = None,
        }
        s.written = true;
        let mut rest = data;
        while !rest.is_empty() {
            let len = rest.len().min(i32::MAX as usize) as u32;
            // SAFETY: an open file and `len` readable bytes.
            let n =
                check(unsafe { lfs::lfs_file_write(lfs, &mut s.file, rest.as_ptr().cast(), len) })?;
            if n == 0 {
                return Err(FsError::NoSpace);
            }
            rest = &rest[n as usize..];
        }
        Ok(())
    }

    /// Moves the position; returns the new one.
    pub fn seek(&mut self, file: &File, to: SeekFrom) -> Result<u32, FsError> {
        let lfs = self.lfs();
        let s = self.slot(file)?;
        let (off, whence) = match to {
            SeekFrom::Start(n) => (
                i32::try_from(n).map_err(|_| FsError::Invalid)?,
                lfs::lfs_whence_flags_LFS_SEEK_SET,
            ),
            SeekFrom::End(n) => (n, lfs::lfs_whence_flags_LFS_SEEK_END),
            SeekFrom::Current(n) => (n, lfs::lfs_whence_flags_LFS_SEEK_CUR),
        };
        // SAFETY: an open file.
        check(unsafe { lfs::lfs_file_seek(lfs, &mut s.file, off, whence as c_int) })
    }

    /// Sets the file's length (cutting or zero-extending it).
    pub fn truncate(&mut self, file: &File, len: u32) -> Result<(), FsError> {
        let lfs = self.lfs();
        let s = self.slot(file)?;
        if !matches!(s.hasher, Some((_, hashed)) if hashed == len) {
            s.hasher = None;
        }
        s.written = true;
        // SAFETY: an open file.
        check(unsafe { lfs::lfs_file_truncate(lfs, &mut s.file, len) }).map(drop)
    }

    /// The file's current length.
    pub fn file_size(&mut self, file: &File) -> Result<u32, FsError> {
        let lfs = self.lfs();
        let s = self.slot(file)?;
        // SAFETY: an open file.
        check(unsafe { lfs::lfs_file_size(lfs, &mut s.file) })
    }

    /// The stamp the file had when it was opened with read access (or the
    /// one it will get if it was written since).
    pub fn file_stamp(&mut self, file: &File) -> Result<Stamp, FsError> {
        Ok(Stamp::decode(&self.slot(file)?.stamp))
    }

    /// Records `mtime` (Unix seconds) as the file's modification time when
    /// it is next synced (instead of the clock's time).
    pub fn set_mtime(&mut self, file: &File, mtime: u64) -> Result<(), FsError> {
        self.slot(file)?.mtime = Some(mtime);
        Ok(())
    }

    /// Fills the stamp a written file gets at its next sync or close.
    fn prepare_stamp(&mut self, file: &File) -> Result<(), FsError> {
        let now = self.now();
        let s = self.slot(file)?;
        if s.written || s.mtime.is_some() {
            let stamp = Stamp {
                mtime: s.mtime.or(now),
                content_hash: s.hasher.map(|(h, _)| h.finish()),
            };
            s.stamp = stamp.encode();
        }
        Ok(())
    }

    /// Commits what was written so far (contents and stamp, atomically):
    /// durable when this returns.
    pub fn sync(&mut self, file: &File) -> Result<(), FsError> {
        self.prepare_stamp(file)?;
        let lfs = self.lfs();
        let s = self.slot(file)?;
        // SAFETY: an open file.
        check(unsafe { lfs::lfs_file_sync(lfs, &mut s.file) }).map(drop)
    }

    /// Commits (like [`Fs::sync`]) and closes the file. The handle is gone
    /// even when the commit fails.
    pub fn close(&mut self, file: File) -> Result<(), FsError> {
        self.prepare_stamp(&file)?;
        let lfs = self.lfs();
        let index = usize::from(file.slot);
        self.slot(&file)?;
        let Some(mut slot) = self.files[index].take() else {
            return Err(FsError::BadHandle);
        };
        // SAFETY: an open file; LittleFS unlinks it even when the final
        // commit fails, after which the box may go.
        check(unsafe { lfs::lfs_file_close(lfs, &mut slot.file) }).map(drop)
    }

    /// The whole file at `path`, refusing files over `max` bytes with
    /// [`FsError::FileTooLarge`].
    pub fn read_file(&mut self, path: &str, max: usize) -> Result<Vec<u8>, FsError> {
        let file = self.open(path, OpenOptions::new().read(true))?;
        let result = self.file_size(&file).and_then(|size| {
            if size as usize > max {
                return Err(FsError::FileTooLarge);
            }
            let mut data = alloc::vec![0u8; size as usize];
            let n = self.read_full(&file, &mut data)?;
            data.truncate(n);
            Ok(data)
        });
        let closed = self.close(file);
        let data = result?;
        closed?;
        Ok(data)
    }

    /// Replaces the file at `path` with `data`, atomically: after a power
    /// cut it holds either its old contents or `data`.
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), FsError> {
        let file = self.open(
            path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        let written = self.write(&file, data);
        if written.is_err() {
            // LittleFS marks a file whose write failed and does not commit
            // it on close: the old contents stay.
            let _ = self.close(file);
            return written;
        }
        self.close(file)
    }
}

impl Drop for Fs {
    fn drop(&mut self) {
        for index in 0..self.files.len() {
            if let Some(mut slot) = self.files[index].take() {
                // SAFETY: an open file of this file system.
                unsafe { lfs::lfs_file_close(self.lfs(), &mut slot.file) };
            }
        }
        // SAFETY: unmounting frees nothing of ours; then the allocation made
        // in `prepare` goes, with the device.
        unsafe {
            lfs::lfs_unmount(self.lfs());
            drop(Box::from_raw(self.mounted.as_ptr()));
        }
    }
}

/// `path` with a NUL appended, for LittleFS.
fn c_path(path: &str) -> Result<Vec<u8>, FsError> {
    if path.len() > MAX_PATH {
        return Err(FsError::NameTooLong);
    }
    if path.as_bytes().contains(&0) {
        return Err(FsError::Invalid);
    }
    let mut c = Vec::with_capacity(path.len() + 1);
    c.extend_from_slice(path.as_bytes());
    c.push(0);
    Ok(c)
}

/// The name of an `lfs_info`, up to its NUL.
fn info_name(info: &lfs::lfs_info) -> &[u8] {
    // SAFETY: `c_char` is `i8` or `u8`: same size and alignment as `u8`.
    let bytes: &[u8] =
        unsafe { core::slice::from_raw_parts(info.name.as_ptr().cast(), info.name.len()) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn metadata(info: &lfs::lfs_info) -> Metadata {
    if u32::from(info.type_) == lfs::lfs_type_LFS_TYPE_DIR {
        Metadata {
            kind: FileKind::Dir,
            size: 0,
        }
    } else {
        Metadata {
            kind: FileKind::File,
            size: info.size,
        }
    }
}

/// The device behind a LittleFS configuration.
///
/// # Safety
/// `c` must be the configuration of a live [`Mounted`], whose `context`
/// points at its `device`; LittleFS calls one callback at a time.
unsafe fn device<'a>(c: *const lfs::lfs_config) -> &'a mut Box<dyn BlockDevice> {
    // SAFETY: per the function's contract.
    unsafe { &mut *(*c).context.cast::<Box<dyn BlockDevice>>() }
}

fn device_result(r: Result<(), crate::port::FlashError>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(_) => lfs::lfs_error_LFS_ERR_IO,
    }
}

unsafe extern "C" fn device_read(
    c: *const lfs::lfs_config,
    block: lfs::lfs_block_t,
    off: lfs::lfs_off_t,
    buffer: *mut c_void,
    size: lfs::lfs_size_t,
) -> c_int {
    // SAFETY: LittleFS passes our configuration and a buffer of `size` bytes.
    let (dev, buf) = unsafe {
        (
            device(c),
            core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size as usize),
        )
    };
    device_result(dev.read(block, off, buf))
}

unsafe extern "C" fn device_program(
    c: *const lfs::lfs_config,
    block: lfs::lfs_block_t,
    off: lfs::lfs_off_t,
    buffer: *const c_void,
    size: lfs::lfs_size_t,
) -> c_int {
    // SAFETY: LittleFS passes our configuration and `size` readable bytes.
    let (dev, data) = unsafe {
        (
            device(c),
            core::slice::from_raw_parts(buffer.cast::<u8>(), size as usize),
        )
    };
    device_result(dev.program(block, off, data))
}

unsafe extern "C" fn device_erase(c: *const lfs::lfs_config, block: lfs::lfs_block_t) -> c_int {
    // SAFETY: LittleFS passes our configuration.
    device_result(unsafe { device(c) }.erase(block))
}

unsafe extern "C" fn device_sync(c: *const lfs::lfs_config) -> c_int {
    // SAFETY: LittleFS passes our configuration.
    device_result(unsafe { device(c) }.sync())
}

#[cfg(test)]
mod tests;
