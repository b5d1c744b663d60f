//! `isere`: the developer's command line for Isère devices.
//!
//! ```text
//! isere new NAME                        a project: function, isere.json, isere.d.ts, README
//! isere keygen --out DIR                a signing key pair and an admin key pair
//! isere build FUNCTION.js --key KEY --out BUNDLE [--name NAME] [--version V] [--project isere.json] [--static DIR]
//! isere deploy BUNDLE DEVICES           upload, verify and activate
//! isere rollback NAME DEVICES           back to the previous version
//! isere delete NAME DEVICES             stop serving a deployed function
//! isere status DEVICES                  version, uptime, heap, deployed functions
//! isere logs DEVICES [--follow]         the device's recent log lines
//! isere config get DEVICES              the configuration the device runs
//! isere config push CONFIG.json --key KEY [--audience FLEET] DEVICES
//!
//! DEVICES: --device URL (repeatable) and/or --fleet FILE (one URL a line)
//! the admin key: --admin-key FILE or $ISERE_ADMIN_KEY (each request is signed)
//! ```
//!
//! `build` compiles with the QuickJS-NG this crate links, the very engine
//! the firmware runs, and stamps its version in the manifest. The HTTP
//! client is plain HTTP/1.1 over `std::net::TcpStream` (devices speak HTTP
//! on the local network; put a TLS proxy in front for anything else).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ed25519_dalek::{Signer as _, SigningKey};
use isere::ota::bundle::{self, Manifest, MemberData, MemberKind, Project};

const USAGE: &str = "usage:
  isere new NAME
  isere keygen --out DIR
  isere build FUNCTION.js --key KEY --out BUNDLE [--name NAME] [--version V] [--project FILE]
              [--static DIR]   (files served under the function's routes, before it runs)
  isere deploy BUNDLE DEVICES
  isere rollback NAME DEVICES
  isere delete NAME DEVICES
  isere status DEVICES
  isere logs DEVICES [--follow]
  isere config get DEVICES
  isere config push CONFIG.json --key KEY [--audience FLEET] DEVICES

DEVICES: --device URL (repeatable) and/or --fleet FILE (one URL per line)
admin key: --admin-key FILE (keys/admin.key from `isere keygen`), or the ISERE_ADMIN_KEY environment variable";

/// QuickJS stack limit for compiling (the host thread has 8 MiB).
const COMPILE_STACK: usize = 1 << 20;
/// Upload chunk (progress granularity).
const UPLOAD_CHUNK: usize = 8 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("new") => cmd_new(&args[1..]),
        Some("keygen") => cmd_keygen(&args[1..]),
        Some("build") => cmd_build(&args[1..]),
        Some("deploy") => cmd_deploy(&args[1..]),
        Some("rollback") => cmd_rollback(&args[1..]),
        Some("delete") => cmd_delete(&args[1..]),
        Some("status") => cmd_status(&args[1..]),
        Some("logs") => cmd_logs(&args[1..]),
        Some("config") => cmd_config(&args[1..]),
        Some(other) => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("isere: {e}");
            ExitCode::from(1)
        }
    }
}

/// Options of a command: positionals, `--flag value` pairs and switches.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

/// Switches that take no value.
const SWITCHES: &[&str] = &["--follow"];

impl Args {
    fn parse(args: &[String]) -> Result<Args, String> {
        let mut out = Args {
            positional: Vec::new(),
            options: Vec::new(),
            switches: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if SWITCHES.contains(&a.as_str()) {
                out.switches.push(a.clone());
            } else if a.starts_with("--") {
                let v = it
                    .next()
                    .ok_or_else(|| format!("{a} needs a value\n\n{USAGE}"))?;
                out.options.push((a.clone(), v.clone()));
            } else {
                out.positional.push(a.clone());
            }
        }
        Ok(out)
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.options
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, name: &str, what: &str) -> Result<&str, String> {
        self.one(name)
            .ok_or_else(|| format!("{name} is missing: {what}\n\n{USAGE}"))
    }

    fn check_known(&self, known: &[&str]) -> Result<(), String> {
        for (k, _) in &self.options {
            if !known.contains(&k.as_str()) {
                return Err(format!("unknown option {k}\n\n{USAGE}"));
            }
        }
        Ok(())
    }

