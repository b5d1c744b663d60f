//! Where deployed bundles live: the [`BundleStore`] contract.
//!
//! [`super::fs_store::FsStore`] implements it over the device's LittleFS
//! file system (every port that mounts one, the simulator included);
//! `port/posix/store.rs` over a directory of host files
//! (`isere-sim --bundles DIR`). Both follow the layout and protocol below.
//!
//! # Layout
//!
//! ```text
//! functions/NAME/VERSION.bundle   a committed bundle, verified when it arrived
//! functions/NAME/upload.part      the upload in progress (at most one per name)
//! functions/NAME/pointer          "active VERSION\nprevious VERSION\n"
//! config.signed                   the configuration pushed over the air, with its signature
//! state                           what must never go back (see [`super::state`])
//! identity                        the device id, made at first start
//! ```
//!
//! # Power-loss protocol (write new, then rename a pointer)
//!
//! Nothing that the device serves from is ever modified in place:
//!
//! 1. An upload appends to `upload.part`. Losing power here leaves a stray
//!    `upload.part`, ignored and removed by [`BundleStore::recover`].
//! 2. [`StagedUpload::commit`] syncs `upload.part` and renames it to
//!    `VERSION.bundle` (an atomic rename on both host file systems and
//!    LittleFS). A bundle file that no pointer names is an orphan:
//!    `recover` removes it.
//! 3. Only after the new version loaded and initialised in a fresh JS
//!    context does [`BundleStore::set_pointer`] write `pointer.tmp`, sync
//!    it and rename it over `pointer`. The rename is the commit point:
//!    before it the device boots the old version, after it the new one.
//! 4. A deleted function loses its `pointer` first (so it is gone at the
//!    next boot), then its files.
//!
//! So at any instant the pointer names bundle files that are complete and
//! were verified, and a board boots either the old or the new version.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// No such function, version or file.
    NotFound,
    /// The medium is full.
    NoSpace,
    /// Any other failure, with what the port reports.
    Io(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound => f.write_str("not found"),
            StoreError::NoSpace => f.write_str("storage full: delete a function or an old version"),
            StoreError::Io(e) => write!(f, "storage error: {e}"),
        }
    }
}

/// Which versions of a function the device runs and keeps for rollback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pointer {
    /// The version served.
    pub active: Option<String>,
    /// The version a rollback returns to.
    pub previous: Option<String>,
}

impl Pointer {
    /// The pointer file's text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (key, v) in [("active", &self.active), ("previous", &self.previous)] {
            if let Some(v) = v {
                s.push_str(key);
                s.push(' ');
                s.push_str(v);
                s.push('\n');
            }
        }
        s
    }

    /// Parses the pointer file's text; unknown lines are ignored.
    pub fn parse(text: &str) -> Pointer {
        let mut p = Pointer::default();
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            let value = (!value.is_empty()).then(|| String::from(value));
            match key {
                "active" => p.active = value,
                "previous" => p.previous = value,
                _ => {}
            }
        }
        p
    }

    /// Whether `version` is the active or the previous one.
    pub fn names(&self, version: &str) -> bool {
        self.active.as_deref() == Some(version) || self.previous.as_deref() == Some(version)
    }
}

/// The store's small files beside the bundles, each replaced whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFile {
    /// The configuration pushed over the air: its JSON, then its signature.
    Config,
    /// The admin request floor and the highest bundle versions seen.
    State,
    /// The device id.
    Identity,
}

impl StoreFile {
    /// Its file name under the store's root.
    pub fn name(self) -> &'static str {
        match self {
            StoreFile::Config => "config.signed",
            StoreFile::State => "state",
            StoreFile::Identity => "identity",
        }
    }
}

/// A bundle being uploaded: appended to as bytes arrive, never held whole.
pub trait StagedUpload {
    /// Appends the next bytes.
    fn append(&mut self, bytes: &[u8]) -> Result<(), StoreError>;
    /// Makes the upload durable as `VERSION.bundle` of its function (step 2
    /// of the protocol). Which version is active does not change.
    fn commit(self: Box<Self>, version: &str) -> Result<(), StoreError>;
    /// Drops the upload and its file.
    fn abort(self: Box<Self>);
}

