//! The admin API under `/_isere/`, as the [`AdminApi`] the server is given:
//!
//! | call | does |
//! |---|---|
//! | `GET /_isere/device` | the device id, fleet and request floor (public: what a client signs for) |
//! | `GET /_isere/stats` | answered by the server once this API authenticated it |
//! | `GET /_isere/functions` | deployed functions, active and previous versions |
//! | `PUT /_isere/functions/{name}` | uploads a bundle (streamed to the store), activates it |
//! | `POST /_isere/functions/{name}/rollback` | returns to the previous version |
//! | `DELETE /_isere/functions/{name}` | stops serving it and removes its bundles |
//! | `GET /_isere/config` | the configuration as last applied (its serial in `x-isere-config-serial`) |
//! | `PUT /_isere/config` | replaces it (signed: the JSON then a 64-byte signature) |
//! | `GET /_isere/logs?since=N&wait=MS` | log lines after cursor `N`; waits up to `MS` for new ones |
//!
//! Every call but `device` (and `stats` where `admin.public_stats` says so,
//! or no admin key is configured) is signed by an admin key ([`super::auth`];
//! 401 otherwise), decided from the head alone, before its body is read;
//! the body must then hash to what the signature declared (401 otherwise,
//! checked before anything is committed). Names are checked (400) before
//! the signature. A rejected call changes nothing: an upload that fails
//! verification is dropped from the store, a version that fails to load
//! never becomes active, a configuration that does not verify or parse,
//! or one of whose functions fails to load, is not written and changes
//! nothing.
//!
//! A bundle older ([`state::version_order`]) than the highest version the
//! device has seen for its function is refused (409); `rollback` returns
//! to the kept previous version, which is allowed.
//!
//! A signed configuration is the JSON followed by an Ed25519 signature over
//! `"isere config v1\0"` ‖ SHA-256(JSON), by one of the trusted keys that
//! is also one of the keys the configuration trusts itself. Its `audience`
//! must be the device id or `admin.fleet` (403 otherwise) and its `serial`
//! above the running configuration's (409 otherwise); it is stored with its
//! signature and checked again at each start ([`stored_config`]).
//!
//! A configuration that is accepted applies at once, all of it (see
//! [`super`]), and only then is stored: what the device starts with has run.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::bundle::{self, Verifier, valid_name};
use super::store::{Pointer, StagedUpload, StoreFile};
use super::{Ota, OtaError, TAG, auth, state};
use crate::config::Config;
use crate::http::admin::{
    AdminApi, AdminRequest, AdminResponse, Authenticated, BodyError, BodySource, OneField,
};
use crate::js::task::{ActivationError, FunctionChange, LoadedFunction};
use crate::running::{FunctionId, Update};

/// Prefix of the message a configuration's signature signs.
pub const CONFIG_SIGNING_CONTEXT: &[u8; 16] = b"isere config v1\0";
/// Largest signed configuration accepted (held in RAM to be parsed).
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Longest `GET /_isere/logs` waits for new lines.
pub const MAX_LOG_WAIT_MS: u64 = 25_000;

impl AdminApi for Ota {
    fn authenticate(&self, req: &AdminRequest<'_>) -> Result<Authenticated, AdminResponse> {
        let segments: Vec<&str> = req.path.split('/').collect();
        let public = match segments.as_slice() {
            ["device"] => true,
            ["stats"] => self
                .state
                .with(|s| s.public_stats || s.admin_keys.is_empty()),
            ["functions"] | ["config"] | ["logs"] => false,
            ["functions", name] | ["functions", name, "rollback"] => {
                // Every name is checked before it can reach a store path.
                if !valid_name(name) {
                    return Err(AdminResponse::error(400, BAD_NAME));
                }
                false
            }
            _ => return Err(AdminResponse::error(404, "no such admin endpoint")),
        };
        if public {
            return Ok(Authenticated { body_sha256: None });
        }
        let line = auth::RequestLine {
            method: req.method,
            path: req.path,
            query: req.query,
        };
        match self.authenticate_request(req.authorization, &line) {
            Ok(body) => Ok(Authenticated {
                body_sha256: Some(body),
            }),
            Err(OtaError::Auth(e)) => {
                log::warn!(target: TAG, "admin call refused: {e}");
                let mut r = AdminResponse::error_fmt(401, format_args!("{e}"));
                r.headers
                    .push((String::from("www-authenticate"), String::from(auth::SCHEME)));
                r.headers.push(floor_header(self));
                Err(r)
            }
            Err(e) => Err(AdminResponse::error_fmt(
                500,
                format_args!("cannot record the request: {e}"),
            )),
        }
    }

