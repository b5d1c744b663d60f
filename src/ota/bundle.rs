//! The function bundle: one signed file holding a function's manifest, the
//! QuickJS bytecode of its module and its static files.
//!
//! # Byte layout (format 1)
//!
//! All integers are little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `ISEREBND` |
//! | 8 | 2 | format version, `1` ([`FORMAT_VERSION`]) |
//! | 10 | 2 | reserved, `0` |
//! | 12 | 4 | manifest length `M`, 1..=[`MAX_MANIFEST`] |
//! | 16 | M | the manifest, UTF-8 JSON ([`Manifest`]) |
//! | | | for each member of `manifest.members`, in order: |
//! | | 4 | its length `L` (must equal the manifest's `size`) |
//! | | L | its bytes (SHA-256 must equal the manifest's `sha256`) |
//! | end − 64 | 64 | Ed25519 signature |
//!
//! Nothing follows the signature. The signature is over the 48 bytes
//! `"isere bundle v1\0"` ‖ SHA-256(every byte before the signature): Ed25519
//! hashes its message after the signature's first half, so a signature over
//! the raw bytes could only be checked with the whole bundle in RAM; over
//! their digest it is checked by a device that streams the bundle to flash.
//! The manifest carries each member's hash and the signature covers the
//! manifest, so every byte is authenticated.
//!
//! The manifest (unknown fields are errors, as in the device configuration):
//!
//! ```json
//! { "name": "hello", "version": "1.0.3", "entry": "hello.js",
//!   "engine": { "quickjs": "0.16.2", "bytecode": 1 },
//!   "routes": [ { "prefix": "/hello", "methods": ["GET"] } ],
//!   "env": { "GREETING": "hi" },
//!   "bindings": { "USERS": { "type": "kv" } },
//!   "limits": { "cpu_ms": 1000, "init_ms": 500 },
//!   "members": [ { "name": "hello.js", "kind": "module", "size": 812,
//!                  "sha256": "9f86...0f00" } ] }
//! ```
//!
//! # Panics
//!
//! Nothing here panics on input: [`Verifier::feed`] takes arbitrary chunks
//! of untrusted bytes and returns a [`BundleError`] naming the first problem.
//! Until [`Verifier::finish`] returns, the manifest is not authenticated; the
//! verifier uses it only to frame the members and to refuse early (wrong
//! engine, oversized members), never to change anything.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::{Binding, ObjectMap, RawBinding};

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"ISEREBND";
/// The layout described in the module docs.
pub const FORMAT_VERSION: u16 = 1;
/// Our own bytecode format: bump it when the compiler's output changes
/// meaning (strip flags, module conventions), alongside QuickJS's version.
pub const BYTECODE_FORMAT: u32 = 1;
/// Largest manifest accepted (it is held in RAM while a bundle streams in).
pub const MAX_MANIFEST: usize = 16 * 1024;
/// Length of the trailing Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Prefix of the signed message, so a bundle signature can never be taken
/// for a signature over something else made with the same key.
pub const SIGNING_CONTEXT: &[u8; 16] = b"isere bundle v1\0";
/// Length of the fixed header before the manifest.
pub const HEADER_LEN: usize = 16;
/// Most members a bundle may have.
pub const MAX_MEMBERS: usize = 64;

/// The engine a bundle's bytecode was compiled for.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineVersion {
    /// QuickJS-NG's version string (`JS_GetVersion`), e.g. `0.16.2`.
    pub quickjs: String,
    /// [`BYTECODE_FORMAT`] of the compiler that produced it.
    pub bytecode: u32,
}

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuickJS-NG {} bytecode {}", self.quickjs, self.bytecode)
    }
}

/// What a member holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    /// QuickJS bytecode of an ES module.
    Module,
    /// A static file, served or read as is.
    Static,
}

impl MemberKind {
    fn as_str(self) -> &'static str {
        match self {
            MemberKind::Module => "module",
            MemberKind::Static => "static",
        }
    }
}

/// One member as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its path inside the bundle (`hello.js`, `static/logo.png`).
    pub name: String,
    /// Module or static file.
    pub kind: MemberKind,
    /// Its length in bytes.
    pub size: u32,
    /// SHA-256 of its bytes.
    pub sha256: [u8; 32],
}

/// A route the function asks for.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRoute {
    /// Starts with `/`; matches itself and anything below it.
    pub prefix: String,
    /// Allowed methods; absent allows all.
    #[serde(default)]
    pub methods: Option<Vec<String>>,
}