    /// The devices: every `--device` and the lines of every `--fleet` file.
    fn devices(&self) -> Result<Vec<Device>, String> {
        let mut urls: Vec<String> = self.all("--device").map(String::from).collect();
        for fleet in self.all("--fleet") {
            let text =
                std::fs::read_to_string(fleet).map_err(|e| format!("--fleet {fleet}: {e}"))?;
            urls.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        if urls.is_empty() {
            return Err(format!(
                "no device: give --device http://HOST:PORT or --fleet FILE\n\n{USAGE}"
            ));
        }
        urls.iter().map(|u| Device::parse(u)).collect()
    }

    /// The admin key that signs requests.
    fn admin(&self) -> Result<Admin, String> {
        let path = match self.one("--admin-key") {
            Some(p) => p.to_string(),
            None => std::env::var("ISERE_ADMIN_KEY").map_err(|_| {
                "no admin key: pass --admin-key (keys/admin.key from `isere keygen`) or set ISERE_ADMIN_KEY".to_string()
            })?,
        };
        Ok(Admin {
            key: read_key_file("--admin-key", &path)?,
            sessions: std::cell::RefCell::new(Vec::new()),
        })
    }
}

/// Signs admin requests (see `isere::ota::auth`): per device, its id and
/// the last counter used, asked of `GET /_isere/device` once.
struct Admin {
    key: SigningKey,
    sessions: std::cell::RefCell<Vec<(String, String, u64)>>,
}

impl Admin {
    /// The `authorization` header of a request to `device`.
    fn authorize(
        &self,
        device: &Device,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<String, String> {
        use sha2::Digest as _;
        let known = self
            .sessions
            .borrow()
            .iter()
            .find(|(url, _, _)| *url == device.url)
            .map(|(_, id, last)| (id.clone(), *last));
        let (id, last) = match known {
            Some(k) => k,
            None => {
                let t = Duration::from_secs(30);
                let r = request(device, "GET", "/_isere/device", None, &[], t, |_, _| {})?;
                if r.status != 200 {
                    return Err(fail(r.status, &r));
                }
                let id = json_field(&String::from_utf8_lossy(&r.body), "device")
                    .ok_or("the device did not say its id")?;
                let floor = r
                    .header("x-isere-admin-floor")
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(0);
                (id, floor)
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        // Above what the device accepted last (its clock is not ours).
        let time = now.max(last + 1);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let line = isere::ota::auth::RequestLine {
            method,
            path: path.strip_prefix("/_isere/").unwrap_or(path),
            query,
        };
        let nonce = random_bytes::<16>()?;
        let body_sha256: [u8; 32] = sha2::Sha256::digest(body).into();
        let message = isere::ota::auth::signed_message(&id, &line, time, &nonce, &body_sha256);
        let credentials = isere::ota::auth::Credentials {
            time,
            nonce,
            body_sha256,
            signature: self.key.sign(&message).to_bytes(),
        };
        let mut sessions = self.sessions.borrow_mut();
        sessions.retain(|(url, _, _)| *url != device.url);
        sessions.push((device.url.clone(), id, time));
        Ok(credentials.to_header())
    }

    /// The device's id (after a first request to it).
    fn device_id(&self, device: &Device) -> Option<String> {
        self.sessions
            .borrow()
            .iter()
            .find(|(url, _, _)| *url == device.url)
            .map(|(_, id, _)| id.clone())
    }
}

const DEVICE_OPTIONS: &[&str] = &["--device", "--fleet", "--admin-key"];

/// A device's base URL, `http://host[:port]`.
#[derive(Clone, Debug)]
struct Device {
    url: String,
    host: String,
    port: u16,
}

impl Device {
    fn parse(url: &str) -> Result<Device, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("device '{url}': give an http:// URL, e.g. http://192.168.1.20:8080")
        })?;
        let authority = rest.split('/').next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| format!("device '{url}': '{p}' is not a port"))?,
            ),
            None => (authority.to_string(), 80),
        };
        if host.is_empty() {
            return Err(format!("device '{url}': no host"));
        }
        Ok(Device {
            url: url.trim_end_matches('/').to_string(),
            host,
            port,
        })
    }
}

/// An HTTP response.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The device's `{"error": ...}` message, or the body as text.
    fn message(&self) -> String {
        let text = String::from_utf8_lossy(&self.body).trim().to_string();
        json_field(&text, "error").unwrap_or(text)
    }
}

/// One request to a device; `progress` is told of every chunk of the body sent.
fn request(
    device: &Device,
    method: &str,
    path: &str,
    admin: Option<&Admin>,
    body: &[u8],
    timeout: Duration,
    mut progress: impl FnMut(usize, usize),
) -> Result<Response, String> {
    let unreachable = |e: std::io::Error| {
        format!(
            "cannot reach {}: {e} (is it powered and on the network? check the URL with `isere status --device {}`)",
            device.url, device.url
        )
    };
    let addr = (device.host.as_str(), device.port)
        .to_socket_addrs()
        .map_err(unreachable)?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", device.host))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(10)).map_err(unreachable)?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}:{}\r\nconnection: close\r\ncontent-length: {}\r\n",
        device.host,
        device.port,
        body.len()
    );
    if let Some(admin) = admin {
        let authorization = admin.authorize(device, method, path, body)?;
        head.push_str(&format!("authorization: {authorization}\r\n"));
    }
    head.push_str("\r\n");
    let send = |stream: &mut TcpStream, bytes: &[u8]| {
        stream
            .write_all(bytes)
            .map_err(|e| format!("{}: sending failed: {e}", device.url))
    };
    send(&mut stream, head.as_bytes())?;
    let mut sent = 0;
    for chunk in body.chunks(UPLOAD_CHUNK) {
        // A device that refuses early answers and closes: read its answer.
        if send(&mut stream, chunk).is_err() {
            break;
        }
        sent += chunk.len();
        progress(sent, body.len());
    }
    read_response(&mut stream).map_err(|e| format!("{}: {e}", device.url))
}