    fn handle(
        &self,
        req: &AdminRequest<'_>,
        auth: Authenticated,
        body: &mut dyn BodySource,
    ) -> AdminResponse {
        let segments: Vec<&str> = req.path.split('/').collect();
        let mut hashed = Hashed {
            inner: body,
            hasher: Sha256::new(),
            expected: auth.body_sha256,
        };
        let body = &mut hashed;
        match (req.method, segments.as_slice()) {
            ("GET", ["device"]) => {
                let mut r = AdminResponse::json(
                    200,
                    &DeviceInfo {
                        device: self.device_id(),
                        fleet: self.state.with(|s| s.fleet.clone()).as_deref(),
                        floor: self.admin_floor(),
                    },
                );
                r.headers.push(floor_header(self));
                r
            }
            ("GET", ["functions"]) => list(self),
            ("PUT", ["functions", name]) => self.changing.with(|_| deploy(self, body, name)),
            ("POST", ["functions", name, "rollback"]) => {
                self.changing.with(|_| rollback(self, name))
            }
            ("DELETE", ["functions", name]) => self.changing.with(|_| delete(self, name)),
            ("GET", ["config"]) => AdminResponse {
                status: 200,
                content_type: "application/json",
                body: self.config_json(),
                headers: alloc::vec![(
                    String::from("x-isere-config-serial"),
                    alloc::format!("{}", self.state.with(|s| s.serial)),
                )],
            },
            ("PUT", ["config"]) => self.changing.with(|_| put_config(self, body)),
            ("GET", ["logs"]) => logs(self, req.query),
            (_, ["functions" | "config" | "logs" | "device", ..]) => AdminResponse::error(
                405,
                "method not allowed here (see the admin API in the README)",
            ),
            _ => AdminResponse::error(404, "no such admin endpoint"),
        }
    }
}

const BAD_NAME: &str = "function names are 1 to 64 of A-Z a-z 0-9 . _ + -";

/// `x-isere-admin-floor`: signed requests need a counter above it.
fn floor_header(ota: &Ota) -> (String, String) {
    (
        String::from("x-isere-admin-floor"),
        alloc::format!("{}", ota.admin_floor()),
    )
}

/// What `GET /_isere/device` answers (public: what a client signs for).
#[derive(Serialize)]
struct DeviceInfo<'a> {
    device: &'a str,
    fleet: Option<&'a str>,
    floor: u64,
}

/// The body of an authenticated call, checked against the SHA-256 its
/// signature covers as it ends: before a deploy or a configuration is
/// committed. A mismatch is a 401.
struct Hashed<'a> {
    inner: &'a mut dyn BodySource,
    hasher: Sha256,
    expected: Option<[u8; 32]>,
}

impl BodySource for Hashed<'_> {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, BodyError> {
        let more = self.inner.next_chunk(out)?;
        // What `out` holds once the body has ended is not body.
        if more {
            self.hasher.update(&out[..]);
        }
        if !more && let Some(expected) = self.expected {
            let got: [u8; 32] = core::mem::take(&mut self.hasher).finalize().into();
            if got != expected {
                return Err(BodyError(401));
            }
        }
        Ok(more)
    }
}

