//! The admin API under `/_isere/` (besides `/_isere/stats`, which the
//! server answers itself, unauthenticated):
//!
//! | call | does |
//! |---|---|
//! | `GET /_isere/functions` | deployed functions, active and previous versions |
//! | `PUT /_isere/functions/{name}` | uploads a bundle (streamed to the store), activates it |
//! | `POST /_isere/functions/{name}/rollback` | returns to the previous version |
//! | `DELETE /_isere/functions/{name}` | stops serving it and removes its bundles |
//! | `GET /_isere/config` | the configuration as last applied |
//! | `PUT /_isere/config` | replaces it (signed: the JSON then a 64-byte signature) |
//! | `GET /_isere/logs?since=N&wait=MS` | log lines after cursor `N`; waits up to `MS` for new ones |
//!
//! Every call needs the admin token (401 otherwise). A rejected call changes
//! nothing: an upload that fails verification is dropped from the store, a
//! version that fails to load never becomes active, a configuration that
//! does not verify or parse, or one of whose functions fails to load, is not
//! written and changes nothing.
//!
//! A configuration that is accepted applies at once, all of it (see
//! [`super`]), and only then is stored: what the device starts with has run.
//!
//! A signed configuration is the JSON followed by an Ed25519 signature over
//! `"isere config v1\0"` ‖ SHA-256(JSON), by one of the trusted keys.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use super::bundle::{self, Verifier, json_string, valid_name};
use super::store::Pointer;
use super::{Ota, TAG};
use crate::config::Config;
use crate::js::task::{FunctionChange, LoadedFunction};

/// Prefix of the message a configuration's signature signs.
pub const CONFIG_SIGNING_CONTEXT: &[u8; 16] = b"isere config v1\0";
/// Largest signed configuration accepted (held in RAM to be parsed).
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// Longest `GET /_isere/logs` waits for new lines.
pub const MAX_LOG_WAIT_MS: u64 = 25_000;

/// What an admin call needs from the connection that carries it.
pub trait Link {
    /// Replaces `out` with the next bytes of the request body; `Ok(false)`
    /// once the body has ended. `Err` carries the status to answer with.
    fn body_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, u16>;
    /// Has the JS task apply `changes` (all or nothing, see
    /// [`crate::js::task::Activation`]) and waits for the outcome.
    fn activate(&mut self, changes: Vec<FunctionChange>) -> Result<(), String>;
}

/// An admin call, as the server parsed it.
pub struct AdminRequest<'a> {
    /// Method.
    pub method: &'a str,
    /// The path after `/_isere/`.
    pub path: &'a str,
    /// The query string (after `?`), possibly empty.
    pub query: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a [u8]>,
}

/// The answer to an admin call.
pub struct AdminResponse {
    /// Status code.
    pub status: u16,
    /// `content-type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
    /// Extra header fields.
    pub headers: Vec<(String, String)>,
}

impl AdminResponse {
    fn json(status: u16, body: String) -> AdminResponse {
        AdminResponse {
            status,
            content_type: "application/json",
            body: body.into_bytes(),
            headers: Vec::new(),
        }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: &str) -> AdminResponse {
        let mut body = String::from("{\"error\":");
        json_string(&mut body, message);
        body.push_str("}\n");
        AdminResponse::json(status, body)
    }
}

/// Answers an admin call (not `stats`).
pub fn handle(req: &AdminRequest<'_>, link: &mut dyn Link) -> AdminResponse {
    let segments: Vec<&str> = req.path.split('/').collect();
    let known = matches!(
        segments.as_slice(),
        ["functions"] | ["functions", _] | ["functions", _, "rollback"] | ["config"] | ["logs"]
    );
    if !known {
        return AdminResponse::error(404, "no such admin endpoint");
    }
    let Some(ota) = super::installed() else {
        return AdminResponse::error(
            501,
            "this device has no bundle store: over-the-air deploys are not available on this port yet",
        );
    };
    if !ota.authorized(req.authorization) {
        let mut r = AdminResponse::error(
            401,
            "admin calls need `Authorization: Bearer TOKEN` with the token whose SHA-256 is admin.token_sha256 of the device configuration",
        );
        r.headers
            .push((String::from("www-authenticate"), String::from("Bearer")));
        return r;
    }
    match (req.method, segments.as_slice()) {
        ("GET", ["functions"]) => list(ota),
        ("PUT", ["functions", name]) => ota.changing.with(|_| deploy(ota, link, name)),
        ("POST", ["functions", name, "rollback"]) => {
            ota.changing.with(|_| rollback(ota, link, name))
        }
        ("DELETE", ["functions", name]) => ota.changing.with(|_| delete(ota, link, name)),
        ("GET", ["config"]) => AdminResponse {
            status: 200,
            content_type: "application/json",
            body: ota.config_json(),
            headers: Vec::new(),
        },
        ("PUT", ["config"]) => ota.changing.with(|_| put_config(ota, link)),
        ("GET", ["logs"]) => logs(req.query),
        // A known endpoint (checked above) with another method.
        _ => AdminResponse::error(
            405,
            "method not allowed here (see the admin API in the README)",
        ),
    }
}