fn read_response(stream: &mut TcpStream) -> Result<Response, String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("no answer: {e}"))?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("answer cut short: {e}"))?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader
                .read_exact(&mut body)
                .map_err(|e| format!("answer cut short: {e}"))?;
        }
        None => {
            reader
                .read_to_end(&mut body)
                .map_err(|e| format!("answer cut short: {e}"))?;
        }
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// What to do about an admin call's failure status.
fn advice(status: u16) -> &'static str {
    match status {
        401 => {
            " (sign with a key whose public half is in the device's admin.admin_keys: --admin-key / ISERE_ADMIN_KEY)"
        }
        403 => {
            " (sign with a key whose public half is in the device's admin.trusted_keys, or add yours with `isere config push`)"
        }
        409 => "",
        413 => " (the bundle is larger than the device's admin.max_bundle_bytes)",
        422 => "",
        501 => " (this firmware has no bundle store; run the simulator with --bundles DIR)",
        _ => "",
    }
}

fn fail(status: u16, response: &Response) -> String {
    format!("{} {}{}", status, response.message(), advice(status))
}

/// Reads the first string value of `"key":` in a flat JSON text.
fn json_field(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = text[at..].trim_start();
    if rest.starts_with("null") {
        return None;
    }
    let rest = rest.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    None
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    bundle::hex(&mut s, bytes);
    s
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| format!("no randomness from /dev/urandom: {e}"))?;
    Ok(b)
}

fn read_key(path: &str) -> Result<SigningKey, String> {
    read_key_file("--key", path)
}

fn read_key_file(option: &str, path: &str) -> Result<SigningKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!("{option} {path}: {e} (make key pairs with `isere keygen --out keys`)")
    })?;
    let seed = bundle::parse_hex32(text.trim()).ok_or_else(|| {
        format!("{option} {path}: not a signing key (64 hex digits, as `isere keygen` writes)")
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a new file (never over an existing one); `secret`: readable by
/// its owner only from the moment it exists (mode 0600 at creation, not
/// changed afterwards).
fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!(
            "{} exists already: move it away or choose another name",
            path.display()
        ),
        _ => format!("{}: {e}", path.display()),
    })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn cmd_keygen(args: &[String]) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(&["--out"])?;
    let dir = PathBuf::from(a.need("--out", "the directory to write the keys to")?);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Two pairs: the signing key makes code and configurations, the admin
    // key only requests (a leaked admin key cannot run code of its own).
    let mut publics = Vec::new();
    for name in ["isere", "admin"] {
        let key = SigningKey::from_bytes(&random_bytes::<32>()?);
        let public = hex(key.verifying_key().as_bytes());
        write_new(
            &dir.join(format!("{name}.key")),
            &format!("{}\n", hex(key.as_bytes())),
            true,
        )?;
        write_new(
            &dir.join(format!("{name}.pub")),
            &format!("{public}\n"),
            false,
        )?;
        publics.push(public);
    }
    println!(
        "wrote {0}/isere.key and {0}/admin.key (keep them secret), {0}/isere.pub and {0}/admin.pub\n\n\
         Provision the device with this in its configuration:\n\n  \
         \"admin\": {{ \"admin_keys\": [\"{1}\"], \"trusted_keys\": [\"{2}\"] }}",
        dir.display(),
        publics[1],
        publics[0]
    );
    Ok(())
}

fn cmd_build(args: &[String]) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(&[
        "--key",
        "--out",
        "--name",
        "--version",
        "--project",
        "--static",
    ])?;
    let [file] = a.positional.as_slice() else {
        return Err(format!("build takes one FUNCTION.js\n\n{USAGE}"));
    };
    let key = read_key(a.need("--key", "the signing key (isere keygen)")?)?;
    let out = a.need("--out", "where to write the bundle")?;
    let project_path = match a.one("--project") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let beside = Path::new(file).with_file_name("isere.json");
            beside.exists().then_some(beside)
        }
    };
    let project = match &project_path {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Project::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Project::default(),
    };
    let file_name = Path::new(file)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("function.js")
        .to_string();
    let name = a
        .one("--name")
        .map(String::from)
        .or(project.name.clone())
        .or_else(|| file_name.strip_suffix(".js").map(String::from))
        .unwrap_or_else(|| file_name.clone());
    let version = a
        .one("--version")
        .map(String::from)
        .or(project.version.clone())
        .unwrap_or_else(|| {
            // Seconds since the epoch: always newer than the last build.
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("t{secs}")
        });
    // The entry and every file it imports by a relative path, each a module
    // member named by its path relative to the entry's directory. Compile
    // errors (and imports of missing files) come back as
    // `file:line:column: message`.
    let mut read = |path: &str| match std::fs::read_to_string(path) {
        Ok(source) => Ok(Some(source)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{path}: {e}")),
    };
    let modules = isere::js::modules::compile_function(file, &mut read, COMPILE_STACK)?;
    let routes = if project.routes.is_empty() {
        vec![bundle::BundleRoute {
            prefix: format!("/{name}"),
            methods: None,
        }]
    } else {
        project.routes
    };
    let manifest = Manifest {
        name: name.clone(),
        version: version.clone(),
        entry: modules[0].0.clone(),
        engine: isere::ota::engine_version(),
        routes,
        env: project.env,
        bindings: project.bindings,
        limits: project.limits,
        members: Vec::new(),
    };
    let mut statics = Vec::new();
    if let Some(dir) = a.one("--static") {
        collect_files(Path::new(dir), Path::new(dir), &mut statics)?;
        statics.sort();
    }
    let mut members: Vec<MemberData> = modules
        .iter()
        .map(|(name, bytes)| MemberData {
            name,
            kind: MemberKind::Module,
            bytes,
        })
        .collect();
    for (rel, bytes) in &statics {
        if modules.iter().any(|(name, _)| name == rel) {
            return Err(format!(
                "--static: '{rel}' has the name of one of the function's modules; rename one of them"
            ));
        }
        members.push(MemberData {
            name: rel,
            kind: MemberKind::Static,
            bytes,
        });
    }
    let bytes = bundle::build(manifest, &members, &key).map_err(|e| format!("{e}"))?;
    std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    let bytecode: usize = modules.iter().map(|(_, b)| b.len()).sum();
    let count = match modules.len() {
        1 => String::new(),
        n => format!(" in {n} modules"),
    };
    println!(
        "built {out}: {name} {version}, {} bytes ({bytecode} of bytecode{count}), for {}",
        bytes.len(),
        isere::ota::engine_version()
    );
    Ok(())
}