/// The answer to a body that could not be read (or did not match its
/// signature).
fn body_refused(e: BodyError) -> AdminResponse {
    AdminResponse::error(
        e.0,
        if e.0 == 401 {
            "the body is not the one signed (its SHA-256 differs): nothing changed"
        } else {
            "the upload was cut short"
        },
    )
}

/// Has the JS task load `load` as function `id` (or remove it).
fn activate_one(
    ota: &Ota,
    id: FunctionId,
    load: Option<LoadedFunction>,
    init_limit_ms: u32,
) -> Result<(), ActivationError> {
    ota.control.activate(alloc::vec![FunctionChange {
        function: id,
        load,
        init_limit_ms,
    }])
}

#[derive(Serialize)]
struct FunctionList<'a> {
    functions: Vec<FunctionEntry<'a>>,
}

#[derive(Serialize)]
struct FunctionEntry<'a> {
    name: &'a str,
    active: &'a str,
    previous: Option<&'a str>,
    routes: &'a [String],
}

fn list(ota: &Ota) -> AdminResponse {
    let deployed = ota.deployed();
    let functions = deployed
        .iter()
        .map(|d| FunctionEntry {
            name: &d.name,
            active: &d.version,
            previous: d.previous.as_deref(),
            routes: &d.routes,
        })
        .collect();
    AdminResponse::json(200, &FunctionList { functions })
}

/// What a deploy or a rollback answers.
#[derive(Serialize)]
struct Switched<'a> {
    name: &'a str,
    active: &'a str,
    previous: Option<&'a str>,
    /// The active version's bundle size.
    bytes: u64,
}

