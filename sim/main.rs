//! `isere-sim`: the Isère firmware on the FreeRTOS POSIX port.
//!
//! ```text
//! isere-sim [FUNCTION.js] [--config FILE] [--port N] [--host ADDR] [--log-level LEVEL]
//!           [--data IMAGE|:memory:] [--data-size BYTES] [--put SRC DEST]... [--no-serve]
//!           [--bundles DIR]
//! ```
//!
//! Without arguments it serves the example functions of `handlers/` (compiled
//! into the binary at build time) on http://127.0.0.1:8080. With `FUNCTION.js`
//! it compiles that file when it starts and serves it at every path.
//!
//! The device's file system (static files, KV) lives in an image file,
//! `isere-data.img` in the working directory unless `--data` names another
//! (created and formatted on first start); `--put` copies host files into it.
//!
//! Functions deployed over the air (`isere deploy`, the admin API) and a
//! configuration pushed over the air (which then wins over `--config`) are
//! kept in the file system's `/.isere`, or in a host directory with
//! `--bundles DIR`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

use std::path::Path;

use isere::config::Config;
use isere::device::Boot;
use isere::fs::ram::RamDevice;
use isere::fs::{FileKind, Fs, FsError, OpenOptions, Storage};
use isere::http::server::TaskSizes;
use isere::js::modules::compile_function;
use isere::js::task::{JsConfig, LoadedFunction, resolve_functions};
use isere::logger::Logger;
use isere::ota::fs_store::FsStore;
use isere::ota::store::BundleStore;
use isere::port::BlockDevice as _;
use isere::port::Network as _;
use isere::posix;
use isere::posix::flash::{ImageDevice, ImageError};
use isere::rtos;
use isere::running::Ceilings;
use isere::services::Services;

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration used without `--config`: every example function.
const DEFAULT_CONFIG: &str = include_str!("../handlers/isere.json");

