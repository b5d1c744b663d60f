//! Over-the-air deploys: signed function bundles, their store, activation
//! and the admin API under `/_isere/`.
//!
//! * [`bundle`]: the bundle file format and its streaming verifier.
//! * [`store`]: the [`store::BundleStore`] contract and its power-loss
//!   protocol; [`fs_store`] implements it on the device's file system
//!   (every port that mounts one), `port/posix/store.rs` on a host
//!   directory (`isere-sim --bundles DIR`).
//! * [`admin`]: the admin API's endpoints.
//! * [`auth`]: admin request signatures and their replay protection.
//! * [`state`]: what the device never goes back on (request floor,
//!   highest bundle versions).
//!
//! A port that has a store creates an [`Ota`] at start (its composition
//! root: `crate::device`), restores the deployed functions
//! ([`Ota::restore`]) and hands it to the server as its admin API and the
//! source of deployed static files; without one (no file system: the
//! ESP32-C3, the RP2040 emulator build), the admin endpoints other than
//! `/_isere/stats` answer 501.
//!
//! The over-the-air layer never calls the server or the JS task: what it
//! changes goes through the narrow [`Control`] it is given (activate
//! functions, apply a configuration) and the running configuration
//! ([`crate::running::Running`]: routes, limits, function ids).
//!
//! # Credentials
//!
//! * Admin calls are signed by one of the Ed25519 keys of
//!   `admin.admin_keys` (see [`auth`]); the device keeps public keys only.
//!   No admin key configured: every admin call is 401.
//! * Bundles and configurations must be signed by one of the Ed25519 public
//!   keys of `admin.trusted_keys` (a separate key: the admin key's holder
//!   alone cannot run code). A configuration also names its audience (the
//!   device id or its `admin.fleet`) and a serial greater than the running
//!   one's (see [`admin`]).
//! * The device id is made from the port's entropy at first start and kept
//!   in the store ([`store::StoreFile::Identity`]).
//!
//! # Function ids
//!
//! The JS task knows functions by [`FunctionId`] (given by the running
//! configuration): the configuration's functions first, in order, then
//! each deployed name the first time it is deployed.
//! Deploying a name that the configuration defines replaces that function
//! (its configured routes keep pointing at it); the manifest's routes are
//! added to the routing table, and win over configured ones on a tie.
//!
//! A deployed function's static members (`isere build --static DIR`) answer
//! `GET`/`HEAD` under its routes before the function runs (`index.html` for
//! the route itself), read from the store in pieces (the route table of
//! [`crate::running`] finds them; [`Ota`] reads them as the server's
//! [`AssetSource`]).
//!
//! A configuration pushed over the air applies at once, all of it (see
//! [`admin`]): log level, credentials, server limits, the size of the
//! connection pool and the engine's memory limit (both clamped to what the
//! port can afford), the configured functions (added, changed and removed
//! ones loaded and unloaded in the JS task between requests, all or
//! nothing) and the routes. A configured function that has the name of a
//! deployed one stays shadowed by it.

pub mod admin;
pub mod auth;
pub mod bundle;
pub mod fs_store;
pub mod state;
pub mod store;
#[cfg(all(test, feature = "port-posix"))]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;

use ed25519_dalek::VerifyingKey;

use crate::config::{Config, FunctionConfig};
use crate::http::server::{AssetError, AssetSource};
use crate::js::task::{ActivationError, FunctionChange, LoadedFunction};
use crate::logger::Logger;
use crate::rtos::{Mutex, OutOfMemory};
use crate::running::{self, Applied, AssetRange, FunctionId, Running, TooManyFunctions, Update};
use bundle::{BundleError, EngineVersion, MemberKind, Verified, Verifier};
use state::DeviceState;
use store::{BundleStore, StoreError, StoreFile};

const TAG: &str = "ota";

/// The engine this firmware runs: bundles must be built for exactly it.
pub fn engine_version() -> EngineVersion {
    // SAFETY: returns a pointer to a static NUL-terminated string.
    let v = unsafe { core::ffi::CStr::from_ptr(rquickjs_sys::JS_GetVersion()) };
    EngineVersion {
        quickjs: String::from(v.to_str().unwrap_or("unknown")),
        bytecode: bundle::BYTECODE_FORMAT,
    }
}