fn deploy(ota: &Ota, body: &mut dyn BodySource, name: &str) -> AdminResponse {
    let store = ota.store;
    let (keys, max) = ota.verifier_parts();
    let mut verifier = Verifier::new(&keys, &ota.engine, max);
    let mut upload = match store.begin(name) {
        Ok(u) => u,
        Err(e) => {
            return AdminResponse::error_fmt(500, format_args!("cannot stage the upload: {e}"));
        }
    };
    let mut chunk = Vec::new();
    loop {
        match body.next_chunk(&mut chunk) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                upload.abort();
                return body_refused(e);
            }
        }
        if let Err(e) = verifier.feed(&chunk) {
            upload.abort();
            log::warn!(target: TAG, "upload of {name} refused: {e}");
            return AdminResponse::error_fmt(e.status(), format_args!("{e}"));
        }
        if let Err(e) = upload.append(&chunk) {
            upload.abort();
            return AdminResponse::error_fmt(507, format_args!("cannot store the upload: {e}"));
        }
    }
    let verified = match verifier.finish() {
        Ok(v) => v,
        Err(e) => {
            upload.abort();
            log::warn!(target: TAG, "upload of {name} refused: {e}");
            return AdminResponse::error_fmt(e.status(), format_args!("{e}"));
        }
    };
    let m = &verified.manifest;
    let refuse = |upload: Box<dyn StagedUpload + '_>, status, msg: core::fmt::Arguments<'_>| {
        upload.abort();
        AdminResponse::error_fmt(status, msg)
    };
    if m.name != name {
        return refuse(
            upload,
            422,
            format_args!(
                "the bundle is function '{}', uploaded to /_isere/functions/{name}: upload it to /_isere/functions/{}",
                m.name, m.name
            ),
        );
    }
    let pointer = match store.pointer(name) {
        Ok(p) => p,
        Err(e) => return refuse(upload, 500, format_args!("cannot read the pointer: {e}")),
    };
    if pointer.names(&m.version) {
        return refuse(
            upload,
            409,
            format_args!(
                "version {} is already the active or previous version of '{name}': bump the version (or use rollback)",
                m.version
            ),
        );
    }
    if let Some(highest) = ota.highest_seen(name)
        && state::version_order(&m.version, &highest) == core::cmp::Ordering::Less
    {
        return refuse(
            upload,
            409,
            format_args!(
                "version {} is older than version {highest} of '{name}' deployed before: bump the version (or use rollback)",
                m.version
            ),
        );
    }
    // Recorded before it can run: a version that ran is never undercut.
    if let Err(e) = ota.saw(name, &m.version) {
        return refuse(upload, 507, format_args!("cannot record the version: {e}"));
    }
    if let Err(e) = upload.commit(&m.version) {
        return AdminResponse::error_fmt(507, format_args!("cannot store the bundle: {e}"));
    }
    let function = match ota.loaded_function(&verified) {
        Ok(f) => f,
        Err(e) => {
            let _ = store.delete_version(name, &m.version);
            return AdminResponse::error_fmt(
                500,
                format_args!("cannot read the stored bundle back: {e}"),
            );
        }
    };
    let id = match ota.id_for(name) {
        Ok(id) => id,
        Err(e) => {
            let _ = store.delete_version(name, &m.version);
            return AdminResponse::error_fmt(422, format_args!("{e}"));
        }
    };
    if let Err(e) = activate_one(ota, id, Some(function), m.limits.init_ms) {
        let _ = store.delete_version(name, &m.version);
        let still = match &pointer.active {
            Some(v) => alloc::format!("version {v} still serves"),
            None => String::from("nothing was deployed"),
        };
        return AdminResponse::error_fmt(
            activation_status(&e),
            format_args!("version {} failed to start: {e}; {still}", m.version),
        );
    }
    let next = Pointer {
        active: Some(m.version.clone()),
        previous: pointer.active.clone(),
    };
    if let Err(e) = store.set_pointer(name, &next) {
        // The new version runs but would not survive a restart.
        log::error!(target: TAG, "{name} {}: pointer not written: {e}", m.version);
        return AdminResponse::error_fmt(
            500,
            format_args!("version {} runs but could not be recorded: {e}", m.version),
        );
    }
    if let Some(old) = pointer.previous.as_deref().filter(|o| !next.names(o)) {
        let _ = store.delete_version(name, old);
    }
    ota.record(id, &verified, pointer.active.clone());
    log::info!(target: TAG, "{name} {} deployed ({} bytes)", m.version, verified.len);
    AdminResponse::json(
        200,
        &Switched {
            name,
            active: &m.version,
            previous: pointer.active.as_deref(),
            bytes: verified.len,
        },
    )
}

/// The status of a refused activation: the JS task busy is worth a retry.
fn activation_status(e: &ActivationError) -> u16 {
    match e {
        ActivationError::Busy => 503,
        ActivationError::LoadFailed(_) | ActivationError::NoFreeContext => 422,
    }
}

fn rollback(ota: &Ota, name: &str) -> AdminResponse {
    let pointer = match ota.store.pointer(name) {
        Ok(p) => p,
        Err(e) => return AdminResponse::error_fmt(500, format_args!("{e}")),
    };
    let (Some(active), Some(previous)) = (pointer.active.clone(), pointer.previous.clone()) else {
        return AdminResponse::error_fmt(
            409,
            format_args!("'{name}' has no previous version to roll back to"),
        );
    };
    let verified = match ota.verify_stored(name, &previous) {
        Ok(v) => v,
        Err(e) => {
            return AdminResponse::error_fmt(
                422,
                format_args!("cannot roll back: {name} {previous}: {e}"),
            );
        }
    };
    let function = match ota.loaded_function(&verified) {
        Ok(f) => f,
        Err(e) => return AdminResponse::error_fmt(500, format_args!("cannot roll back: {e}")),
    };
    let id = match ota.id_for(name) {
        Ok(id) => id,
        Err(e) => return AdminResponse::error_fmt(422, format_args!("{e}")),
    };
    let init_ms = verified.manifest.limits.init_ms;
    if let Err(e) = activate_one(ota, id, Some(function), init_ms) {
        return AdminResponse::error_fmt(
            activation_status(&e),
            format_args!("version {previous} failed to start: {e}; {active} still serves"),
        );
    }
    let next = Pointer {
        active: Some(previous.clone()),
        previous: Some(active.clone()),
    };
    if let Err(e) = ota.store.set_pointer(name, &next) {
        return AdminResponse::error_fmt(500, format_args!("rolled back but not recorded: {e}"));
    }
    ota.record(id, &verified, Some(active.clone()));
    log::info!(target: TAG, "{name} rolled back from {active} to {previous}");
    AdminResponse::json(
        200,
        &Switched {
            name,
            active: &previous,
            previous: Some(&active),
            bytes: verified.len,
        },
    )
}