/// Every file under `dir`, by its path relative to `root` (`/`-separated).
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("--static {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("--static: {e}"))?.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.to_str())
            .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
            .ok_or_else(|| format!("--static: {} has a name that is not UTF-8", path.display()))?;
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((rel, bytes));
    }
    Ok(())
}

/// Runs `each` on every device, reporting per device; fails if any failed.
fn for_each_device(
    devices: &[Device],
    mut each: impl FnMut(&Device) -> Result<String, String>,
) -> Result<(), String> {
    let mut failed = 0;
    for d in devices {
        match each(d) {
            Ok(report) => println!("{}: {report}", d.url),
            Err(e) => {
                failed += 1;
                println!("{}: FAILED: {e}", d.url);
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} of {} device(s) failed", devices.len())),
    }
}

fn progress_bar(device: &str) -> impl FnMut(usize, usize) {
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let device = device.to_string();
    let mut last = usize::MAX;
    move |sent, total| {
        let pct = (sent * 100).checked_div(total).unwrap_or(100);
        if pct == last || (!interactive && pct != 100) {
            return;
        }
        last = pct;
        let width = 30;
        let filled = pct * width / 100;
        eprint!(
            "\r{device}: [{}{}] {pct:3}% {sent}/{total} bytes",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if pct == 100 {
            eprintln!();
        }
    }
}

fn cmd_deploy(args: &[String]) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(DEVICE_OPTIONS)?;
    let [file] = a.positional.as_slice() else {
        return Err(format!(
            "deploy takes one BUNDLE (from `isere build`)\n\n{USAGE}"
        ));
    };
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    let name = manifest_name(&bytes).map_err(|e| format!("{file}: {e}"))?;
    let devices = a.devices()?;
    let admin = a.admin()?;
    for_each_device(&devices, |d| {
        let path = format!("/_isere/functions/{name}");
        let r = request(
            d,
            "PUT",
            &path,
            Some(&admin),
            &bytes,
            Duration::from_secs(120),
            progress_bar(&d.url),
        )?;
        match r.status {
            200 => {
                let text = String::from_utf8_lossy(&r.body).to_string();
                let active = json_field(&text, "active").unwrap_or_default();
                Ok(match json_field(&text, "previous") {
                    Some(p) => format!("{name} {active} active (previous {p}, kept for rollback)"),
                    None => format!("{name} {active} active"),
                })
            }
            s => Err(fail(s, &r)),
        }
    })
}

/// The function name in a bundle's manifest (read without verifying: the
/// device verifies).
fn manifest_name(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() < bundle::HEADER_LEN || bytes[..8] != bundle::MAGIC {
        return Err("not a bundle (build one with `isere build`)".into());
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let json = bytes
        .get(bundle::HEADER_LEN..bundle::HEADER_LEN + len)
        .ok_or("truncated bundle")?;
    let m = Manifest::parse(json).map_err(|e| format!("{e}"))?;
    Ok(m.name)
}

fn simple_admin(
    args: &[String],
    what: &str,
    method: &str,
    path: impl Fn(&str) -> String,
    report: impl Fn(&str, &str) -> String,
) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(DEVICE_OPTIONS)?;
    let [name] = a.positional.as_slice() else {
        return Err(format!("{what} takes one function NAME\n\n{USAGE}"));
    };
    let devices = a.devices()?;
    let admin = a.admin()?;
    for_each_device(&devices, |d| {
        let r = request(
            d,
            method,
            &path(name),
            Some(&admin),
            &[],
            Duration::from_secs(60),
            |_, _| {},
        )?;
        match r.status {
            200 => Ok(report(name, &String::from_utf8_lossy(&r.body))),
            s => Err(fail(s, &r)),
        }
    })
}

fn cmd_rollback(args: &[String]) -> Result<(), String> {
    simple_admin(
        args,
        "rollback",
        "POST",
        |n| format!("/_isere/functions/{n}/rollback"),
        |n, body| {
            format!(
                "{n} rolled back to {} (from {})",
                json_field(body, "active").unwrap_or_default(),
                json_field(body, "previous").unwrap_or_default()
            )
        },
    )
}

fn cmd_delete(args: &[String]) -> Result<(), String> {
    simple_admin(
        args,
        "delete",
        "DELETE",
        |n| format!("/_isere/functions/{n}"),
        |n, _| format!("{n} deleted"),
    )
}

fn cmd_status(args: &[String]) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(DEVICE_OPTIONS)?;
    let devices = a.devices()?;
    // Without an admin key: what a device with public stats shows.
    let admin = a.admin().ok();
    for_each_device(&devices, |d| {
        let t = Duration::from_secs(30);
        let stats = request(d, "GET", "/_isere/stats", admin.as_ref(), &[], t, |_, _| {})?;
        if stats.status != 200 {
            return Err(fail(stats.status, &stats));
        }
        let mut report = String::from_utf8_lossy(&stats.body).trim().to_string();
        if let Some(admin) = &admin {
            let f = request(
                d,
                "GET",
                "/_isere/functions",
                Some(admin),
                &[],
                t,
                |_, _| {},
            )?;
            report.push_str("\n  functions: ");
            report.push_str(&match f.status {
                200 => String::from_utf8_lossy(&f.body).trim().to_string(),
                s => fail(s, &f),
            });
        }
        Ok(report)
    })
}