/// Per-function limits; 0 means the device's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BundleLimits {
    /// Longest (ms) the function's handler, timer or I/O callback and the
    /// promise jobs that follow may run without yielding, before it is
    /// interrupted (500); 0 or above the device's `server.handler_timeout_ms`:
    /// the device's.
    pub cpu_ms: u32,
    /// Longest the module's top level may run when it is activated.
    pub init_ms: u32,
}

/// The manifest: what the bundle is and holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The function's name (routes and the admin API refer to it).
    pub name: String,
    /// Its version, chosen by the developer (1 to 64 of `A-Za-z0-9._+-`).
    pub version: String,
    /// The member holding the module to run.
    pub entry: String,
    /// The engine its bytecode needs.
    pub engine: EngineVersion,
    /// Routes it serves.
    pub routes: Vec<BundleRoute>,
    /// `env` variables.
    pub env: BTreeMap<String, String>,
    /// `env` bindings.
    pub bindings: BTreeMap<String, Binding>,
    /// Limits.
    pub limits: BundleLimits,
    /// Members, in the order their bytes follow the manifest.
    pub members: Vec<Member>,
}

/// Why a bundle was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// The file does not start with [`MAGIC`]: not a bundle.
    BadMagic,
    /// A layout this firmware does not know.
    UnsupportedFormat(u16),
    /// The manifest length is 0 or above [`MAX_MANIFEST`].
    ManifestSize(u32),
    /// The manifest is not valid (JSON, fields, names); says what.
    InvalidManifest(String),
    /// The bytecode was compiled for another engine.
    EngineMismatch {
        /// What this firmware runs.
        expected: EngineVersion,
        /// What the bundle was built for.
        found: EngineVersion,
    },
    /// A member's length prefix differs from the manifest's size.
    MemberSize {
        /// The member.
        name: String,
    },
    /// A member's bytes do not hash to the manifest's SHA-256.
    MemberHash {
        /// The member.
        name: String,
    },
    /// The bundle ended early.
    Truncated,
    /// Bytes follow the signature.
    TrailingData,
    /// The bundle is larger than the device accepts.
    TooLarge(u64),
    /// The signature is not valid under any trusted key.
    BadSignature,
    /// The device trusts no key yet, so it accepts no bundle.
    NoTrustedKeys,
}

impl BundleError {
    /// The HTTP status the admin API answers with.
    pub fn status(&self) -> u16 {
        match self {
            BundleError::BadSignature | BundleError::NoTrustedKeys => 403,
            BundleError::TooLarge(_) => 413,
            _ => 422,
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::BadMagic => f.write_str("not an Isère bundle (bad magic); build one with `isere build`"),
            BundleError::UnsupportedFormat(v) => write!(f, "bundle format {v} is not supported (this firmware reads format {FORMAT_VERSION}); rebuild it with a matching `isere`"),
            BundleError::ManifestSize(n) => write!(f, "manifest of {n} bytes (must be 1 to {MAX_MANIFEST})"),
            BundleError::InvalidManifest(m) => write!(f, "invalid manifest: {m}"),
            BundleError::EngineMismatch { expected, found } => write!(f, "bundle built for {found}, this device runs {expected}: rebuild it with the `isere` of this firmware"),
            BundleError::MemberSize { name } => write!(f, "member '{name}': length differs from the manifest"),
            BundleError::MemberHash { name } => write!(f, "member '{name}': SHA-256 differs from the manifest (corrupted or tampered)"),
            BundleError::Truncated => f.write_str("bundle truncated: the upload ended early"),
            BundleError::TrailingData => f.write_str("bytes after the signature"),
            BundleError::TooLarge(n) => write!(f, "bundle of {n} bytes or more is larger than this device accepts"),
            BundleError::BadSignature => f.write_str("bad signature: the bundle was not signed by a key this device trusts (or was modified after signing)"),
            BundleError::NoTrustedKeys => f.write_str("this device trusts no signing key yet: add your public key to `admin.trusted_keys` of its configuration"),
        }
    }
}

/// Where a member's bytes are in the bundle file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRange {
    /// Offset of its first byte.
    pub offset: u64,
    /// Its length.
    pub len: u32,
}

/// A bundle whose hashes and signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Its manifest (now authenticated).
    pub manifest: Manifest,
    /// Where each member of `manifest.members` is, in the same order.
    pub ranges: Vec<MemberRange>,
    /// Total length of the bundle.
    pub len: u64,
}

impl Verified {
    /// The range of member `name`.
    pub fn range(&self, name: &str) -> Option<MemberRange> {
        let i = self.manifest.members.iter().position(|m| m.name == name)?;
        self.ranges.get(i).copied()
    }
}