const USAGE: &str =
    "usage: isere-sim [FUNCTION.js] [--config FILE] [--port N] [--host ADDR] [--log-level LEVEL]
                 [--data IMAGE|:memory:] [--data-size BYTES] [--put SRC DEST]... [--no-serve]
                 [--bundles DIR]

  FUNCTION.js        serve this one function at every path (compiled at start)
  --config FILE      routes, functions and limits (JSON; see handlers/isere.json)
  --bundles DIR      keep deployed function bundles (and a configuration pushed
                     over the air, which wins over --config) in this host directory
                     instead of the file system's /.isere
  --port N           TCP port (default 8080; 0 picks a free one)
  --host ADDR        IPv4 address to listen on (default 127.0.0.1)
  --log-level LEVEL  error, warn, info, debug or trace (default: the config's, else info)
  --data IMAGE       the device's file system (static files, KV): a LittleFS image
                     file, created and formatted if missing (default: isere-data.img
                     in the working directory; if another isere-sim holds that one,
                     a file system in RAM). :memory: keeps it in RAM, lost at exit
  --data-size BYTES  size of an image created now (default 1M; 512K fits the
                     RP2040's partition; K and M suffixes)
  --put SRC DEST     copy the host file or directory SRC to DEST in the file system
                     (repeatable; directories recursively, keeping modification times)
  --no-serve         stop after the --put steps (prepare an image for a board)

Users for handlers/login.js (the password is read from stdin unless --password gives it):
  --hash-password    print a password hash (pbkdf2-sha256$ITERATIONS$SALT$HASH) for a
                     PostgreSQL or Redis user store, and exit
  --add-user NAME    store NAME with the password's hash in the KV namespace of the
                     --data image (--namespace, default USERS), and exit
  --password PW      the password (avoid on shared machines: it shows in `ps`)
  --iterations N     PBKDF2 iterations (default 10000; match the function's
                     PBKDF2_ITERATIONS)
  --namespace NS     KV namespace for --add-user (default USERS)";

/// The image used without `--data`.
const DEFAULT_DATA: &str = "isere-data.img";
/// Blocks of the file system kept in RAM (`--data :memory:`): 1 MiB.
const MEMORY_FS_BLOCKS: u32 = 256;

/// Task priorities: the kernel's timer task is above all (configured). The
/// server's tasks and the JS task share one priority: a socket event then
/// does not preempt a running handler, requests are taken in batches, and
/// time slicing still shares the processor at every tick. (With connection
/// tasks above the JS task every event cost two more thread switches, which
/// on the POSIX port are host thread hand-offs: ~30 % fewer requests/s.)
const SERVER_PRIORITY: u32 = 2;
const JS_PRIORITY: u32 = 2;
const INIT_PRIORITY: u32 = 4;
/// On this port a task runs on its own pthread stack; the FreeRTOS stack only
/// holds the port's thread record.
const TASK_STACK_WORDS: usize = 1024;
/// Worker tasks for functions' I/O (database calls, outgoing HTTP, KV).
const IO_WORKERS: usize = 4;
/// QuickJS stack limit: well inside the 8 MiB default pthread stack.
const JS_STACK_LIMIT: usize = 1 << 20;
/// The most connection tasks (`server.max_connections` is clamped to it):
/// each is a host thread.
const MAX_CONNECTIONS: usize = 256;
/// Heap left to everything but the engine and request bodies: the engine's
/// memory limit is at most what is free at start minus this and the body
/// budget.
const HEAP_RESERVE: usize = 8 << 20;
/// Heap for request bodies in flight, all connections together: sixteen
/// bodies of the default 1 MiB limit at once; more wait (503).
const BODY_BUDGET: usize = 16 << 20;

struct Options {
    function: Option<String>,
    config: Option<String>,
    bundles: Option<String>,
    port: u16,
    host: [u8; 4],
    log_level: Option<log::LevelFilter>,
    data: Option<String>,
    data_size: u64,
    puts: Vec<(String, String)>,
    serve: bool,
    users: UserTool,
}

/// What `--hash-password` and `--add-user` were given.
#[derive(Default)]
struct UserTool {
    hash_password: bool,
    add_user: Option<String>,
    password: Option<String>,
    iterations: Option<u32>,
    namespace: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        function: None,
        config: None,
        bundles: None,
        port: 8080,
        host: [127, 0, 0, 1],
        log_level: None,
        data: None,
        data_size: posix::flash::DEFAULT_IMAGE_BYTES,
        puts: Vec::new(),
        serve: true,
        users: UserTool::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--config" => o.config = Some(value("--config")?),
            "--bundles" => o.bundles = Some(value("--bundles")?),
            "--port" => {
                let v = value("--port")?;
                o.port = v
                    .parse()
                    .map_err(|_| format!("--port: '{v}' is not a port number"))?;
            }
            "--host" => {
                let v = value("--host")?;
                let ip: std::net::Ipv4Addr = v
                    .parse()
                    .map_err(|_| format!("--host: '{v}' is not an IPv4 address"))?;
                o.host = ip.octets();
            }
            "--log-level" => {
                let v = value("--log-level")?;
                o.log_level = Some(
                    isere::logger::parse_level(&v)
                        .ok_or_else(|| format!("--log-level: unknown level '{v}'"))?,
                );
            }
            "--data" => o.data = Some(value("--data")?),
            "--data-size" => {
                let v = value("--data-size")?;
                o.data_size = parse_size(&v)
                    .ok_or_else(|| format!("--data-size: '{v}' is not a size (e.g. 4M)"))?;
            }
            "--put" => {
                let src = value("--put")?;
                let dest = args
                    .next()
                    .ok_or_else(|| String::from("--put needs SRC and DEST"))?;
                if !dest.starts_with('/') {
                    return Err(format!(
                        "--put: DEST '{dest}' must be absolute (start with '/')"
                    ));
                }
                o.puts.push((src, dest));
            }
            "--no-serve" => o.serve = false,
            "--hash-password" => o.users.hash_password = true,
            "--add-user" => o.users.add_user = Some(value("--add-user")?),
            "--password" => o.users.password = Some(value("--password")?),
            "--namespace" => o.users.namespace = Some(value("--namespace")?),
            "--iterations" => {
                let v = value("--iterations")?;
                o.users.iterations = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--iterations: '{v}' is not a positive number"))?,
                );
            }
            s if s.starts_with('-') => return Err(format!("unknown option '{s}'")),
            s if o.function.is_none() => o.function = Some(s.to_string()),
            s => return Err(format!("unexpected argument '{s}'")),
        }
    }
    if o.function.is_some() && o.config.is_some() {
        return Err("give either FUNCTION.js or --config, not both".into());
    }
    Ok(o)
}

/// Default PBKDF2 iterations of `--hash-password` and `--add-user`.
const DEFAULT_ITERATIONS: u32 = 10_000;