fn delete(ota: &Ota, name: &str) -> AdminResponse {
    let Some(d) = ota.deployed().into_iter().find(|d| d.name == name) else {
        return AdminResponse::error_fmt(404, format_args!("'{name}' is not deployed"));
    };
    // A configured function of that name was shadowed: it serves again, as
    // it would after a restart.
    let configured = match ota.configured_version(name) {
        Ok(c) => c,
        Err(e) => {
            return AdminResponse::error_fmt(
                422,
                format_args!(
                    "'{name}' is configured, but its configured version cannot load: {e}; nothing changed"
                ),
            );
        }
    };
    let unshadowed = configured.is_some();
    if let Err(e) = activate_one(ota, d.id, configured, 0) {
        return AdminResponse::error_fmt(500, format_args!("cannot stop '{name}': {e}"));
    }
    ota.forget(name);
    if let Err(e) = ota.store.delete_function(name) {
        return AdminResponse::error_fmt(500, format_args!("stopped, but not removed: {e}"));
    }
    let then = if unshadowed {
        "; its configured version serves again"
    } else {
        ""
    };
    log::info!(target: TAG, "{name} deleted{then}");
    AdminResponse::json(
        200,
        &OneField {
            key: "deleted",
            value: name,
        },
    )
}

/// Why a signed configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigRejection {
    /// The device trusts no key yet.
    NoTrustedKey,
    /// Too short to hold a signature.
    Unsigned,
    /// The signature is not by a trusted key.
    BadSignature,
}

impl core::fmt::Display for ConfigRejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConfigRejection::NoTrustedKey => {
                "this device trusts no signing key yet: add one to admin.trusted_keys at provisioning"
            }
            ConfigRejection::Unsigned => {
                "a signed configuration is the JSON followed by its 64-byte signature (`isere config push` makes one)"
            }
            ConfigRejection::BadSignature => {
                "bad signature: the configuration was not signed by a key this device trusts"
            }
        })
    }
}

/// Checks a signed configuration; returns its JSON and the key that
/// signed it.
pub fn verify_config<'b>(
    signed: &'b [u8],
    keys: &[VerifyingKey],
) -> Result<(&'b [u8], VerifyingKey), ConfigRejection> {
    if keys.is_empty() {
        return Err(ConfigRejection::NoTrustedKey);
    }
    if signed.len() <= bundle::SIGNATURE_LEN {
        return Err(ConfigRejection::Unsigned);
    }
    let (json, sig) = signed.split_at(signed.len() - bundle::SIGNATURE_LEN);
    let message = config_signed_message(json);
    let mut s = [0u8; 64];
    s.copy_from_slice(sig);
    let signature = Signature::from_bytes(&s);
    keys.iter()
        .find(|k| k.verify_strict(&message, &signature).is_ok())
        .map(|k| (json, *k))
        .ok_or(ConfigRejection::BadSignature)
}

/// The message a configuration's signature signs (for the CLI).
pub fn config_signed_message(json: &[u8]) -> [u8; 48] {
    let mut message = [0u8; 48];
    message[..16].copy_from_slice(CONFIG_SIGNING_CONTEXT);
    message[16..].copy_from_slice(&Sha256::digest(json));
    message
}