enum State {
    Header,
    Manifest(usize),
    MemberLen(usize),
    MemberBody { index: usize, remaining: u32 },
    Signature,
}

/// Checks a bundle as its bytes arrive, holding only the manifest and a
/// few small buffers (see the module docs for what is trusted when).
pub struct Verifier<'a> {
    keys: &'a [VerifyingKey],
    engine: &'a EngineVersion,
    max_len: u64,
    state: State,
    /// Bytes of the field being assembled (header, manifest, a length, the signature).
    pending: Vec<u8>,
    whole: Sha256,
    member: Sha256,
    manifest: Option<Manifest>,
    ranges: Vec<MemberRange>,
    offset: u64,
}

impl<'a> Verifier<'a> {
    /// A verifier accepting bundles for `engine`, signed by one of `keys`,
    /// of at most `max_len` bytes.
    pub fn new(keys: &'a [VerifyingKey], engine: &'a EngineVersion, max_len: u64) -> Self {
        Verifier {
            keys,
            engine,
            max_len,
            state: State::Header,
            pending: Vec::new(),
            whole: Sha256::new(),
            member: Sha256::new(),
            manifest: None,
            ranges: Vec::new(),
            offset: 0,
        }
    }

    /// The manifest, once it has arrived (not authenticated before
    /// [`Verifier::finish`]).
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Bytes taken so far.
    pub fn received(&self) -> u64 {
        self.offset
    }

    /// Takes the next chunk; an error is final.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), BundleError> {
        if self.keys.is_empty() {
            return Err(BundleError::NoTrustedKeys);
        }
        if self.offset + chunk.len() as u64 > self.max_len {
            return Err(BundleError::TooLarge(self.offset + chunk.len() as u64));
        }
        while !chunk.is_empty() {
            let used = self.step(chunk)?;
            self.offset += used as u64;
            chunk = &chunk[used..];
        }
        Ok(())
    }

    /// Appends up to `want - pending` bytes of `chunk` to `pending`; returns
    /// how many it took and whether `pending` is complete.
    fn gather(&mut self, chunk: &[u8], want: usize) -> (usize, bool) {
        let take = (want - self.pending.len()).min(chunk.len());
        self.pending.extend_from_slice(&chunk[..take]);
        (take, self.pending.len() == want)
    }

    /// Consumes a prefix of `chunk` for the current state; returns its length.
    fn step(&mut self, chunk: &[u8]) -> Result<usize, BundleError> {
        match self.state {
            State::Header => {
                let (used, done) = self.gather(chunk, HEADER_LEN);
                self.whole.update(&chunk[..used]);
                if done {
                    let h = core::mem::take(&mut self.pending);
                    if h[..8] != MAGIC {
                        return Err(BundleError::BadMagic);
                    }
                    let format = u16::from_le_bytes([h[8], h[9]]);
                    if format != FORMAT_VERSION {
                        return Err(BundleError::UnsupportedFormat(format));
                    }
                    let len = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
                    if len == 0 || len as usize > MAX_MANIFEST {
                        return Err(BundleError::ManifestSize(len));
                    }
                    self.state = State::Manifest(len as usize);
                } else if self.pending.len() >= 8 && self.pending[..8] != MAGIC {
                    return Err(BundleError::BadMagic);
                }
                Ok(used)
            }
            State::Manifest(len) => {
                let (used, done) = self.gather(chunk, len);
                self.whole.update(&chunk[..used]);
                if done {
                    let json = core::mem::take(&mut self.pending);
                    let manifest = Manifest::parse(&json)?;
                    if manifest.engine != *self.engine {
                        return Err(BundleError::EngineMismatch {
                            expected: self.engine.clone(),
                            found: manifest.engine,
                        });
                    }
                    let total: u64 = manifest
                        .members
                        .iter()
                        .map(|m| 4 + m.size as u64)
                        .sum::<u64>()
                        + (HEADER_LEN + len + SIGNATURE_LEN) as u64;
                    if total > self.max_len {
                        return Err(BundleError::TooLarge(total));
                    }
                    self.state = if manifest.members.is_empty() {
                        State::Signature
                    } else {
                        State::MemberLen(0)
                    };
                    self.manifest = Some(manifest);
                }
                Ok(used)
            }
            State::MemberLen(index) => {
                let (used, done) = self.gather(chunk, 4);
                self.whole.update(&chunk[..used]);
                if done {
                    let p = core::mem::take(&mut self.pending);
                    let len = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
                    let member = self.member_at(index)?;
                    if len != member.size {
                        return Err(BundleError::MemberSize {
                            name: member.name.clone(),
                        });
                    }
                    self.ranges.push(MemberRange {
                        offset: self.offset + used as u64,
                        len,
                    });
                    self.member = Sha256::new();
                    self.state = State::MemberBody {
                        index,
                        remaining: len,
                    };
                    if len == 0 {
                        self.end_member(index)?;
                    }
                }
                Ok(used)
            }
            State::MemberBody { index, remaining } => {
                let used = (remaining as usize).min(chunk.len());
                self.whole.update(&chunk[..used]);
                self.member.update(&chunk[..used]);
                let remaining = remaining - used as u32;
                self.state = State::MemberBody { index, remaining };
                if remaining == 0 {
                    self.end_member(index)?;
                }
                Ok(used)
            }
            State::Signature => {
                if self.pending.len() == SIGNATURE_LEN {
                    return Err(BundleError::TrailingData);
                }
                let (used, _) = self.gather(chunk, SIGNATURE_LEN);
                Ok(used)
            }
        }
    }

    fn member_at(&self, index: usize) -> Result<&Member, BundleError> {
        self.manifest
            .as_ref()
            .and_then(|m| m.members.get(index))
            .ok_or(BundleError::Truncated)
    }

    /// Checks the hash of member `index`, whose last byte just arrived.
    fn end_member(&mut self, index: usize) -> Result<(), BundleError> {
        let digest: [u8; 32] = core::mem::take(&mut self.member).finalize().into();
        let member = self.member_at(index)?;
        if digest != member.sha256 {
            return Err(BundleError::MemberHash {
                name: member.name.clone(),
            });
        }
        let count = self.manifest.as_ref().map_or(0, |m| m.members.len());
        self.state = if index + 1 < count {
            State::MemberLen(index + 1)
        } else {
            State::Signature
        };
        Ok(())
    }

    /// Checks the signature once every byte has been fed.
    pub fn finish(self) -> Result<Verified, BundleError> {
        if !matches!(self.state, State::Signature) || self.pending.len() != SIGNATURE_LEN {
            return Err(BundleError::Truncated);
        }
        let Some(manifest) = self.manifest else {
            return Err(BundleError::Truncated);
        };
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(&self.pending);
        let signature = Signature::from_bytes(&sig);
        let message = signed_message(self.whole.finalize().into());
        if !self
            .keys
            .iter()
            .any(|k| k.verify_strict(&message, &signature).is_ok())
        {
            return Err(BundleError::BadSignature);
        }
        Ok(Verified {
            manifest,
            ranges: self.ranges,
            len: self.offset,
        })
    }
}