/// Has the JS task load `load` as function `number` (or remove it).
fn activate_one(
    link: &mut dyn Link,
    number: usize,
    load: Option<LoadedFunction>,
    init_limit_ms: u32,
) -> Result<(), String> {
    link.activate(alloc::vec![FunctionChange {
        function: number,
        load,
        init_limit_ms,
    }])
}

fn list(ota: &Ota) -> AdminResponse {
    let mut s = String::from("{\"functions\":[");
    for (i, d) in ota.deployed().iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"name\":");
        json_string(&mut s, &d.name);
        s.push_str(",\"active\":");
        json_string(&mut s, &d.version);
        s.push_str(",\"previous\":");
        match &d.previous {
            Some(p) => json_string(&mut s, p),
            None => s.push_str("null"),
        }
        s.push_str(",\"routes\":[");
        for (j, r) in d.routes.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            json_string(&mut s, &r.prefix);
        }
        s.push_str("]}");
    }
    s.push_str("]}\n");
    AdminResponse::json(200, s)
}

fn deploy(ota: &Ota, link: &mut dyn Link, name: &str) -> AdminResponse {
    if !valid_name(name) {
        return AdminResponse::error(400, "function names are 1 to 64 of A-Z a-z 0-9 . _ + -");
    }
    let store = ota.store;
    let (keys, max) = ota.verifier_parts();
    let mut verifier = Verifier::new(&keys, &ota.engine, max);
    let mut upload = match store.begin(name) {
        Ok(u) => u,
        Err(e) => {
            return AdminResponse::error(500, &alloc::format!("cannot stage the upload: {e}"));
        }
    };
    let mut chunk = Vec::new();
    loop {
        match link.body_chunk(&mut chunk) {
            Ok(true) => {}
            Ok(false) => break,
            Err(status) => {
                upload.abort();
                return AdminResponse::error(status, "the upload was cut short");
            }
        }
        if let Err(e) = verifier.feed(&chunk) {
            upload.abort();
            log::warn!(target: TAG, "upload of {name} refused: {e}");
            return AdminResponse::error(e.status(), &alloc::format!("{e}"));
        }
        if let Err(e) = upload.append(&chunk) {
            upload.abort();
            return AdminResponse::error(507, &alloc::format!("cannot store the upload: {e}"));
        }
    }
    let verified = match verifier.finish() {
        Ok(v) => v,
        Err(e) => {
            upload.abort();
            log::warn!(target: TAG, "upload of {name} refused: {e}");
            return AdminResponse::error(e.status(), &alloc::format!("{e}"));
        }
    };
    let m = &verified.manifest;
    let refuse =
        |upload: alloc::boxed::Box<dyn super::store::StagedUpload + '_>, status, msg: String| {
            upload.abort();
            AdminResponse::error(status, &msg)
        };
    if m.name != name {
        return refuse(
            upload,
            422,
            alloc::format!(
                "the bundle is function '{}', uploaded to /_isere/functions/{name}: upload it to /_isere/functions/{}",
                m.name,
                m.name
            ),
        );
    }
    let pointer = match store.pointer(name) {
        Ok(p) => p,
        Err(e) => return refuse(upload, 500, alloc::format!("cannot read the pointer: {e}")),
    };
    if pointer.names(&m.version) {
        return refuse(
            upload,
            409,
            alloc::format!(
                "version {} is already the active or previous version of '{name}': bump the version (or use rollback)",
                m.version
            ),
        );
    }
    if let Err(e) = upload.commit(&m.version) {
        return AdminResponse::error(507, &alloc::format!("cannot store the bundle: {e}"));
    }
    let finish = |status, msg: String| AdminResponse::error(status, &msg);
    let function = match ota.loaded_function(&verified) {
        Ok(f) => f,
        Err(e) => {
            let _ = store.delete_version(name, &m.version);
            return finish(
                500,
                alloc::format!("cannot read the stored bundle back: {e}"),
            );
        }
    };
    let number = ota.number_for(name);
    if let Err(e) = activate_one(link, number, Some(function), m.limits.init_ms) {
        let _ = store.delete_version(name, &m.version);
        let still = match &pointer.active {
            Some(v) => alloc::format!("version {v} still serves"),
            None => String::from("nothing was deployed"),
        };
        return finish(
            422,
            alloc::format!("version {} failed to start: {e}; {still}", m.version),
        );
    }
    let next = Pointer {
        active: Some(m.version.clone()),
        previous: pointer.active.clone(),
    };
    if let Err(e) = store.set_pointer(name, &next) {
        // The new version runs but would not survive a restart.
        log::error!(target: TAG, "{name} {}: pointer not written: {e}", m.version);
        return finish(
            500,
            alloc::format!("version {} runs but could not be recorded: {e}", m.version),
        );
    }
    if let Some(old) = pointer.previous.as_deref().filter(|o| !next.names(o)) {
        let _ = store.delete_version(name, old);
    }
    ota.record(number, &verified, pointer.active.clone());
    log::info!(target: TAG, "{name} {} deployed ({} bytes)", m.version, verified.len);
    let mut s = String::from("{\"name\":");
    json_string(&mut s, name);
    s.push_str(",\"active\":");
    json_string(&mut s, &m.version);
    s.push_str(",\"previous\":");
    match &pointer.active {
        Some(p) => json_string(&mut s, p),
        None => s.push_str("null"),
    }
    let _ = writeln!(s, ",\"bytes\":{}}}", verified.len);
    AdminResponse::json(200, s)
}

