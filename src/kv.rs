//! A key-value store on the file system, with the semantics of Cloudflare
//! Workers KV: `get`, `getWithMetadata`, `put` (with `expiration`,
//! `expirationTtl` and `metadata`), `delete` and `list` (sorted by key, with
//! `prefix`, `limit` and an opaque `cursor`).
//!
//! One namespace is one directory, `/kv/<namespace>`; one key is one file
//! in it. The file holds a small header, the key, the metadata (JSON text,
//! as the binding serialised it) and the value:
//!
//! ```text
//! "IKV1" | expiration: u64 LE (0: none) | key length: u16 LE | metadata length: u16 LE
//! | key | metadata | value
//! ```
//!
//! The file name is `k` + the key with `/`, `%`, control bytes and DEL
//! escaped as `%XX` (so that any UTF-8 key is a valid LittleFS name); a key
//! whose escaped form is longer than a LittleFS name (255 bytes) is stored
//! as `#` + the hex SHA-256 of the key, and its real key is read from the
//! file.
//!
//! Durability: a `put` writes the whole file and closes it before it
//! returns; LittleFS commits a file's contents atomically at close, so after
//! a power cut at any moment a key holds either its old or its new value
//! and every acknowledged write is there. A power cut right after a new
//! key's file was created but before its contents were committed leaves an
//! empty file, which reads as "no such key" and is removed when the
//! namespace is next opened. The unit tests cut the power at every single
//! device operation of a sequence of writes to prove it.
//!
//! Expired keys read as absent and are removed when met (by `get` or
//! `list`). [`Kv`]'s calls take the file system as `&mut Fs` (the unit
//! tests use it so); [`SharedKv`] is the same namespace on the device's
//! shared file system ([`crate::fs::Storage`], from the device's
//! [`crate::services::Services`]), taking its lock per call,
//! which is what the `env.KV` binding uses from its I/O worker:
//!
//! ```ignore
//! let storage = services.storage.ok_or("no file system")?;
//! let kv = SharedKv::open(storage, "users", KvLimits::default(), services.clock)?;
//! kv.put("alice", b"...", &PutOptions { expiration_ttl: Some(3600), ..Default::default() })?;
//! let entry = kv.get("alice")?; // Option<KvEntry { value, metadata, expiration }>
//! ```

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::fs::{FileKind, Fs, FsError, MAX_NAME, OpenOptions, Storage};
use crate::port::Clock;

/// Longest key, in bytes of UTF-8 (as on Workers KV).
pub const MAX_KEY_BYTES: usize = 512;
/// Longest metadata, in bytes of JSON (as on Workers KV).
pub const MAX_METADATA_BYTES: usize = 1024;
/// Most keys one `list` returns (and its default).
pub const MAX_LIST_LIMIT: usize = 1000;
/// Shortest time to live, in seconds (as on Workers KV).
pub const MIN_EXPIRATION_TTL: u64 = 60;
/// Largest value by default (see [`KvLimits`]).
pub const DEFAULT_MAX_VALUE_BYTES: usize = 1 << 20;

/// Where namespaces live.
const ROOT: &str = crate::fs::KV_DIR;
const MAGIC: &[u8; 4] = b"IKV1";
const HEADER_LEN: usize = 16;
/// Longest namespace name.
const MAX_NAMESPACE: usize = 64;

/// Why a KV call failed. The binding turns the argument errors into a JS
/// `TypeError` (or `RangeError`) with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    /// The key is empty, `.` or `..`.
    InvalidKey,
    /// The key is longer than [`MAX_KEY_BYTES`].
    KeyTooLong(usize),
    /// The value is larger than the namespace's limit.
    ValueTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The metadata is longer than [`MAX_METADATA_BYTES`].
    MetadataTooLarge(usize),
    /// The expiration is in the past or less than [`MIN_EXPIRATION_TTL`]
    /// seconds away.
    ExpirationTooSoon,
    /// `limit` is 0 or above [`MAX_LIST_LIMIT`].
    InvalidLimit(usize),
    /// A cursor that no `list` returned.
    InvalidCursor,
    /// The namespace name is not 1–64 of `[A-Za-z0-9_-]`.
    InvalidNamespace,
    /// The file system failed.
    Fs(FsError),
}