/// The stored hash of the password given to `--password` or on stdin.
fn hash_from_options(users: &UserTool) -> Result<String, String> {
    let password = match &users.password {
        Some(p) => p.clone(),
        None => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.is_empty() {
        return Err("the password is empty (give --password PW or a line on stdin)".into());
    }
    let mut salt = [0u8; isere::crypto::password::SALT_BYTES];
    isere::port::Entropy::fill(&posix::ENTROPY, &mut salt)
        .map_err(|e| format!("no random salt: {e}"))?;
    let iterations = users.iterations.unwrap_or(DEFAULT_ITERATIONS);
    isere::crypto::password::hash_password(&password, &salt, iterations).map_err(|e| e.to_string())
}

/// `--add-user NAME`: the user's record in the KV namespace of the image.
fn add_user(fs: &mut Fs, name: &str, users: &UserTool) -> Result<String, String> {
    let hash = hash_from_options(users)?;
    let namespace = users.namespace.as_deref().unwrap_or("USERS");
    let kv = isere::kv::Kv::open(fs, namespace, isere::kv::KvLimits::default(), &posix::CLOCK)
        .map_err(|e| format!("KV namespace '{namespace}': {e}"))?;
    let record = format!("{{\"password_hash\":\"{hash}\"}}");
    kv.put(
        fs,
        name,
        record.as_bytes(),
        &isere::kv::PutOptions::default(),
    )
    .map_err(|e| format!("cannot store user '{name}': {e}"))?;
    Ok(namespace.to_string())
}

/// `N`, `NK` or `NM` bytes.
fn parse_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()?
        .checked_mul(unit)
        .filter(|&n| n > 0)
}

/// Mounts the file system `--data` names (or the default image), formatting
/// a new image.
fn mount_data(o: &Options) -> Result<Fs, String> {
    let memory = || {
        Fs::format(Box::new(RamDevice::new(MEMORY_FS_BLOCKS)))
            .map_err(|e| format!("file system in RAM: {e}"))
    };
    let (path, explicit) = match o.data.as_deref() {
        Some(":memory:") => return memory(),
        Some(p) => (p, true),
        None => (DEFAULT_DATA, false),
    };
    let (device, created) = match ImageDevice::open(Path::new(path), o.data_size) {
        Ok(d) => d,
        Err(ImageError::Busy) if !explicit => {
            log::warn!(target: "sim", "{path} is in use by another isere-sim: the file system is in RAM this time");
            return memory();
        }
        Err(e) => return Err(format!("--data {path}: {e}")),
    };
    let fs = if created {
        log::info!(target: "sim", "{path}: new file system image ({} blocks)", device.block_count());
        Fs::format(Box::new(device))
    } else {
        Fs::mount(Box::new(device))
    };
    fs.map_err(|e| match e {
        FsError::Corrupt => format!(
            "--data {path}: not a LittleFS image, or damaged (move it away to start afresh)"
        ),
        e => format!("--data {path}: {e}"),
    })
}