fn cmd_logs(args: &[String]) -> Result<(), String> {
    let a = Args::parse(args)?;
    a.check_known(DEVICE_OPTIONS)?;
    let devices = a.devices()?;
    let admin = a.admin()?;
    let follow = a.switches.iter().any(|s| s == "--follow");
    if follow && devices.len() > 1 {
        return Err("--follow follows one device at a time".into());
    }
    if !follow {
        return for_each_device(&devices, |d| {
            let r = request(
                d,
                "GET",
                "/_isere/logs",
                Some(&admin),
                &[],
                Duration::from_secs(30),
                |_, _| {},
            )?;
            match r.status {
                200 => Ok(format!("\n{}", String::from_utf8_lossy(&r.body).trim_end())),
                s => Err(fail(s, &r)),
            }
        });
    }
    let d = &devices[0];
    let mut since = 0u64;
    loop {
        let path = format!("/_isere/logs?since={since}&wait=20000");
        let r = request(
            d,
            "GET",
            &path,
            Some(&admin),
            &[],
            Duration::from_secs(40),
            |_, _| {},
        )?;
        if r.status != 200 {
            return Err(format!("{}: {}", d.url, fail(r.status, &r)));
        }
        std::io::stdout().write_all(&r.body).ok();
        std::io::stdout().flush().ok();
        since = r
            .header("x-isere-log-next")
            .and_then(|v| v.parse().ok())
            .unwrap_or(since);
    }
}

fn cmd_config(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("get") => {
            let a = Args::parse(&args[1..])?;
            a.check_known(DEVICE_OPTIONS)?;
            let devices = a.devices()?;
            let admin = a.admin()?;
            for_each_device(&devices, |d| {
                let r = request(
                    d,
                    "GET",
                    "/_isere/config",
                    Some(&admin),
                    &[],
                    Duration::from_secs(30),
                    |_, _| {},
                )?;
                match r.status {
                    200 => Ok(format!("\n{}", String::from_utf8_lossy(&r.body).trim_end())),
                    s => Err(fail(s, &r)),
                }
            })
        }
        Some("push") => {
            let a = Args::parse(&args[1..])?;
            let mut known = DEVICE_OPTIONS.to_vec();
            known.extend(["--key", "--audience"]);
            a.check_known(&known)?;
            let [file] = a.positional.as_slice() else {
                return Err(format!("config push takes one CONFIG.json\n\n{USAGE}"));
            };
            let json = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            // Refuse locally what the device would refuse.
            let config = isere::config::Config::parse(&json).map_err(|e| format!("{file}: {e}"))?;
            if config.serial != 0 || config.audience.is_some() {
                return Err(format!(
                    "{file}: leave out \"serial\" and \"audience\": `isere config push` sets them for each device"
                ));
            }
            let audience = a.one("--audience");
            if let Some(f) = audience.filter(|f| !bundle::valid_name(f)) {
                return Err(format!(
                    "--audience '{f}': a fleet name is 1 to 64 of A-Z a-z 0-9 . _ + -"
                ));
            }
            let key = read_key(a.need("--key", "the signing key (isere keygen)")?)?;
            let devices = a.devices()?;
            let admin = a.admin()?;
            for_each_device(&devices, |d| {
                let t = Duration::from_secs(30);
                // The next serial is the device's own plus one.
                let current = request(d, "GET", "/_isere/config", Some(&admin), &[], t, |_, _| {})?;
                if current.status != 200 {
                    return Err(fail(current.status, &current));
                }
                let serial = current
                    .header("x-isere-config-serial")
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or("the device did not say its configuration's serial")?
                    + 1;
                let audience = match audience {
                    Some(f) => f.to_string(),
                    None => admin.device_id(d).ok_or("the device did not say its id")?,
                };
                let text = String::from_utf8(json.clone()).map_err(|_| "not UTF-8")?;
                let stamped = stamp(&text, serial, &audience)?;
                let signature = key.sign(&isere::ota::admin::config_signed_message(
                    stamped.as_bytes(),
                ));
                let mut signed = stamped.into_bytes();
                signed.extend_from_slice(&signature.to_bytes());
                let r = request(
                    d,
                    "PUT",
                    "/_isere/config",
                    Some(&admin),
                    &signed,
                    t,
                    |_, _| {},
                )?;
                match r.status {
                    200 => Ok(format!(
                        "configuration {serial} for {audience} stored ({})",
                        String::from_utf8_lossy(&r.body).trim()
                    )),
                    s => Err(fail(s, &r)),
                }
            })
        }
        _ => Err(format!("config get | config push\n\n{USAGE}")),
    }
}