/// The configuration pushed over the air before this start, checked
/// again (flash can rot, files can be planted): its signature must be by a
/// key it trusts itself, as `PUT /_isere/config` made sure it was. Returns
/// it and its JSON; `Ok(None)` when none was pushed.
pub fn stored_config(
    store: &dyn super::store::BundleStore,
) -> Result<Option<(Config, Vec<u8>)>, String> {
    let Some(signed) = store
        .read_file(StoreFile::Config)
        .map_err(|e| alloc::format!("{e}"))?
    else {
        return Ok(None);
    };
    let json = &signed[..signed.len().saturating_sub(bundle::SIGNATURE_LEN)];
    let config = Config::parse(json).map_err(|e| alloc::format!("{e}"))?;
    let keys = super::parse_keys(&config.admin.trusted_keys).map_err(|e| alloc::format!("{e}"))?;
    verify_config(&signed, &keys).map_err(|e| alloc::format!("{e}"))?;
    Ok(Some((config, json.to_vec())))
}

/// What `PUT /_isere/config` answers.
#[derive(Serialize)]
struct ConfigApplied<'a> {
    stored: bool,
    applied: &'a [&'a str],
    after_restart: &'a [&'a str],
    max_connections: usize,
    js_memory_bytes: usize,
    clamped: bool,
    loaded: &'a [String],
    unloaded: &'a [String],
}

/// A pushed configuration's checks that need no code loaded: signed by a
/// key the device trusts and one the configuration trusts itself (so it
/// can be checked again at each start), for this device or its fleet,
/// newer than the running one, and leaving the device administrable.
fn check_config(ota: &Ota, signed: &[u8]) -> Result<(Config, Vec<u8>), AdminResponse> {
    let (keys, _) = ota.verifier_parts();
    let (json, signer) = verify_config(signed, &keys)
        .map_err(|e| AdminResponse::error_fmt(403, format_args!("{e}")))?;
    let config =
        Config::parse(json).map_err(|e| AdminResponse::error_fmt(422, format_args!("{e}")))?;
    let (fleet, serial) = ota.state.with(|s| (s.fleet.clone(), s.serial));
    let ours = |a: &String| *a == ota.device || fleet.as_ref() == Some(a);
    if !config.audience.as_ref().is_some_and(ours) {
        return Err(AdminResponse::error_fmt(
            403,
            format_args!(
                "the configuration is for audience {:?}, this device is {} (fleet {:?}): sign it for this device (isere config push does)",
                config.audience.as_deref().unwrap_or(""),
                ota.device,
                fleet.as_deref().unwrap_or("")
            ),
        ));
    }
    if config.serial <= serial {
        return Err(AdminResponse::error_fmt(
            409,
            format_args!(
                "serial {} is not above the running configuration's {serial}: replayed or out of date",
                config.serial
            ),
        ));
    }
    if config.admin.trusted_keys.is_empty() || config.admin.admin_keys.is_empty() {
        return Err(AdminResponse::error(
            422,
            "the new configuration has no admin.admin_keys or no admin.trusted_keys: the device could never be administered again",
        ));
    }
    if !config
        .admin
        .trusted_keys
        .iter()
        .any(|k| k == signer.as_bytes())
    {
        return Err(AdminResponse::error(
            422,
            "sign the configuration with a key it trusts itself (admin.trusted_keys): it is checked again at each start",
        ));
    }
    Ok((config, json.to_vec()))
}

