//! Over-the-air deploys: signed function bundles, their store, activation
//! and the admin API under `/_isere/`.
//!
//! * [`bundle`]: the bundle file format and its streaming verifier.
//! * [`store`]: the [`store::BundleStore`] contract and its power-loss
//!   protocol; [`fs_store`] implements it on the device's file system
//!   (every port that mounts one), `port/posix/store.rs` on a host
//!   directory (`isere-sim --bundles DIR`).
//! * [`admin`]: the admin API's endpoints.
//!
//! A port that has a store creates an [`Ota`] at start, [`install`]s it and
//! restores the deployed functions ([`Ota::restore_into`]; the boards do it
//! in `port/common/boot.rs`); without one (no file system: the ESP32-C3,
//! the RP2040 emulator build), the admin endpoints other than
//! `/_isere/stats` answer 501.
//!
//! # Credentials
//!
//! * Admin calls carry `Authorization: Bearer TOKEN`; the device keeps only
//!   the token's SHA-256 (`admin.token_sha256` of its configuration) and
//!   compares in constant time. No token configured: every admin call is 401.
//! * Bundles and configurations must be signed by one of the Ed25519 public
//!   keys of `admin.trusted_keys`: a stolen token alone cannot run code.
//!
//! # Function numbers
//!
//! The JS task knows functions by number: the configuration's functions
//! first, in order, then each deployed name the first time it is deployed.
//! Deploying a name that the configuration defines replaces that function
//! (its configured routes keep pointing at it); the manifest's routes are
//! added to the routing table, and win over configured ones on a tie.
//!
//! A deployed function's static members (`isere build --static DIR`) answer
//! `GET`/`HEAD` under its routes before the function runs (`index.html` for
//! the route itself), read from the store in pieces ([`Ota::asset`]).
//!
//! A configuration pushed over the air applies at once, all of it (see
//! [`admin`]): log level, credentials, server limits, the size of the
//! connection pool and the engine's memory limit (both clamped to what the
//! port can afford), the configured functions (added, changed and removed
//! ones loaded and unloaded in the JS task between requests, all or
//! nothing) and the routes. A configured function that has the name of a
//! deployed one stays shadowed by it.

pub mod admin;
pub mod bundle;
pub mod fs_store;
pub mod store;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, Ordering};

use ed25519_dalek::VerifyingKey;

use crate::config::{AdminConfig, Config, Route, RouteTarget};
use crate::rtos::Mutex;
use bundle::{BundleError, EngineVersion, MemberKind, Verified, Verifier};
use store::{BundleStore, StoreError};

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

/// A function deployed over the air.
#[derive(Clone, Debug)]
pub struct Deployed {
    /// Its name.
    pub name: String,
    /// Its number in the JS task.
    pub number: usize,
    /// The version running.
    pub version: String,
    /// The version a rollback returns to.
    pub previous: Option<String>,
    /// Routes from its manifest (their target is its number).
    pub routes: Vec<Route>,
    /// Its static files: member name (a path relative to its routes) and
    /// where the bytes are in its bundle.
    pub assets: Vec<(String, bundle::MemberRange)>,
}

/// A static file of a deployed function, found by [`Ota::asset`].
pub struct Asset {
    /// The function.
    pub name: String,
    /// The version whose bundle holds it.
    pub version: String,
    /// Where its bytes are.
    pub range: bundle::MemberRange,
    /// Its `content-type`, from its extension.
    pub content_type: &'static str,
}

/// The `content-type` of a static file, from its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html;charset=UTF-8",
        "css" => "text/css;charset=UTF-8",
        "js" | "mjs" => "text/javascript;charset=UTF-8",
        "json" => "application/json",
        "txt" => "text/plain;charset=UTF-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A function of the configuration and its number in the JS task.
#[derive(Clone, Debug)]
struct Configured {
    def: crate::config::FunctionConfig,
    number: usize,
}

/// Compiles a function file of the device's host (see
/// [`Ota::set_file_compiler`]).
pub type FileCompiler = fn(&str) -> Result<Vec<(String, Vec<u8>)>, String>;

