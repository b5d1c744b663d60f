//! `isere-sim`: the Isère firmware on the FreeRTOS POSIX port.
//!
//! ```text
//! isere-sim [FUNCTION.js] [--config FILE] [--bundles DIR] [--port N] [--host ADDR] [--log-level LEVEL]
//! ```
//!
//! Without arguments it serves the example functions of `handlers/` (compiled
//! into the binary at build time) on http://127.0.0.1:8080. With `FUNCTION.js`
//! it compiles that file when it starts and serves it at every path. With
//! `--bundles DIR` it keeps deployed bundles (and a configuration replaced
//! over the air, which then wins over `--config`) in that directory and
//! serves the admin API (`isere deploy`).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

use isere::config::Config;
use isere::http::server::{self, TaskSizes};
use isere::js::task::{JsConfig, JsTask, LoadedFunction, compile_source, resolve_functions};
use isere::posix;
use isere::rtos;

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration used without `--config`: every example function.
const DEFAULT_CONFIG: &str = include_str!("../handlers/isere.json");

const USAGE: &str =
    "usage: isere-sim [FUNCTION.js] [--config FILE] [--bundles DIR] [--port N] [--host ADDR] [--log-level LEVEL]

  FUNCTION.js        serve this one function at every path (compiled at start)
  --config FILE      routes, functions and limits (JSON; see handlers/isere.json)
  --bundles DIR      keep deployed function bundles here and serve the admin API
                     (a configuration pushed over the air, DIR/config.json, wins)
  --port N           TCP port (default 8080; 0 picks a free one)
  --host ADDR        IPv4 address to listen on (default 127.0.0.1)
  --log-level LEVEL  error, warn, info, debug or trace (default: the config's, else info)";

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

struct Options {
    function: Option<String>,
    config: Option<String>,
    bundles: Option<String>,
    port: u16,
    host: [u8; 4],
    log_level: Option<log::LevelFilter>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        function: None,
        config: None,
        bundles: None,
        port: 8080,
        host: [127, 0, 0, 1],
        log_level: None,
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

/// The configuration and the JSON it came from: the one pushed over the
/// air if the bundle store has one, else `--config`, else the built-in one.
fn load_config(
    o: &Options,
    store: Option<&posix::store::DirStore>,
) -> Result<(Config, Vec<u8>), String> {
    use isere::ota::store::BundleStore as _;
    if let Some(stored) = store
        .map(|s| s.read_config())
        .transpose()
        .map_err(|e| format!("--bundles: {e}"))?
        .flatten()
    {
        let config = Config::parse(&stored).map_err(|e| format!("stored configuration: {e}"))?;
        return Ok((config, stored));
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

/// Compiles the function file `path` with the engine the JS task runs.
fn compile_file(path: &str) -> Result<Vec<u8>, String> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    compile_source(&source, path, JS_STACK_LIMIT)
}

struct Boot {
    host: [u8; 4],
    config: &'static Config,
    functions: Vec<LoadedFunction>,
    listener: isere::port::Listener,
}

/// 0 after an orderly shutdown, 1 when start-up failed inside the scheduler.
static EXIT_CODE: AtomicU8 = AtomicU8::new(0);

fn init_task(boot: Boot) {
    let Boot {
        host,
        config,
        functions,
        listener,
    } = boot;
    let js_config = JsConfig {
        memory_limit: config.server.js_memory_bytes,
        stack_limit: JS_STACK_LIMIT,
        task_stack_words: TASK_STACK_WORDS,
        priority: JS_PRIORITY,
        queue_len: 64 + 2 * config.server.max_connections,
        cpu_limit_ms: config.server.handler_timeout_ms,
        io_workers: IO_WORKERS,
        io_stack_words: TASK_STACK_WORDS,
    };
    let js = match JsTask::start(functions, js_config) {
        Ok(js) => js,
        Err(e) => {
            log::error!(target: "sim", "{e}");
            EXIT_CODE.store(1, Ordering::Release);
            rtos::end_scheduler();
            return;
        }
    };
    if let Some(ota) = isere::ota::installed() {
        ota.restore_into(js);
    }
    let sizes = TaskSizes {
        stack_words: TASK_STACK_WORDS,
        priority: SERVER_PRIORITY,
    };
    if let Err(e) = server::start(&posix::PORT, config, js, listener, sizes) {
        log::error!(target: "sim", "cannot start the server: {e}");
        EXIT_CODE.store(1, Ordering::Release);
        rtos::end_scheduler();
        return;
    }
    let port = posix::PORT.net.local_port(listener);
    let heap = rtos::heap_stats();
    log::info!(
        target: "sim",
        "{} connection tasks; heap: {} bytes used, {} peak, {} free",
        config.server.max_connections,
        heap.used,
        heap.peak,
        heap.free
    );
    let mut out = std::io::stdout().lock();
    let [a, b, c, d] = host;
    let _ = writeln!(out, "isere-sim listening on http://{a}.{b}.{c}.{d}:{port}");
    let _ = out.flush();
}

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
    let store = match options.bundles.as_deref().map(|dir| {
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
    let (config, config_json) = match load_config(&options, store) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("isere-sim: {e}");
            return ExitCode::from(1);
        }
    };
    let level = options.log_level.unwrap_or(config.log_level);
    isere::logger::init(posix::PORT.console, level);
    isere::logger::enable_ring(isere::logger::RING_BYTES);
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
    let listener = match posix::PORT.net.listen(options.host, options.port) {
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
    if let Some(store) = store {
        match isere::ota::Ota::new(store, &config, config_json) {
            Ok(ota) => isere::ota::install(Box::leak(Box::new(ota))),
            Err(e) => {
                eprintln!("isere-sim: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let boot = Boot {
        host: options.host,
        config: Box::leak(Box::new(config)),
        functions,
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