/// `json` (an object) with `serial` and `audience` added first, which
/// the signature then covers.
fn stamp(json: &str, serial: u64, audience: &str) -> Result<String, String> {
    let body = json
        .trim_start()
        .strip_prefix('{')
        .ok_or("a configuration is a JSON object")?;
    let comma = if body.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    Ok(format!(
        "{{\"serial\":{serial},\"audience\":\"{audience}\"{comma}{body}"
    ))
}

fn cmd_new(args: &[String]) -> Result<(), String> {
    let [name] = args else {
        return Err(format!("new takes one NAME\n\n{USAGE}"));
    };
    if !bundle::valid_name(name) {
        return Err(format!(
            "'{name}': a function name is 1 to 64 of A-Z a-z 0-9 . _ + -"
        ));
    }
    let dir = PathBuf::from(name);
    if dir.exists() {
        return Err(format!(
            "{name} exists already: choose another name or remove it"
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{name}: {e}"))?;
    let js = TEMPLATE_FUNCTION.replace("NAME", name);
    write_new(&dir.join(format!("{name}.js")), &js, false)?;
    write_new(
        &dir.join("isere.json"),
        &TEMPLATE_PROJECT.replace("NAME", name),
        false,
    )?;
    write_new(&dir.join("isere.d.ts"), TEMPLATE_DTS, false)?;
    write_new(&dir.join("jsconfig.json"), TEMPLATE_JSCONFIG, false)?;
    write_new(
        &dir.join("README.md"),
        &TEMPLATE_README.replace("NAME", name),
        false,
    )?;
    println!(
        "created {name}/: {name}.js, isere.json, isere.d.ts, jsconfig.json, README.md\n\
         next: cd {name} && isere keygen --out keys && isere build {name}.js --key keys/isere.key --out {name}.bundle"
    );
    Ok(())
}

const TEMPLATE_FUNCTION: &str = r#"// @ts-check
/// <reference path="./isere.d.ts" />

// NAME: an Isère function (Cloudflare Workers style).
export default {
  /**
   * @param {Request} request
   * @param {Env} env
   * @param {ExecutionContext} ctx
   * @returns {Promise<Response>}
   */
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    return Response.json({ hello: url.searchParams.get("name") ?? "world", path: url.pathname });
  },
};
"#;

const TEMPLATE_PROJECT: &str = r#"{
  "name": "NAME",
  "version": "0.1.0",
  "routes": [ { "prefix": "/NAME" } ],
  "env": { },
  "bindings": { },
  "limits": { "cpu_ms": 0, "init_ms": 0 }
}
"#;

const TEMPLATE_JSCONFIG: &str = r#"{
  "compilerOptions": { "checkJs": true, "target": "ES2023", "module": "ES2022", "lib": ["ES2023"], "types": [] },
  "include": ["*.js", "isere.d.ts"]
}
"#;

const TEMPLATE_README: &str = r#"# NAME