struct State {
    keys: Vec<VerifyingKey>,
    token_sha256: Option<[u8; 32]>,
    max_bundle_bytes: u64,
    /// The configuration's functions (a pushed configuration's once it ran).
    configured: Vec<Configured>,
    /// How this port compiles a configured function's file, if it can.
    compile_file: Option<FileCompiler>,
    deployed: Vec<Deployed>,
    next_number: usize,
    /// The configuration as last given (at start or by `PUT /_isere/config`).
    config_json: Vec<u8>,
    /// Configured routes replaced by `PUT /_isere/config`, by function number.
    routes: Option<Vec<Route>>,
}

/// The device's OTA state: the store, the credentials and what is deployed.
pub struct Ota {
    store: &'static dyn BundleStore,
    engine: EngineVersion,
    state: Mutex<State>,
    /// One deploy, rollback or delete at a time.
    changing: Mutex<()>,
}

/// Why a key list or token in the configuration is unusable.
fn parse_keys(admin: &AdminConfig) -> Result<Vec<VerifyingKey>, String> {
    admin
        .trusted_keys
        .iter()
        .map(|k| {
            VerifyingKey::from_bytes(k).map_err(|_| {
                let mut hex = String::new();
                bundle::hex(&mut hex, k);
                alloc::format!("admin.trusted_keys: {hex} is not an Ed25519 public key")
            })
        })
        .collect()
}

