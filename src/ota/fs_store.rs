//! [`BundleStore`] over the device's file system ([`crate::fs`], LittleFS),
//! for every port that mounts one: the layout and protocol of
//! [`super::store`] under a root directory (`/.isere` by default).
//!
//! LittleFS makes a file's contents visible atomically when it is closed,
//! and a rename is one atomic metadata commit, so the protocol's steps map
//! one to one: the upload is `upload.part`, committed by a rename to
//! `VERSION.bundle`; the pointer is rewritten whole (`Fs::write_file`, old
//! or new contents after a power cut).
//!
//! The file system lock is taken per call, never across an upload: an
//! upload keeps its file open (a handle into the file system's table) and
//! takes the lock for each chunk it writes.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::store::{BundleStore, Pointer, StagedUpload, StoreError, StoreFile};
use crate::fs::{File, FileKind, Fs, FsError, OpenOptions, SeekFrom};

const UPLOAD: &str = "upload.part";
const POINTER: &str = "pointer";
const BUNDLE_EXT: &str = ".bundle";
/// Largest pointer or configuration file read back.
const MAX_SMALL_FILE: usize = 64 * 1024;

/// Where the store keeps its files when the port does not say.
pub const DEFAULT_ROOT: &str = crate::fs::DEVICE_DIR;

/// What the store needs from the file system: exclusive use for one call.
/// [`crate::fs::Storage`] (a FreeRTOS mutex) is the device's.
pub trait FsLock: Sync {
    /// Runs `f` with the file system locked.
    fn with_fs<R>(&self, f: impl FnOnce(&mut Fs) -> R) -> R;
}

impl FsLock for crate::fs::Storage {
    fn with_fs<R>(&self, f: impl FnOnce(&mut Fs) -> R) -> R {
        self.with(f)
    }
}

fn fs_error(e: FsError) -> StoreError {
    match e {
        FsError::NotFound => StoreError::NotFound,
        FsError::NoSpace => StoreError::NoSpace,
        e => StoreError::Io(format!("{e}")),
    }
}

/// Bundles under `ROOT/functions/NAME/`, the small files (configuration, state, identity) in `ROOT`.
pub struct FsStore<L: FsLock + 'static> {
    lock: &'static L,
    root: String,
}

impl<L: FsLock + 'static> FsStore<L> {
    /// A store under `root` (an absolute directory, created if missing).
    pub fn open(lock: &'static L, root: &str) -> Result<Self, StoreError> {
        let root = String::from(root.trim_end_matches('/'));
        lock.with_fs(|fs| fs.create_dir_all(&format!("{root}/functions")))
            .map_err(fs_error)?;
        Ok(FsStore { lock, root })
    }

    fn dir(&self, name: &str) -> String {
        format!("{}/functions/{name}", self.root)
    }

    fn bundle(&self, name: &str, version: &str) -> String {
        format!("{}/{version}{BUNDLE_EXT}", self.dir(name))
    }
}

struct FsUpload<L: FsLock + 'static> {
    lock: &'static L,
    dir: String,
    file: Option<File>,
}

impl<L: FsLock + 'static> FsUpload<L> {
    fn path(&self) -> String {
        format!("{}/{UPLOAD}", self.dir)
    }
}

impl<L: FsLock + 'static> StagedUpload for FsUpload<L> {
    fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| StoreError::Io(String::from("upload closed")))?;
        self.lock
            .with_fs(|fs| fs.write(file, bytes))
            .map_err(fs_error)
    }

    fn commit(mut self: Box<Self>, version: &str) -> Result<(), StoreError> {
        let file = self
            .file
            .take()
            .ok_or_else(|| StoreError::Io(String::from("upload closed")))?;
        let (from, to) = (self.path(), format!("{}/{version}{BUNDLE_EXT}", self.dir));
        self.lock
            .with_fs(|fs| {
                fs.close(file)?;
                fs.rename(&from, &to)
            })
            .map_err(fs_error)
    }

    fn abort(self: Box<Self>) {
        // Drop closes and removes the file.
    }
}

impl<L: FsLock + 'static> Drop for FsUpload<L> {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let path = self.path();
            self.lock.with_fs(|fs| {
                let _ = fs.close(file);
                let _ = fs.remove(&path);
            });
        }
    }
}

