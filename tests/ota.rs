//! Over-the-air deploys end to end: the `isere` CLI against the simulator
//! over real HTTP (deploy, redeploy, rollback, delete, configuration, logs,
//! fleets, every rejection), and power loss (SIGKILL) in the middle of
//! deploys.
//!
//! Most tests keep the bundles in a host directory (`isere-sim --bundles
//! DIR`); those named `..._littlefs_...` keep them in the file system of a
//! LittleFS image, as the boards do, and the one that does not kill the
//! device also runs on the QEMU board (`ISERE_TEST_BOARD=mps2-an385`).

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use isere::ota::bundle;
use support::{Sim, TempDir, skip_on_board};

const CLI: &str = env!("CARGO_BIN_EXE_isere");

/// A device set-up: keys, a configuration trusting them, a bundle store.
struct Lab {
    dir: TempDir,
    /// The store: the file system's `/.isere` in a LittleFS image file
    /// (`--data`, as on the boards), else a host directory (`--bundles`).
    image: bool,
}

impl Lab {
    fn new() -> Lab {
        Lab::with_store(false)
    }

    /// A lab whose device keeps its bundles in a LittleFS image.
    fn on_image() -> Lab {
        Lab::with_store(true)
    }

    fn with_store(image: bool) -> Lab {
        let dir = TempDir::new("ota");
        let lab = Lab { dir, image };
        let out = lab.isere(&["keygen", "--out", "keys"]);
        assert!(out.status.success(), "keygen: {}", text(&out));
        let public = lab.read("keys/isere.pub");
        let admin = lab.read("keys/admin.pub");
        // Public stats: the tests below poll them (signed ones: see
        // `stats_are_signed_unless_public`).
        let config = format!(
            r#"{{"functions":[{{"name":"hi","module":"hello"}}],
                "routes":[{{"prefix":"/hi","function":"hi"}}],
                "admin":{{"admin_keys":["{admin}"],"trusted_keys":["{public}"],"public_stats":true}}}}"#
        );
        lab.dir.write("device.json", &config);
        std::fs::create_dir_all(lab.path("store")).unwrap();
        lab
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Runs the CLI in the lab directory.
    fn isere(&self, args: &[&str]) -> Output {
        Command::new(CLI)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("ISERE_ADMIN_KEY")
            .output()
            .unwrap_or_else(|e| panic!("run {CLI}: {e}"))
    }

    /// Starts a simulator on the lab's configuration and store.
    fn start(&self) -> Sim {
        self.start_with("device.json", "store")
    }

    fn start_with(&self, config: &str, store: &str) -> Sim {
        let args: Vec<OsString> = vec![
            "--config".into(),
            self.path(config).into(),
            if self.image { "--data" } else { "--bundles" }.into(),
            self.path(&format!("{store}{}", if self.image { ".img" } else { "" }))
                .into(),
        ];
        Sim::spawn(args, None)
    }

    /// Writes function `name` answering `body`, builds version `version` of
    /// it, and returns the bundle's path (relative to the lab).
    fn build(&self, name: &str, version: &str, js: &str) -> String {
        let src = format!("{name}-{version}.js");
        self.dir.write(&src, js);
        let bundle = format!("{name}-{version}.bundle");
        let out = self.isere(&[
            "build",
            &src,
            "--name",
            name,
            "--version",
            version,
            "--key",
            "keys/isere.key",
            "--out",
            &bundle,
        ]);
        assert!(out.status.success(), "build: {}", text(&out));
        bundle
    }

    /// A function answering `body`.
    fn build_answering(&self, name: &str, version: &str, body: &str) -> String {
        self.build(
            name,
            version,
            &format!("export default {{ async fetch() {{ return new Response({body:?}); }} }};\n"),
        )
    }

    /// `isere ARGS --device URL --admin-key keys/admin.key`.
    fn admin(&self, sim: &Sim, args: &[&str]) -> Output {
        let url = format!("http://{}", sim.addr());
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--device", &url, "--admin-key", "keys/admin.key"]);
        self.isere(&all)
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What `GET path` answers: (status, body).
fn get(sim: &Sim, path: &str) -> (u16, String) {
    let r = sim.conn().get(path);
    (r.status, r.text().to_string())
}

/// The `authorization` of `method target` with `body` to `sim`, signed by
/// the admin key in `key_file` (as the CLI signs).
fn sign(lab: &Lab, sim: &Sim, key_file: &str, method: &str, target: &str, body: &[u8]) -> String {
    let key =
        ed25519_dalek::SigningKey::from_bytes(&bundle::parse_hex32(&lab.read(key_file)).unwrap());
    support::sign_admin(&mut sim.conn(), &key, method, target, body)
}

/// A raw admin request signed by the lab's admin key; returns (status, body).
fn admin_request(lab: &Lab, sim: &Sim, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let auth = sign(lab, sim, "keys/admin.key", method, path, body);
    let mut c = sim.conn();
    let r = c.request(method, path, &[("authorization", &auth)], body);
    (r.status, r.text().to_string())
}

#[test]
fn deploy_redeploy_rollback_and_delete_through_the_cli() {
    if skip_on_board("ota_cycle", "uses a host-directory store (--bundles)") {
        return;
    }
    let lab = Lab::new();
    let sim = lab.start();
    assert_eq!(get(&sim, "/app").0, 404);
    let v1 = lab.build_answering("app", "1", "one");
    let out = lab.admin(&sim, &["deploy", &v1]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("app 1 active"), "{}", text(&out));
    assert!(
        text(&out).contains("100%"),
        "a progress bar: {}",
        text(&out)
    );
    assert_eq!(get(&sim, "/app"), (200, "one".into()));
    assert_eq!(
        get(&sim, "/app/below").1,
        "one",
        "the route covers its subtree"
    );
    assert_eq!(
        get(&sim, "/hi").1,
        "Hello from Isère!\n",
        "configured routes stay"
    );

    let v2 = lab.build_answering("app", "2", "two");
    let out = lab.admin(&sim, &["deploy", &v2]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("previous 1"), "{}", text(&out));
    assert_eq!(get(&sim, "/app").1, "two");

    let out = lab.admin(&sim, &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let status = text(&out);
    assert!(
        status.contains(r#""name":"app","active":"2","previous":"1""#),
        "{status}"
    );

    let out = lab.admin(&sim, &["rollback", "app"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rolled back to 1"), "{}", text(&out));
    assert_eq!(get(&sim, "/app").1, "one");

    // What is active survives a restart.
    drop(sim);
    let sim = lab.start();
    assert_eq!(get(&sim, "/app").1, "one");
    let out = lab.admin(&sim, &["logs"]);
    assert!(text(&out).contains("app 1 restored"), "{}", text(&out));

    let out = lab.admin(&sim, &["delete", "app"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(get(&sim, "/app").0, 404);
    assert!(!lab.path("store/functions/app").exists());
    drop(sim);
    let sim = lab.start();
    assert_eq!(get(&sim, "/app").0, 404, "deleted for good");
}

#[test]
fn a_request_in_flight_finishes_on_the_old_version() {
    // On a LittleFS image: runs on the QEMU board too.
    if support::skip_on_target("ota_in_flight", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    let sim = lab.start();
    let v1 = lab.build(
        "slow",
        "1",
        "export default { async fetch() { await new Promise(r => setTimeout(r, 1500)); return new Response('old'); } };\n",
    );
    assert!(lab.admin(&sim, &["deploy", &v1]).status.success());
    let addr = sim.addr();
    let slow = std::thread::spawn(move || support::Conn::connect(addr).get("/slow"));
    std::thread::sleep(Duration::from_millis(300));
    let v2 = lab.build_answering("slow", "2", "new");
    let out = lab.admin(&sim, &["deploy", &v2]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        get(&sim, "/slow").1,
        "new",
        "the next request sees the new one"
    );
    let r = slow.join().unwrap();
    assert_eq!((r.status, r.text()), (200, "old"));
}

#[test]
fn rejected_deploys_change_nothing() {
    // On the QEMU board the store is a LittleFS image (a host file through
    // semihosting); on the simulator a host directory, whose files are
    // checked too.
    let lab = if support::board_firmware().is_some() {
        Lab::on_image()
    } else {
        Lab::new()
    };
    let sim = lab.start();
    let v1 = lab.build_answering("app", "1", "one");
    assert!(lab.admin(&sim, &["deploy", &v1]).status.success());
    let unchanged = |why: &str| {
        assert_eq!(get(&sim, "/app"), (200, "one".into()), "after {why}");
        let (status, body) = admin_request(&lab, &sim, "GET", "/_isere/functions", b"");
        assert_eq!(status, 200);
        assert!(
            body.contains(r#""active":"1","previous":null"#),
            "after {why}: {body}"
        );
        if !lab.image {
            let mut files: Vec<String> = std::fs::read_dir(lab.path("store/functions/app"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            assert_eq!(files, ["1.bundle", "pointer"], "after {why}");
        }
    };
    let v2 = lab.build_answering("app", "2", "two");
    let url = format!("http://{}", sim.addr());

    // No admin key, a key that is not an admin key: 401.
    let out = lab.isere(&["deploy", &v2, "--device", &url]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no admin key"), "{}", text(&out));
    let out = lab.isere(&[
        "deploy",
        &v2,
        "--device",
        &url,
        "--admin-key",
        "keys/isere.key",
    ]);
    assert!(text(&out).contains("401"), "{}", text(&out));
    unchanged("a wrong admin key");
    let (status, _) = {
        let mut c = sim.conn();
        let r = c.request("GET", "/_isere/functions", &[], b"");
        (r.status, r.text().to_string())
    };
    assert_eq!(status, 401);

    // Signed by a key the device does not trust: 403.
    assert!(lab.isere(&["keygen", "--out", "other"]).status.success());
    lab.dir.write(
        "app-x.js",
        "export default { fetch() { return new Response('x'); } };\n",
    );
    let out = lab.isere(&[
        "build",
        "app-x.js",
        "--name",
        "app",
        "--version",
        "3",
        "--key",
        "other/isere.key",
        "--out",
        "untrusted.bundle",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = lab.admin(&sim, &["deploy", "untrusted.bundle"]);
    assert!(text(&out).contains("403 bad signature"), "{}", text(&out));
    unchanged("an untrusted key");

    // Tampered: a flipped byte in the module, in the manifest, a truncation.
    let good = std::fs::read(lab.path(&v2)).unwrap();
    let manifest_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let mut in_module = good.clone();
    in_module[16 + manifest_len + 4 + 10] ^= 0x40;
    let mut in_manifest = good.clone();
    let at = 16
        + String::from_utf8_lossy(&good[16..16 + manifest_len])
            .find("\"version\":\"2\"")
            .unwrap()
        + 11;
    in_manifest[at] = b'9';
    for (bytes, status, needle) in [
        (in_module, 422, "SHA-256 differs"),
        (in_manifest, 403, "bad signature"),
        (good[..good.len() - 10].to_vec(), 422, "truncated"),
        (b"not a bundle at all".to_vec(), 422, "bad magic"),
    ] {
        let (s, body) = admin_request(&lab, &sim, "PUT", "/_isere/functions/app", &bytes);
        assert_eq!(s, status, "{needle}: {body}");
        assert!(body.contains(needle), "{needle}: {body}");
        unchanged(needle);
    }

    // Built for another engine: 422 naming both versions.
    let key = ed25519_dalek::SigningKey::from_bytes(
        &bundle::parse_hex32(&lab.read("keys/isere.key")).unwrap(),
    );
    let mut engine = isere::ota::engine_version();
    engine.quickjs = "0.9.0".into();
    let manifest = bundle::Manifest {
        name: "app".into(),
        version: "4".into(),
        entry: "app.js".into(),
        engine,
        routes: vec![bundle::BundleRoute {
            prefix: "/app".into(),
            methods: None,
        }],
        env: Default::default(),
        bindings: Default::default(),
        limits: Default::default(),
        members: Vec::new(),
    };
    let other_engine = bundle::build(
        manifest,
        &[bundle::MemberData {
            name: "app.js",
            kind: bundle::MemberKind::Module,
            bytes: b"whatever",
        }],
        &key,
    )
    .unwrap();
    let (s, body) = admin_request(&lab, &sim, "PUT", "/_isere/functions/app", &other_engine);
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("built for QuickJS-NG 0.9.0"), "{body}");
    unchanged("another engine");

    // Uploaded under another name.
    let (s, body) = admin_request(
        &lab,
        &sim,
        "PUT",
        "/_isere/functions/other",
        &std::fs::read(lab.path(&v2)).unwrap(),
    );
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("upload it to /_isere/functions/app"),
        "{body}"
    );
    unchanged("a wrong name");

    // A module whose top level throws, or runs past its time limit.
    let throws = lab.build(
        "app",
        "5",
        "throw new Error('boom at start');\nexport default { fetch() {} };\n",
    );
    let out = lab.admin(&sim, &["deploy", &throws]);
    assert!(!out.status.success());
    assert!(text(&out).contains("boom at start"), "{}", text(&out));
    assert!(
        text(&out).contains("version 1 still serves"),
        "{}",
        text(&out)
    );
    unchanged("a throwing module");
    lab.dir.write("isere.json", r#"{"limits":{"init_ms":200}}"#);
    let spins = lab.build(
        "app",
        "6",
        "while (true) {}\nexport default { fetch() {} };\n",
    );
    std::fs::remove_file(lab.path("isere.json")).unwrap();
    let started = Instant::now();
    let out = lab.admin(&sim, &["deploy", &spins]);
    assert!(!out.status.success());
    assert!(text(&out).contains("failed to start"), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    unchanged("a module that never finishes");
    let no_handler = lab.build("app", "7", "export const x = 1;\n");
    let out = lab.admin(&sim, &["deploy", &no_handler]);
    assert!(text(&out).contains("neither"), "{}", text(&out));
    unchanged("a module without a handler");

    // The active version again: 409.
    let out = lab.admin(&sim, &["deploy", &v1]);
    assert!(text(&out).contains("409"), "{}", text(&out));
    unchanged("the same version");

    // An upload cut off half-way (the client disconnects).
    {
        let bytes = std::fs::read(lab.path(&v2)).unwrap();
        let auth = sign(
            &lab,
            &sim,
            "keys/admin.key",
            "PUT",
            "/_isere/functions/app",
            &bytes,
        );
        let mut c = sim.conn();
        let head = format!(
            "PUT /_isere/functions/app HTTP/1.1\r\nhost: x\r\nauthorization: {auth}\r\ncontent-length: {}\r\n\r\n",
            bytes.len()
        );
        c.send(head.as_bytes());
        c.send(&bytes[..bytes.len() / 2]);
        c.shutdown_write();
        let _ = c.read_until_close();
    }
    unchanged("a cut-off upload");

    // Rolling back without a previous version.
    let out = lab.admin(&sim, &["rollback", "app"]);
    assert!(text(&out).contains("no previous version"), "{}", text(&out));
    unchanged("a rollback with nothing to return to");

    // The contexts of the versions that failed to start were freed whole
    // (the leak check runs at a signal, which only the simulator gets).
    if skip_on_board("ota_rejections_leaks", "the leak check runs at SIGTERM") {
        return;
    }
    let (status, log) = sim.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("leak check passed"), "{log}");
}

#[test]
fn a_device_without_admin_credentials_refuses_every_call() {
    // On a LittleFS image: runs on the QEMU board too.
    if support::skip_on_target("ota_no_admin", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    lab.dir.write(
        "open.json",
        r#"{"functions":[{"name":"hi","module":"hello"}],"routes":[{"prefix":"/hi","function":"hi"}]}"#,
    );
    let sim = lab.start_with("open.json", "store");
    let v1 = lab.build_answering("app", "1", "one");
    let out = lab.admin(&sim, &["deploy", &v1]);
    assert!(text(&out).contains("401"), "{}", text(&out));
    assert_eq!(get(&sim, "/app").0, 404);
    // Stats stay open.
    assert_eq!(get(&sim, "/_isere/stats").0, 200);
}

#[test]
fn configuration_is_signed_and_applied_without_a_reboot() {
    // On a LittleFS image: runs on the QEMU board too.
    if support::skip_on_target("ota_config", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    let sim = lab.start();
    let out = lab.admin(&sim, &["config", "get"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("trusted_keys"), "{}", text(&out));

    // Unsigned or signed by a stranger: 403; nothing stored.
    let r = sim.conn().request("POST", "/hi", &[], &[b'x'; 100]);
    assert_eq!(r.status, 200, "the body limit before");
    let (s, body) = admin_request(
        &lab,
        &sim,
        "PUT",
        "/_isere/config",
        b"{\"log_level\":\"debug\"}",
    );
    assert_eq!(s, 403, "{body}");
    assert!(!lab.path("store/config.signed").exists());

    // A new configuration: debug logging (applied now), a new admin key.
    assert!(lab.isere(&["keygen", "--out", "keys2"]).status.success());
    let config = lab.read("device.json").replace(
        r#""admin""#,
        r#""log_level":"debug","server":{"max_body_bytes":16},"admin""#,
    );
    let config = config.replace(&lab.read("keys/admin.pub"), &lab.read("keys2/admin.pub"));
    // Routes and functions change at once: /hey serves the running
    // function "hi", /later the function "new" loaded now.
    let config = config
        .replace(
            r#"{"prefix":"/hi","function":"hi"}"#,
            r#"{"prefix":"/hey","function":"hi"},{"prefix":"/later","function":"new"}"#,
        )
        .replace(
            r#"{"name":"hi","module":"hello"}"#,
            r#"{"name":"hi","module":"hello"},{"name":"new","module":"echo"}"#,
        );
    assert!(config.contains("/later"), "{config}");
    lab.dir.write("new.json", &config);
    let out = lab.admin(
        &sim,
        &["config", "push", "new.json", "--key", "keys/isere.key"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""after_restart":[]"#),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains(r#""loaded":["new"]"#), "{}", text(&out));
    assert_eq!(get(&sim, "/hey"), (200, "Hello from Isère!\n".into()));
    assert_eq!(get(&sim, "/hi").0, 404, "the old route is gone");
    assert_eq!(get(&sim, "/later").0, 200, "the new function runs at once");
    // Server limits apply at once too.
    let r = sim.conn().request("POST", "/hey", &[], &[b'x'; 100]);
    assert_eq!(r.status, 413, "the new body limit");
    // The old admin key no longer works; the new one does, at once.
    let out = lab.admin(&sim, &["status"]);
    assert!(text(&out).contains("401"), "{}", text(&out));
    let url = format!("http://{}", sim.addr());
    let out = lab.isere(&["logs", "--device", &url, "--admin-key", "keys2/admin.key"]);
    assert!(out.status.success(), "{}", text(&out));
    // Debug lines appear only once the new level is in force.
    let _ = get(&sim, "/hi");
    let out = lab.isere(&["logs", "--device", &url, "--admin-key", "keys2/admin.key"]);
    assert!(text(&out).contains("DEBUG"), "{}", text(&out));

    // A configuration that would lock the device out is refused.
    lab.dir.write("locked.json", r#"{"log_level":"info"}"#);
    let out = lab.isere(&[
        "config",
        "push",
        "locked.json",
        "--key",
        "keys/isere.key",
        "--device",
        &url,
        "--admin-key",
        "keys2/admin.key",
    ]);
    assert!(
        text(&out).contains("could never be administered"),
        "{}",
        text(&out)
    );

    // The stored configuration wins at the next start.
    drop(sim);
    let sim = lab.start();
    let out = lab.isere(&[
        "config",
        "get",
        "--device",
        &format!("http://{}", sim.addr()),
        "--admin-key",
        "keys2/admin.key",
    ]);
    assert!(
        text(&out).contains("\"log_level\":\"debug\""),
        "{}",
        text(&out)
    );
    assert_eq!(
        get(&sim, "/later").0,
        200,
        "the new function runs after the restart too"
    );
}

#[test]
fn a_fleet_deploy_reports_per_device_and_survives_a_dead_one() {
    // Two QEMU boards on LittleFS images, or two simulators on directories.
    let lab = if support::board_firmware().is_some() {
        Lab::on_image()
    } else {
        Lab::new()
    };
    let a = lab.start_with("device.json", "store");
    if !lab.image {
        std::fs::create_dir_all(lab.path("store-b")).unwrap();
    }
    let b = lab.start_with("device.json", "store-b");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    lab.dir.write(
        "fleet.txt",
        &format!(
            "# the lab\nhttp://{}\n{dead_url}\n\nhttp://{}\n",
            a.addr(),
            b.addr()
        ),
    );
    let v1 = lab.build_answering("app", "1", "one");
    let out = lab.isere(&[
        "deploy",
        &v1,
        "--fleet",
        "fleet.txt",
        "--admin-key",
        "keys/admin.key",
    ]);
    assert!(!out.status.success(), "one device failed");
    let t = text(&out);
    assert!(
        t.contains(&format!("http://{}: app 1 active", a.addr())),
        "{t}"
    );
    assert!(
        t.contains(&format!("http://{}: app 1 active", b.addr())),
        "{t}"
    );
    assert!(
        t.contains(&format!("{dead_url}: FAILED: cannot reach")),
        "{t}"
    );
    assert!(t.contains("1 of 3 device(s) failed"), "{t}");
    assert_eq!(get(&a, "/app").1, "one");
    assert_eq!(get(&b, "/app").1, "one");
}

#[test]
fn the_cli_makes_projects_and_reports_source_errors_with_positions() {
    let lab = Lab::new();
    let out = lab.isere(&["new", "shop"]);
    assert!(out.status.success(), "{}", text(&out));
    for f in [
        "shop.js",
        "isere.json",
        "isere.d.ts",
        "jsconfig.json",
        "README.md",
    ] {
        assert!(lab.path("shop").join(f).exists(), "{f}");
    }
    let dts = lab.read("shop/isere.d.ts");
    for needle in [
        "declare class Request",
        "interface KVNamespace",
        "declare module \"node:crypto\"",
        "declare function fetch",
    ] {
        assert!(dts.contains(needle), "{needle}");
    }
    // The template builds as is, with the project's name and version.
    let out = lab.isere(&[
        "build",
        "shop/shop.js",
        "--key",
        "keys/isere.key",
        "--out",
        "shop.bundle",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("shop 0.1.0"), "{}", text(&out));
    let keys = [ed25519_dalek::VerifyingKey::from_bytes(
        &bundle::parse_hex32(&lab.read("keys/isere.pub")).unwrap(),
    )
    .unwrap()];
    let bytes = std::fs::read(lab.path("shop.bundle")).unwrap();
    let v = bundle::verify(&bytes, &keys, &isere::ota::engine_version()).unwrap();
    assert_eq!(v.manifest.routes[0].prefix, "/shop");

    lab.dir.write(
        "broken.js",
        "export default {\n  fetch() {\n    return 1 +;\n  }\n};\n",
    );
    let out = lab.isere(&[
        "build",
        "broken.js",
        "--key",
        "keys/isere.key",
        "--out",
        "b.bundle",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("broken.js:3:"), "{}", text(&out));
    assert!(!lab.path("b.bundle").exists());
    let out = lab.isere(&["build", "shop/shop.js", "--key", "nokey", "--out", "x"]);
    assert!(text(&out).contains("isere keygen"), "{}", text(&out));
    assert!(
        !lab.isere(&["new", "shop"]).status.success(),
        "never overwrites"
    );
}

/// A cheap pseudo-random sequence (no dependency): xorshift seeded by the clock.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        eprintln!("power-loss seed {seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn power_loss_during_deploys_leaves_the_old_or_the_new_version() {
    if skip_on_board("ota_power_loss", "SIGKILL is for the simulator") {
        return;
    }
    power_loss(&Lab::new(), 30);
}

#[test]
fn power_loss_on_the_littlefs_store_leaves_the_old_or_the_new_version() {
    if skip_on_board("ota_power_loss_fs", "SIGKILL is for the simulator") {
        return;
    }
    power_loss(&Lab::on_image(), 30);
}

/// Deploys version after version, killing the simulator (SIGKILL) at a
/// random moment of each, and checks after every restart that the old or
/// the new version serves.
fn power_loss(lab: &Lab, rounds: u32) {
    // A big module (about 200 KB of bytecode) so that the upload and the
    // activation take long enough to be cut at every stage.
    let filler = "x".repeat(200_000);
    let mut bundles = Vec::new();
    for v in 1..=4 {
        let js = format!(
            "const filler = {filler:?};\nexport default {{ fetch() {{ return new Response('v{v}:' + filler.length); }} }};\n"
        );
        bundles.push(lab.build("app", &v.to_string(), &js));
    }
    let mut rng = Rng::new();
    let mut served: Option<u32> = None;
    let mut outcomes = Vec::new();
    for round in 0..rounds {
        let sim = lab.start();
        let (status, body) = get(&sim, "/app");
        let now = match (status, body.strip_prefix('v')) {
            (200, Some(rest)) => Some(rest.split(':').next().unwrap().parse::<u32>().unwrap()),
            (404, _) => None,
            other => panic!(
                "round {round}: neither version serves: {other:?}\n{}",
                sim.stderr()
            ),
        };
        if let Some(before) = served {
            let next = before % 4 + 1;
            assert!(
                now == Some(before) || now == Some(next),
                "round {round}: served {now:?}, expected v{before} or v{next}\n{}",
                sim.stderr()
            );
        }
        served = now.or(served);
        if let Some(s) = now {
            outcomes.push(s);
        }
        // Deploy the next version and pull the plug at a random moment.
        let next = served.map_or(1, |s| s % 4 + 1);
        let bundle = bundles[next as usize - 1].clone();
        let url = format!("http://{}", sim.addr());
        let dir = lab.dir.path().to_path_buf();
        let deploy = std::thread::spawn(move || {
            Command::new(CLI)
                .args([
                    "deploy",
                    &bundle,
                    "--device",
                    &url,
                    "--admin-key",
                    "keys/admin.key",
                ])
                .current_dir(dir)
                .output()
        });
        std::thread::sleep(Duration::from_millis(rng.below(120)));
        drop(sim); // SIGKILL
        let _ = deploy.join();
        if served.is_none() {
            // The very first deploy may not have happened: either state is fine.
            let sim = lab.start();
            let (status, body) = get(&sim, "/app");
            assert!(status == 404 || body.starts_with("v1:"), "{status} {body}");
            if status == 200 {
                served = Some(1);
            }
        }
    }
    eprintln!("versions seen after each restart: {outcomes:?}");
    if lab.image {
        return;
    }
    // Stray uploads and orphans are cleaned at start.
    let sim = lab.start();
    let files: Vec<String> = std::fs::read_dir(lab.path("store/functions/app"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        files
            .iter()
            .all(|f| f == "pointer" || f.ends_with(".bundle")),
        "{files:?}"
    );
    assert!(files.len() <= 3, "{files:?}");
    drop(sim);
    let _: &Path = lab.dir.path();
}

#[test]
fn logs_follow_long_polls_for_new_lines() {
    // On a LittleFS image: runs on the QEMU board too.
    if support::skip_on_target("ota_logs", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    let sim = lab.start();
    let url = format!("http://{}", sim.addr());
    let mut follower = Command::new(CLI)
        .args([
            "logs",
            "--follow",
            "--device",
            &url,
            "--admin-key",
            "keys/admin.key",
        ])
        .current_dir(lab.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = follower.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let pump = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let v1 = lab.build_answering("app", "1", "one");
    assert!(lab.admin(&sim, &["deploy", &v1]).status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.lock().unwrap().contains("app 1 deployed") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = follower.kill();
    let _ = follower.wait();
    let _ = pump.join();
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains("listening") || seen.contains("loaded"),
        "the backlog first: {seen}"
    );
    assert!(
        seen.contains("app 1 deployed"),
        "then new lines as they come: {seen}"
    );
    // Unknown admin paths and wrong methods.
    assert_eq!(
        admin_request(&lab, &sim, "GET", "/_isere/nothing", b"").0,
        404
    );
    assert_eq!(
        admin_request(&lab, &sim, "POST", "/_isere/functions", b"").0,
        405
    );
}

#[test]
fn static_files_are_served_from_the_bundle_before_the_function() {
    // On a LittleFS image: runs on the QEMU board too.
    if support::skip_on_target("ota_static", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    let sim = lab.start();
    std::fs::create_dir_all(lab.path("public/css")).unwrap();
    lab.dir.write("public/index.html", "<h1>home</h1>");
    lab.dir.write("public/css/site.css", "h1 { color: red }");
    let big = "0123456789".repeat(10_000);
    lab.dir.write("public/big.txt", &big);
    lab.dir.write(
        "site.js",
        "export default { fetch(r) { return new Response('dynamic ' + new URL(r.url).pathname); } };\n",
    );
    let out = lab.isere(&[
        "build",
        "site.js",
        "--version",
        "1",
        "--key",
        "keys/isere.key",
        "--out",
        "site.bundle",
        "--static",
        "public",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(lab.admin(&sim, &["deploy", "site.bundle"]).status.success());
    let r = sim.conn().get("/site");
    assert_eq!((r.status, r.text()), (200, "<h1>home</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = sim.conn().get("/site/css/site.css");
    assert_eq!(r.text(), "h1 { color: red }");
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    let mut c = sim.conn();
    let r = c.get("/site/big.txt");
    assert_eq!(r.text(), big, "streamed from the store in pieces");
    let r = c.get("/site/css/site.css");
    assert_eq!(r.status, 200, "the connection stays usable");
    let r = c.request("HEAD", "/site/big.txt", &[], b"");
    assert_eq!(r.header("content-length"), Some("100000"));
    assert_eq!(get(&sim, "/site/other").1, "dynamic /site/other");
}

#[test]
fn a_corrupted_active_bundle_falls_back_to_the_previous_version_at_start() {
    if skip_on_board("ota_rot", "uses a host-directory store (--bundles)") {
        return;
    }
    let lab = Lab::new();
    let sim = lab.start();
    let v1 = lab.build_answering("app", "1", "one");
    let v2 = lab.build_answering("app", "2", "two");
    assert!(lab.admin(&sim, &["deploy", &v1]).status.success());
    assert!(lab.admin(&sim, &["deploy", &v2]).status.success());
    assert_eq!(get(&sim, "/app").1, "two");
    drop(sim);
    // Flash rot in the active bundle: its hashes no longer match.
    let active = lab.path("store/functions/app/2.bundle");
    let mut bytes = std::fs::read(&active).unwrap();
    let at = bytes.len() - 80;
    bytes[at] ^= 0xff;
    std::fs::write(&active, bytes).unwrap();
    let sim = lab.start();
    assert_eq!(get(&sim, "/app"), (200, "one".into()));
    sim.expect_stderr("app 2 cannot run", Duration::from_secs(5));
    sim.expect_stderr("app 1 restored", Duration::from_secs(5));
}

#[test]
fn deploy_rollback_and_restart_on_the_littlefs_store() {
    // Runs on the QEMU board too: its image is a host file (semihosting).
    if support::skip_on_target("ota_fs", "needs its own configuration and image") {
        return;
    }
    let lab = Lab::on_image();
    let sim = lab.start();
    let v1 = lab.build_answering("app", "1", "one");
    let v2 = lab.build_answering("app", "2", "two");
    assert!(lab.admin(&sim, &["deploy", &v1]).status.success());
    assert!(lab.admin(&sim, &["deploy", &v2]).status.success());
    assert_eq!(get(&sim, "/app").1, "two");
    drop(sim);
    let sim = lab.start();
    assert_eq!(
        get(&sim, "/app").1,
        "two",
        "kept in the image across a restart"
    );
    assert!(lab.admin(&sim, &["rollback", "app"]).status.success());
    assert_eq!(get(&sim, "/app").1, "one");
    let out = lab.admin(&sim, &["status"]);
    assert!(
        text(&out).contains(r#""active":"1","previous":"2""#),
        "{}",
        text(&out)
    );
    // A configuration pushed to this device is kept in the image too.
    let config = lab
        .read("device.json")
        .replace(r#""admin""#, r#""server":{"max_body_bytes":4096},"admin""#);
    lab.dir.write("warn.json", &config);
    let out = lab.admin(
        &sim,
        &["config", "push", "warn.json", "--key", "keys/isere.key"],
    );
    assert!(out.status.success(), "{}", text(&out));
    drop(sim);
    let sim = lab.start();
    assert_eq!(get(&sim, "/app").1, "one");
    let out = lab.admin(&sim, &["config", "get"]);
    assert!(
        text(&out).contains(r#""max_body_bytes":4096"#),
        "{}",
        text(&out)
    );
    assert!(lab.admin(&sim, &["delete", "app"]).status.success());
    assert_eq!(get(&sim, "/app").0, 404);
}

#[test]
fn a_bundles_cpu_limit_stops_its_spinning_handler() {
    let lab = if support::board_firmware().is_some() {
        Lab::on_image()
    } else {
        Lab::new()
    };
    let sim = lab.start();
    lab.dir.write(
        "spin.json",
        r#"{ "name": "spin", "version": "1", "routes": [ { "prefix": "/spin" } ],
             "limits": { "cpu_ms": 200, "init_ms": 0 } }"#,
    );
    lab.dir.write(
        "spin.js",
        "export default { async fetch(r) {\n\
           if (new URL(r.url).searchParams.has('spin')) for (;;) {}\n\
           return new Response('fine');\n\
         } };\n",
    );
    let out = lab.isere(&[
        "build",
        "spin.js",
        "--project",
        "spin.json",
        "--key",
        "keys/isere.key",
        "--out",
        "spin.bundle",
    ]);
    assert!(out.status.success(), "build: {}", text(&out));
    assert!(lab.admin(&sim, &["deploy", "spin.bundle"]).status.success());
    // The device's own limit is handler_timeout_ms (30 s by default): the
    // bundle's 200 ms stops the loop long before.
    let started = std::time::Instant::now();
    let (status, _) = get(&sim, "/spin?spin");
    assert_eq!(status, 500);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped after {:?}",
        started.elapsed()
    );
    assert_eq!(
        get(&sim, "/spin"),
        (200, "fine".into()),
        "the next request is served"
    );
}

/// A lab on the store the target can use: a LittleFS image on the board, a
/// host directory on the simulator.
fn lab_for_target() -> Lab {
    if support::board_firmware().is_some() {
        Lab::on_image()
    } else {
        Lab::new()
    }
}

/// The lab's device configuration (its admin section) with `server`
/// (members of the `server` object), `functions` and `routes` (members of
/// the arrays).
fn device_config(lab: &Lab, server: &str, functions: &str, routes: &str) -> String {
    let text = lab.read("device.json");
    let admin = &text[text.find(r#""admin""#).expect("an admin section")..];
    format!(r#"{{"server":{{{server}}},"functions":[{functions}],"routes":[{routes}],{admin}"#)
}

/// The function and route of the lab's configuration.
const HI_FUNCTION: &str = r#"{"name":"hi","module":"hello"}"#;
const HI_ROUTE: &str = r#"{"prefix":"/hi","function":"hi"}"#;

/// `isere config push` of `json` (saved as `file`) to the lab's device.
fn push_config(lab: &Lab, sim: &Sim, file: &str, json: &str) -> Output {
    lab.dir.write(file, json);
    lab.admin(sim, &["config", "push", file, "--key", "keys/isere.key"])
}

/// `GET /_isere/stats`.
fn stats(sim: &Sim) -> support::Json {
    let r = sim.conn().get("/_isere/stats");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Polls the stats until `done` holds for them (or panics after 10 s); a
/// 503 (no connection task free at that moment) is polled again.
fn wait_for_stats(sim: &Sim, what: &str, done: impl Fn(&support::Json) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = sim.conn().get("/_isere/stats");
        if r.status == 200 && done(&r.json()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} {}",
            r.status,
            r.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn number(j: &support::Json) -> usize {
    j.as_f64().unwrap_or_else(|| panic!("not a number: {j:?}")) as usize
}

#[test]
fn a_pushed_max_connections_resizes_the_pool_at_once() {
    if support::skip_on_target("ota_pool", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    let s = stats(&sim);
    assert_eq!(number(&s["max_connections"]), 8, "the default");
    assert_eq!(number(&s["connections"]["tasks"]), 8);
    let ceiling = number(&s["connections"]["ceiling"]);

    // More: twelve connections held open at once, each served (all from
    // one address, with no cap per client: this is about the pool).
    let config = device_config(
        &lab,
        r#""max_connections":12,"max_connections_per_client":0"#,
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "more.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""max_connections":12"#),
        "{}",
        text(&out)
    );
    let mut held = Vec::new();
    for i in 0..12 {
        let mut c = sim.conn();
        assert_eq!(c.get("/hi").status, 200, "connection {i}");
        held.push(c);
    }
    assert_eq!(sim.conn().get("/hi").status, 503, "a thirteenth: all busy");
    drop(held.split_off(6));
    wait_for_stats(&sim, "six tasks free again", |s| {
        number(&s["connections"]["idle"]) >= 5
    });

    // Fewer: the idle tasks retire at once (a new connection finds none),
    // the busy ones once their connection ends; held connections go on
    // being served meanwhile.
    let config = device_config(
        &lab,
        r#""max_connections":3,"max_connections_per_client":0"#,
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "fewer.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""max_connections":3"#),
        "{}",
        text(&out)
    );
    assert_eq!(sim.conn().get("/hi").status, 503, "the idle tasks are gone");
    for (i, c) in held.iter_mut().enumerate() {
        assert_eq!(c.get("/hi").status, 200, "held connection {i}");
    }
    drop(held);
    wait_for_stats(&sim, "three tasks left", |s| {
        number(&s["connections"]["tasks"]) == 3 && number(&s["max_connections"]) == 3
    });
    let mut three: Vec<_> = (0..3).map(|_| sim.conn()).collect();
    for c in &mut three {
        assert_eq!(c.get("/hi").status, 200);
    }
    assert_eq!(sim.conn().get("/hi").status, 503, "a fourth: all busy");
    drop(three);

    // Above what the port affords: clamped to its ceiling, and said so.
    let config = device_config(
        &lab,
        &format!(
            r#""max_connections":{},"max_connections_per_client":0"#,
            ceiling + 1
        ),
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "too_many.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(r#""max_connections":{ceiling}"#))
            && text(&out).contains(r#""clamped":true"#),
        "{}",
        text(&out)
    );
    wait_for_stats(&sim, "the pool at the ceiling", |s| {
        number(&s["connections"]["tasks"]) == ceiling
    });
    assert_eq!(get(&sim, "/hi").0, 200);
}

#[test]
fn a_pushed_js_memory_limit_applies_at_once() {
    if support::skip_on_target("ota_memory", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    let hog = lab.build(
        "hog",
        "1",
        "export default { async fetch(r) {\n\
           const n = Number(new URL(r.url).searchParams.get('n') || 0);\n\
           const bytes = new Uint8Array(n);\n\
           bytes.fill(7);\n\
           return new Response(String(bytes.length));\n\
         } };\n",
    );
    assert!(lab.admin(&sim, &["deploy", &hog]).status.success());
    assert_eq!(get(&sim, "/hog?n=10"), (200, "10".into()));
    let s = stats(&sim);
    let used = number(&s["js_memory"]["used"]);
    let ceiling = number(&s["js_memory"]["ceiling"]);
    assert!(used > 0 && ceiling > used, "{s:?}");
    // An allocation the small limit cannot hold, the larger one can.
    let big = ((ceiling - used) / 3).min(1 << 20);
    let small_limit = used + big / 2;
    let config = device_config(
        &lab,
        &format!(r#""js_memory_bytes":{small_limit}"#),
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "small.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(r#""js_memory_bytes":{small_limit}"#)),
        "{}",
        text(&out)
    );
    let (status, body) = get(&sim, &format!("/hog?n={big}"));
    assert_eq!(status, 500, "out of memory under the small limit: {body}");
    assert_eq!(
        get(&sim, "/hog?n=10"),
        (200, "10".into()),
        "the next request"
    );
    assert_eq!(get(&sim, "/hi").0, 200, "other functions too");
    assert_eq!(number(&stats(&sim)["js_memory"]["limit"]), small_limit);

    let large_limit = used + 3 * big;
    let config = device_config(
        &lab,
        &format!(r#""js_memory_bytes":{large_limit}"#),
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "large.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        get(&sim, &format!("/hog?n={big}")),
        (200, big.to_string()),
        "fits under the larger limit"
    );

    // Above what the port affords: clamped to its ceiling, and said so.
    let config = device_config(
        &lab,
        &format!(r#""js_memory_bytes":{}"#, ceiling + 1),
        HI_FUNCTION,
        HI_ROUTE,
    );
    let out = push_config(&lab, &sim, "huge.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(r#""js_memory_bytes":{ceiling}"#))
            && text(&out).contains(r#""clamped":true"#),
        "{}",
        text(&out)
    );
    let out = lab.admin(&sim, &["logs"]);
    assert!(
        text(&out).contains(&format!(
            "engine memory limit {small_limit} -> {large_limit}"
        )),
        "the limit changes are logged: {}",
        text(&out)
    );
}

#[test]
fn pushed_functions_load_change_and_unload_at_once_or_not_at_all() {
    if support::skip_on_target("ota_functions", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    // Function files of the host (the board reads them over semihosting).
    let one = lab.dir.write(
        "one.js",
        "export default { fetch() { return new Response('one'); } };\n",
    );
    let two = lab.dir.write(
        "two.js",
        "export default { fetch() { return new Response('two'); } };\n",
    );
    let throws = lab
        .dir
        .write("throws.js", "throw new Error('not today');\n");
    let file_function = |name: &str, path: &Path| {
        format!(
            r#"{{"name":"{name}","path":{}}}"#,
            support::json_string(path.to_str().unwrap())
        )
    };
    let routes = format!(r#"{HI_ROUTE},{{"prefix":"/file","function":"file"}}"#);

    // Added: its route answers at once.
    let functions = format!("{HI_FUNCTION},{}", file_function("file", &one));
    let config = device_config(&lab, "", &functions, &routes);
    let out = push_config(&lab, &sim, "add.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""loaded":["file"]"#),
        "{}",
        text(&out)
    );
    assert_eq!(get(&sim, "/file"), (200, "one".into()));

    // Changed (another file): reloaded; the unchanged one stays as it is.
    let functions = format!("{HI_FUNCTION},{}", file_function("file", &two));
    let config = device_config(&lab, "", &functions, &routes);
    let out = push_config(&lab, &sim, "change.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""loaded":["file"]"#),
        "{}",
        text(&out)
    );
    assert_eq!(get(&sim, "/file"), (200, "two".into()));
    assert_eq!(get(&sim, "/hi").0, 200);

    // Broken ones are refused with nothing changed: no such built-in
    // module, a module that throws at its top level, a file that does not
    // exist; the configuration is not stored.
    let before = text(&lab.admin(&sim, &["config", "get"]));
    let broken = [
        (
            r#"{"name":"bad","module":"no-such-module"}"#.to_string(),
            "no built-in module",
        ),
        (file_function("bad", &throws), "not today"),
        (file_function("bad", &lab.path("missing.js")), "missing.js"),
    ];
    for (bad, why) in broken {
        let functions = format!("{HI_FUNCTION},{},{bad}", file_function("file", &one));
        let routes = format!(r#"{routes},{{"prefix":"/bad","function":"bad"}}"#);
        let config = device_config(&lab, r#""max_connections":5"#, &functions, &routes);
        let out = push_config(&lab, &sim, "broken.json", &config);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("422") && text(&out).contains(why),
            "{why}: {}",
            text(&out)
        );
        assert!(text(&out).contains("nothing changed"), "{}", text(&out));
        assert_eq!(
            get(&sim, "/file"),
            (200, "two".into()),
            "{why}: file unchanged"
        );
        assert_eq!(get(&sim, "/bad").0, 404, "{why}");
        assert_eq!(number(&stats(&sim)["max_connections"]), 8, "{why}");
        assert_eq!(text(&lab.admin(&sim, &["config", "get"])), before, "{why}");
    }

    // Removed: unloaded at once, its route gone.
    let config = device_config(&lab, "", HI_FUNCTION, HI_ROUTE);
    let out = push_config(&lab, &sim, "remove.json", &config);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#""unloaded":["file"]"#),
        "{}",
        text(&out)
    );
    assert_eq!(get(&sim, "/file").0, 404);
    assert_eq!(get(&sim, "/hi").0, 200);
}

/// Writes a function of four modules (an import cycle, `../` and a
/// built-in module among them) under `root` and returns its entry's path.
fn write_modules(dir: &TempDir, root: &str) -> PathBuf {
    dir.write(
        &format!("{root}/app/app.js"),
        "import { greet } from './lib/greet.js';\n\
         import { Buffer } from 'node:buffer';\n\
         export default { async fetch(r) {\n\
           return new Response(greet(new URL(r.url).pathname) + Buffer.from('ok').toString('hex'));\n\
         } };\n",
    );
    dir.write(
        &format!("{root}/app/lib/greet.js"),
        "import { shout } from '../../shared/shout.js';\n\
         export const greet = (who) => 'hello ' + shout(who) + ' ';\n",
    );
    dir.write(
        &format!("{root}/shared/shout.js"),
        "import { greet } from '../app/lib/greet.js';\n\
         export const shout = (s) => s.toUpperCase() + '/' + typeof greet;\n",
    );
    dir.path().join(root).join("app/app.js")
}

const MODULES_ANSWER: &str = "hello /APP/X/function 6f6b";

#[test]
fn a_bundle_of_several_modules_is_deployed_and_served() {
    if support::skip_on_target("ota_modules", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    write_modules(&lab.dir, "src");
    let out = lab.isere(&[
        "build",
        "src/app/app.js",
        "--version",
        "1",
        "--key",
        "keys/isere.key",
        "--out",
        "app.bundle",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in 3 modules"), "{}", text(&out));
    let bytes = std::fs::read(lab.path("app.bundle")).unwrap();
    let manifest = String::from_utf8_lossy(&bytes);
    // Named below `src/`, which holds them all.
    for member in [
        r#""entry":"app/app.js""#,
        r#""name":"app/lib/greet.js""#,
        r#""name":"shared/shout.js""#,
    ] {
        assert!(manifest.contains(member), "{member} in the manifest");
    }
    let out = lab.admin(&sim, &["deploy", "app.bundle"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(get(&sim, "/app/x"), (200, MODULES_ANSWER.into()));
}

#[test]
fn a_bundle_importing_a_member_it_lacks_is_refused() {
    if support::skip_on_target("ota_lacking", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    assert!(
        lab.admin(&sim, &["deploy", &lab.build_answering("app", "1", "one")])
            .status
            .success()
    );
    // Built by hand: the CLI refuses to leave out an imported file.
    let sources = [
        (
            "app.js",
            "import { x } from './util.js';\nexport default { fetch() { return new Response(x); } };\n",
        ),
        ("util.js", "export const x = 'x';\n"),
    ];
    let mut read = |path: &str| {
        Ok(sources
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, s)| s.to_string()))
    };
    let modules = isere::js::modules::compile_function("app.js", &mut read, 256 * 1024).unwrap();
    let (entry, bytecode) = &modules[0];
    assert_eq!(entry, "app.js");
    let seed = bundle::parse_hex32(&lab.read("keys/isere.key")).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let bytes = support::module_bundle(
        ("app", "2", "/app"),
        (entry, bytecode),
        Default::default(),
        Default::default(),
        &key,
    );
    std::fs::write(lab.path("lacking.bundle"), bytes).unwrap();
    let out = lab.admin(&sim, &["deploy", "lacking.bundle"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("422") && text(&out).contains("cannot find module 'util.js'"),
        "{}",
        text(&out)
    );
    assert_eq!(
        get(&sim, "/app"),
        (200, "one".into()),
        "version 1 still serves"
    );
}

#[test]
fn a_build_with_a_missing_import_fails_at_the_import() {
    let dir = TempDir::new("ota-missing");
    dir.write(
        "fn/app.js",
        "import { a } from './lib/a.js';\nexport default { fetch() { return new Response(a); } };\n",
    );
    dir.write(
        "fn/lib/a.js",
        "// the helper\nexport const a = 'a';\nimport { gone } from \"../gone.js\";\n",
    );
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    let out = Command::new(CLI)
        .current_dir(dir.path())
        .args(["keygen", "--out", "keys"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = Command::new(CLI)
        .current_dir(dir.path())
        .args([
            "build",
            "fn/app.js",
            "--key",
            "keys/isere.key",
            "--out",
            "x.bundle",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("fn/lib/a.js:3:22: cannot import '../gone.js': fn/gone.js does not exist"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("x.bundle").exists());
}

#[test]
fn a_function_file_imports_its_own_files_on_the_device() {
    // A configured function file and the files it imports, read from the
    // host when the device starts (over semihosting on the board).
    let Some(sim) = Sim::with_config_dir("function_modules", |dir| {
        let entry = write_modules(dir, "src");
        format!(
            r#"{{"functions":[{{"name":"app","path":{}}}],"routes":[{{"prefix":"/app","function":"app"}}]}}"#,
            support::json_string(entry.to_str().unwrap())
        )
    }) else {
        return;
    };
    assert_eq!(get(&sim, "/app/x"), (200, MODULES_ANSWER.into()));
}

#[test]
fn the_simulator_serves_a_function_file_that_imports_its_own_files() {
    if skip_on_board("sim_modules", "isere-sim FILE.js is the simulator's") {
        return;
    }
    let dir = TempDir::new("sim-modules");
    let entry = write_modules(&dir, "src");
    let sim = Sim::spawn(vec![entry.into_os_string()], Some(dir));
    assert_eq!(get(&sim, "/app/x"), (200, MODULES_ANSWER.into()));
}

#[test]
fn replayed_configurations_other_audiences_old_bundles_and_unsigned_stats_are_refused() {
    if skip_on_board("ota_replay", "uses a host-directory store (--bundles)") {
        return;
    }
    let lab = Lab::new();
    // Stats signed here (the lab's other devices make them public).
    let config = lab
        .read("device.json")
        .replace(r#","public_stats":true"#, "");
    lab.dir.write("private.json", &config);
    let sim = lab.start_with("private.json", "store");
    assert_eq!(get(&sim, "/_isere/stats").0, 401, "stats need a signature");
    let out = lab.admin(&sim, &["status"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("uptime_ms"), "{}", text(&out));

    // C1 is accepted; its exact bytes again are a replay: 409.
    let out = push_config(
        &lab,
        &sim,
        "c1.json",
        &config.replace("\"routes\"", "\"log_level\":\"debug\",\"routes\""),
    );
    assert!(out.status.success(), "{}", text(&out));
    let c1 = std::fs::read(lab.path("store/config.signed")).unwrap();
    let (status, body) = admin_request(&lab, &sim, "PUT", "/_isere/config", &c1);
    assert_eq!(status, 409, "{body}");
    // Signed for another audience: 403.
    let out = lab.admin(
        &sim,
        &[
            "config",
            "push",
            "c1.json",
            "--key",
            "keys/isere.key",
            "--audience",
            "elsewhere",
        ],
    );
    assert!(text(&out).contains("403"), "{}", text(&out));
    assert_eq!(
        std::fs::read(lab.path("store/config.signed")).unwrap(),
        c1,
        "unchanged"
    );

    // Bundles: 2 then 1 is a downgrade, also after a delete; rollback is not.
    let v1 = lab.build_answering("app", "1", "one");
    let v2 = lab.build_answering("app", "2", "two");
    assert!(lab.admin(&sim, &["deploy", &v2]).status.success());
    let out = lab.admin(&sim, &["deploy", &v1]);
    assert!(
        text(&out).contains("409") && text(&out).contains("older"),
        "{}",
        text(&out)
    );
    assert!(lab.admin(&sim, &["delete", "app"]).status.success());
    drop(sim);
    let sim = lab.start_with("private.json", "store");
    let out = lab.admin(&sim, &["deploy", &v1]);
    assert!(
        text(&out).contains("older"),
        "after a delete and a restart: {}",
        text(&out)
    );
    assert_eq!(get(&sim, "/app").0, 404);

    // The stored configuration is checked at start: tampered, it is ignored.
    let (status, body) = admin_request(&lab, &sim, "GET", "/_isere/config", b"");
    assert_eq!(status, 200);
    assert!(body.contains("\"debug\""), "the pushed one runs: {body}");
    let mut tampered = c1.clone();
    let at = tampered.windows(5).position(|w| w == b"debug").unwrap();
    tampered[at..at + 5].copy_from_slice(b"trace");
    std::fs::write(lab.path("store/config.signed"), &tampered).unwrap();
    drop(sim);
    let sim = lab.start_with("private.json", "store");
    let (status, body) = admin_request(&lab, &sim, "GET", "/_isere/config", b"");
    assert_eq!(status, 200);
    assert!(
        !body.contains("trace") && !body.contains("debug"),
        "the provisioned one runs: {body}"
    );
}

#[test]
fn keygen_writes_the_secret_keys_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let lab = Lab::new();
    // Created 0600 (not chmod-ed afterwards): no group or other bits.
    for file in ["keys/isere.key", "keys/admin.key"] {
        let mode = std::fs::metadata(lab.path(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let out = lab.isere(&["keygen", "--out", "keys"]);
    assert!(!out.status.success(), "never over existing keys");
    assert!(text(&out).contains("exists already"), "{}", text(&out));
}

#[test]
fn continue_is_sent_only_to_an_authenticated_upload() {
    if support::skip_on_target("ota_continue", "needs its own configuration") {
        return;
    }
    let lab = lab_for_target();
    let sim = lab.start();
    let bundle = std::fs::read(lab.path(&lab.build_answering("app", "1", "one"))).unwrap();
    let target = "/_isere/functions/app";
    let head = |auth: &str| {
        format!(
            "PUT {target} HTTP/1.1\r\nHost: d\r\nContent-Length: {}\r\nExpect: 100-continue\r\n{auth}\r\n",
            bundle.len()
        )
    };
    // Unsigned: refused at once, never invited to send the body.
    let mut c = sim.conn();
    c.send(head("").as_bytes());
    let r = c.try_read_response(false).expect("an answer");
    assert_eq!(r.status, 401, "{r}");
    // Signed: 100 Continue, the body, then the deploy's answer.
    let auth = sign(&lab, &sim, "keys/admin.key", "PUT", target, &bundle);
    let mut c = sim.conn();
    c.send(head(&format!("authorization: {auth}\r\n")).as_bytes());
    let r = c.try_read_response(false).expect("an interim answer");
    assert_eq!(r.status, 100, "{r}");
    c.send(&bundle);
    let r = c.try_read_response(false).expect("the final answer");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&sim, "/app"), (200, "one".to_string()));
}