fn rollback(ota: &Ota, link: &mut dyn Link, name: &str) -> AdminResponse {
    let pointer = match ota.store.pointer(name) {
        Ok(p) => p,
        Err(e) => return AdminResponse::error(500, &alloc::format!("{e}")),
    };
    let (Some(active), Some(previous)) = (pointer.active.clone(), pointer.previous.clone()) else {
        return AdminResponse::error(
            409,
            &alloc::format!("'{name}' has no previous version to roll back to"),
        );
    };
    let verified = match ota.verify_stored(name, &previous) {
        Ok(v) => v,
        Err(e) => return AdminResponse::error(422, &alloc::format!("cannot roll back: {e}")),
    };
    let function = match ota.loaded_function(&verified) {
        Ok(f) => f,
        Err(e) => return AdminResponse::error(500, &alloc::format!("cannot roll back: {e}")),
    };
    let number = ota.number_for(name);
    if let Err(e) = activate_one(
        link,
        number,
        Some(function),
        verified.manifest.limits.init_ms,
    ) {
        return AdminResponse::error(
            422,
            &alloc::format!("version {previous} failed to start: {e}; {active} still serves"),
        );
    }
    let next = Pointer {
        active: Some(previous.clone()),
        previous: Some(active.clone()),
    };
    if let Err(e) = ota.store.set_pointer(name, &next) {
        return AdminResponse::error(500, &alloc::format!("rolled back but not recorded: {e}"));
    }
    ota.record(number, &verified, Some(active.clone()));
    log::info!(target: TAG, "{name} rolled back from {active} to {previous}");
    let mut s = String::from("{\"name\":");
    json_string(&mut s, name);
    s.push_str(",\"active\":");
    json_string(&mut s, &previous);
    s.push_str(",\"previous\":");
    json_string(&mut s, &active);
    s.push_str("}\n");
    AdminResponse::json(200, s)
}

fn delete(ota: &Ota, link: &mut dyn Link, name: &str) -> AdminResponse {
    let Some(d) = ota.deployed().into_iter().find(|d| d.name == name) else {
        return AdminResponse::error(404, &alloc::format!("'{name}' is not deployed"));
    };
    if let Err(e) = activate_one(link, d.number, None, 0) {
        return AdminResponse::error(500, &alloc::format!("cannot stop '{name}': {e}"));
    }
    ota.state.with(|s| s.deployed.retain(|x| x.name != name));
    if let Err(e) = ota.store.delete_function(name) {
        return AdminResponse::error(500, &alloc::format!("stopped, but not removed: {e}"));
    }
    log::info!(target: TAG, "{name} deleted");
    AdminResponse::json(200, alloc::format!("{{\"deleted\":\"{name}\"}}\n"))
}

/// Checks a signed configuration; returns its JSON.
pub fn verify_config<'b>(signed: &'b [u8], keys: &[VerifyingKey]) -> Result<&'b [u8], String> {
    if keys.is_empty() {
        return Err(String::from(
            "this device trusts no signing key yet: add one to admin.trusted_keys at provisioning",
        ));
    }
    if signed.len() <= bundle::SIGNATURE_LEN {
        return Err(String::from(
            "a signed configuration is the JSON followed by its 64-byte signature (`isere config push` makes one)",
        ));
    }
    let (json, sig) = signed.split_at(signed.len() - bundle::SIGNATURE_LEN);
    let mut message = [0u8; 48];
    message[..16].copy_from_slice(CONFIG_SIGNING_CONTEXT);
    message[16..].copy_from_slice(&Sha256::digest(json));
    let mut s = [0u8; 64];
    s.copy_from_slice(sig);
    let signature = Signature::from_bytes(&s);
    if keys
        .iter()
        .any(|k| k.verify_strict(&message, &signature).is_ok())
    {
        Ok(json)
    } else {
        Err(String::from(
            "bad signature: the configuration was not signed by a key this device trusts",
        ))
    }
}

