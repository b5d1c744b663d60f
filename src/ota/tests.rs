//! The admin API's decisions, driven for real in FreeRTOS tasks
//! ([`crate::rtos::testing`]): a real [`Ota`] over a bundle store on a RAM
//! file system, a real JS task and running configuration; only the
//! [`Control`] below the admin API is a stand-in, which records what it is
//! asked and hands it on to the JS task and the running configuration (as
//! the device's does, less the connection pool).
//!
//! Each test makes its own device (see [`Device`]), left behind when it
//! ends (its JS task runs until the test process ends).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest as _, Sha256};

use super::bundle::{self, BundleLimits, BundleRoute, Manifest, MemberData, MemberKind};
use super::fs_store::{DEFAULT_ROOT, FsStore};
use super::store::{BundleStore, Pointer, StoreFile};
use super::{Control, Ota};
use crate::config::Config;
use crate::fs::{Fs, Storage, ram::RamDevice};
use crate::http::admin::{AdminApi as _, AdminRequest, BodyError, BodySource};
use crate::http::server::AssetSource as _;
use crate::js::task::tests::support::{self, Client, compile};
use crate::js::task::{ActivationError, FunctionChange, JsTask};
use crate::logger::Logger;
use crate::rtos::{self, testing};
use crate::running::{Applied, Ceilings, FunctionId, Resolved, Running, Update};

/// The admin key of the test devices.
fn admin_key() -> SigningKey {
    SigningKey::from_bytes(&[5u8; 32])
}

/// The fleet the test devices are provisioned in.
const FLEET: &str = "lab";

/// The key the test devices trust.
fn trusted() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// A key they do not.
fn stranger() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    bundle::hex(&mut s, bytes);
    s
}

/// `"admin": {...}` with the test keys and fleet.
fn admin_json() -> String {
    admin_json_for(&admin_key())
}

/// `"admin": {...}` with admin key `admin`.
fn admin_json_for(admin: &SigningKey) -> String {
    alloc::format!(
        r#""admin":{{"admin_keys":["{}"],"trusted_keys":["{}"],"fleet":"{FLEET}"}}"#,
        hex(admin.verifying_key().as_bytes()),
        hex(trusted().verifying_key().as_bytes())
    )
}

/// The configuration the test devices start with: two built-in functions.
fn boot_config() -> String {
    alloc::format!(
        r#"{{"functions":[{{"name":"hello","module":"hello"}},{{"name":"bye","module":"echo"}}],"routes":[{{"prefix":"/hello","function":"hello"}},{{"prefix":"/bye","function":"bye"}}],{}}}"#,
        admin_json()
    )
}

/// The serials of pushed configurations: every push newer than the last.
static SERIAL: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

/// `json` for the test fleet with a serial above every one before, as
/// `isere config push` stamps it.
fn stamp(json: &str) -> String {
    use core::sync::atomic::Ordering;
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    alloc::format!(
        r#"{{"serial":{serial},"audience":"{FLEET}",{}"#,
        json.strip_prefix('{').expect("an object")
    )
}

/// `json` followed by `key`'s signature.
fn sign_raw(json: &str, key: &SigningKey) -> Vec<u8> {
    let signature = key.sign(&super::admin::config_signed_message(json.as_bytes()));
    let mut out = json.as_bytes().to_vec();
    out.extend_from_slice(&signature.to_bytes());
    out
}

/// `json` stamped and signed by `key`, as `isere config push` sends it.
fn signed(json: &str, key: &SigningKey) -> Vec<u8> {
    sign_raw(&stamp(json), key)
}

/// The counters of signed admin requests: each above the last.
static TIME: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1_000_000);

/// The `authorization` of a request signed by `key` for `device`, its
/// body `body`.
fn authorization(
    key: &SigningKey,
    device: &str,
    line: &super::auth::RequestLine<'_>,
    body: &[u8],
) -> String {
    use core::sync::atomic::Ordering;
    let time = TIME.fetch_add(1, Ordering::Relaxed);
    let nonce = [(time % 251) as u8; 16];
    let body_sha256: [u8; 32] = Sha256::digest(body).into();
    let message = super::auth::signed_message(device, line, time, &nonce, &body_sha256);
    super::auth::Credentials {
        time,
        nonce,
        body_sha256,
        signature: key.sign(&message).to_bytes(),
    }
    .to_header()
}

/// What the stand-in control was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    /// An activation: each change's function and the name of the version
    /// it loads (`None`: removed).
    Activate(Vec<(FunctionId, Option<String>)>),
    /// A configuration applied: the limits asked for and the functions.
    Apply {
        max_connections: usize,
        handler_timeout_ms: u32,
        functions: Vec<FunctionId>,
        routes: Vec<String>,
    },
}

/// The control below the admin API: records, then does what the device's
/// does (the JS task activates, the running configuration applies).
struct Recorder {
    js: JsTask,
    running: &'static Running,
    calls: rtos::Mutex<Vec<Call>>,
}

impl Control for Recorder {
    fn activate(&self, changes: Vec<FunctionChange>) -> Result<(), ActivationError> {
        let seen = changes
            .iter()
            .map(|c| (c.function, c.load.as_ref().map(|f| f.name.clone())))
            .collect();
        self.calls.with(|c| c.push(Call::Activate(seen)));
        self.js.activate(changes)
    }

    fn apply(&self, update: &Update<'_>) -> Applied {
        self.calls.with(|c| {
            c.push(Call::Apply {
                max_connections: update.server.max_connections,
                handler_timeout_ms: update.server.handler_timeout_ms,
                functions: update.functions.to_vec(),
                routes: update.routes.iter().map(|r| r.prefix.clone()).collect(),
            })
        });
        self.running.apply(update)
    }
}

/// A device of the tests: everything the admin API touches, over RAM.
struct Device {
    ota: &'static Ota,
    control: &'static Recorder,
    store: &'static FsStore<Storage>,
    storage: &'static Storage,
    running: &'static Running,
    log: &'static Logger,
    client: Client,
}

/// The most the test port affords.
const CEILINGS: Ceilings = Ceilings {
    max_connections: 16,
    js_memory_bytes: 8 << 20,
    body_bytes: 1 << 20,
    cap_clients_by_default: false,
};

