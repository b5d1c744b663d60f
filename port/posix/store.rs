//! The simulator's [`BundleStore`]: the layout and protocol of
//! [`crate::ota::store`] over a directory of host files
//! (`isere-sim --bundles DIR`), until the LittleFS store of `src/fs/` serves
//! every port.
//!
//! Each step syncs the file it wrote and the directory it renamed in, so the
//! protocol holds across a host crash, not only across a killed simulator.
//! The calls block the calling FreeRTOS task in file system calls, which are
//! short on a host disk (the Posix port cannot see a task blocked in a system
//! call, so nothing here waits on anything slow).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::fs::{self, File};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::ota::store::{BundleStore, Pointer, StagedUpload, StoreError, StoreFile};

const UPLOAD: &str = "upload.part";
const POINTER: &str = "pointer";
const BUNDLE_EXT: &str = ".bundle";

/// Bundles in `ROOT/functions/NAME/`, the small files (configuration, state, identity) in `ROOT`.
pub struct DirStore {
    root: PathBuf,
}

fn io_error(e: std::io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::NotFound => StoreError::NotFound,
        ErrorKind::StorageFull => StoreError::NoSpace,
        _ => StoreError::Io(e.to_string()),
    }
}

/// Syncs a directory so that a rename in it is durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error)
}

/// Writes `bytes` to `path` through `path.tmp` and a rename.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io_error)?;
    f.write_all(bytes).map_err(io_error)?;
    f.sync_all().map_err(io_error)?;
    drop(f);
    fs::rename(&tmp, path).map_err(io_error)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

impl DirStore {
    /// A store in `root`, created if missing.
    pub fn open(root: &Path) -> Result<DirStore, StoreError> {
        fs::create_dir_all(root.join("functions")).map_err(io_error)?;
        Ok(DirStore {
            root: root.to_path_buf(),
        })
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join("functions").join(name)
    }

    fn bundle(&self, name: &str, version: &str) -> PathBuf {
        self.dir(name).join(alloc::format!("{version}{BUNDLE_EXT}"))
    }
}

struct DirUpload {
    dir: PathBuf,
    file: File,
}

impl StagedUpload for DirUpload {
    fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.file.write_all(bytes).map_err(io_error)
    }

    fn commit(self: Box<Self>, version: &str) -> Result<(), StoreError> {
        self.file.sync_all().map_err(io_error)?;
        let target = self.dir.join(alloc::format!("{version}{BUNDLE_EXT}"));
        fs::rename(self.dir.join(UPLOAD), target).map_err(io_error)?;
        sync_dir(&self.dir)
    }

    fn abort(self: Box<Self>) {
        let _ = fs::remove_file(self.dir.join(UPLOAD));
    }
}

impl BundleStore for DirStore {
    fn begin(&self, name: &str) -> Result<Box<dyn StagedUpload + '_>, StoreError> {
        let dir = self.dir(name);
        fs::create_dir_all(&dir).map_err(io_error)?;
        let file = File::create(dir.join(UPLOAD)).map_err(io_error)?;
        Ok(Box::new(DirUpload { dir, file }))
    }

    fn read(
        &self,
        name: &str,
        version: &str,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), StoreError> {
        let mut f = File::open(self.bundle(name, version)).map_err(io_error)?;
        f.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        f.read_exact(buf).map_err(io_error)
    }

    fn len(&self, name: &str, version: &str) -> Result<u64, StoreError> {
        fs::metadata(self.bundle(name, version))
            .map(|m| m.len())
            .map_err(io_error)
    }

    fn versions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.dir(name)).map_err(io_error)? {
            let file = entry.map_err(io_error)?.file_name();
            if let Some(v) = file.to_str().and_then(|f| f.strip_suffix(BUNDLE_EXT)) {
                out.push(v.to_string());
            }
        }
        Ok(out)
    }

    fn functions(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.root.join("functions")).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            if entry.path().join(POINTER).exists()
                && let Some(name) = entry.file_name().to_str()
            {
                out.push(name.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    fn pointer(&self, name: &str) -> Result<Pointer, StoreError> {
        match fs::read_to_string(self.dir(name).join(POINTER)) {
            Ok(text) => Ok(Pointer::parse(&text)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Pointer::default()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn set_pointer(&self, name: &str, pointer: &Pointer) -> Result<(), StoreError> {
        fs::create_dir_all(self.dir(name)).map_err(io_error)?;
        replace_file(&self.dir(name).join(POINTER), pointer.to_text().as_bytes())
    }

    fn delete_version(&self, name: &str, version: &str) -> Result<(), StoreError> {
        fs::remove_file(self.bundle(name, version)).map_err(io_error)
    }

    fn delete_function(&self, name: &str) -> Result<(), StoreError> {
        let dir = self.dir(name);
        match fs::remove_file(dir.join(POINTER)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        sync_dir(&dir)?;
        fs::remove_dir_all(&dir).map_err(io_error)
    }

    fn read_file(&self, file: StoreFile) -> Result<Option<Vec<u8>>, StoreError> {
        match fs::read(self.root.join(file.name())) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    fn write_file(&self, file: StoreFile, bytes: &[u8]) -> Result<(), StoreError> {
        replace_file(&self.root.join(file.name()), bytes)
    }

    fn recover(&self) -> Result<(), StoreError> {
        for entry in fs::read_dir(self.root.join("functions")).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let Some(name) = entry.file_name().to_str().map(String::from) else {
                continue;
            };
            let pointer = self.pointer(&name)?;
            if pointer.active.is_none() {
                // Never activated (or deleted half-way): nothing to keep.
                fs::remove_dir_all(entry.path()).map_err(io_error)?;
                continue;
            }
            for file in fs::read_dir(entry.path()).map_err(io_error)? {
                let file = file.map_err(io_error)?.file_name();
                let Some(file) = file.to_str() else { continue };
                let keep = file == POINTER
                    || file
                        .strip_suffix(BUNDLE_EXT)
                        .is_some_and(|v| pointer.names(v));
                if !keep {
                    fs::remove_file(entry.path().join(file)).map_err(io_error)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ota::store::conformance;

    fn temp(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(alloc::format!("isere-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn upload_commit_point_and_recover() {
        let root = temp("cycle");
        let store = DirStore::open(&root).unwrap();
        conformance::upload_read_and_point(&store);
        // An orphan bundle and an unfinished upload disappear at recovery.
        let mut up = store.begin("hello").unwrap();
        up.append(b"partial").unwrap();
        drop(up);
        store.recover().unwrap();
        assert!(!root.join("functions/hello").join(UPLOAD).exists());
        conformance::recovered_then_deleted(&store);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn config_is_replaced_whole() {
        let root = temp("config");
        conformance::config_is_replaced_whole(&DirStore::open(&root).unwrap());
        let _ = fs::remove_dir_all(&root);
    }
}