/// The message a configuration's signature signs (for the CLI).
pub fn config_signed_message(json: &[u8]) -> [u8; 48] {
    let mut message = [0u8; 48];
    message[..16].copy_from_slice(CONFIG_SIGNING_CONTEXT);
    message[16..].copy_from_slice(&Sha256::digest(json));
    message
}

fn put_config(ota: &Ota, link: &mut dyn Link) -> AdminResponse {
    let mut signed = Vec::new();
    let mut chunk = Vec::new();
    loop {
        match link.body_chunk(&mut chunk) {
            Ok(true) => {}
            Ok(false) => break,
            Err(status) => return AdminResponse::error(status, "the upload was cut short"),
        }
        if signed.len() + chunk.len() > MAX_CONFIG_BYTES {
            return AdminResponse::error(
                413,
                &alloc::format!("a configuration is at most {MAX_CONFIG_BYTES} bytes"),
            );
        }
        signed.extend_from_slice(&chunk);
    }
    let (keys, _) = ota.verifier_parts();
    let json = match verify_config(&signed, &keys) {
        Ok(j) => j,
        Err(e) => return AdminResponse::error(403, &e),
    };
    let config = match Config::parse(json) {
        Ok(c) => c,
        Err(e) => return AdminResponse::error(422, &alloc::format!("{e}")),
    };
    if config.admin.trusted_keys.is_empty() || config.admin.token_sha256.is_none() {
        return AdminResponse::error(
            422,
            "the new configuration has no admin.token_sha256 or no admin.trusted_keys: the device could never be administered again",
        );
    }
    let keys = match super::parse_keys(&config.admin) {
        Ok(k) => k,
        Err(e) => return AdminResponse::error(422, &e),
    };
    // Everything that can be refused is checked before anything changes:
    // the functions first, loaded by the JS task all or nothing.
    let Config {
        log_level,
        server,
        admin,
        functions,
        routes,
    } = config;
    let refused =
        |e: String| AdminResponse::error(422, &alloc::format!("{e}; nothing changed, not stored"));
    let mut plan = match ota.plan_functions(functions) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    if !plan.changes.is_empty()
        && let Err(e) = link.activate(core::mem::take(&mut plan.changes))
    {
        ota.end_plan(plan.previous, None);
        return refused(e);
    }
    ota.end_plan(plan.configured, Some(plan.next_number));
    // The rest applies now too: log level, admin credentials, server limits,
    // the size of the connection pool and the engine's memory limit (both
    // clamped to what the port affords), the routes.
    crate::logger::set_level(log_level);
    crate::http::server::apply_limits(&server, admin.max_bundle_bytes);
    crate::js::task::set_cpu_limit_ms(server.handler_timeout_ms);
    let connections = crate::http::server::set_max_connections(server.max_connections);
    let memory = crate::js::task::set_memory_limit(server.js_memory_bytes);
    ota.replace_routes(routes);
    ota.state.with(|s| {
        s.keys = keys;
        s.token_sha256 = admin.token_sha256;
        s.max_bundle_bytes = admin.max_bundle_bytes;
        s.config_json = json.to_vec();
    });
    // Clamped values are reported as applied, beside `clamped`.
    let clamped = server.max_connections != connections || server.js_memory_bytes != memory;
    // Stored last: a configuration that could not run is never what the
    // device starts with.
    if let Err(e) = ota.store.write_config(json) {
        return AdminResponse::error(
            507,
            &alloc::format!("applied but not stored ({e}): lost at restart"),
        );
    }
    log::info!(target: TAG, "configuration replaced");
    let mut body = alloc::format!(
        "{{\"stored\":true,\"applied\":[\"log_level\",\"admin\",\"server\",\"routes\",\"functions\"],\"after_restart\":[],\"max_connections\":{connections},\"js_memory_bytes\":{memory},\"clamped\":{clamped}"
    );
    let _ = writeln!(
        body,
        ",\"loaded\":[{}],\"unloaded\":[{}]}}",
        plan.loaded, plan.removed
    );
    AdminResponse::json(200, body)
}

fn logs(query: &str) -> AdminResponse {
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
        let (text, next) = crate::logger::read_ring(since);
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