An [Isère](https://github.com/) function: JavaScript in the Cloudflare Workers style, run on a
microcontroller.

* `NAME.js`: the function (`export default { async fetch(request, env, ctx) { ... } }`).
* `isere.json`: its name, version, routes, `env` variables, bindings and limits. Bump
  `version` for every deploy (a device refuses to redeploy the version it runs).
* `isere.d.ts`: the platform API for your editor (`Request`, `Response`, `env` bindings,
  `node:` modules); `jsconfig.json` turns on checking.
* More files: `NAME.js` may import its own other files by a relative path
  (`import { slugify } from "./lib/text.js"`, also `../`). `isere build` follows the imports
  and puts every module in the bundle; the `node:` modules are imported as usual.

```sh
isere keygen --out keys                 # once: bundle signing key and admin key, each a pair
isere build NAME.js --key keys/isere.key --out NAME.bundle
isere deploy NAME.bundle --device http://192.168.1.20:8080 --admin-key keys/admin.key
isere logs --device http://192.168.1.20:8080 --admin-key keys/admin.key --follow
isere rollback NAME --device http://192.168.1.20:8080 --admin-key keys/admin.key
```

The device must trust `keys/isere.pub` (bundles, configurations) and `keys/admin.pub` (admin
requests): `isere keygen` prints the `admin` section to put in its configuration.
"#;

const TEMPLATE_DTS: &str = r#"// Isère platform API: what a function sees. Generated by `isere new`.

type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParams | Blob | FormData | ReadableStream<Uint8Array> | null;

declare class AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  static abort(reason?: unknown): AbortSignal;
  static timeout(ms: number): AbortSignal;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

declare class Blob {
  constructor(parts?: (string | ArrayBuffer | ArrayBufferView | Blob)[], options?: { type?: string });
  readonly size: number;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  slice(start?: number, end?: number, type?: string): Blob;
  stream(): ReadableStream<Uint8Array>;
}
declare class File extends Blob {
  constructor(parts: (string | ArrayBuffer | ArrayBufferView | Blob)[], name: string, options?: { type?: string; lastModified?: number });
  readonly name: string;
  readonly lastModified: number;
}
declare class FormData implements Iterable<[string, string | File]> {
  append(name: string, value: string | Blob, filename?: string): void;
  delete(name: string): void;
  get(name: string): string | File | null;
  getAll(name: string): (string | File)[];
  has(name: string): boolean;
  set(name: string, value: string | Blob, filename?: string): void;
  entries(): IterableIterator<[string, string | File]>;
  [Symbol.iterator](): IterableIterator<[string, string | File]>;
}

interface ReadableStreamReadResult<T> { done: boolean; value?: T }
interface ReadableStreamDefaultReader<T> {
  read(): Promise<ReadableStreamReadResult<T>>;
  releaseLock(): void;
  cancel(reason?: unknown): Promise<void>;
  readonly closed: Promise<void>;
}
interface ReadableStreamController<T> {
  enqueue(chunk: T): void;
  close(): void;
  error(reason?: unknown): void;
  readonly desiredSize: number | null;
}
declare class ReadableStream<T = unknown> implements AsyncIterable<T> {
  constructor(source?: {
    start?(controller: ReadableStreamController<T>): void | Promise<void>;
    pull?(controller: ReadableStreamController<T>): void | Promise<void>;
    cancel?(reason?: unknown): void | Promise<void>;
  });
  static from<T>(iterable: Iterable<T> | AsyncIterable<T>): ReadableStream<T>;
  readonly locked: boolean;
  getReader(): ReadableStreamDefaultReader<T>;
  cancel(reason?: unknown): Promise<void>;
  tee(): [ReadableStream<T>, ReadableStream<T>];
  pipeTo(dest: WritableStream<T>, options?: { signal?: AbortSignal }): Promise<void>;
  pipeThrough<U>(transform: { writable: WritableStream<T>; readable: ReadableStream<U> }): ReadableStream<U>;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}
declare class WritableStream<T = unknown> {
  constructor(sink?: { write?(chunk: T): void | Promise<void>; close?(): void | Promise<void>; abort?(reason?: unknown): void | Promise<void> });
  readonly locked: boolean;
  getWriter(): { write(chunk: T): Promise<void>; close(): Promise<void>; releaseLock(): void; readonly ready: Promise<void> };
}
declare class TransformStream<I = unknown, O = unknown> {
  constructor(transformer?: { transform?(chunk: I, controller: ReadableStreamController<O>): void | Promise<void>; flush?(controller: ReadableStreamController<O>): void | Promise<void> });
  readonly readable: ReadableStream<O>;
  readonly writable: WritableStream<I>;
}
type HeadersInit = Headers | Record<string, string> | [string, string][];

declare class Headers implements Iterable<[string, string]> {
  constructor(init?: HeadersInit);
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(callback: (value: string, name: string, headers: Headers) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

interface Body {
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  json<T = unknown>(): Promise<T>;
  text(): Promise<string>;
  formData(): Promise<FormData>;
}

interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  redirect?: "follow" | "error" | "manual";
  signal?: AbortSignal | null;
}

declare class Request implements Body {
  constructor(input: string | URL | Request, init?: RequestInit);
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly redirect: string;
  readonly signal: AbortSignal;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  clone(): Request;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  json<T = unknown>(): Promise<T>;
  text(): Promise<string>;
  formData(): Promise<FormData>;
}

interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

declare class Response implements Body {
  constructor(body?: BodyInit, init?: ResponseInit);
  static json(data: unknown, init?: ResponseInit): Response;
  static redirect(url: string | URL, status?: number): Response;
  static error(): Response;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly redirected: boolean;
  readonly type: string;
  readonly url: string;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  clone(): Response;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  json<T = unknown>(): Promise<T>;
  text(): Promise<string>;
  formData(): Promise<FormData>;
}

declare class URLSearchParams implements Iterable<[string, string]> {
  constructor(init?: string | Record<string, string> | [string, string][]);
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  toString(): string;
  readonly size: number;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

declare class URL {
  constructor(url: string, base?: string | URL);
  static canParse(url: string, base?: string | URL): boolean;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}

declare class TextEncoder {
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}

declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
declare function setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number;
declare function clearTimeout(id?: number): void;
declare function setInterval(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(callback: () => void): void;
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T): T;

declare const performance: { now(): number; readonly timeOrigin: number };
declare const navigator: { readonly userAgent: string };

declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};

declare const crypto: {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  randomUUID(): string;
  readonly subtle: SubtleCrypto;
};
interface SubtleCrypto {
  digest(algorithm: string | { name: string }, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer>;
  importKey(format: string, keyData: ArrayBuffer | ArrayBufferView | object, algorithm: string | object, extractable: boolean, usages: string[]): Promise<CryptoKey>;
  sign(algorithm: string | object, key: CryptoKey, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer>;
  verify(algorithm: string | object, key: CryptoKey, signature: ArrayBuffer | ArrayBufferView, data: ArrayBuffer | ArrayBufferView): Promise<boolean>;
  deriveBits(algorithm: object, baseKey: CryptoKey, length: number): Promise<ArrayBuffer>;
}
interface CryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: object;
  readonly usages: string[];
}

/** `ctx`, the third argument of `fetch`. */
interface ExecutionContext {
  /** Keeps the function running until `promise` settles, after the response is sent. */
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** A KV namespace on the device's file system (`{ "type": "kv" }`). */
interface KVNamespace {
  get(key: string): Promise<string | null>;
  get(key: string, type: "text"): Promise<string | null>;
  get<T = unknown>(key: string, type: "json"): Promise<T | null>;
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  put(key: string, value: string | ArrayBuffer | ArrayBufferView): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

/** A PostgreSQL client (`{ "type": "postgres", "url": "postgres://..." }`). */
interface PostgresBinding {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

/** A Redis client (`{ "type": "redis", "url": "redis://..." }`). */
interface RedisBinding {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: { ex?: number; px?: number }): Promise<"OK" | null>;
  del(...keys: string[]): Promise<number>;
  incr(key: string): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  send(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * `env`: the variables and bindings of isere.json. Name yours here so the
 * editor knows them, e.g. `DB: PostgresBinding; USERS: KVNamespace;`.
 */
interface Env {
  [name: string]: string | KVNamespace | PostgresBinding | RedisBinding | undefined;
  KV?: KVNamespace;
  DB?: PostgresBinding;
  REDIS?: RedisBinding;
}

declare module "node:buffer" {
  export class Buffer extends Uint8Array {
    static from(data: string | ArrayBuffer | ArrayLike<number>, encoding?: "utf8" | "hex" | "base64" | "base64url" | "latin1"): Buffer;
    static alloc(size: number, fill?: number): Buffer;
    static concat(list: Uint8Array[], totalLength?: number): Buffer;
    static byteLength(s: string, encoding?: string): number;
    static isBuffer(v: unknown): v is Buffer;
    toString(encoding?: "utf8" | "hex" | "base64" | "base64url" | "latin1", start?: number, end?: number): string;
    equals(other: Uint8Array): boolean;
  }
}

declare module "node:crypto" {
  import { Buffer } from "node:buffer";
  interface Hash { update(data: string | Uint8Array): Hash; digest(): Buffer; digest(encoding: "hex" | "base64" | "base64url"): string; }
  export function createHash(algorithm: "sha1" | "sha256" | "sha384" | "sha512" | "md5"): Hash;
  export function createHmac(algorithm: "sha1" | "sha256" | "sha384" | "sha512", key: string | Uint8Array): Hash;
  export function randomBytes(size: number): Buffer;
  export function randomUUID(): string;
  export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  export function pbkdf2(password: string | Uint8Array, salt: string | Uint8Array, iterations: number, keylen: number, digest: string, callback: (err: Error | null, key: Buffer) => void): void;
}

declare module "node:events" {
  export class EventEmitter {
    on(event: string | symbol, listener: (...args: any[]) => void): this;
    once(event: string | symbol, listener: (...args: any[]) => void): this;
    off(event: string | symbol, listener: (...args: any[]) => void): this;
    emit(event: string | symbol, ...args: any[]): boolean;
    removeAllListeners(event?: string | symbol): this;
    listenerCount(event: string | symbol): number;
  }
  export default EventEmitter;
}

declare module "node:path" {
  export function join(...parts: string[]): string;
  export function resolve(...parts: string[]): string;
  export function dirname(p: string): string;
  export function basename(p: string, ext?: string): string;
  export function extname(p: string): string;
  export function normalize(p: string): string;
  export const sep: "/";
}

declare module "node:util" {
  export function format(format: string, ...args: unknown[]): string;
  export function inspect(value: unknown, options?: object): string;
  export function promisify<T extends (...args: any[]) => void>(fn: T): (...args: any[]) => Promise<any>;
  export const types: { isPromise(v: unknown): boolean; isDate(v: unknown): boolean; isRegExp(v: unknown): boolean };
}

declare module "node:assert" {
  function assert(value: unknown, message?: string): asserts value;
  namespace assert {
    function equal(a: unknown, b: unknown, message?: string): void;
    function strictEqual(a: unknown, b: unknown, message?: string): void;
    function deepStrictEqual(a: unknown, b: unknown, message?: string): void;
    function throws(fn: () => unknown, expected?: unknown, message?: string): void;
  }
  export default assert;
}
"#;