fn put_config(ota: &Ota, body: &mut dyn BodySource) -> AdminResponse {
    let mut signed = Vec::new();
    let mut chunk = Vec::new();
    loop {
        match body.next_chunk(&mut chunk) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return body_refused(e),
        }
        if signed.len() + chunk.len() > MAX_CONFIG_BYTES {
            return AdminResponse::error_fmt(
                413,
                format_args!("a configuration is at most {MAX_CONFIG_BYTES} bytes"),
            );
        }
        signed.extend_from_slice(&chunk);
    }
    let (config, json) = match check_config(ota, &signed) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let parsed = super::parse_keys(&config.admin.trusted_keys)
        .and_then(|k| Ok((k, super::parse_keys(&config.admin.admin_keys)?)));
    let (keys, admin_keys) = match parsed {
        Ok(k) => k,
        Err(e) => return AdminResponse::error_fmt(422, format_args!("{e}")),
    };
    // Everything that can be refused is checked before anything changes:
    // the functions first, loaded by the JS task all or nothing.
    let Config {
        log_level,
        server,
        admin,
        functions,
        routes,
        serial,
        audience: _,
    } = config;
    let refused = |e: &dyn core::fmt::Display| {
        AdminResponse::error_fmt(422, format_args!("{e}; nothing changed, not stored"))
    };
    let mut plan = match ota.plan_functions(functions) {
        Ok(p) => p,
        Err(e) => return refused(&e),
    };
    if !plan.changes.is_empty()
        && let Err(e) = ota.control.activate(core::mem::take(&mut plan.changes))
    {
        ota.end_plan(plan.previous);
        return refused(&e);
    }
    let ids: Vec<FunctionId> = plan.configured.iter().map(|c| c.id).collect();
    ota.end_plan(plan.configured);
    // The rest applies now too: log level, server limits, the size of the
    // connection pool and the engine's memory limit (both clamped to what
    // the port affords), the routes, the admin credentials.
    let applied = ota.control.apply(&Update {
        log_level,
        server: &server,
        max_bundle_bytes: admin.max_bundle_bytes,
        routes: &routes,
        functions: &ids,
    });
    ota.state.with(|s| {
        s.keys = keys;
        s.admin_keys = admin_keys;
        s.max_bundle_bytes = admin.max_bundle_bytes;
        s.fleet = admin.fleet;
        s.public_stats = admin.public_stats;
        s.serial = serial;
        s.config_json = json.to_vec();
    });
    // Stored last, with its signature: a configuration that could not run
    // is never what the device starts with.
    if let Err(e) = ota.store.write_file(StoreFile::Config, &signed) {
        return AdminResponse::error_fmt(
            507,
            format_args!("applied but not stored ({e}): lost at restart"),
        );
    }
    log::info!(target: TAG, "configuration {serial} applied");
    // Clamped values are reported as applied, beside `clamped`.
    AdminResponse::json(
        200,
        &ConfigApplied {
            stored: true,
            applied: &["log_level", "admin", "server", "routes", "functions"],
            after_restart: &[],
            max_connections: applied.max_connections,
            js_memory_bytes: applied.js_memory_bytes,
            clamped: applied.clamped,
            loaded: &plan.loaded,
            unloaded: &plan.removed,
        },
    )
}

fn logs(ota: &Ota, query: &str) -> AdminResponse {
    let mut since = 0u64;
    let mut wait_ms = 0u64;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "since" => since = v.parse().unwrap_or(0),
            "wait" => wait_ms = v.parse::<u64>().unwrap_or(0).min(MAX_LOG_WAIT_MS),
            _ => {}
        }
    }
    let deadline = crate::rtos::tick_count().saturating_add(crate::rtos::ms_to_ticks(wait_ms));
    let (text, next) = loop {
        let (text, next) = ota.log.read_ring(since);
        if !text.is_empty() || crate::rtos::tick_count() >= deadline {
            break (text, next);
        }
        crate::rtos::delay(crate::rtos::ms_to_ticks(100));
    };
    AdminResponse {
        status: 200,
        content_type: "text/plain;charset=UTF-8",
        body: text,
        headers: alloc::vec![(String::from("x-isere-log-next"), alloc::format!("{next}"))],
    }
}