/// The message a bundle's signature signs.
fn signed_message(digest: [u8; 32]) -> [u8; 48] {
    let mut m = [0u8; 48];
    m[..16].copy_from_slice(SIGNING_CONTEXT);
    m[16..].copy_from_slice(&digest);
    m
}

/// Verifies a whole bundle held in memory (tests, the CLI).
pub fn verify(
    bundle: &[u8],
    keys: &[VerifyingKey],
    engine: &EngineVersion,
) -> Result<Verified, BundleError> {
    let mut v = Verifier::new(keys, engine, u64::MAX);
    v.feed(bundle)?;
    v.finish()
}

/// A member to put in a bundle.
pub struct MemberData<'a> {
    /// Its path inside the bundle.
    pub name: &'a str,
    /// Module or static file.
    pub kind: MemberKind,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Builds and signs a bundle. `manifest.members` is replaced by the list
/// made from `members` (sizes and hashes computed here).
pub fn build(
    mut manifest: Manifest,
    members: &[MemberData<'_>],
    key: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    manifest.members = members
        .iter()
        .map(|m| Member {
            name: String::from(m.name),
            kind: m.kind,
            size: m.bytes.len() as u32,
            sha256: Sha256::digest(m.bytes).into(),
        })
        .collect();
    manifest.check()?;
    let json = manifest.to_json();
    if json.len() > MAX_MANIFEST {
        return Err(BundleError::ManifestSize(json.len() as u32));
    }
    let mut out = Vec::with_capacity(
        HEADER_LEN + json.len() + members.iter().map(|m| 4 + m.bytes.len()).sum::<usize>() + 64,
    );
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    for m in members {
        out.extend_from_slice(&(m.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(m.bytes);
    }
    let message = signed_message(Sha256::digest(&out).into());
    out.extend_from_slice(&key.sign(&message).to_bytes());
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    name: String,
    kind: String,
    size: u32,
    sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: String,
    version: String,
    entry: String,
    engine: EngineVersion,
    #[serde(default)]
    routes: Vec<BundleRoute>,
    #[serde(default)]
    env: ObjectMap<String>,
    #[serde(default)]
    bindings: ObjectMap<RawBinding>,
    #[serde(default)]
    limits: BundleLimits,
    members: Vec<RawMember>,
}

/// A project file (`isere.json` beside a function): what the manifest says
/// besides its members. Every field is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    routes: Vec<BundleRoute>,
    #[serde(default)]
    env: ObjectMap<String>,
    #[serde(default)]
    bindings: ObjectMap<RawBinding>,
    #[serde(default)]
    limits: BundleLimits,
}

/// What `isere build` takes from a project file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Project {
    /// The function's name, unless given on the command line.
    pub name: Option<String>,
    /// Its version, unless given on the command line.
    pub version: Option<String>,
    /// Routes.
    pub routes: Vec<BundleRoute>,
    /// `env` variables.
    pub env: BTreeMap<String, String>,
    /// `env` bindings.
    pub bindings: BTreeMap<String, Binding>,
    /// Limits.
    pub limits: BundleLimits,
}

impl Project {
    /// Parses a project file.
    pub fn parse(json: &[u8]) -> Result<Project, String> {
        let mut scratch = alloc::vec![0u8; json.len()];
        let (raw, _): (RawProject, usize) =
            serde_json_core::from_slice_escaped(json, &mut scratch).map_err(|e| format!("{e}"))?;
        let name = raw.name.clone().unwrap_or_default();
        let mut bindings = BTreeMap::new();
        for (k, b) in raw.bindings.0 {
            let b = crate::config::binding(&name, &k, b).map_err(|e| e.0)?;
            bindings.insert(k, b);
        }
        Ok(Project {
            name: raw.name,
            version: raw.version,
            routes: raw.routes,
            env: raw.env.0,
            bindings,
            limits: raw.limits,
        })
    }
}

/// Whether `s` is a valid function name or version: 1 to 64 of
/// `A-Za-z0-9._+-`, not starting with `.` (names become file names).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+'))
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(json: &[u8]) -> Result<Manifest, BundleError> {
        let invalid = |m: String| BundleError::InvalidManifest(m);
        let mut scratch = alloc::vec![0u8; json.len()];
        let (raw, _): (RawManifest, usize) =
            serde_json_core::from_slice_escaped(json, &mut scratch)
                .map_err(|e| invalid(format!("{e}")))?;
        if raw.members.len() > MAX_MEMBERS {
            return Err(invalid(format!("more than {MAX_MEMBERS} members")));
        }
        let mut members = Vec::with_capacity(raw.members.len());
        for m in raw.members {
            let kind = match m.kind.as_str() {
                "module" => MemberKind::Module,
                "static" => MemberKind::Static,
                other => {
                    return Err(invalid(format!(
                        "member '{}': unknown kind '{other}' (module or static)",
                        m.name
                    )));
                }
            };
            let sha256 = parse_hex32(&m.sha256).ok_or_else(|| {
                invalid(format!("member '{}': sha256 is not 64 hex digits", m.name))
            })?;
            members.push(Member {
                name: m.name,
                kind,
                size: m.size,
                sha256,
            });
        }
        let mut bindings = BTreeMap::new();
        for (k, b) in raw.bindings.0 {
            let b = crate::config::binding(&raw.name, &k, b).map_err(|e| invalid(e.0))?;
            bindings.insert(k, b);
        }
        let manifest = Manifest {
            name: raw.name,
            version: raw.version,
            entry: raw.entry,
            engine: raw.engine,
            routes: raw.routes,
            env: raw.env.0,
            bindings,
            limits: raw.limits,
            members,
        };
        manifest.check()?;
        Ok(manifest)
    }

    /// Checks what JSON parsing cannot: names, the entry, routes.
    pub fn check(&self) -> Result<(), BundleError> {
        let invalid = |m: String| Err(BundleError::InvalidManifest(m));
        if !valid_name(&self.name) {
            return invalid(format!(
                "name '{}' must be 1 to 64 of A-Z a-z 0-9 . _ + -",
                self.name
            ));
        }
        if !valid_name(&self.version) {
            return invalid(format!(
                "version '{}' must be 1 to 64 of A-Z a-z 0-9 . _ + -",
                self.version
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            if m.name.is_empty() || m.name.len() > 128 || m.name.contains('\0') {
                return invalid(format!("member name '{}' is not valid", m.name));
            }
            if self.members[..i].iter().any(|o| o.name == m.name) {
                return invalid(format!("member '{}' is listed twice", m.name));
            }
        }
        match self.members.iter().find(|m| m.name == self.entry) {
            Some(m) if m.kind == MemberKind::Module => {}
            Some(_) => return invalid(format!("entry '{}' is not a module", self.entry)),
            None => return invalid(format!("entry '{}' is not a member", self.entry)),
        }
        for r in &self.routes {
            if !r.prefix.starts_with('/') {
                return invalid(format!("route prefix '{}' must start with '/'", r.prefix));
            }
            if r.prefix.starts_with("/_isere") {
                return invalid(format!(
                    "route prefix '{}': /_isere/ belongs to the device",
                    r.prefix
                ));
            }
        }
        for k in self.env.keys() {
            if self.bindings.contains_key(k) {
                return invalid(format!("'{k}' is both an env variable and a binding"));
            }
        }
        Ok(())
    }

    /// The manifest as JSON (the form stored in a bundle).
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("{\"name\":");
        json_string(&mut s, &self.name);
        s.push_str(",\"version\":");
        json_string(&mut s, &self.version);
        s.push_str(",\"entry\":");
        json_string(&mut s, &self.entry);
        s.push_str(",\"engine\":{\"quickjs\":");
        json_string(&mut s, &self.engine.quickjs);
        let _ = write!(s, ",\"bytecode\":{}}}", self.engine.bytecode);
        s.push_str(",\"routes\":[");
        for (i, r) in self.routes.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"prefix\":");
            json_string(&mut s, &r.prefix);
            if let Some(methods) = &r.methods {
                s.push_str(",\"methods\":[");
                for (j, m) in methods.iter().enumerate() {
                    if j > 0 {
                        s.push(',');
                    }
                    json_string(&mut s, m);
                }
                s.push(']');
            }
            s.push('}');
        }
        s.push_str("],\"env\":{");
        for (i, (k, v)) in self.env.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            json_string(&mut s, k);
            s.push(':');
            json_string(&mut s, v);
        }
        s.push_str("},\"bindings\":{");
        for (i, (k, b)) in self.bindings.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            json_string(&mut s, k);
            s.push_str(":{\"type\":");
            json_string(&mut s, b.type_name());
            match b {
                Binding::Kv { namespace } => {
                    s.push_str(",\"namespace\":");
                    json_string(&mut s, namespace);
                }
                Binding::Postgres { url, timeout_ms } | Binding::Redis { url, timeout_ms } => {
                    s.push_str(",\"url\":");
                    json_string(&mut s, url);
                    let _ = write!(s, ",\"timeout_ms\":{timeout_ms}");
                }
            }
            s.push('}');
        }
        let _ = write!(
            s,
            "}},\"limits\":{{\"cpu_ms\":{},\"init_ms\":{}}},\"members\":[",
            self.limits.cpu_ms, self.limits.init_ms
        );
        for (i, m) in self.members.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"name\":");
            json_string(&mut s, &m.name);
            let _ = write!(
                s,
                ",\"kind\":\"{}\",\"size\":{},\"sha256\":\"",
                m.kind.as_str(),
                m.size
            );
            hex(&mut s, &m.sha256);
            s.push_str("\"}");
        }
        s.push_str("]}");
        s
    }
}