impl Device {
    /// Boots a device on `config_json` (call in a task): its functions
    /// loaded in a JS task, an empty store on a fresh file system.
    fn boot(config_json: &str) -> Device {
        let config = Config::parse(config_json.as_bytes()).expect("a valid configuration");
        let running: &'static Running = Box::leak(Box::new(Running::new(&config, CEILINGS)));
        let functions = crate::js::task::resolve_functions(&config, |path| {
            Err(alloc::format!("{path}: no files here"))
        })
        .expect("built-in functions")
        .into_iter()
        .enumerate()
        .map(|(i, f)| (FunctionId(i as u16), f))
        .collect();
        let js = JsTask::start(
            functions,
            support::js_config(),
            &support::SERVICES,
            running.limits(),
        )
        .expect("the JS task starts");
        let fs = Fs::format(Box::new(RamDevice::new(128))).expect("a RAM file system");
        let storage: &'static Storage =
            Box::leak(Box::new(Storage::new(fs).expect("the file system's lock")));
        let store: &'static FsStore<Storage> = Box::leak(Box::new(
            FsStore::open(storage, DEFAULT_ROOT).expect("the bundle store"),
        ));
        let control: &'static Recorder = Box::leak(Box::new(Recorder {
            js,
            running,
            calls: rtos::Mutex::new(Vec::new()).expect("a mutex"),
        }));
        let log: &'static Logger = Box::leak(Box::new(Logger::new(&support::CONSOLE)));
        log.enable_ring(4096);
        let ota = Ota::new(
            store,
            &config,
            config_json.as_bytes().to_vec(),
            running,
            control,
            log,
            support::SERVICES.entropy,
        )
        .expect("the OTA state");
        Device {
            ota: Box::leak(Box::new(ota)),
            control,
            store,
            storage,
            running,
            log,
            client: Client::new(js),
        }
    }

    /// An admin call signed by the admin key.
    fn call(&self, method: &str, path: &str, body: &[u8]) -> Answer {
        self.call_q(method, path, "", body)
    }

    /// An admin call with a query, signed by the admin key.
    fn call_q(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Answer {
        let line = super::auth::RequestLine {
            method,
            path,
            query,
        };
        let auth = authorization(&admin_key(), self.ota.device_id(), &line, body);
        self.call_as(method, path, query, Some(auth.as_bytes()), body)
    }

    /// An admin call with `authorization` (the header's value, if any).
    fn call_as(
        &self,
        method: &str,
        path: &str,
        query: &str,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> Answer {
        let req = AdminRequest {
            method,
            path,
            query,
            authorization,
        };
        // As the server does: the head first, then the body.
        let r = match self.ota.authenticate(&req) {
            Ok(auth) => self.ota.handle(&req, auth, &mut Chunks::of(body)),
            Err(r) => r,
        };
        Answer {
            status: r.status,
            body: String::from_utf8_lossy(&r.body).into_owned(),
            headers: r.headers,
        }
    }

    /// What the control was asked so far (and forgets it).
    fn calls(&self) -> Vec<Call> {
        self.control.calls.with(core::mem::take)
    }

    /// `GET /` of function `name`: its id must exist.
    fn get(&self, name: &str) -> (u16, String) {
        let id = self.running.id_of(name).expect("the function has an id");
        let a = self.client.get(id);
        (a.status, a.body)
    }

    /// Whether `path` exists on the file system.
    fn exists(&self, path: &str) -> bool {
        self.storage.with(|fs| fs.stat(path).is_ok())
    }
}

/// An admin answer, as plain data.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request body given in chunks of at most 700 bytes (so that uploads
/// stream through the verifier and the store in several pieces).
struct Chunks(Vec<Vec<u8>>);

impl Chunks {
    fn of(body: &[u8]) -> Chunks {
        let mut chunks: Vec<Vec<u8>> = body.chunks(700).map(<[u8]>::to_vec).collect();
        chunks.reverse();
        Chunks(chunks)
    }
}

impl BodySource for Chunks {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, BodyError> {
        match self.0.pop() {
            Some(chunk) => {
                *out = chunk;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// A signed bundle of function `name` `version` whose module is `source`,
/// routed at `/name`, with a static `index.html`.
fn bundle_of(name: &str, version: &str, source: &str, key: &SigningKey) -> Vec<u8> {
    let entry = alloc::format!("{name}.js");
    let code = compile(&entry, source);
    let manifest = Manifest {
        name: name.to_string(),
        version: version.to_string(),
        entry: entry.clone(),
        engine: super::engine_version(),
        routes: alloc::vec![BundleRoute {
            prefix: alloc::format!("/{name}"),
            methods: None,
        }],
        env: BTreeMap::from([(String::from("VERSION"), version.to_string())]),
        bindings: BTreeMap::new(),
        limits: BundleLimits {
            cpu_ms: 0,
            init_ms: 2_000,
        },
        members: Vec::new(),
    };
    let members = [
        MemberData {
            name: &entry,
            kind: MemberKind::Module,
            bytes: &code,
        },
        MemberData {
            name: "index.html",
            kind: MemberKind::Static,
            bytes: version.as_bytes(),
        },
    ];
    bundle::build(manifest, &members, key).expect("the bundle builds")
}

/// A function answering `<name> <its VERSION env>`, signed by the
/// trusted key.
fn versioned(name: &str, version: &str) -> Vec<u8> {
    versioned_by(name, version, &trusted())
}

/// [`versioned`], signed by `key`.
fn versioned_by(name: &str, version: &str, key: &SigningKey) -> Vec<u8> {
    let source = alloc::format!(
        "export default {{ fetch(request, env) {{ return new Response('{name} ' + env.VERSION); }} }};"
    );
    bundle_of(name, version, &source, key)
}

/// Deploys `bundle` as `name`; panics unless it is accepted.
fn deploy(device: &Device, name: &str, bundle: &[u8]) -> Answer {
    let a = device.call("PUT", &alloc::format!("functions/{name}"), bundle);
    assert_eq!(a.status, 200, "deploy of {name}: {}", a.body);
    a
}

#[test]
fn unknown_endpoints_are_404_and_bad_names_400_before_the_signature_is_checked() {
    let answers = testing::run(c"ota-404", || {
        let d = Device::boot(&boot_config());
        [
            ("", 404),
            ("nothing", 404),
            ("functions/a/b", 404),
            ("functions/a/rollback/x", 404),
            ("config/x", 404),
            ("functions/..", 400),
            ("functions/../rollback", 400),
            ("functions/a%2F..", 400),
            ("functions/", 400),
        ]
        .iter()
        .flat_map(|(path, want)| {
            [("GET", *path), ("POST", *path), ("DELETE", *path)].map(|(m, p)| {
                let with = d.call(m, p, b"").status;
                let without = d.call_as(m, p, "", None, b"").status;
                (alloc::format!("{m} {p}"), *want, with, without)
            })
        })
        .collect::<Vec<_>>()
    });
    for (call, want, with, without) in answers {
        assert_eq!((with, without), (want, want), "{call}");
    }
}

#[test]
fn rollback_of_a_name_that_leaves_the_store_is_400_and_touches_nothing() {
    let (status, body, calls, listed) = testing::run(c"ota-rollback-name", || {
        let d = Device::boot(&boot_config());
        deploy(&d, "app", &versioned("app", "1"));
        deploy(&d, "app", &versioned("app", "2"));
        d.calls();
        let a = d.call("POST", "functions/../functions/app/rollback", b"");
        let a2 = d.call("POST", "functions/../rollback", b"");
        assert_eq!(a2.status, 400, "{}", a2.body);
        (
            a.status,
            a.body,
            d.calls(),
            d.call("GET", "functions", b"").body,
        )
    });
    // `functions/../functions/app/rollback` has too many segments: 404;
    // `functions/../rollback` names `..`: 400. Either way nothing moved.
    assert_eq!(status, 404, "{body}");
    assert!(calls.is_empty(), "{calls:?}");
    assert!(
        listed.contains(r#""active":"2","previous":"1""#),
        "{listed}"
    );
}

#[test]
fn calls_not_signed_by_an_admin_key_for_this_request_are_401_and_change_nothing() {
    let (refused, right, calls) = testing::run(c"ota-401", || {
        let d = Device::boot(&boot_config());
        let device = d.ota.device_id().to_string();
        let body = signed(&boot_config(), &trusted());
        let line = |method, path| super::auth::RequestLine {
            method,
            path,
            query: "",
        };
        let mut refused = Vec::new();
        for (method, path) in [
            ("GET", "config"),
            ("PUT", "config"),
            ("DELETE", "functions/hello"),
        ] {
            let good = authorization(&admin_key(), &device, &line(method, path), &body);
            let tries: [(&str, String); 8] = [
                ("none", String::new()),
                (
                    "a bearer token",
                    String::from("Bearer correct horse battery staple"),
                ),
                ("malformed", good.replace("time=", "tim=")),
                ("a field twice", alloc::format!("{good},time=1")),
                (
                    "a stranger's key",
                    authorization(&stranger(), &device, &line(method, path), &body),
                ),
                (
                    "another device",
                    authorization(
                        &admin_key(),
                        "d-0000000000000000",
                        &line(method, path),
                        &body,
                    ),
                ),
                (
                    "another call",
                    authorization(
                        &admin_key(),
                        &device,
                        &line("POST", "functions/hello/rollback"),
                        &body,
                    ),
                ),
                (
                    "a trusted (bundle) key, not an admin key",
                    authorization(&trusted(), &device, &line(method, path), &body),
                ),
            ];
            for (why, auth) in tries {
                let auth = (!auth.is_empty()).then_some(auth);
                let a = d.call_as(method, path, "", auth.as_ref().map(|a| a.as_bytes()), &body);
                refused.push((
                    alloc::format!("{method} {path}: {why}"),
                    a.status,
                    a.header("www-authenticate").map(String::from),
                ));
            }
        }
        let right = d.call("GET", "config", b"");
        (refused, (right.status, right.body), d.calls())
    });
    assert_eq!(refused.len(), 24);
    for (why, status, challenge) in refused {
        assert_eq!(status, 401, "{why}");
        assert_eq!(challenge.as_deref(), Some("Isere-Ed25519"), "{why}");
    }
    assert_eq!(right, (200, boot_config()), "the admin key opens the API");
    assert!(calls.is_empty(), "nothing reached the control: {calls:?}");
}

#[test]
fn a_replayed_or_stale_request_is_401_and_changes_nothing_even_after_a_restart() {
    struct Seen {
        first: u16,
        replay: (u16, String),
        stale: (u16, String),
        after_restart: u16,
        fresh_after_restart: u16,
        listed: String,
    }
    let s = testing::run(c"ota-replay", || {
        let d = Device::boot(&boot_config());
        deploy(&d, "app", &versioned("app", "1"));
        deploy(&d, "app", &versioned("app", "2"));
        let line = super::auth::RequestLine {
            method: "POST",
            path: "functions/app/rollback",
            query: "",
        };
        let auth = authorization(&admin_key(), d.ota.device_id(), &line, b"");
        let rollback = |auth: &str| d.call_as("POST", line.path, "", Some(auth.as_bytes()), b"");
        let first = rollback(&auth).status;
        // Byte for byte again: it would roll forward to 2.
        let replay = rollback(&auth);
        // A request signed with a counter far below what was accepted.
        let time = super::auth::REPLAY_WINDOW;
        let nonce = [1u8; 16];
        let body_sha256: [u8; 32] = Sha256::digest(b"").into();
        let message =
            super::auth::signed_message(d.ota.device_id(), &line, time, &nonce, &body_sha256);
        let old = super::auth::Credentials {
            time,
            nonce,
            body_sha256,
            signature: admin_key().sign(&message).to_bytes(),
        }
        .to_header();
        let stale = rollback(&old);
        // A restart over the same store: the floor was persisted.
        let config = Config::parse(boot_config().as_bytes()).expect("valid");
        let again = Ota::new(
            d.store,
            &config,
            boot_config().into_bytes(),
            d.running,
            d.control,
            d.log,
            support::SERVICES.entropy,
        )
        .expect("the OTA state");
        let after_restart = again
            .authenticate(&AdminRequest {
                method: "POST",
                path: line.path,
                query: "",
                authorization: Some(auth.as_bytes()),
            })
            .err()
            .map_or(200, |r| r.status);
        let fresh = authorization(&admin_key(), again.device_id(), &line, b"");
        let fresh_after_restart = again
            .authenticate(&AdminRequest {
                method: "POST",
                path: line.path,
                query: "",
                authorization: Some(fresh.as_bytes()),
            })
            .map_or_else(|r| r.status, |_| 200);
        Seen {
            first,
            replay: (replay.status, replay.body),
            stale: (stale.status, stale.body),
            after_restart,
            fresh_after_restart,
            listed: d.call("GET", "functions", b"").body,
        }
    });
    assert_eq!(s.first, 200);
    assert_eq!(s.replay.0, 401, "{}", s.replay.1);
    assert!(s.replay.1.contains("replayed"), "{}", s.replay.1);
    assert_eq!(s.stale.0, 401, "{}", s.stale.1);
    assert!(s.stale.1.contains("stale"), "{}", s.stale.1);
    assert_eq!(s.after_restart, 401, "a restart does not reopen it");
    assert_eq!(
        s.fresh_after_restart, 401,
        "below the persisted floor: the CLI asks for it first"
    );
    assert!(
        s.listed.contains(r#""active":"1","previous":"2""#),
        "rolled back once: {}",
        s.listed
    );
}

#[test]
fn a_body_that_is_not_the_signed_one_is_401_and_nothing_is_stored() {
    let (config, upload, after, listed) = testing::run(c"ota-body-hash", || {
        let d = Device::boot(&boot_config());
        let good = signed(&next_config(&admin_key()), &trusted());
        let mut other = good.clone();
        other[3] ^= 1;
        let line = super::auth::RequestLine {
            method: "PUT",
            path: "config",
            query: "",
        };
        let auth = authorization(&admin_key(), d.ota.device_id(), &line, &good);
        let config = d.call_as("PUT", "config", "", Some(auth.as_bytes()), &other);
        let bundle = versioned("app", "1");
        let line = super::auth::RequestLine {
            method: "PUT",
            path: "functions/app",
            query: "",
        };
        let auth = authorization(
            &admin_key(),
            d.ota.device_id(),
            &line,
            &bundle[..bundle.len() - 1],
        );
        let upload = d.call_as("PUT", "functions/app", "", Some(auth.as_bytes()), &bundle);
        let after = unchanged(&d);
        (
            (config.status, config.body),
            (upload.status, upload.body),
            after,
            d.store.versions("app").unwrap_or_default(),
        )
    });
    assert_eq!(config.0, 401, "{}", config.1);
    assert!(config.1.contains("not the one signed"), "{}", config.1);
    assert_eq!(upload.0, 401, "{}", upload.1);
    assert!(listed.is_empty(), "no bundle kept: {listed:?}");
    assert_unchanged(&after);
}

#[test]
fn stats_need_a_signature_unless_public_or_no_admin_key() {
    let statuses = testing::run(c"ota-stats", || {
        let stats = |config: &str, auth: bool| {
            let d = Device::boot(config);
            let line = super::auth::RequestLine {
                method: "GET",
                path: "stats",
                query: "",
            };
            let a = authorization(&admin_key(), d.ota.device_id(), &line, b"");
            let req = AdminRequest {
                method: "GET",
                path: "stats",
                query: "",
                authorization: auth.then_some(a.as_bytes()),
            };
            d.ota.authenticate(&req).map_or_else(|r| r.status, |_| 200)
        };
        let public =
            boot_config().replace(r#""fleet":"lab""#, r#""fleet":"lab","public_stats":true"#);
        let bare = r#"{"functions":[{"name":"hello","module":"hello"}],"routes":[]}"#;
        [
            stats(&boot_config(), false),
            stats(&boot_config(), true),
            stats(&public, false),
            stats(bare, false),
        ]
    });
    assert_eq!(statuses, [401, 200, 200, 200]);
}

#[test]
fn a_device_without_an_admin_key_answers_401_to_every_call() {
    let statuses = testing::run(c"ota-no-key", || {
        let config = r#"{"functions":[{"name":"hello","module":"hello"}],"routes":[]}"#;
        let d = Device::boot(config);
        [("GET", "functions"), ("GET", "config"), ("GET", "logs")]
            .iter()
            .map(|(m, p)| d.call(m, p, b"").status)
            .collect::<Vec<_>>()
    });
    assert_eq!(statuses, [401, 401, 401]);
}

#[test]
fn a_known_endpoint_with_another_method_is_405() {
    let answers = testing::run(c"ota-405", || {
        let d = Device::boot(&boot_config());
        let calls = [
            ("POST", "functions"),
            ("DELETE", "functions"),
            ("GET", "functions/hello"),
            ("POST", "functions/hello"),
            ("GET", "functions/hello/rollback"),
            ("PUT", "functions/hello/rollback"),
            ("POST", "config"),
            ("DELETE", "config"),
            ("PUT", "logs"),
        ];
        let answers: Vec<_> = calls
            .iter()
            .map(|(m, p)| (alloc::format!("{m} {p}"), d.call(m, p, b"x").status))
            .collect();
        (answers, d.calls())
    });
    let (answers, calls) = answers;
    for (call, status) in answers {
        assert_eq!(status, 405, "{call}");
    }
    assert!(calls.is_empty(), "{calls:?}");
}

/// A configuration different from the boot one in every part the admin
/// API applies: limits, functions (`bye` gone, `echo` added), routes, and
/// admin key `admin`.
fn next_config(admin: &SigningKey) -> String {
    alloc::format!(
        r#"{{"server":{{"max_connections":4,"handler_timeout_ms":5000,"js_memory_bytes":4194304}},"functions":[{{"name":"hello","module":"hello"}},{{"name":"echo","module":"echo"}}],"routes":[{{"prefix":"/echo","function":"echo"}}],{}}}"#,
        admin_json_for(admin)
    )
}

/// After a refused configuration: nothing reached the control, the
/// configuration served and stored is unchanged, the functions still run.
struct Unchanged {
    calls: Vec<Call>,
    served: String,
    stored: Option<Vec<u8>>,
    bye: (u16, String),
    max_connections: usize,
}

fn unchanged(d: &Device) -> Unchanged {
    Unchanged {
        calls: d.calls(),
        served: d.call("GET", "config", b"").body,
        stored: d
            .store
            .read_file(StoreFile::Config)
            .expect("the store reads"),
        bye: d.get("bye"),
        max_connections: d.running.limits().max_connections(),
    }
}

fn assert_unchanged(u: &Unchanged) {
    assert!(u.calls.is_empty(), "the control was called: {:?}", u.calls);
    assert_eq!(u.served, boot_config());
    assert_eq!(u.stored, None, "nothing stored");
    assert_eq!(u.bye.0, 200, "bye still runs");
    assert_eq!(u.max_connections, 8, "the default limits still apply");
}

#[test]
fn an_unsigned_configuration_is_refused_and_changes_nothing() {
    let (answers, after) = testing::run(c"ota-unsigned", || {
        let d = Device::boot(&boot_config());
        let json = next_config(&admin_key());
        let answers = [
            d.call("PUT", "config", json.as_bytes()),
            d.call("PUT", "config", b""),
            d.call("PUT", "config", &[b'{'; 64]),
        ];
        (answers.map(|a| (a.status, a.body)), unchanged(&d))
    });
    for (status, body) in &answers {
        assert_eq!(*status, 403, "{body}");
    }
    assert!(
        answers[1].1.contains("64-byte signature"),
        "{}",
        answers[1].1
    );
    assert_unchanged(&after);
}

#[test]
fn a_configuration_signed_by_an_untrusted_key_or_altered_is_refused() {
    let (answers, after) = testing::run(c"ota-untrusted", || {
        let d = Device::boot(&boot_config());
        let json = next_config(&admin_key());
        let by_stranger = signed(&json, &stranger());
        // Signed by the trusted key, then one byte of the JSON changed.
        let mut altered = signed(&json, &trusted());
        let at = json.find("5000").expect("the timeout is in the JSON");
        altered[at] = b'9';
        let answers = [
            d.call("PUT", "config", &by_stranger),
            d.call("PUT", "config", &altered),
        ];
        (answers.map(|a| (a.status, a.body)), unchanged(&d))
    });
    for (status, body) in &answers {
        assert_eq!(*status, 403);
        assert!(body.contains("bad signature"), "{body}");
    }
    assert_unchanged(&after);
}

#[test]
fn a_configuration_that_would_lock_the_device_out_is_refused() {
    let (answers, after) = testing::run(c"ota-lockout", || {
        let d = Device::boot(&boot_config());
        let key = hex(trusted().verifying_key().as_bytes());
        let admin = hex(admin_key().verifying_key().as_bytes());
        let functions = r#""functions":[{"name":"hello","module":"hello"}]"#;
        let configs = [
            alloc::format!(r#"{{{functions},"admin":{{"trusted_keys":["{key}"]}}}}"#),
            alloc::format!(r#"{{{functions},"admin":{{"admin_keys":["{admin}"]}}}}"#),
            alloc::format!(r#"{{{functions}}}"#),
        ];
        let answers = configs.map(|json| {
            let a = d.call("PUT", "config", &signed(&json, &trusted()));
            (a.status, a.body)
        });
        (answers, unchanged(&d))
    });
    for (status, body) in &answers {
        assert_eq!(*status, 422, "{body}");
        assert!(body.contains("could never be administered again"), "{body}");
    }
    assert_unchanged(&after);
}

#[test]
fn a_signed_configuration_applies_at_once_is_stored_and_reports_its_functions() {
    struct Seen {
        json: String,
        answer: Answer,
        calls: Vec<Call>,
        stored: Option<Vec<u8>>,
        signed: Vec<u8>,
        old_key: u16,
        new_key: String,
        limits: (usize, u32, usize),
        echo: (u16, String),
        bye: u16,
        hello: (u16, String),
        echo_route: Option<Resolved>,
        bye_route: Option<Resolved>,
    }
    let s = testing::run(c"ota-config", || {
        let d = Device::boot(&boot_config());
        let json = stamp(&next_config(&stranger()));
        let signed = sign_raw(&json, &trusted());
        let answer = d.call("PUT", "config", &signed);
        let calls = d.calls();
        let bye = d.running.id_of("bye").expect("bye keeps its id");
        let limits = d.running.limits();
        Seen {
            answer,
            calls,
            stored: d
                .store
                .read_file(StoreFile::Config)
                .expect("the store reads"),
            old_key: d.call("GET", "config", b"").status,
            new_key: {
                let line = super::auth::RequestLine {
                    method: "GET",
                    path: "config",
                    query: "",
                };
                let auth = authorization(&stranger(), d.ota.device_id(), &line, b"");
                d.call_as("GET", "config", "", Some(auth.as_bytes()), b"")
                    .body
            },
            signed,
            limits: (
                limits.max_connections(),
                limits.handler_timeout_ms(),
                limits.js_memory_bytes(),
            ),
            echo: d.get("echo"),
            bye: d.client.get(bye).status,
            hello: d.get("hello"),
            echo_route: d.running.resolve("/echo/x", "POST"),
            bye_route: d.running.resolve("/bye", "POST"),
            json,
        }
    });
    let body = &s.answer.body;
    assert_eq!(s.answer.status, 200, "{body}");
    assert!(body.contains(r#""stored":true"#), "{body}");
    assert!(body.contains(r#""loaded":["echo"]"#), "{body}");
    assert!(body.contains(r#""unloaded":["bye"]"#), "{body}");
    assert!(
        body.contains(r#""max_connections":4,"js_memory_bytes":4194304,"clamped":false"#),
        "{body}"
    );
    // The functions first (echo is new: id 2; bye goes), then the rest.
    assert_eq!(
        s.calls,
        [
            Call::Activate(alloc::vec![
                (FunctionId(2), Some(String::from("echo"))),
                (FunctionId(1), None),
            ]),
            Call::Apply {
                max_connections: 4,
                handler_timeout_ms: 5000,
                functions: alloc::vec![FunctionId(0), FunctionId(2)],
                routes: alloc::vec![String::from("/echo")],
            },
        ]
    );
    assert_eq!(
        s.stored.as_deref(),
        Some(&s.signed[..]),
        "stored as sent, signature and all"
    );
    assert_eq!(s.limits, (4, 5000, 4 << 20), "the running limits");
    assert_eq!(s.old_key, 401, "the old admin key no longer opens the API");
    assert_eq!(
        s.new_key, s.json,
        "the new one does, and serves the new JSON"
    );
    assert_eq!(s.echo.0, 200, "echo runs: {}", s.echo.1);
    assert_eq!(s.bye, 404, "bye is unloaded");
    assert_eq!(
        s.hello,
        (200, String::from(support::HELLO)),
        "hello untouched"
    );
    assert!(
        matches!(&s.echo_route, Some(Resolved::Function(id)) if *id == FunctionId(2)),
        "{:?}",
        s.echo_route
    );
    assert_eq!(s.bye_route, None, "the old routes are gone");
}

/// Compiles the test device's function files: `ok.js` answers `ok`,
/// `throws.js` throws at its top level, `garbage.js` is not bytecode.
fn test_files(path: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let bytecode = match path {
        "ok.js" => compile(
            path,
            "export default { fetch() { return new Response('ok'); } };",
        ),
        "throws.js" => compile(path, "throw new Error('not today');"),
        "garbage.js" => b"garbage".to_vec(),
        _ => return Err(alloc::format!("{path}: no such file")),
    };
    Ok(alloc::vec![(path.to_string(), bytecode)])
}

#[test]
fn a_configuration_whose_functions_do_not_load_changes_nothing() {
    let outcome = testing::run(c"ota-config-load", || {
        let d = Device::boot(&boot_config());
        d.ota.set_file_compiler(test_files);
        let with = |extra: &str| {
            alloc::format!(
                r#"{{"server":{{"max_connections":3}},"functions":[{{"name":"hello","module":"hello"}},{{"name":"bye","module":"echo"}},{{"name":"ok","path":"ok.js"}},{extra}],"routes":[],{}}}"#,
                admin_json()
            )
        };
        let refused: Vec<_> = [
            r#"{"name":"bad","path":"throws.js"}"#,
            r#"{"name":"bad","path":"garbage.js"}"#,
            r#"{"name":"bad","path":"missing.js"}"#,
            r#"{"name":"bad","module":"no-such-module"}"#,
        ]
        .iter()
        .map(|bad| {
            let a = d.call("PUT", "config", &signed(&with(bad), &trusted()));
            (a.status, a.body, d.calls())
        })
        .collect();
        let after = unchanged(&d);
        let ok_id = d.running.id_of("ok");
        let ok = ok_id.map(|id| d.client.get(id).status);
        // The boot configuration again: nothing to load or unload, which
        // holds only if the refusals left the configured functions as
        // they were.
        let again = d.call("PUT", "config", &signed(&boot_config(), &trusted()));
        (refused, after, ok, again.status, again.body, d.calls())
    });
    let (refused, after, ok, again_status, again_body, again_calls) = outcome;
    let whys = [
        "not today",
        "function 'bad'",
        "missing.js",
        "no built-in module",
    ];
    for ((status, body, calls), why) in refused.iter().zip(whys) {
        assert_eq!(*status, 422, "{body}");
        assert!(body.contains(why), "{why}: {body}");
        assert!(body.contains("nothing changed, not stored"), "{body}");
        // `ok` and `bad` loaded together, all or nothing; none applied.
        if why == "not today" || why == "function 'bad'" {
            assert!(
                matches!(calls.as_slice(), [Call::Activate(c)] if c.len() == 2),
                "{why}: {calls:?}"
            );
        } else {
            assert!(calls.is_empty(), "refused before the JS task: {calls:?}");
        }
    }
    assert_unchanged(&after);
    assert_eq!(ok, Some(404), "ok was not loaded with the bad one");
    assert_eq!(again_status, 200, "{again_body}");
    assert!(again_body.contains(r#""loaded":[]"#), "{again_body}");
    assert!(again_body.contains(r#""unloaded":[]"#), "{again_body}");
    assert!(
        matches!(again_calls.as_slice(), [Call::Apply { .. }]),
        "{again_calls:?}"
    );
}

#[test]
fn garbage_uploaded_as_a_bundle_is_refused_and_not_kept() {
    let outcome = testing::run(c"ota-garbage", || {
        let d = Device::boot(&boot_config());
        let mut garbage = Vec::new();
        let mut x = 1u32;
        for _ in 0..3000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            garbage.push((x >> 16) as u8);
        }
        let upload = "/.isere/functions/app/upload.part";
        let garbled = d.call("PUT", "functions/app", &garbage);
        let left_by_garbage = d.exists(upload);
        let empty = d.call("PUT", "functions/app", b"");
        (
            [garbled, empty].map(|a| (a.status, a.body)),
            d.store.functions().expect("the store lists"),
            d.store.versions("app").unwrap_or_default(),
            d.store.pointer("app").expect("the store reads"),
            [left_by_garbage, d.exists(upload)],
            d.calls(),
            d.call("GET", "functions", b"").body,
        )
    });
    let (answers, functions, versions, pointer, upload, calls, list) = outcome;
    assert_eq!(answers[0].0, 422, "{}", answers[0].1);
    assert!(answers[0].1.contains("bad magic"), "{}", answers[0].1);
    assert_eq!(answers[1].0, 422, "an empty body: {}", answers[1].1);
    assert!(answers[1].1.contains("truncated"), "{}", answers[1].1);
    assert!(functions.is_empty(), "{functions:?}");
    assert!(versions.is_empty(), "{versions:?}");
    assert_eq!(pointer, Pointer::default());
    assert_eq!(upload, [false, false], "the upload's file is removed");
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(list, "{\"functions\":[]}\n");
}

#[test]
fn a_bundle_that_is_not_acceptable_is_refused_and_not_kept() {
    let outcome = testing::run(c"ota-refused-bundles", || {
        let d = Device::boot(&boot_config());
        let good = versioned("app", "1");
        let mut tampered = good.clone();
        // The last byte of the module, before the static file (its length
        // and its one byte) and the signature.
        let at = good.len() - bundle::SIGNATURE_LEN - 1 - 4 - 1;
        tampered[at] ^= 1;
        let cases = [
            ("app", versioned_by("app", "1", &stranger())),
            ("app", tampered),
            ("other", good),
            ("..", versioned("app", "1")),
        ];
        let answers: Vec<_> = cases
            .iter()
            .map(|(name, bytes)| {
                let a = d.call("PUT", &alloc::format!("functions/{name}"), bytes);
                let upload = alloc::format!("/.isere/functions/{name}/upload.part");
                (a.status, a.body, d.exists(&upload))
            })
            .collect();
        (
            answers,
            d.store.functions().expect("the store lists"),
            d.store.versions("app").unwrap_or_default(),
            d.store.versions("other").unwrap_or_default(),
            d.calls(),
        )
    });
    let (answers, functions, app, other, calls) = outcome;
    let expected = [
        (403, "bad signature"),
        (422, "SHA-256 differs"),
        (422, "upload it to /_isere/functions/app"),
        (400, "function names are"),
    ];
    for ((status, body, upload), (want, why)) in answers.iter().zip(expected) {
        assert_eq!(*status, want, "{body}");
        assert!(body.contains(why), "{why}: {body}");
        assert!(!upload, "{why}: the upload's file is removed");
    }
    assert!(functions.is_empty(), "{functions:?}");
    assert!(app.is_empty() && other.is_empty(), "{app:?} {other:?}");
    assert!(calls.is_empty(), "nothing was activated: {calls:?}");
}

#[test]
fn deleting_a_function_that_is_not_deployed_is_404() {
    let (answers, calls, hello) = testing::run(c"ota-delete-404", || {
        let d = Device::boot(&boot_config());
        // `hello` is configured, not deployed.
        let answers = [
            d.call("DELETE", "functions/app", b""),
            d.call("DELETE", "functions/hello", b""),
        ];
        (
            answers.map(|a| (a.status, a.body)),
            d.calls(),
            d.get("hello"),
        )
    });
    for (status, body) in &answers {
        assert_eq!(*status, 404, "{body}");
        assert!(body.contains("is not deployed"), "{body}");
    }
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(hello.0, 200);
}

#[test]
fn a_rollback_without_a_previous_version_is_409() {
    let (never, once, calls, app, pointer) = testing::run(c"ota-rollback-409", || {
        let d = Device::boot(&boot_config());
        let never = d.call("POST", "functions/app/rollback", b"");
        deploy(&d, "app", &versioned("app", "1"));
        d.calls();
        let once = d.call("POST", "functions/app/rollback", b"");
        (
            (never.status, never.body),
            (once.status, once.body),
            d.calls(),
            d.get("app"),
            d.store.pointer("app").expect("the store reads"),
        )
    });
    assert_eq!(never.0, 409, "{}", never.1);
    assert!(never.1.contains("no previous version"), "{}", never.1);
    assert_eq!(once.0, 409, "{}", once.1);
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(app, (200, String::from("app 1")));
    assert_eq!(
        pointer,
        Pointer {
            active: Some(String::from("1")),
            previous: None
        }
    );
}

#[test]
fn a_signed_bundle_deploys_serves_rolls_back_and_is_deleted() {
    struct Seen {
        first: Answer,
        v1: (u16, String),
        id: Option<FunctionId>,
        asset: Option<Vec<u8>>,
        second: Answer,
        v2: (u16, String),
        list: String,
        same_again: Answer,
        rollback: Answer,
        rolled_back: (u16, String),
        pointer: Pointer,
        versions: Vec<String>,
        third: Answer,
        versions_after_third: Vec<String>,
        deleted: Answer,
        after_delete: u16,
        functions: Vec<String>,
        route_after_delete: Option<Resolved>,
        calls: Vec<Call>,
    }
    let s = testing::run(c"ota-deploy", || {
        let d = Device::boot(&boot_config());
        let first = deploy(&d, "app", &versioned("app", "1"));
        let id = d.running.id_of("app");
        let v1 = d.get("app");
        // Its static file answers under its route, read from the store.
        let asset = match d.running.resolve("/app/index.html", "GET") {
            Some(Resolved::Asset(a)) => {
                let mut buf = alloc::vec![0u8; a.range.len as usize];
                d.ota.read(&a, 0, &mut buf).expect("the asset reads");
                Some(buf)
            }
            _ => None,
        };
        let second = deploy(&d, "app", &versioned("app", "2"));
        let v2 = d.get("app");
        let list = d.call("GET", "functions", b"").body;
        let same_again = d.call("PUT", "functions/app", &versioned("app", "2"));
        let rollback = d.call("POST", "functions/app/rollback", b"");
        let rolled_back = d.get("app");
        let pointer = d.store.pointer("app").expect("the store reads");
        let mut versions = d.store.versions("app").expect("the store lists");
        versions.sort();
        // A third version drops the oldest one the pointer no longer names.
        let third = deploy(&d, "app", &versioned("app", "3"));
        let mut versions_after_third = d.store.versions("app").expect("the store lists");
        versions_after_third.sort();
        let deleted = d.call("DELETE", "functions/app", b"");
        let after_delete = d.client.get(id.expect("app has an id")).status;
        Seen {
            first,
            v1,
            id,
            asset,
            second,
            v2,
            list,
            same_again,
            rollback,
            rolled_back,
            pointer,
            versions,
            third,
            versions_after_third,
            deleted,
            after_delete,
            functions: d.store.functions().expect("the store lists"),
            route_after_delete: d.running.resolve("/app", "POST"),
            calls: d.calls(),
        }
    });
    assert!(
        s.first.body.contains(r#""active":"1","previous":null"#),
        "{}",
        s.first.body
    );
    assert_eq!(
        s.id,
        Some(FunctionId(2)),
        "the first id after the configured ones"
    );
    assert_eq!(s.v1, (200, String::from("app 1")));
    assert_eq!(
        s.asset.as_deref(),
        Some(&b"1"[..]),
        "index.html of version 1"
    );
    assert!(
        s.second.body.contains(r#""active":"2","previous":"1""#),
        "{}",
        s.second.body
    );
    assert_eq!(s.v2, (200, String::from("app 2")));
    assert_eq!(
        s.list,
        "{\"functions\":[{\"name\":\"app\",\"active\":\"2\",\"previous\":\"1\",\"routes\":[\"/app\"]}]}\n"
    );
    assert_eq!(s.same_again.status, 409, "{}", s.same_again.body);
    assert_eq!(s.rollback.status, 200, "{}", s.rollback.body);
    assert!(
        s.rollback.body.contains(r#""active":"1","previous":"2""#),
        "{}",
        s.rollback.body
    );
    assert_eq!(s.rolled_back, (200, String::from("app 1")));
    assert_eq!(
        s.pointer,
        Pointer {
            active: Some(String::from("1")),
            previous: Some(String::from("2"))
        }
    );
    assert_eq!(s.versions, ["1", "2"]);
    assert!(
        s.third.body.contains(r#""active":"3","previous":"1""#),
        "{}",
        s.third.body
    );
    assert_eq!(s.versions_after_third, ["1", "3"]);
    assert_eq!(s.deleted.status, 200, "{}", s.deleted.body);
    assert_eq!(s.after_delete, 404, "deleted: no longer served");
    assert!(s.functions.is_empty(), "{:?}", s.functions);
    assert_eq!(s.route_after_delete, None, "its route is gone");
    let app = FunctionId(2);
    assert_eq!(
        s.calls,
        [
            Call::Activate(alloc::vec![(app, Some(String::from("app")))]),
            Call::Activate(alloc::vec![(app, Some(String::from("app")))]),
            Call::Activate(alloc::vec![(app, Some(String::from("app")))]),
            Call::Activate(alloc::vec![(app, Some(String::from("app")))]),
            Call::Activate(alloc::vec![(app, None)]),
        ],
        "deploy 1, deploy 2, rollback, deploy 3, delete (the refused redeploy activates nothing)"
    );
}

#[test]
fn a_bundle_that_fails_to_start_is_not_kept_and_the_old_version_serves() {
    let outcome = testing::run(c"ota-bad-start", || {
        let d = Device::boot(&boot_config());
        deploy(&d, "app", &versioned("app", "1"));
        let throws = bundle_of(
            "app",
            "2",
            "throw new RangeError('bad start');\nexport default { fetch() {} };",
            &trusted(),
        );
        let no_handler = bundle_of("app", "3", "export const x = 1;", &trusted());
        let answers = [
            d.call("PUT", "functions/app", &throws),
            d.call("PUT", "functions/app", &no_handler),
        ];
        let mut versions = d.store.versions("app").expect("the store lists");
        versions.sort();
        (
            answers.map(|a| (a.status, a.body)),
            d.get("app"),
            versions,
            d.store.pointer("app").expect("the store reads"),
            d.call("GET", "functions", b"").body,
        )
    });
    let (answers, app, versions, pointer, list) = outcome;
    for (status, body) in &answers {
        assert_eq!(*status, 422, "{body}");
        assert!(body.contains("version 1 still serves"), "{body}");
    }
    assert!(answers[0].1.contains("bad start"), "{}", answers[0].1);
    assert_eq!(app, (200, String::from("app 1")));
    assert_eq!(versions, ["1"], "the refused versions are not kept");
    assert_eq!(
        pointer,
        Pointer {
            active: Some(String::from("1")),
            previous: None
        }
    );
    assert!(list.contains(r#""active":"1","previous":null"#), "{list}");
}

#[test]
fn a_deployed_function_replaces_the_configured_one_of_its_name() {
    let outcome = testing::run(c"ota-shadow", || {
        let d = Device::boot(&boot_config());
        deploy(&d, "hello", &versioned("hello", "1"));
        let id = d.running.id_of("hello");
        let served = d.get("hello");
        let route = d.running.resolve("/hello", "POST");
        // A pushed configuration that changes `hello` leaves the deployed
        // one running.
        let json = boot_config().replace(
            r#"{"name":"hello","module":"hello"}"#,
            r#"{"name":"hello","module":"echo"}"#,
        );
        let pushed = d.call("PUT", "config", &signed(&json, &trusted()));
        (
            id,
            served,
            route,
            pushed.status,
            pushed.body,
            d.get("hello"),
        )
    });
    let (id, served, route, status, body, after) = outcome;
    assert_eq!(id, Some(FunctionId(0)), "the configured function's id");
    assert_eq!(served, (200, String::from("hello 1")));
    assert!(
        matches!(&route, Some(Resolved::Function(id)) if *id == FunctionId(0)),
        "{route:?}"
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""loaded":[]"#), "{body}");
    assert_eq!(after, (200, String::from("hello 1")));
}

#[test]
fn the_log_endpoint_returns_the_ring_after_a_cursor() {
    let (first, next, second, third, waited_ms) = testing::run(c"ota-logs", || {
        use log::Log as _;
        let d = Device::boot(&boot_config());
        // The level is global: the pushed configurations of other tests
        // set `info`, which lets warnings through too.
        crate::logger::set_level(log::LevelFilter::Info);
        let line = |text: &str| {
            d.log.log(
                &log::Record::builder()
                    .level(log::Level::Warn)
                    .target("test")
                    .args(format_args!("{text}"))
                    .build(),
            )
        };
        line("first line");
        line("second line");
        let first = d.call_q("GET", "logs", "", b"");
        let next = first.header("x-isere-log-next").map(String::from);
        line("third line");
        let query = alloc::format!("since={}", next.as_deref().unwrap_or("0"));
        let second = d.call_q("GET", "logs", &query, b"");
        let after = second.header("x-isere-log-next").unwrap_or("0").to_string();
        // Nothing new: a wait of 300 ms ends empty.
        let began = rtos::tick_count();
        let query = alloc::format!("since={after}&wait=300");
        let third = d.call_q("GET", "logs", &query, b"");
        let waited_ms = rtos::ticks_to_ms(rtos::tick_count() - began);
        (first, next, second, third, waited_ms)
    });
    assert_eq!(first.status, 200);
    let lines: Vec<&str> = first.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", first.body);
    assert!(lines[0].ends_with("WARN  test: first line"), "{}", lines[0]);
    assert!(
        lines[1].ends_with("WARN  test: second line"),
        "{}",
        lines[1]
    );
    assert_eq!(
        next.as_deref(),
        Some(first.body.len().to_string().as_str()),
        "the cursor counts the bytes logged"
    );
    assert_eq!(second.status, 200);
    assert!(
        second.body.ends_with("WARN  test: third line\n"),
        "{}",
        second.body
    );
    assert_eq!(
        second.body.lines().count(),
        1,
        "only what came after: {}",
        second.body
    );
    assert_eq!((third.status, third.body.as_str()), (200, ""));
    assert!(waited_ms >= 300, "waited {waited_ms} ms");
}

/// `DELETE` of a deployed function that shadows a configured one of the
/// same name (same id) brings the configured version back at once, as a
/// restart would (it once left the id unloaded: 404 until a restart).
#[test]
fn deleting_a_deployed_function_brings_back_the_configured_one_of_its_name() {
    let outcome = testing::run(c"ota-unshadow", || {
        let d = Device::boot(&boot_config());
        deploy(&d, "hello", &versioned("hello", "1"));
        let deployed = d.get("hello");
        let deleted = d.call("DELETE", "functions/hello", b"");
        (
            deployed,
            deleted.status,
            deleted.body,
            d.get("hello"),
            d.running.resolve("/hello", "POST"),
        )
    });
    let (deployed, status, body, after, route) = outcome;
    assert_eq!(deployed, (200, String::from("hello 1")));
    assert_eq!(status, 200, "{body}");
    assert!(
        matches!(&route, Some(Resolved::Function(id)) if *id == FunctionId(0)),
        "the configured route stays: {route:?}"
    );
    // What the device serves after a restart (the store no longer names
    // `hello`, so the configuration's `hello` loads).
    assert_eq!(
        after,
        (200, String::from(support::HELLO)),
        "the configured function serves again"
    );
}