/// Persistent storage of function bundles and of the device configuration.
/// Calls block the calling task on storage I/O (never the JS task's work:
/// the admin API calls them from connection tasks). Names and versions are
/// checked by the caller ([`super::bundle::valid_name`]).
pub trait BundleStore: Sync {
    /// Starts an upload for function `name`, replacing an unfinished one.
    fn begin(&self, name: &str) -> Result<Box<dyn StagedUpload + '_>, StoreError>;
    /// Fills `buf` from byte `offset` of bundle `version` of `name`.
    fn read(
        &self,
        name: &str,
        version: &str,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), StoreError>;
    /// The length of bundle `version` of `name`.
    fn len(&self, name: &str, version: &str) -> Result<u64, StoreError>;
    /// The committed versions of `name` (any order).
    fn versions(&self, name: &str) -> Result<Vec<String>, StoreError>;
    /// The functions that have a pointer.
    fn functions(&self) -> Result<Vec<String>, StoreError>;
    /// The pointer of `name` (empty when it has none).
    fn pointer(&self, name: &str) -> Result<Pointer, StoreError>;
    /// Replaces the pointer of `name` atomically (step 3 of the protocol).
    fn set_pointer(&self, name: &str, pointer: &Pointer) -> Result<(), StoreError>;
    /// Removes bundle `version` of `name`.
    fn delete_version(&self, name: &str, version: &str) -> Result<(), StoreError>;
    /// Removes function `name`: its pointer first, then its files.
    fn delete_function(&self, name: &str) -> Result<(), StoreError>;
    /// Small file `file` of the store, if it was written.
    fn read_file(&self, file: StoreFile) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces small file `file` atomically (new file, then rename).
    fn write_file(&self, file: StoreFile, bytes: &[u8]) -> Result<(), StoreError>;
    /// At start: removes unfinished uploads and bundles no pointer names.
    fn recover(&self) -> Result<(), StoreError>;

    /// Reads `len` bytes from `offset` of bundle `version` of `name`.
    fn read_member(
        &self,
        name: &str,
        version: &str,
        offset: u64,
        len: u32,
    ) -> Result<Vec<u8>, StoreError> {
        let mut buf = alloc::vec![0u8; len as usize];
        self.read(name, version, offset, &mut buf)?;
        Ok(buf)
    }
}

/// Checks every [`BundleStore`] implementation runs the same way (used by
/// the tests of each).
#[cfg(test)]
pub(crate) mod conformance {
    use super::{BundleStore, Pointer, StoreFile};

    /// Uploads `hello` version 1, reads it back and points at it, then
    /// commits version 2 without pointing at it (an orphan for
    /// [`BundleStore::recover`]).
    pub fn upload_read_and_point(store: &dyn BundleStore) {
        let mut up = store.begin("hello").unwrap();
        up.append(b"abc").unwrap();
        up.append(b"def").unwrap();
        up.commit("1").unwrap();
        assert_eq!(store.len("hello", "1").unwrap(), 6);
        assert_eq!(store.read_member("hello", "1", 2, 3).unwrap(), b"cde");
        assert!(
            store.read_member("hello", "1", 4, 3).is_err(),
            "past the end"
        );
        assert!(store.functions().unwrap().is_empty(), "no pointer yet");
        let p = Pointer {
            active: Some("1".into()),
            previous: None,
        };
        store.set_pointer("hello", &p).unwrap();
        assert_eq!(store.pointer("hello").unwrap(), p);
        assert_eq!(store.functions().unwrap(), ["hello"]);
        let mut up = store.begin("hello").unwrap();
        up.append(b"xyz").unwrap();
        up.commit("2").unwrap();
    }

    /// After [`upload_read_and_point`], an unfinished upload and a
    /// recovery: only version 1 is left, and deleting the function leaves
    /// nothing.
    pub fn recovered_then_deleted(store: &dyn BundleStore) {
        assert_eq!(store.versions("hello").unwrap(), ["1"]);
        store.delete_function("hello").unwrap();
        assert!(store.functions().unwrap().is_empty());
        assert_eq!(store.pointer("hello").unwrap(), Pointer::default());
    }

    /// A configuration is replaced whole.
    pub fn config_is_replaced_whole(store: &dyn BundleStore) {
        assert_eq!(store.read_file(StoreFile::Config).unwrap(), None);
        store.write_file(StoreFile::Config, b"{}").unwrap();
        store
            .write_file(StoreFile::Config, b"{\"log_level\":\"debug\"}")
            .unwrap();
        assert_eq!(
            store.read_file(StoreFile::Config).unwrap().as_deref(),
            Some(&b"{\"log_level\":\"debug\"}"[..])
        );
        assert_eq!(store.read_file(StoreFile::State).unwrap(), None, "apart");
    }
}