impl KvError {
    /// Whether the caller passed a bad argument (a JS `TypeError` or
    /// `RangeError`), as opposed to the storage failing (a plain `Error`).
    pub fn is_argument_error(&self) -> bool {
        !matches!(self, KvError::Fs(_))
    }
}

impl From<FsError> for KvError {
    fn from(e: FsError) -> KvError {
        KvError::Fs(e)
    }
}

impl core::fmt::Display for KvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KvError::InvalidKey => f.write_str("KV key must not be empty, \".\" or \"..\""),
            KvError::KeyTooLong(n) => write!(
                f,
                "KV key is {n} bytes long; the limit is {MAX_KEY_BYTES} bytes of UTF-8"
            ),
            KvError::ValueTooLarge { size, limit } => {
                write!(f, "KV value is {size} bytes; the limit is {limit} bytes")
            }
            KvError::MetadataTooLarge(n) => write!(
                f,
                "KV metadata is {n} bytes of JSON; the limit is {MAX_METADATA_BYTES}"
            ),
            KvError::ExpirationTooSoon => write!(
                f,
                "KV expiration must be at least {MIN_EXPIRATION_TTL} seconds in the future"
            ),
            KvError::InvalidLimit(n) => write!(
                f,
                "KV list limit {n} is out of range: give 1 to {MAX_LIST_LIMIT}"
            ),
            KvError::InvalidCursor => f.write_str("KV list cursor is not one a list returned"),
            KvError::InvalidNamespace => f.write_str(
                "KV namespace name must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'",
            ),
            KvError::Fs(e) => write!(f, "KV storage: {e}"),
        }
    }
}

/// Limits of a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvLimits {
    /// Largest value in bytes (a value is read whole into RAM).
    pub max_value_bytes: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        KvLimits {
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
        }
    }
}

/// Options of [`Kv::put`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// When the key expires, in seconds since the Unix epoch.
    pub expiration: Option<u64>,
    /// Seconds from now until the key expires (the earlier of the two wins
    /// when both are given).
    pub expiration_ttl: Option<u64>,
    /// Metadata, as JSON text.
    pub metadata: Option<String>,
}

/// A stored value with its metadata (`getWithMetadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvEntry {
    /// The value's bytes.
    pub value: Vec<u8>,
    /// The metadata as JSON text, if any was put.
    pub metadata: Option<String>,
    /// When it expires (Unix seconds), if it does.
    pub expiration: Option<u64>,
}

/// Options of [`Kv::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOptions {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Most keys to return (1 to [`MAX_LIST_LIMIT`]).
    pub limit: usize,
    /// Where a previous `list` stopped.
    pub cursor: Option<String>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            prefix: None,
            limit: MAX_LIST_LIMIT,
            cursor: None,
        }
    }
}

/// One key of a [`ListResult`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListKey {
    /// The key.
    pub name: String,
    /// When it expires (Unix seconds), if it does.
    pub expiration: Option<u64>,
    /// Its metadata as JSON text, if any.
    pub metadata: Option<String>,
}

/// What [`Kv::list`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResult {
    /// Keys in ascending byte order.
    pub keys: Vec<ListKey>,
    /// Whether this is the last page.
    pub list_complete: bool,
    /// Pass to the next `list` to continue (when not complete).
    pub cursor: Option<String>,
}

/// One KV namespace on the file system.
pub struct Kv {
    dir: String,
    limits: KvLimits,
    clock: &'static dyn Clock,
}

/// A key's header, as read from its file.
struct Header {
    expiration: Option<u64>,
    key_len: usize,
    metadata_len: usize,
}

impl Header {
    fn parse(raw: &[u8; HEADER_LEN]) -> Option<Header> {
        if &raw[..4] != MAGIC {
            return None;
        }
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&raw[4..12]);
        let expiration = u64::from_le_bytes(exp);
        Some(Header {
            expiration: (expiration != 0).then_some(expiration),
            key_len: usize::from(u16::from_le_bytes([raw[12], raw[13]])),
            metadata_len: usize::from(u16::from_le_bytes([raw[14], raw[15]])),
        })
    }
}

/// A key file's header, key and metadata (not the value).
struct Record {
    key: String,
    expiration: Option<u64>,
    metadata: Option<String>,
}