/// What the over-the-air layer may change on the running device, and
/// nothing more: implemented by the device's composition (`crate::device`)
/// over the JS task, the running configuration and the server's pool.
pub trait Control: Sync {
    /// Has the JS task apply `changes`, all or nothing, and waits for the
    /// outcome (see [`crate::js::JsTask::activate`]).
    fn activate(&self, changes: Vec<FunctionChange>) -> Result<(), ActivationError>;
    /// Applies the parts of a configuration that need no code loaded
    /// (log level, limits, pool size, routes); returns what applied.
    fn apply(&self, update: &Update<'_>) -> Applied;
}

/// Why the over-the-air layer refused or failed something.
#[derive(Debug)]
pub enum OtaError {
    /// A trusted or admin key of the configuration is not an Ed25519
    /// public key (hex of the 32 bytes).
    BadKey(String),
    /// The store failed.
    Store(StoreError),
    /// A stored bundle does not verify.
    Bundle(BundleError),
    /// A stored bundle is another function's or version's: what its
    /// manifest says (the caller knows what it was stored as).
    Mismatch(String, String),
    /// A configured function cannot be turned into bytecode.
    Function(String),
    /// The JS task refused the change.
    Activation(ActivationError),
    /// More functions than the device runs.
    TooManyFunctions,
    /// Not enough memory for the OTA state.
    OutOfMemory,
    /// An admin request was not authenticated.
    Auth(auth::AuthError),
    /// The port has no entropy to make the device id with.
    NoEntropy,
}

impl core::fmt::Display for OtaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OtaError::BadKey(hex) => {
                write!(f, "admin keys: {hex} is not an Ed25519 public key")
            }
            OtaError::Store(e) => write!(f, "{e}"),
            OtaError::Bundle(e) => write!(f, "{e}"),
            OtaError::Mismatch(name, version) => {
                write!(f, "the stored bundle is {name} {version}")
            }
            OtaError::Function(e) => f.write_str(e),
            OtaError::Activation(e) => write!(f, "{e}"),
            OtaError::TooManyFunctions => write!(f, "{TooManyFunctions}"),
            OtaError::OutOfMemory => f.write_str("out of memory"),
            OtaError::Auth(e) => write!(f, "{e}"),
            OtaError::NoEntropy => f.write_str("no entropy for the device id"),
        }
    }
}

impl From<StoreError> for OtaError {
    fn from(e: StoreError) -> OtaError {
        OtaError::Store(e)
    }
}

impl From<BundleError> for OtaError {
    fn from(e: BundleError) -> OtaError {
        OtaError::Bundle(e)
    }
}

impl From<ActivationError> for OtaError {
    fn from(e: ActivationError) -> OtaError {
        OtaError::Activation(e)
    }
}

impl From<TooManyFunctions> for OtaError {
    fn from(_: TooManyFunctions) -> OtaError {
        OtaError::TooManyFunctions
    }
}

impl From<OutOfMemory> for OtaError {
    fn from(_: OutOfMemory) -> OtaError {
        OtaError::OutOfMemory
    }
}

/// A function deployed over the air.
#[derive(Clone, Debug)]
pub struct Deployed {
    /// Its name.
    pub name: String,
    /// Its id in the JS task.
    pub id: FunctionId,
    /// The version running.
    pub version: String,
    /// The version a rollback returns to.
    pub previous: Option<String>,
    /// The prefixes of the routes of its manifest.
    pub routes: Vec<String>,
}

/// A function of the configuration and its id.
#[derive(Clone, Debug)]
struct Configured {
    def: FunctionConfig,
    id: FunctionId,
}

/// Compiles a function file of the device's host (see
/// [`Ota::set_file_compiler`]).
pub type FileCompiler = fn(&str) -> Result<Vec<(String, Vec<u8>)>, String>;