/// Appends `v` as a JSON string literal.
pub fn json_string(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `bytes` as lowercase hex.
pub fn hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

pub use crate::config::parse_hex32;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn engine() -> EngineVersion {
        EngineVersion {
            quickjs: String::from("0.16.2"),
            bytecode: BYTECODE_FORMAT,
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn manifest() -> Manifest {
        let mut env = BTreeMap::new();
        env.insert(String::from("GREETING"), String::from("hi \"you\"\n"));
        let mut bindings = BTreeMap::new();
        bindings.insert(
            String::from("USERS"),
            Binding::Kv {
                namespace: String::from("users"),
            },
        );
        Manifest {
            name: String::from("hello"),
            version: String::from("1.0.0"),
            entry: String::from("hello.js"),
            engine: engine(),
            routes: alloc::vec![BundleRoute {
                prefix: String::from("/hello"),
                methods: Some(alloc::vec![String::from("GET")]),
            }],
            env,
            bindings,
            limits: BundleLimits {
                cpu_ms: 100,
                init_ms: 50,
            },
            members: Vec::new(),
        }
    }

    const MODULE: &[u8] = b"\x01\x02bytecode of the module";
    const STATIC: &[u8] = b"<h1>static</h1>";

    fn bundle() -> Vec<u8> {
        build(
            manifest(),
            &[
                MemberData {
                    name: "hello.js",
                    kind: MemberKind::Module,
                    bytes: MODULE,
                },
                MemberData {
                    name: "static/index.html",
                    kind: MemberKind::Static,
                    bytes: STATIC,
                },
            ],
            &key(1),
        )
        .unwrap()
    }

    fn check(bytes: &[u8]) -> Result<Verified, BundleError> {
        verify(bytes, &[key(1).verifying_key()], &engine())
    }

    /// Offsets of the sections of `bundle()`: (manifest start, manifest end,
    /// first member start, signature start).
    fn sections(b: &[u8]) -> (usize, usize, usize, usize) {
        let m = u32::from_le_bytes([b[12], b[13], b[14], b[15]]) as usize;
        (HEADER_LEN, HEADER_LEN + m, HEADER_LEN + m + 4, b.len() - 64)
    }

    #[test]
    fn round_trip() {
        let b = bundle();
        let v = check(&b).unwrap();
        let mut expected = manifest();
        expected.members = v.manifest.members.clone();
        assert_eq!(v.manifest, expected);
        assert_eq!(v.manifest.members.len(), 2);
        let r = v.range("hello.js").unwrap();
        assert_eq!(
            &b[r.offset as usize..r.offset as usize + r.len as usize],
            MODULE
        );
        let r = v.range("static/index.html").unwrap();
        assert_eq!(
            &b[r.offset as usize..r.offset as usize + r.len as usize],
            STATIC
        );
        assert_eq!(v.len, b.len() as u64);
    }

    #[test]
    fn streams_in_chunks_of_any_size() {
        let b = bundle();
        let keys = [key(1).verifying_key()];
        let e = engine();
        for size in [1, 2, 3, 7, 64, 1000] {
            let mut v = Verifier::new(&keys, &e, 1 << 20);
            for c in b.chunks(size) {
                v.feed(c).unwrap();
            }
            let verified = v.finish().unwrap();
            assert_eq!(verified.manifest.name, "hello");
        }
    }

    #[test]
    fn a_flipped_byte_anywhere_is_refused() {
        let b = bundle();
        let (m_start, m_end, member, sig) = sections(&b);
        // Header: magic, format.
        for (at, expected) in [
            (0, BundleError::BadMagic),
            (8, BundleError::UnsupportedFormat(FORMAT_VERSION ^ 1)),
        ] {
            let mut t = b.clone();
            t[at] ^= 1;
            assert_eq!(check(&t).unwrap_err(), expected, "byte {at}");
        }
        // Reserved header bytes and the manifest: caught by the signature
        // (or the manifest parser when the flip breaks the JSON).
        for at in (10..12).chain(m_start..m_end) {
            let mut t = b.clone();
            t[at] ^= 0x01;
            let e = check(&t).unwrap_err();
            assert!(
                matches!(
                    e,
                    BundleError::BadSignature
                        | BundleError::InvalidManifest(_)
                        | BundleError::EngineMismatch { .. }
                        | BundleError::MemberSize { .. }
                        | BundleError::MemberHash { .. }
                ),
                "byte {at}: {e:?}"
            );
        }
        // A member's length prefix and body.
        let mut t = b.clone();
        t[member - 4] ^= 1;
        assert_eq!(
            check(&t).unwrap_err(),
            BundleError::MemberSize {
                name: "hello.js".into()
            }
        );
        for at in member..member + MODULE.len() {
            let mut t = b.clone();
            t[at] ^= 0x80;
            assert_eq!(
                check(&t).unwrap_err(),
                BundleError::MemberHash {
                    name: "hello.js".into()
                },
                "byte {at}"
            );
        }
        let last = sig - 1;
        let mut t = b.clone();
        t[last] ^= 1;
        assert_eq!(
            check(&t).unwrap_err(),
            BundleError::MemberHash {
                name: "static/index.html".into()
            }
        );
        // The signature.
        for at in sig..b.len() {
            let mut t = b.clone();
            t[at] ^= 1;
            assert_eq!(
                check(&t).unwrap_err(),
                BundleError::BadSignature,
                "byte {at}"
            );
        }
    }

    #[test]
    fn a_manifest_rewritten_with_matching_hashes_fails_the_signature() {
        // An attacker who swaps the module and fixes the manifest's hash
        // (same length) cannot fix the signature.
        let b = bundle();
        let forged = build(
            manifest(),
            &[
                MemberData {
                    name: "hello.js",
                    kind: MemberKind::Module,
                    bytes: b"\x01\x02evil code of the module",
                },
                MemberData {
                    name: "static/index.html",
                    kind: MemberKind::Static,
                    bytes: STATIC,
                },
            ],
            &key(2),
        )
        .unwrap();
        let mut t = forged[..forged.len() - 64].to_vec();
        t.extend_from_slice(&b[b.len() - 64..]);
        assert_eq!(check(&t).unwrap_err(), BundleError::BadSignature);
    }

    #[test]
    fn truncated_bundles_are_refused() {
        let b = bundle();
        for len in [0, 5, 15, 16, 40, b.len() / 2, b.len() - 64, b.len() - 1] {
            assert_eq!(
                check(&b[..len]).unwrap_err(),
                BundleError::Truncated,
                "{len}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut b = bundle();
        b.push(0);
        assert_eq!(check(&b).unwrap_err(), BundleError::TrailingData);
    }

    #[test]
    fn another_key_is_refused() {
        let b = bundle();
        let e = verify(&b, &[key(9).verifying_key()], &engine()).unwrap_err();
        assert_eq!(e, BundleError::BadSignature);
        assert_eq!(e.status(), 403);
        // Any one trusted key is enough.
        verify(
            &b,
            &[key(9).verifying_key(), key(1).verifying_key()],
            &engine(),
        )
        .unwrap();
        assert_eq!(
            verify(&b, &[], &engine()).unwrap_err(),
            BundleError::NoTrustedKeys
        );
    }

    #[test]
    fn another_engine_is_refused_before_the_members_arrive() {
        let mut m = manifest();
        m.engine.quickjs = String::from("0.10.0");
        let b = build(
            m,
            &[MemberData {
                name: "hello.js",
                kind: MemberKind::Module,
                bytes: MODULE,
            }],
            &key(1),
        )
        .unwrap();
        let (_, m_end, _, _) = sections(&b);
        let keys = [key(1).verifying_key()];
        let e = engine();
        let mut v = Verifier::new(&keys, &e, 1 << 20);
        let err = v.feed(&b[..m_end]).unwrap_err();
        assert!(matches!(err, BundleError::EngineMismatch { .. }), "{err:?}");
        assert_eq!(err.status(), 422);
        let mut other = engine();
        other.bytecode += 1;
        assert!(matches!(
            verify(&bundle(), &keys, &other).unwrap_err(),
            BundleError::EngineMismatch { .. }
        ));
    }

    #[test]
    fn oversized_bundles_are_refused_from_the_manifest() {
        let b = bundle();
        let keys = [key(1).verifying_key()];
        let e = engine();
        let (_, m_end, _, _) = sections(&b);
        let mut v = Verifier::new(&keys, &e, m_end as u64 + 10);
        let err = v.feed(&b[..m_end]).unwrap_err();
        assert!(matches!(err, BundleError::TooLarge(_)), "{err:?}");
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn project_files_parse() {
        let p = Project::parse(
            br#"{"name":"hello","routes":[{"prefix":"/hi"}],"env":{"A":"b"},
                 "bindings":{"K":{"type":"kv"}},"limits":{"cpu_ms":5}}"#,
        )
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("hello"));
        assert_eq!(p.routes[0].prefix, "/hi");
        assert_eq!(p.env["A"], "b");
        assert_eq!(p.limits.cpu_ms, 5);
        assert!(Project::parse(br#"{"nmae":"x"}"#).is_err());
    }

    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        for (edit, needle) in [
            (
                (|m: &mut Manifest| m.name = String::from("../x")) as fn(&mut Manifest),
                "name '../x'",
            ),
            (|m| m.version = String::new(), "version ''"),
            (|m| m.entry = String::from("nope.js"), "entry 'nope.js'"),
            (
                |m| m.routes[0].prefix = String::from("/_isere/x"),
                "belongs to the device",
            ),
            (
                |m| m.routes[0].prefix = String::from("x"),
                "must start with",
            ),
        ] {
            let mut m = manifest();
            edit(&mut m);
            let e = build(
                m,
                &[MemberData {
                    name: "hello.js",
                    kind: MemberKind::Module,
                    bytes: MODULE,
                }],
                &key(1),
            )
            .unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
        let e = Manifest::parse(br#"{"name":"a","colour":1}"#).unwrap_err();
        assert!(matches!(e, BundleError::InvalidManifest(_)), "{e:?}");
    }
}