impl Ota {
    /// The OTA state for `config` over `store`; `config_json` is the text it
    /// was parsed from (what `GET /_isere/config` returns).
    pub fn new(
        store: &'static dyn BundleStore,
        config: &Config,
        config_json: Vec<u8>,
    ) -> Result<Ota, String> {
        let state = State {
            keys: parse_keys(&config.admin)?,
            token_sha256: config.admin.token_sha256,
            max_bundle_bytes: config.admin.max_bundle_bytes,
            configured: config
                .functions
                .iter()
                .enumerate()
                .map(|(number, def)| Configured {
                    def: def.clone(),
                    number,
                })
                .collect(),
            compile_file: None,
            deployed: Vec::new(),
            next_number: config.functions.len(),
            config_json,
            routes: None,
        };
        Ok(Ota {
            store,
            engine: engine_version(),
            state: Mutex::new(state).map_err(|e| alloc::format!("{e}"))?,
            changing: Mutex::new(()).map_err(|e| alloc::format!("{e}"))?,
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

    /// The route for `path`: the longest prefix among the deployed
    /// functions' routes (their targets are function numbers) and the
    /// configured ones (`configured`, unless a pushed configuration replaced
    /// them); a deployed route wins a tie.
    pub fn route(&self, path: &str, configured: &[Route]) -> Option<Route> {
        self.state.with(|s| {
            let configured = s.routes.as_deref().unwrap_or(configured);
            // `max_by_key` keeps the last of equal keys: deployed routes
            // come last so that they win a tie, as `Config::route` keeps
            // the last of equal configured ones.
            configured
                .iter()
                .chain(s.deployed.iter().flat_map(|d| d.routes.iter()))
                .filter(|r| crate::config::prefix_matches(&r.prefix, path))
                .max_by_key(|r| r.prefix.len())
                .cloned()
        })
    }

    /// Replaces the configured routes with `routes`, whose targets index
    /// the configured functions (as last committed).
    fn replace_routes(&self, routes: Vec<Route>) {
        self.state.with(|s| {
            let routes = routes
                .into_iter()
                .filter_map(|mut r| {
                    if let RouteTarget::Function(i) = r.target {
                        r.target = RouteTarget::Function(s.configured.get(i)?.number);
                    }
                    Some(r)
                })
                .collect();
            s.routes = Some(routes);
        })
    }

    /// The static file a `GET`/`HEAD` of `path` names: a static member of a
    /// deployed function whose route covers `path`, by the rest of the path
    /// (`index.html` for the route itself or a path ending in `/`). Static
    /// files answer before the function does.
    pub fn asset(&self, path: &str) -> Option<Asset> {
        self.state.with(|s| {
            for d in &s.deployed {
                if d.assets.is_empty() {
                    continue;
                }
                for r in &d.routes {
                    if !crate::config::prefix_matches(&r.prefix, path) {
                        continue;
                    }
                    let prefix = r.prefix.strip_suffix('/').unwrap_or(&r.prefix);
                    let rest = path[prefix.len()..].trim_start_matches('/');
                    let rel = if rest.is_empty() || rest.ends_with('/') {
                        alloc::format!("{rest}index.html")
                    } else {
                        String::from(rest)
                    };
                    if let Some((name, range)) = d.assets.iter().find(|(n, _)| *n == rel) {
                        return Some(Asset {
                            name: d.name.clone(),
                            version: d.version.clone(),
                            range: *range,
                            content_type: content_type(name),
                        });
                    }
                }
            }
            None
        })
    }

    /// What a configuration's `functions` change in the configured ones:
    /// the functions to load (added or changed, resolved to bytecode here)
    /// and to unload (gone), by number. Until [`Ota::end_plan`] the state
    /// has no configured functions (deploys wait meanwhile: the caller holds
    /// `changing`).
    fn plan_functions(
        &self,
        functions: Vec<crate::config::FunctionConfig>,
    ) -> Result<FunctionPlan, String> {
        let (previous, next_number, compile) = self.state.with(|s| {
            let previous = core::mem::take(&mut s.configured);
            (previous, s.next_number, s.compile_file)
        });
        let mut plan = FunctionPlan {
            changes: Vec::new(),
            configured: Vec::new(),
            previous,
            next_number,
            loaded: String::new(),
            removed: String::new(),
        };
        if let Err(e) = self.fill_plan(&mut plan, functions, compile) {
            self.end_plan(plan.previous, None);
            return Err(e);
        }
        Ok(plan)
    }

    fn fill_plan(
        &self,
        plan: &mut FunctionPlan,
        functions: Vec<crate::config::FunctionConfig>,
        compile: Option<FileCompiler>,
    ) -> Result<(), String> {
        let deployed = |name: &str| {
            self.state
                .with(|s| s.deployed.iter().find(|d| d.name == name).map(|d| d.number))
        };
        for def in functions {
            let previous = plan.previous.iter().find(|c| c.def.name == def.name);
            let shadowing = deployed(&def.name);
            let number = match shadowing.or(previous.map(|c| c.number)) {
                Some(n) => n,
                None => {
                    plan.next_number += 1;
                    plan.next_number - 1
                }
            };
            // A deployed function of that name runs instead; an unchanged
            // one keeps running as it is.
            if shadowing.is_none() && previous.is_none_or(|c| c.def != def) {
                let mut compile_path = |path: &str| match compile {
                    Some(c) => c(path),
                    None => Err(alloc::format!(
                        "{path}: this device cannot compile files: name a built-in module or deploy a bundle"
                    )),
                };
                let load = crate::js::task::resolve_function(&def, &mut compile_path)?;
                plan.changes.push(crate::js::task::FunctionChange {
                    function: number,
                    load: Some(load),
                    init_limit_ms: 0,
                });
                json_list_item(&mut plan.loaded, &def.name);
            }
            plan.configured.push(Configured { def, number });
        }
        for c in &plan.previous {
            let kept = plan.configured.iter().any(|d| d.def.name == c.def.name);
            if kept || deployed(&c.def.name).is_some() {
                continue;
            }
            plan.changes.push(crate::js::task::FunctionChange {
                function: c.number,
                load: None,
                init_limit_ms: 0,
            });
            json_list_item(&mut plan.removed, &c.def.name);
        }
        Ok(())
    }

    /// Ends a plan: the configured functions become `configured` (the
    /// plan's, once the JS task applied it, with its next number), or the
    /// previous ones again.
    fn end_plan(&self, configured: Vec<Configured>, next_number: Option<usize>) {
        self.state.with(|s| {
            s.configured = configured;
            if let Some(n) = next_number {
                s.next_number = n;
            }
        });
    }

    /// Whether `authorization` (the header's value) carries the admin token.
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        use sha2::Digest as _;
        let Some(expected) = self.state.with(|s| s.token_sha256) else {
            return false;
        };
        let Some(token) = authorization.and_then(|a| a.strip_prefix(b"Bearer ")) else {
            return false;
        };
        let got: [u8; 32] = sha2::Sha256::digest(token).into();
        // Constant time: no early exit on the first differing byte.
        got.iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// A streaming verifier for an upload, with the current keys and limit.
    fn verifier_parts(&self) -> (Vec<VerifyingKey>, u64) {
        self.state.with(|s| (s.keys.clone(), s.max_bundle_bytes))
    }

    /// Re-verifies stored bundle `version` of `name` by streaming it from
    /// the store (flash can rot; keys can have been revoked).
    pub fn verify_stored(&self, name: &str, version: &str) -> Result<Verified, String> {
        let (keys, _) = self.verifier_parts();
        let len = self
            .store
            .len(name, version)
            .map_err(|e| alloc::format!("{name} {version}: {e}"))?;
        let mut v = Verifier::new(&keys, &self.engine, u64::MAX);
        let mut buf = alloc::vec![0u8; 2048];
        let mut at = 0u64;
        while at < len {
            let n = (len - at).min(buf.len() as u64) as usize;
            self.store
                .read(name, version, at, &mut buf[..n])
                .map_err(|e| alloc::format!("{name} {version}: {e}"))?;
            v.feed(&buf[..n])
                .map_err(|e| alloc::format!("{name} {version}: {e}"))?;
            at += n as u64;
        }
        let verified = v
            .finish()
            .map_err(|e| alloc::format!("{name} {version}: {e}"))?;
        if verified.manifest.name != name || verified.manifest.version != version {
            return Err(alloc::format!(
                "{name} {version}: the stored bundle is {} {}",
                verified.manifest.name,
                verified.manifest.version
            ));
        }
        Ok(verified)
    }

    /// What the JS task needs to run a verified stored bundle.
    pub fn loaded_function(
        &self,
        verified: &Verified,
    ) -> Result<crate::js::task::LoadedFunction, StoreError> {
        let m = &verified.manifest;
        let range = verified.range(&m.entry).ok_or(StoreError::NotFound)?;
        let bytecode = self
            .store
            .read_member(&m.name, &m.version, range.offset, range.len)?;
        debug_assert!(
            m.members
                .iter()
                .any(|x| x.name == m.entry && x.kind == MemberKind::Module)
        );
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
        Ok(crate::js::task::LoadedFunction {
            name: m.name.clone(),
            bytecode,
            modules,
            env: m.env.clone(),
            bindings: m.bindings.clone(),
            cpu_limit_ms: m.limits.cpu_ms,
        })
    }

    /// The number `name` has or gets in the JS task.
    fn number_for(&self, name: &str) -> usize {
        self.state.with(|s| {
            if let Some(d) = s.deployed.iter().find(|d| d.name == name) {
                return d.number;
            }
            if let Some(i) = configured_number(&s.configured, name) {
                return i;
            }
            let n = s.next_number;
            s.next_number += 1;
            n
        })
    }

    /// Records that `verified` now runs as function `number`.
    fn record(&self, number: usize, verified: &Verified, previous: Option<String>) {
        let m = &verified.manifest;
        let routes = m
            .routes
            .iter()
            .map(|r| Route {
                prefix: r.prefix.clone(),
                target: RouteTarget::Function(number),
                methods: r.methods.clone(),
            })
            .collect();
        let assets = m
            .members
            .iter()
            .zip(&verified.ranges)
            .filter(|(member, _)| member.kind == MemberKind::Static)
            .map(|(member, range)| (member.name.clone(), *range))
            .collect();
        let entry = Deployed {
            name: m.name.clone(),
            number,
            version: m.version.clone(),
            previous,
            routes,
            assets,
        };
        self.state.with(|s| {
            s.deployed.retain(|d| d.name != m.name);
            s.deployed.push(entry);
        });
    }

    /// What is deployed now.
    pub fn deployed(&self) -> Vec<Deployed> {
        self.state.with(|s| s.deployed.clone())
    }

    /// The configuration text last applied.
    pub fn config_json(&self) -> Vec<u8> {
        self.state.with(|s| s.config_json.clone())
    }

    /// Brings back the functions deployed before the last stop into the
    /// running JS task (call once at start, before the server starts).
    pub fn restore_into(&self, js: crate::js::JsTask) {
        use crate::js::Reply;
        use crate::js::task::{Activation, FunctionChange};
        use crate::rtos::{Queue, WAIT_FOREVER};
        let Ok(replies) = Queue::<Reply>::new(1) else {
            log::error!(target: TAG, "out of memory: deployed functions not restored");
            return;
        };
        let mut seq = 0u32;
        // An `Activation` answers to a `'static` queue: this one small
        // queue is leaked, once per start.
        let replies: &'static Queue<Reply> =
            alloc::boxed::Box::leak(alloc::boxed::Box::new(replies));
        self.restore(|function, load, init_limit_ms| {
            seq += 1;
            let activation = alloc::boxed::Box::new(Activation {
                seq,
                changes: alloc::vec![FunctionChange {
                    function,
                    load: Some(load),
                    init_limit_ms,
                }],
                reply_to: replies,
            });
            js.activate(activation)
                .map_err(|_| String::from("the JS queue is full"))?;
            let reply = replies
                .receive(WAIT_FOREVER)
                .ok_or_else(|| String::from("no answer from the JS task"))?;
            if reply.status == 200 {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(reply.body.as_deref().unwrap_or(&[])).into_owned())
            }
        });
    }

    /// Brings back what the store says is active, at start, through
    /// `activate` (the JS task's activation): the active version, else the
    /// previous one; logs the outcome for each function.
    pub fn restore(
        &self,
        mut activate: impl FnMut(usize, crate::js::task::LoadedFunction, u32) -> Result<(), String>,
    ) {
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
            let pointer = match self.store.pointer(&name) {
                Ok(p) => p,
                Err(e) => {
                    log::error!(target: TAG, "{name}: cannot read its pointer: {e}");
                    continue;
                }
            };
            let number = self.number_for(&name);
            let candidates = [
                (pointer.active.clone(), pointer.previous.clone()),
                (pointer.previous.clone(), None),
            ];
            let mut restored = false;
            for (version, previous) in candidates {
                let Some(version) = version else { continue };
                let outcome = self.verify_stored(&name, &version).and_then(|v| {
                    let f = self
                        .loaded_function(&v)
                        .map_err(|e| alloc::format!("{e}"))?;
                    activate(number, f, v.manifest.limits.init_ms)?;
                    Ok(v)
                });
                match outcome {
                    Ok(v) => {
                        log::info!(target: TAG, "{name} {version} restored");
                        self.record(number, &v, previous);
                        restored = true;
                        break;
                    }
                    Err(e) => log::error!(target: TAG, "{name} {version} cannot run: {e}"),
                }
            }
            if !restored {
                log::error!(target: TAG, "{name}: no stored version runs; it stays undeployed");
            }
        }
    }
}

/// What a pushed configuration changes in the configured functions (see
/// [`Ota::plan_functions`]).
struct FunctionPlan {
    /// For the JS task, all or nothing.
    changes: Vec<crate::js::task::FunctionChange>,
    /// The configured functions once applied.
    configured: Vec<Configured>,
    /// The configured functions before.
    previous: Vec<Configured>,
    next_number: usize,
    /// Names of the functions loaded (added or changed) and unloaded, as
    /// JSON array members.
    loaded: String,
    removed: String,
}

/// Appends `item` to the members of a JSON array of strings.
fn json_list_item(list: &mut String, item: &str) {
    if !list.is_empty() {
        list.push(',');
    }
    bundle::json_string(list, item);
}

/// The number of configured function `name`.
fn configured_number(configured: &[Configured], name: &str) -> Option<usize> {
    configured
        .iter()
        .find(|c| c.def.name == name)
        .map(|c| c.number)
}

static OTA: AtomicPtr<Ota> = AtomicPtr::new(core::ptr::null_mut());

/// Makes `ota` the device's OTA state (once, at start).
pub fn install(ota: &'static Ota) {
    OTA.store((ota as *const Ota).cast_mut(), Ordering::Release);
}

/// The installed OTA state, if the port has a store.
pub fn installed() -> Option<&'static Ota> {
    // SAFETY: set once from a `&'static`, never freed.
    unsafe { OTA.load(Ordering::Acquire).as_ref() }
}

/// Converts a bundle error into the admin API's status and message.
pub fn bundle_rejection(e: &BundleError) -> (u16, String) {
    (e.status(), alloc::format!("{e}"))
}