struct State {
    keys: Vec<VerifyingKey>,
    admin_keys: Vec<VerifyingKey>,
    /// Admin requests accepted lately.
    guard: auth::ReplayGuard,
    /// What is persisted in the store's state file.
    persisted: DeviceState,
    /// The fleet (`admin.fleet`), the running configuration's serial and
    /// whether stats are public.
    fleet: Option<String>,
    serial: u64,
    public_stats: bool,
    max_bundle_bytes: u64,
    /// The configuration's functions (a pushed configuration's once it ran).
    configured: Vec<Configured>,
    /// How this port compiles a configured function's file, if it can.
    compile_file: Option<FileCompiler>,
    deployed: Vec<Deployed>,
    /// The configuration as last given (at start or by `PUT /_isere/config`).
    config_json: Vec<u8>,
}

/// The device's OTA state: the store, the credentials and what is deployed.
pub struct Ota {
    store: &'static dyn BundleStore,
    /// The device id (a configuration's audience, in every admin signature).
    device: String,
    engine: EngineVersion,
    running: &'static Running,
    control: &'static dyn Control,
    log: &'static Logger,
    state: Mutex<State>,
    /// One deploy, rollback, delete or configuration at a time.
    changing: Mutex<()>,
}

fn parse_keys(keys: &[[u8; 32]]) -> Result<Vec<VerifyingKey>, OtaError> {
    keys.iter()
        .map(|k| {
            VerifyingKey::from_bytes(k).map_err(|_| {
                let mut hex = String::new();
                bundle::hex(&mut hex, k);
                OtaError::BadKey(hex)
            })
        })
        .collect()
}

impl Ota {
    /// The OTA state for `config` over `store`; `config_json` is the text it
    /// was parsed from (what `GET /_isere/config` returns). Changes go
    /// through `control` and into `running`; `log` serves
    /// `GET /_isere/logs`; `entropy` makes the device id at first start.
    pub fn new(
        store: &'static dyn BundleStore,
        config: &Config,
        config_json: Vec<u8>,
        running: &'static Running,
        control: &'static dyn Control,
        log: &'static Logger,
        entropy: &dyn crate::port::Entropy,
    ) -> Result<Ota, OtaError> {
        let device = identity(store, entropy)?;
        let persisted = match store.read_file(StoreFile::State)? {
            Some(text) => DeviceState::parse(core::str::from_utf8(&text).unwrap_or("")),
            None => DeviceState::default(),
        };
        let configured = config
            .functions
            .iter()
            .map(|def| {
                Ok(Configured {
                    def: def.clone(),
                    id: running.id_for(&def.name)?,
                })
            })
            .collect::<Result<Vec<_>, OtaError>>()?;
        let state = State {
            keys: parse_keys(&config.admin.trusted_keys)?,
            admin_keys: parse_keys(&config.admin.admin_keys)?,
            guard: auth::ReplayGuard::new(persisted.admin_floor),
            persisted,
            fleet: config.admin.fleet.clone(),
            serial: config.serial,
            public_stats: config.admin.public_stats,
            max_bundle_bytes: config.admin.max_bundle_bytes,
            configured,
            compile_file: None,
            deployed: Vec::new(),
            config_json,
        };
        Ok(Ota {
            store,
            device,
            engine: engine_version(),
            running,
            control,
            log,
            state: Mutex::new(state)?,
            changing: Mutex::new(())?,
        })
    }