impl Kv {
    /// Opens the namespace `name` (creating its directory) and removes what
    /// an interrupted write of a new key left behind.
    pub fn open(
        fs: &mut Fs,
        name: &str,
        limits: KvLimits,
        clock: &'static dyn Clock,
    ) -> Result<Kv, KvError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAMESPACE
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(KvError::InvalidNamespace);
        }
        let dir = format!("{ROOT}/{name}");
        fs.create_dir_all(&dir)?;
        let kv = Kv { dir, limits, clock };
        kv.remove_leftovers(fs)?;
        Ok(kv)
    }

    /// The namespace's limits.
    pub fn limits(&self) -> KvLimits {
        self.limits
    }

    fn remove_leftovers(&self, fs: &mut Fs) -> Result<(), KvError> {
        let mut broken = Vec::new();
        fs.visit_dir(&self.dir, |e| {
            let ours = e.name.starts_with('k') || e.name.starts_with('#');
            if e.kind == FileKind::File && (!ours || (e.size as usize) < HEADER_LEN) {
                broken.push(e.name.clone());
            }
            true
        })?;
        for name in broken {
            let path = self.path_of_name(&name);
            if self.read_record(fs, &path)?.is_none() {
                log::warn!(target: "kv", "removing {path}: not a complete KV record");
                fs.remove(&path)?;
            }
        }
        Ok(())
    }

    fn now(&self) -> u64 {
        self.clock.unix_time()
    }

    fn path_of_name(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    fn path_of_key(&self, key: &str) -> String {
        self.path_of_name(&file_name(key))
    }

    /// The value of `key` with its metadata; `None` if absent or expired.
    pub fn get(&self, fs: &mut Fs, key: &str) -> Result<Option<KvEntry>, KvError> {
        check_key(key)?;
        let path = self.path_of_key(key);
        let file = match fs.open(&path, OpenOptions::new().read(true)) {
            Ok(f) => f,
            Err(FsError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let result = (|| -> Result<Option<KvEntry>, KvError> {
            let size = fs.file_size(&file)? as usize;
            let Some((record, used)) = read_record_from(fs, &file)? else {
                return Ok(None);
            };
            if record.key != key {
                return Ok(None);
            }
            let mut value = alloc::vec![0u8; size.saturating_sub(used)];
            let n = fs.read_full(&file, &mut value)?;
            value.truncate(n);
            Ok(Some(KvEntry {
                value,
                metadata: record.metadata,
                expiration: record.expiration,
            }))
        })();
        let closed = fs.close(file);
        let entry = result?;
        closed?;
        match entry {
            Some(e) if e.expiration.is_some_and(|t| t <= self.now()) => {
                self.remove_expired(fs, &path);
                Ok(None)
            }
            other => Ok(other),
        }
    }

    fn remove_expired(&self, fs: &mut Fs, path: &str) {
        if let Err(e) = fs.remove(path) {
            log::warn!(target: "kv", "cannot remove expired {path}: {e}");
        }
    }

    /// Stores `value` under `key`; durable when this returns.
    pub fn put(
        &self,
        fs: &mut Fs,
        key: &str,
        value: &[u8],
        options: &PutOptions,
    ) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > self.limits.max_value_bytes {
            return Err(KvError::ValueTooLarge {
                size: value.len(),
                limit: self.limits.max_value_bytes,
            });
        }
        let metadata = options.metadata.as_deref().unwrap_or("");
        if metadata.len() > MAX_METADATA_BYTES {
            return Err(KvError::MetadataTooLarge(metadata.len()));
        }
        let now = self.now();
        let from_ttl = match options.expiration_ttl {
            Some(ttl) if ttl < MIN_EXPIRATION_TTL => return Err(KvError::ExpirationTooSoon),
            Some(ttl) => Some(now.saturating_add(ttl)),
            None => None,
        };
        if options
            .expiration
            .is_some_and(|t| t < now.saturating_add(MIN_EXPIRATION_TTL))
        {
            return Err(KvError::ExpirationTooSoon);
        }
        let expiration = match (options.expiration, from_ttl) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut head = Vec::with_capacity(HEADER_LEN + key.len() + metadata.len());
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&expiration.unwrap_or(0).to_le_bytes());
        head.extend_from_slice(&(key.len() as u16).to_le_bytes());
        head.extend_from_slice(&(metadata.len() as u16).to_le_bytes());
        head.extend_from_slice(key.as_bytes());
        head.extend_from_slice(metadata.as_bytes());
        let path = self.path_of_key(key);
        let file = fs.open(
            &path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        let written = fs.write(&file, &head).and_then(|()| fs.write(&file, value));
        let closed = fs.close(file);
        written?;
        closed?;
        Ok(())
    }

    /// Removes `key` (fine if it is absent); durable when this returns.
    pub fn delete(&self, fs: &mut Fs, key: &str) -> Result<(), KvError> {
        check_key(key)?;
        match fs.remove(&self.path_of_key(key)) {
            Ok(()) | Err(FsError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Keys in ascending byte order, `limit` at a time.
    pub fn list(&self, fs: &mut Fs, options: &ListOptions) -> Result<ListResult, KvError> {
        if options.limit == 0 || options.limit > MAX_LIST_LIMIT {
            return Err(KvError::InvalidLimit(options.limit));
        }
        let after = match &options.cursor {
            Some(c) if !c.is_empty() => Some(decode_cursor(c).ok_or(KvError::InvalidCursor)?),
            _ => None,
        };
        let prefix = options.prefix.as_deref().unwrap_or("");
        // The `limit + 1` smallest keys after the cursor: one more than asked
        // tells whether the page is the last. Long keys' real names are in
        // their files.
        let mut names: Vec<String> = Vec::new();
        let mut hashed: Vec<String> = Vec::new();
        fs.visit_dir(&self.dir, |e| {
            if e.kind == FileKind::File {
                if e.name.starts_with('#') {
                    hashed.push(e.name.clone());
                } else if e.name.starts_with('k') {
                    names.push(e.name.clone());
                }
            }
            true
        })?;
        let wanted = options.limit + 1;
        let mut candidates: BTreeMap<String, String> = BTreeMap::new();
        let mut consider = |key: String, name: String| {
            if !key.starts_with(prefix) || after.as_deref().is_some_and(|a| key.as_str() <= a) {
                return;
            }
            candidates.insert(key, name);
            if candidates.len() > wanted {
                candidates.pop_last();
            }
        };
        for name in names {
            if let Some(key) = decode_name(&name) {
                consider(key, name);
            }
        }
        for name in hashed {
            if let Some(record) = self.read_record(fs, &self.path_of_name(&name))? {
                consider(record.key, name);
            }
        }
        let truncated = candidates.len() == wanted;
        let now = self.now();
        let mut keys = Vec::new();
        let mut last_seen: Option<String> = None;
        for (key, name) in candidates {
            if keys.len() == options.limit {
                break;
            }
            let path = self.path_of_name(&name);
            last_seen = Some(key.clone());
            let Some(record) = self.read_record(fs, &path)? else {
                continue;
            };
            if record.expiration.is_some_and(|t| t <= now) {
                self.remove_expired(fs, &path);
                continue;
            }
            keys.push(ListKey {
                name: key,
                expiration: record.expiration,
                metadata: record.metadata,
            });
        }
        let cursor = if truncated {
            last_seen.as_deref().map(encode_cursor)
        } else {
            None
        };
        Ok(ListResult {
            keys,
            list_complete: !truncated,
            cursor,
        })
    }

    /// The record at `path`; `None` if it is missing or incomplete.
    fn read_record(&self, fs: &mut Fs, path: &str) -> Result<Option<Record>, KvError> {
        let file = match fs.open(path, OpenOptions::new().read(true)) {
            Ok(f) => f,
            Err(FsError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let record = read_record_from(fs, &file);
        let closed = fs.close(file);
        let record = record?;
        closed?;
        Ok(record.map(|(r, _)| r))
    }
}

/// A namespace on the device's shared file system: each call takes the
/// file system's lock for its duration (the JS binding runs these on an I/O
/// worker task, never on the JS task).
pub struct SharedKv {
    storage: &'static Storage,
    kv: Kv,
}

impl SharedKv {
    /// Opens the namespace `name` of `storage` (see [`Kv::open`]).
    pub fn open(
        storage: &'static Storage,
        name: &str,
        limits: KvLimits,
        clock: &'static dyn Clock,
    ) -> Result<SharedKv, KvError> {
        let kv = storage.with(|fs| Kv::open(fs, name, limits, clock))?;
        Ok(SharedKv { storage, kv })
    }

    /// The namespace's limits.
    pub fn limits(&self) -> KvLimits {
        self.kv.limits()
    }

    /// [`Kv::get`]: `get` and `getWithMetadata`.
    pub fn get(&self, key: &str) -> Result<Option<KvEntry>, KvError> {
        self.storage.with(|fs| self.kv.get(fs, key))
    }

    /// [`Kv::put`].
    pub fn put(&self, key: &str, value: &[u8], options: &PutOptions) -> Result<(), KvError> {
        self.storage.with(|fs| self.kv.put(fs, key, value, options))
    }

    /// [`Kv::delete`].
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        self.storage.with(|fs| self.kv.delete(fs, key))
    }

    /// [`Kv::list`].
    pub fn list(&self, options: &ListOptions) -> Result<ListResult, KvError> {
        self.storage.with(|fs| self.kv.list(fs, options))
    }
}

/// Reads a record's header, key and metadata from the start of `file`;
/// returns it with the bytes it took, or `None` if it is not complete.
fn read_record_from(
    fs: &mut Fs,
    file: &crate::fs::File,
) -> Result<Option<(Record, usize)>, KvError> {
    let size = fs.file_size(file)? as usize;
    let mut raw = [0u8; HEADER_LEN];
    if fs.read_full(file, &mut raw)? < HEADER_LEN {
        return Ok(None);
    }
    let Some(header) = Header::parse(&raw) else {
        return Ok(None);
    };
    let used = HEADER_LEN + header.key_len + header.metadata_len;
    if used > size || header.key_len > MAX_KEY_BYTES || header.metadata_len > MAX_METADATA_BYTES {
        return Ok(None);
    }
    let mut text = alloc::vec![0u8; header.key_len + header.metadata_len];
    if fs.read_full(file, &mut text)? < text.len() {
        return Ok(None);
    }
    let metadata = text.split_off(header.key_len);
    let (Ok(key), Ok(metadata)) = (String::from_utf8(text), String::from_utf8(metadata)) else {
        return Ok(None);
    };
    Ok(Some((
        Record {
            key,
            expiration: header.expiration,
            metadata: (!metadata.is_empty()).then_some(metadata),
        },
        used,
    )))
}

pub(crate) fn check_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() || key == "." || key == ".." {
        return Err(KvError::InvalidKey);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::KeyTooLong(key.len()));
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The file name of `key` (see the module documentation).
pub(crate) fn file_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len() + 1);
    name.push('k');
    for c in key.chars() {
        let escape = c.is_ascii_control() || c == '/' || c == '%';
        if escape {
            let b = c as u8;
            name.push('%');
            name.push(HEX[usize::from(b >> 4)] as char);
            name.push(HEX[usize::from(b & 15)] as char);
        } else {
            name.push(c);
        }
    }
    if name.len() <= MAX_NAME {
        return name;
    }
    let digest = Sha256::digest(key.as_bytes());
    let mut name = String::with_capacity(65);
    name.push('#');
    for b in digest {
        name.push(HEX[usize::from(b >> 4)] as char);
        name.push(HEX[usize::from(b & 15)] as char);
    }
    name
}

/// The key of a `k` file name; `None` if it is not one [`file_name`] makes.
pub(crate) fn decode_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix('k')?.as_bytes();
    let mut key = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        if rest[i] == b'%' {
            let hi = hex_value(*rest.get(i + 1)?)?;
            let lo = hex_value(*rest.get(i + 2)?)?;
            key.push(hi << 4 | lo);
            i += 3;
        } else {
            key.push(rest[i]);
            i += 1;
        }
    }
    String::from_utf8(key).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A cursor: the hex of the last key a page covered.
pub(crate) fn encode_cursor(key: &str) -> String {
    let mut out = String::with_capacity(2 * key.len());
    for b in key.bytes() {
        out.push(HEX[usize::from(b >> 4)].to_ascii_lowercase() as char);
        out.push(HEX[usize::from(b & 15)].to_ascii_lowercase() as char);
    }
    out
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = cursor.as_bytes();
    if !bytes.len().is_multiple_of(2) || bytes.len() > 2 * MAX_KEY_BYTES {
        return None;
    }
    let key: Option<Vec<u8>> = bytes
        .chunks(2)
        .map(|p| Some(hex_value(p[0])? << 4 | hex_value(p[1])?))
        .collect();
    String::from_utf8(key?).ok()
}

#[cfg(test)]
mod tests;