/// Copies the host file or directory `src` to `dest`; returns the files copied.
fn put_path(fs: &mut Fs, src: &Path, dest: &str) -> Result<usize, String> {
    let meta = std::fs::metadata(src).map_err(|e| format!("{}: {e}", src.display()))?;
    if meta.is_dir() {
        fs.create_dir_all(dest)
            .map_err(|e| format!("{dest}: {e}"))?;
        let mut entries: Vec<_> = std::fs::read_dir(src)
            .map_err(|e| format!("{}: {e}", src.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", src.display()))?;
        entries.sort_by_key(|e| e.file_name());
        let mut count = 0;
        for entry in entries {
            let name = entry.file_name();
            let name = name
                .to_str()
                .ok_or_else(|| format!("{}: name is not UTF-8", entry.path().display()))?;
            let child = format!("{}/{name}", dest.trim_end_matches('/'));
            count += put_path(fs, &entry.path(), &child)?;
        }
        return Ok(count);
    }
    let mut dest = String::from(dest);
    if matches!(fs.stat(&dest), Ok(m) if m.kind == FileKind::Dir) {
        let name = src.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        dest = format!("{}/{name}", dest.trim_end_matches('/'));
    }
    if let Some((parent, _)) = dest.rsplit_once('/')
        && !parent.is_empty()
    {
        fs.create_dir_all(parent)
            .map_err(|e| format!("{parent}: {e}"))?;
    }
    let data = std::fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let write = |fs: &mut Fs| -> Result<(), FsError> {
        let file = fs.open(
            &dest,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        let written = fs.write(&file, &data).and_then(|()| match mtime {
            Some(t) => fs.set_mtime(&file, t),
            None => Ok(()),
        });
        let closed = fs.close(file);
        written.and(closed)
    };
    write(fs).map_err(|e| format!("{dest}: {e}"))?;
    Ok(1)
}

/// The configuration pushed over the air to `store`, if its signature
/// still verifies (as on the boards: one that does not is ignored, loudly).
fn pushed_config(store: &dyn BundleStore) -> Option<(Config, Vec<u8>)> {
    isere::ota::admin::stored_config(store).unwrap_or_else(|e| {
        eprintln!("isere-sim: stored configuration ignored: {e}");
        None
    })
}

/// The configuration and the JSON it came from: the one pushed over the
/// air if `--bundles DIR` has one, else `--config`, else the built-in one
/// (`main` then prefers one pushed to the file system's store).
fn load_config(
    o: &Options,
    store: Option<&posix::store::DirStore>,
) -> Result<(Config, Vec<u8>), String> {
    if let Some(pushed) = store.and_then(|s| pushed_config(s)) {
        return Ok(pushed);
    }
    if let Some(path) = &o.function {
        return Ok((Config::function_file(path), b"{}".to_vec()));
    }
    let text = match &o.config {
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
        None => DEFAULT_CONFIG.as_bytes().to_vec(),
    };
    let name = o.config.as_deref().unwrap_or("built-in configuration");
    let config = Config::parse(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok((config, text))
}

/// Compiles the function file `path`, and the files it imports, with the
/// engine the JS task runs.
fn compile_file(path: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut read = |file: &str| match std::fs::read_to_string(file) {
        Ok(source) => Ok(Some(source)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{file}: {e}")),
    };
    compile_function(path, &mut read, JS_STACK_LIMIT)
}

/// What the init task starts the device with (see [`isere::device`]).
struct Start {
    host: [u8; 4],
    services: &'static Services,
    config: Config,
    config_json: Vec<u8>,
    functions: Vec<LoadedFunction>,
    store: &'static dyn BundleStore,
    listener: isere::port::Listener,
}

/// 0 after an orderly shutdown, 1 when start-up failed inside the scheduler.
static EXIT_CODE: AtomicU8 = AtomicU8::new(0);

fn init_task(start: Start) {
    let Start {
        host,
        services,
        config,
        config_json,
        functions,
        store,
        listener,
    } = start;
    let boot = Boot {
        ceilings: Ceilings {
            max_connections: MAX_CONNECTIONS,
            js_memory_bytes: rtos::heap_stats()
                .free
                .saturating_sub(HEAP_RESERVE + BODY_BUDGET),
            body_bytes: BODY_BUDGET,
            // A development machine's clients are its own programs.
            cap_clients_by_default: false,
        },
        config,
        config_json,
        functions,
        js: JsConfig {
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: TASK_STACK_WORDS,
            priority: JS_PRIORITY,
            // Sized for the largest pool a pushed configuration can ask for.
            queue_len: 64 + 2 * MAX_CONNECTIONS,
            io_workers: IO_WORKERS,
            io_stack_words: TASK_STACK_WORDS,
        },
        server: TaskSizes {
            stack_words: TASK_STACK_WORDS,
            priority: SERVER_PRIORITY,
        },
        listener: Some(listener),
        store: Some(store),
        compile_file: Some(compile_file),
    };
    let device = match isere::device::start(services, boot) {
        Ok(d) => d,
        Err(e) => {
            log::error!(target: "sim", "{e}");
            EXIT_CODE.store(1, Ordering::Release);
            rtos::end_scheduler();
            return;
        }
    };
    posix::on_terminate_stop(device.js.shutdown_signal());
    let port = services.net.local_port(listener);
    let heap = rtos::heap_stats();
    log::info!(
        target: "sim",
        "{} connection tasks; heap: {} bytes used, {} peak, {} free",
        device.server.map_or(0, |s| s.pool_counts().tasks),
        heap.used,
        heap.peak,
        heap.free
    );
    let mut out = std::io::stdout().lock();
    let [a, b, c, d] = host;
    let _ = writeln!(out, "isere-sim listening on http://{a}.{b}.{c}.{d}:{port}");
    let _ = out.flush();
}

/// The simulator's log sink (standard error, and the ring of recent lines).
static LOGGER: Logger = Logger::new(&posix::CONSOLE);

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("isere-sim: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.users.hash_password {
        return match hash_from_options(&options.users) {
            Ok(hash) => {
                println!("{hash}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("isere-sim: {e}");
                ExitCode::from(1)
            }
        };
    }
    if let Some(name) = &options.users.add_user {
        let result = mount_data(&options).and_then(|mut fs| {
            fs.set_clock(&posix::CLOCK);
            add_user(&mut fs, name, &options.users)
        });
        return match result {
            Ok(namespace) => {
                let image = options.data.as_deref().unwrap_or(DEFAULT_DATA);
                println!("user '{name}' stored in KV namespace {namespace} of {image}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("isere-sim: {e}");
                ExitCode::from(1)
            }
        };
    }
    let dir_store = match options.bundles.as_deref().map(|dir| {
        posix::store::DirStore::open(std::path::Path::new(dir))
            .map_err(|e| format!("--bundles {dir}: {e}"))
    }) {
        None => None,
        Some(Ok(s)) => Some(&*Box::leak(Box::new(s))),
        Some(Err(e)) => {
            eprintln!("isere-sim: {e}");
            return ExitCode::from(1);
        }
    };
    let (mut config, mut config_json) = match load_config(&options, dir_store) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("isere-sim: {e}");
            return ExitCode::from(1);
        }
    };
    let level = options.log_level.unwrap_or(config.log_level);
    isere::logger::register(&LOGGER, level);
    LOGGER.enable_ring(isere::logger::RING_BYTES);
    let mut fs = match mount_data(&options) {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("isere-sim: {e}");
            return ExitCode::from(1);
        }
    };
    fs.set_clock(&posix::CLOCK);
    for (src, dest) in &options.puts {
        match put_path(&mut fs, Path::new(src), dest) {
            Ok(n) => log::info!(target: "sim", "--put {src} {dest}: {n} file(s)"),
            Err(e) => {
                eprintln!("isere-sim: --put {src} {dest}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if !options.serve {
        if let Ok(u) = fs.usage() {
            log::info!(target: "sim", "file system: {} of {} blocks used", u.blocks_used, u.block_count);
        }
        return ExitCode::SUCCESS;
    }
    let storage: &'static Storage = match Storage::new(fs) {
        Ok(storage) => Box::leak(Box::new(storage)),
        Err(e) => {
            eprintln!("isere-sim: {e}");
            return ExitCode::from(1);
        }
    };
    // Deployed bundles live in --bundles DIR, else on the device's file
    // system, as on the boards.
    let store: &'static dyn BundleStore = match dir_store {
        Some(s) => s,
        None => match FsStore::open(storage, isere::ota::fs_store::DEFAULT_ROOT) {
            Ok(s) => Box::leak(Box::new(s)),
            Err(e) => {
                eprintln!("isere-sim: bundle store on the file system: {e}");
                return ExitCode::from(1);
            }
        },
    };
    if dir_store.is_none()
        && let Some((c, json)) = pushed_config(store)
    {
        config = c;
        config_json = json;
        isere::logger::set_level(options.log_level.unwrap_or(config.log_level));
    }
    let functions = match resolve_functions(&config, compile_file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = posix::init() {
        eprintln!("isere-sim: cannot set up the host port: {e}");
        return ExitCode::from(1);
    }
    let listener = match posix::NETWORK.listen(options.host, options.port) {
        Ok(l) => l,
        Err(e) => {
            let [a, b, c, d] = options.host;
            eprintln!(
                "isere-sim: cannot listen on {a}.{b}.{c}.{d}:{}: {e}",
                options.port
            );
            return ExitCode::from(1);
        }
    };
    log::info!(target: "sim", "Isère {} on FreeRTOS (POSIX port)", isere::VERSION);
    // The composition root: the services, built once, handed down.
    let services: &'static Services = Box::leak(Box::new(Services {
        net: &posix::NETWORK,
        clock: &posix::CLOCK,
        entropy: &posix::ENTROPY,
        storage: Some(storage),
        log: &LOGGER,
        cpu_busy_ns: None,
    }));
    let boot = Start {
        host: options.host,
        services,
        config,
        config_json,
        functions,
        store,
        listener,
    };
    if rtos::spawn(c"init", TASK_STACK_WORDS, INIT_PRIORITY, move || {
        init_task(boot)
    })
    .is_err()
    {
        eprintln!("isere-sim: cannot create the init task");
        return ExitCode::from(1);
    }
    rtos::start_scheduler();
    let heap = rtos::heap_stats();
    log::info!(target: "sim", "stopped; heap peak {} bytes", heap.peak);
    ExitCode::from(EXIT_CODE.load(Ordering::Acquire))
}