impl<L: FsLock + 'static> BundleStore for FsStore<L> {
    fn begin(&self, name: &str) -> Result<Box<dyn StagedUpload + '_>, StoreError> {
        let dir = self.dir(name);
        let path = format!("{dir}/{UPLOAD}");
        let file = self
            .lock
            .with_fs(|fs| {
                fs.create_dir_all(&dir)?;
                fs.open(
                    &path,
                    OpenOptions::new().write(true).create(true).truncate(true),
                )
            })
            .map_err(fs_error)?;
        Ok(Box::new(FsUpload {
            lock: self.lock,
            dir,
            file: Some(file),
        }))
    }

    fn read(
        &self,
        name: &str,
        version: &str,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), StoreError> {
        let path = self.bundle(name, version);
        let offset = u32::try_from(offset).map_err(|_| StoreError::NotFound)?;
        self.lock
            .with_fs(|fs| {
                let file = fs.open(&path, OpenOptions::new().read(true))?;
                let read = fs
                    .seek(&file, SeekFrom::Start(offset))
                    .and_then(|_| fs.read_full(&file, buf));
                let closed = fs.close(file);
                let n = read?;
                closed?;
                if n < buf.len() {
                    return Err(FsError::Invalid);
                }
                Ok(())
            })
            .map_err(|e| match e {
                FsError::Invalid => StoreError::Io(String::from("read past the end of a bundle")),
                e => fs_error(e),
            })
    }

    fn len(&self, name: &str, version: &str) -> Result<u64, StoreError> {
        let path = self.bundle(name, version);
        self.lock
            .with_fs(|fs| fs.stat(&path))
            .map(|m| m.size as u64)
            .map_err(fs_error)
    }

    fn versions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let dir = self.dir(name);
        let entries = self
            .lock
            .with_fs(|fs| fs.read_dir(&dir))
            .map_err(fs_error)?;
        Ok(entries
            .into_iter()
            .filter_map(|e| e.name.strip_suffix(BUNDLE_EXT).map(String::from))
            .collect())
    }

    fn functions(&self) -> Result<Vec<String>, StoreError> {
        let root = format!("{}/functions", self.root);
        let mut out = self
            .lock
            .with_fs(|fs| -> Result<Vec<String>, FsError> {
                let mut out = Vec::new();
                for e in fs.read_dir(&root)? {
                    if e.kind == FileKind::Dir
                        && fs.exists(&format!("{root}/{}/{POINTER}", e.name))?
                    {
                        out.push(e.name);
                    }
                }
                Ok(out)
            })
            .map_err(fs_error)?;
        out.sort();
        Ok(out)
    }

    fn pointer(&self, name: &str) -> Result<Pointer, StoreError> {
        let path = format!("{}/{POINTER}", self.dir(name));
        match self.lock.with_fs(|fs| fs.read_file(&path, MAX_SMALL_FILE)) {
            Ok(bytes) => Ok(Pointer::parse(&String::from_utf8_lossy(&bytes))),
            Err(FsError::NotFound) => Ok(Pointer::default()),
            Err(e) => Err(fs_error(e)),
        }
    }

    fn set_pointer(&self, name: &str, pointer: &Pointer) -> Result<(), StoreError> {
        let dir = self.dir(name);
        let text = pointer.to_text();
        self.lock
            .with_fs(|fs| {
                fs.create_dir_all(&dir)?;
                fs.write_file(&format!("{dir}/{POINTER}"), text.as_bytes())
            })
            .map_err(fs_error)
    }

    fn delete_version(&self, name: &str, version: &str) -> Result<(), StoreError> {
        let path = self.bundle(name, version);
        self.lock.with_fs(|fs| fs.remove(&path)).map_err(fs_error)
    }

    fn delete_function(&self, name: &str) -> Result<(), StoreError> {
        let dir = self.dir(name);
        self.lock
            .with_fs(|fs| {
                match fs.remove(&format!("{dir}/{POINTER}")) {
                    Ok(()) | Err(FsError::NotFound) => {}
                    Err(e) => return Err(e),
                }
                for e in fs.read_dir(&dir)? {
                    fs.remove(&format!("{dir}/{}", e.name))?;
                }
                fs.remove(&dir)
            })
            .map_err(fs_error)
    }

    fn read_file(&self, file: StoreFile) -> Result<Option<Vec<u8>>, StoreError> {
        let path = format!("{}/{}", self.root, file.name());
        match self.lock.with_fs(|fs| fs.read_file(&path, MAX_SMALL_FILE)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(FsError::NotFound) => Ok(None),
            Err(e) => Err(fs_error(e)),
        }
    }

    fn write_file(&self, file: StoreFile, bytes: &[u8]) -> Result<(), StoreError> {
        let path = format!("{}/{}", self.root, file.name());
        self.lock
            .with_fs(|fs| fs.write_file(&path, bytes))
            .map_err(fs_error)
    }

    fn recover(&self) -> Result<(), StoreError> {
        let root = format!("{}/functions", self.root);
        let names = self
            .lock
            .with_fs(|fs| fs.read_dir(&root))
            .map_err(fs_error)?;
        for entry in names.into_iter().filter(|e| e.kind == FileKind::Dir) {
            let name = entry.name;
            let pointer = self.pointer(&name)?;
            if pointer.active.is_none() {
                // Never activated (or deleted half-way): nothing to keep.
                self.delete_function(&name)?;
                continue;
            }
            let dir = self.dir(&name);
            self.lock
                .with_fs(|fs| -> Result<(), FsError> {
                    for file in fs.read_dir(&dir)? {
                        let keep = file.name == POINTER
                            || file
                                .name
                                .strip_suffix(BUNDLE_EXT)
                                .is_some_and(|v| pointer.names(v));
                        if !keep {
                            fs.remove(&format!("{dir}/{}", file.name))?;
                        }
                    }
                    Ok(())
                })
                .map_err(fs_error)?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;
    use crate::fs::ram::RamDevice;
    use crate::ota::store::conformance;

    /// The file system behind a host mutex (no kernel in unit tests).
    struct HostLock(std::sync::Mutex<Fs>);

    impl FsLock for HostLock {
        fn with_fs<R>(&self, f: impl FnOnce(&mut Fs) -> R) -> R {
            f(&mut self.0.lock().unwrap())
        }
    }

    fn store() -> FsStore<HostLock> {
        let fs = Fs::format(Box::new(RamDevice::new(64))).unwrap();
        let lock: &'static HostLock = Box::leak(Box::new(HostLock(std::sync::Mutex::new(fs))));
        FsStore::open(lock, DEFAULT_ROOT).unwrap()
    }

    #[test]
    fn upload_commit_point_and_recover() {
        let store = store();
        conformance::upload_read_and_point(&store);
        // An orphan bundle and an unfinished upload disappear at recovery.
        // As if the power went mid-upload: the file is there, nobody cleans up.
        store
            .lock
            .with_fs(|fs| fs.write_file("/.isere/functions/hello/upload.part", b"partial"))
            .unwrap();
        store.recover().unwrap();
        assert_eq!(store.versions("hello").unwrap(), ["1"]);
        // An aborted upload leaves nothing.
        let mut up = store.begin("hello").unwrap();
        up.append(b"x").unwrap();
        up.abort();
        conformance::recovered_then_deleted(&store);
    }

    #[test]
    fn config_is_replaced_whole() {
        conformance::config_is_replaced_whole(&store());
    }

    #[test]
    fn a_full_device_says_so() {
        let fs = Fs::format(Box::new(RamDevice::new(8))).unwrap();
        let lock: &'static HostLock = Box::leak(Box::new(HostLock(std::sync::Mutex::new(fs))));
        let store = FsStore::open(lock, DEFAULT_ROOT).unwrap();
        let mut up = store.begin("big").unwrap();
        let chunk = alloc::vec![7u8; 4096];
        let mut outcome = Ok(());
        for _ in 0..64 {
            outcome = up.append(&chunk);
            if outcome.is_err() {
                break;
            }
        }
        assert_eq!(outcome, Err(StoreError::NoSpace));
        up.abort();
        assert!(store.versions("big").unwrap().is_empty());
    }
}