    /// The store.
    pub fn store(&self) -> &'static dyn BundleStore {
        self.store
    }

    /// Lets a pushed configuration name function files (`"path"`): this
    /// port compiles them with `compile` (see
    /// [`crate::js::modules::compile_function`]). Without it such a
    /// configuration is refused.
    pub fn set_file_compiler(&self, compile: FileCompiler) {
        self.state.with(|s| s.compile_file = Some(compile));
    }

    /// What a configuration's `functions` change in the configured ones:
    /// the functions to load (added or changed, resolved to bytecode here)
    /// and to unload (gone), by id. Until [`Ota::end_plan`] the state has
    /// no configured functions (deploys wait meanwhile: the caller holds
    /// `changing`).
    fn plan_functions(&self, functions: Vec<FunctionConfig>) -> Result<FunctionPlan, OtaError> {
        let (previous, compile) = self.state.with(|s| {
            let previous = core::mem::take(&mut s.configured);
            (previous, s.compile_file)
        });
        let mut plan = FunctionPlan {
            changes: Vec::new(),
            configured: Vec::new(),
            previous,
            loaded: Vec::new(),
            removed: Vec::new(),
        };
        if let Err(e) = self.fill_plan(&mut plan, functions, compile) {
            self.end_plan(plan.previous);
            return Err(e);
        }
        Ok(plan)
    }

    fn fill_plan(
        &self,
        plan: &mut FunctionPlan,
        functions: Vec<FunctionConfig>,
        compile: Option<FileCompiler>,
    ) -> Result<(), OtaError> {
        let deployed = |name: &str| {
            self.state
                .with(|s| s.deployed.iter().find(|d| d.name == name).map(|d| d.id))
        };
        for def in functions {
            let previous = plan.previous.iter().find(|c| c.def.name == def.name);
            let shadowing = deployed(&def.name);
            let id = self.running.id_for(&def.name)?;
            // A deployed function of that name runs instead; an unchanged
            // one keeps running as it is.
            if shadowing.is_none() && previous.is_none_or(|c| c.def != def) {
                let load = resolve_configured(&def, compile)?;
                plan.changes.push(FunctionChange {
                    function: id,
                    load: Some(load),
                    init_limit_ms: 0,
                });
                plan.loaded.push(def.name.clone());
            }
            plan.configured.push(Configured { def, id });
        }
        for c in &plan.previous {
            let kept = plan.configured.iter().any(|d| d.def.name == c.def.name);
            if kept || deployed(&c.def.name).is_some() {
                continue;
            }
            plan.changes.push(FunctionChange {
                function: c.id,
                load: None,
                init_limit_ms: 0,
            });
            plan.removed.push(c.def.name.clone());
        }
        Ok(())
    }

    /// Ends a plan: the configured functions become `configured` (the
    /// plan's, once the JS task applied it, or the previous ones again).
    fn end_plan(&self, configured: Vec<Configured>) {
        self.state.with(|s| s.configured = configured);
    }

    /// The configured version of function `name`, resolved to bytecode,
    /// if the configuration has a function of that name.
    fn configured_version(&self, name: &str) -> Result<Option<LoadedFunction>, OtaError> {
        let (def, compile) = self.state.with(|s| {
            let def = s.configured.iter().find(|c| c.def.name == name);
            (def.map(|c| c.def.clone()), s.compile_file)
        });
        let Some(def) = def else {
            return Ok(None);
        };
        resolve_configured(&def, compile).map(Some)
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.device
    }

    /// Checks an admin request's signature and freshness (see [`auth`]);
    /// once it passes, the request is spent. Returns the body's declared
    /// SHA-256.
    fn authenticate_request(
        &self,
        authorization: Option<&[u8]>,
        line: &auth::RequestLine<'_>,
    ) -> Result<[u8; 32], OtaError> {
        let credentials = authorization
            .and_then(auth::Credentials::parse)
            .ok_or(OtaError::Auth(auth::AuthError::Missing))?;
        let keys = self.state.with(|s| s.admin_keys.clone());
        if keys.is_empty() {
            return Err(OtaError::Auth(auth::AuthError::NoAdminKey));
        }
        if !credentials.verify(&keys, &self.device, line) {
            return Err(OtaError::Auth(auth::AuthError::BadSignature));
        }
        self.state.with(|s| {
            let raise = s
                .guard
                .admit(credentials.time, &credentials.nonce)
                .map_err(OtaError::Auth)?;
            if let Some(floor) = raise {
                // Before the request acts: a restart must not reopen it.
                let mut next = s.persisted.clone();
                next.admin_floor = floor;
                self.store
                    .write_file(StoreFile::State, next.to_text().as_bytes())?;
                s.persisted = next;
                s.guard.persisted(floor);
            }
            Ok(credentials.body_sha256)
        })
    }

    /// The lowest admin request counter accepted now, less one.
    pub fn admin_floor(&self) -> u64 {
        self.state.with(|s| s.guard.floor())
    }

    /// Persists that `version` of `name` was deployed (before it may run).
    fn saw(&self, name: &str, version: &str) -> Result<(), StoreError> {
        self.state.with(|s| {
            let mut next = s.persisted.clone();
            next.saw(name, version);
            if next == s.persisted {
                return Ok(());
            }
            self.store
                .write_file(StoreFile::State, next.to_text().as_bytes())?;
            s.persisted = next;
            Ok(())
        })
    }

    /// The highest version of `name` ever deployed.
    fn highest_seen(&self, name: &str) -> Option<String> {
        self.state
            .with(|s| s.persisted.highest(name).map(String::from))
    }

    /// A streaming verifier for an upload, with the current keys and limit.
    fn verifier_parts(&self) -> (Vec<VerifyingKey>, u64) {
        self.state.with(|s| (s.keys.clone(), s.max_bundle_bytes))
    }

    /// Re-verifies stored bundle `version` of `name` by streaming it from
    /// the store (flash can rot; keys can have been revoked).
    pub fn verify_stored(&self, name: &str, version: &str) -> Result<Verified, OtaError> {
        let (keys, _) = self.verifier_parts();
        let len = self.store.len(name, version)?;
        let mut v = Verifier::new(&keys, &self.engine, u64::MAX);
        let mut buf = alloc::vec![0u8; 2048];
        let mut at = 0u64;
        while at < len {
            let n = (len - at).min(buf.len() as u64) as usize;
            self.store.read(name, version, at, &mut buf[..n])?;
            v.feed(&buf[..n])?;
            at += n as u64;
        }
        let verified = v.finish()?;
        if verified.manifest.name != name || verified.manifest.version != version {
            let m = verified.manifest;
            return Err(OtaError::Mismatch(m.name, m.version));
        }
        Ok(verified)
    }

    /// What the JS task needs to run a verified stored bundle.
    pub fn loaded_function(&self, verified: &Verified) -> Result<LoadedFunction, StoreError> {
        let m = &verified.manifest;
        let range = verified.range(&m.entry).ok_or(StoreError::NotFound)?;
        let bytecode = self
            .store
            .read_member(&m.name, &m.version, range.offset, range.len)?;
        // The other modules wait in the context until the entry imports
        // them (see `crate::js::modules`).
        let mut modules = Vec::new();
        for (member, range) in m.members.iter().zip(&verified.ranges) {
            if member.kind == MemberKind::Module && member.name != m.entry {
                let bytes = self
                    .store
                    .read_member(&m.name, &m.version, range.offset, range.len)?;
                modules.push((member.name.clone(), bytes));
            }
        }
        Ok(LoadedFunction {
            name: m.name.clone(),
            bytecode,
            modules,
            env: m.env.clone(),
            bindings: m.bindings.clone(),
            cpu_limit_ms: m.limits.cpu_ms,
        })
    }

    /// The id `name` has or gets: a deployed name keeps its id, a
    /// configured name's is taken over by its deployed version.
    fn id_for(&self, name: &str) -> Result<FunctionId, OtaError> {
        Ok(self.running.id_for(name)?)
    }

    /// Records that `verified` now runs as function `id`: its routes and
    /// static files go into the running route table.
    fn record(&self, id: FunctionId, verified: &Verified, previous: Option<String>) {
        let m = &verified.manifest;
        let routes = m
            .routes
            .iter()
            .map(|r| running::Route {
                prefix: r.prefix.clone(),
                target: running::Target::Function(id),
                methods: r.methods.clone(),
            })
            .collect();
        let assets = m
            .members
            .iter()
            .zip(&verified.ranges)
            .filter(|(member, _)| member.kind == MemberKind::Static)
            .map(|(member, range)| {
                let range = AssetRange {
                    offset: range.offset,
                    len: u64::from(range.len),
                };
                (member.name.clone(), range)
            })
            .collect();
        self.running
            .set_deployed(&m.name, id, &m.version, routes, assets);
        let entry = Deployed {
            name: m.name.clone(),
            id,
            version: m.version.clone(),
            previous,
            routes: m.routes.iter().map(|r| r.prefix.clone()).collect(),
        };
        self.state.with(|s| {
            s.deployed.retain(|d| d.name != m.name);
            s.deployed.push(entry);
        });
    }

    /// Forgets deployed function `name`.
    fn forget(&self, name: &str) {
        self.running.remove_deployed(name);
        self.state.with(|s| s.deployed.retain(|x| x.name != name));
    }

    /// What is deployed now.
    pub fn deployed(&self) -> Vec<Deployed> {
        self.state.with(|s| s.deployed.clone())
    }

    /// The configuration text last applied.
    pub fn config_json(&self) -> Vec<u8> {
        self.state.with(|s| s.config_json.clone())
    }

    /// Brings back what the store says is active, at start (call once,
    /// before the server starts): the active version, else the previous
    /// one; logs the outcome for each function.
    pub fn restore(&self) {
        if let Err(e) = self.store.recover() {
            log::error!(target: TAG, "bundle store recovery failed: {e}");
        }
        let names = match self.store.functions() {
            Ok(n) => n,
            Err(e) => {
                log::error!(target: TAG, "cannot list deployed functions: {e}");
                return;
            }
        };
        for name in names {
            if let Err(e) = self.restore_one(&name) {
                log::error!(target: TAG, "{name}: {e}; it stays undeployed");
            }
        }
    }

    fn restore_one(&self, name: &str) -> Result<(), OtaError> {
        let pointer = self.store.pointer(name)?;
        let id = self.id_for(name)?;
        let candidates = [
            (pointer.active.clone(), pointer.previous.clone()),
            (pointer.previous.clone(), None),
        ];
        let mut last = None;
        for (version, previous) in candidates {
            let Some(version) = version else { continue };
            let outcome = self.verify_stored(name, &version).and_then(|v| {
                let f = self.loaded_function(&v)?;
                self.control.activate(alloc::vec![FunctionChange {
                    function: id,
                    load: Some(f),
                    init_limit_ms: v.manifest.limits.init_ms,
                }])?;
                Ok(v)
            });
            match outcome {
                Ok(v) => {
                    log::info!(target: TAG, "{name} {version} restored");
                    self.record(id, &v, previous);
                    return Ok(());
                }
                Err(e) => {
                    log::error!(target: TAG, "{name} {version} cannot run: {e}");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or(OtaError::Store(StoreError::NotFound)))
    }
}

impl AssetSource for Ota {
    fn read(&self, asset: &running::Asset, offset: u64, buf: &mut [u8]) -> Result<(), AssetError> {
        self.store
            .read(
                &asset.function,
                &asset.version,
                asset.range.offset + offset,
                buf,
            )
            .map_err(|e| AssetError(alloc::format!("{e}")))
    }
}

/// The device id kept in `store`, made at first start: `d-` and 16 hex
/// digits of `entropy` (a board with a factory-unique id may write its own
/// `identity` file instead).
fn identity(
    store: &dyn BundleStore,
    entropy: &dyn crate::port::Entropy,
) -> Result<String, OtaError> {
    if let Some(text) = store.read_file(StoreFile::Identity)? {
        let id = core::str::from_utf8(&text).unwrap_or("").trim();
        if bundle::valid_name(id) {
            return Ok(String::from(id));
        }
    }
    let mut raw = [0u8; 8];
    entropy.fill(&mut raw).map_err(|_| OtaError::NoEntropy)?;
    let mut id = String::from("d-");
    bundle::hex(&mut id, &raw);
    store.write_file(StoreFile::Identity, id.as_bytes())?;
    Ok(id)
}

/// A configured function turned into bytecode, its file compiled with
/// `compile` where it names one.
fn resolve_configured(
    def: &FunctionConfig,
    compile: Option<FileCompiler>,
) -> Result<LoadedFunction, OtaError> {
    let mut compile_path = |path: &str| match compile {
        Some(c) => c(path),
        None => Err(alloc::format!(
            "{path}: this device cannot compile files: name a built-in module or deploy a bundle"
        )),
    };
    crate::js::task::resolve_function(def, &mut compile_path).map_err(OtaError::Function)
}

/// What a pushed configuration changes in the configured functions (see
/// [`Ota::plan_functions`]).
struct FunctionPlan {
    /// For the JS task, all or nothing.
    changes: Vec<FunctionChange>,
    /// The configured functions once applied.
    configured: Vec<Configured>,
    /// The configured functions before.
    previous: Vec<Configured>,
    /// Names of the functions loaded (added or changed) and unloaded.
    loaded: Vec<String>,
    removed: Vec<String>,
}
