//! What the fuzz targets share: splitting an input into chunks for the
//! incremental decoders, and a whole device (server, JS task, RAM file
//! system) on the in-memory network, started once per process, for the
//! targets that go through the engine.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use isere::config::Config;
use isere::device::{Boot, Device};
use isere::fs::ram::RamDevice;
use isere::fs::{Fs, Storage};
use isere::http::server::TaskSizes;
use isere::js::task::{JsConfig, resolve_functions};
use isere::logger::Logger;
use isere::port::Network as _;
use isere::port::mem::{Client, CounterEntropy, FixedClock, MemNetwork, NullConsole};
use isere::running::Ceilings;
use isere::services::Services;

/// Splits `data` into consecutive chunks whose sizes follow from `seed`
/// (a small linear congruential sequence): from one byte at a time to a
/// few hundred, so that decoders meet every field cut at many places.
pub fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let max = usize::from(seed % 64) * usize::from(seed / 64 + 1) + 1;
    let mut state = u32::from(seed) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (state >> 16) as usize % max).min(rest.len());
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

static CLOCK: FixedClock = FixedClock(1_700_000_000);
static ENTROPY: CounterEntropy = CounterEntropy::new(1);
static LOGGER: Logger = Logger::new(&NullConsole);

/// The device's configuration: the built-in `hello` and `echo`, static
/// files, and `web` (below); short timeouts so that a stalled request
/// costs the fuzzer little time.
const CONFIG: &str = r#"{
  "log_level": "off",
  "server": { "max_connections": 2, "keep_alive_timeout_ms": 300, "header_timeout_ms": 300,
              "handler_timeout_ms": 5000, "max_body_bytes": 65536 },
  "functions": [
    { "name": "hello", "module": "hello" },
    { "name": "echo", "module": "echo" },
    { "name": "web", "path": "web.js" }
  ],
  "routes": [
    { "prefix": "/hello", "function": "hello", "methods": ["GET", "HEAD"] },
    { "prefix": "/echo", "function": "echo" },
    { "prefix": "/web", "function": "web", "methods": ["POST"] },
    { "prefix": "/files", "static": "/www" }
  ]
}"#;

/// The function behind `POST /web`: its body, split at NUL bytes, is fed
/// to `URL`, `URLSearchParams` and `Headers`; it answers 200 unless a
/// property of those APIs fails (then it throws, and the server answers
/// 500). Invalid input must throw `TypeError`, nothing else.
const WEB_JS: &str = include_str!("web.js");

/// The device the targets talk to (see [`device`]).
pub struct Board {
    net: &'static MemNetwork,
    /// The running device (its JS task's memory is watched for leaks).
    pub device: &'static Device,
}

/// How long one exchange may take before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(20);

/// The device, started on first use (with the FreeRTOS scheduler).
pub fn device() -> &'static Board {
    static BOARD: OnceLock<Board> = OnceLock::new();
    BOARD.get_or_init(|| {
        let (net, device) = isere::fuzzing::in_task(DEADLINE, start);
        Board { net, device }
    })
}

fn start() -> (&'static MemNetwork, &'static Device) {
    let net: &'static MemNetwork = Box::leak(Box::new(MemNetwork::new()));
    let mut fs = Fs::format(Box::new(RamDevice::new(32))).expect("a RAM file system");
    fs.mkdir("/www").expect("/www");
    fs.write_file("/www/a.txt", b"static bytes")
        .expect("/www/a.txt");
    let storage: &'static Storage = Box::leak(Box::new(Storage::new(fs).expect("storage")));
    let services: &'static Services = Box::leak(Box::new(Services {
        net,
        clock: &CLOCK,
        entropy: &ENTROPY,
        storage: Some(storage),
        log: &LOGGER,
        cpu_busy_ns: None,
    }));
    let config = Config::parse(CONFIG.as_bytes()).expect("the fuzzing configuration");
    let functions = resolve_functions(&config, |path: &str| {
        let mut read = |file: &str| Ok((file == path).then(|| String::from(WEB_JS)));
        isere::js::modules::compile_function(path, &mut read, 256 * 1024)
    })
    .expect("the fuzzing functions compile");
    let boot = Boot {
        config,
        config_json: CONFIG.as_bytes().to_vec(),
        functions,
        ceilings: Ceilings {
            max_connections: 2,
            js_memory_bytes: 16 << 20,
            body_bytes: 1 << 20,
            cap_clients_by_default: false,
        },
        js: JsConfig {
            stack_limit: 256 * 1024,
            task_stack_words: 1024,
            priority: 2,
            queue_len: 8,
            io_workers: 1,
            io_stack_words: 1024,
        },
        server: TaskSizes {
            stack_words: 1024,
            priority: 2,
        },
        listener: Some(net.listen([0; 4], 80).expect("listen")),
        store: None,
        compile_file: None,
    };
    let device = isere::device::start(services, boot).expect("the device starts");
    (net, Box::leak(Box::new(device)))
}

impl Board {
    /// Sends `bytes` on a new connection, half-closes it and waits until
    /// the server has closed it; returns all the server sent. Panics if
    /// that takes longer than [`DEADLINE`]: the server must answer or
    /// close once its client has nothing more to say.
    pub fn exchange(&self, bytes: &[u8]) -> Vec<u8> {
        let client: Client = self.net.connect(bytes);
        self.net.shutdown(client);
        let deadline = Instant::now() + DEADLINE;
        while !self.net.closed_by_server(client) {
            assert!(
                Instant::now() < deadline,
                "the server neither answered nor closed within {DEADLINE:?}; it sent {:?}",
                String::from_utf8_lossy(&self.net.received(client))
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        let out = self.net.received(client);
        self.net.close(client);
        out
    }

    /// Asserts that a plain `GET /hello` is served: after any input the
    /// server must still work.
    pub fn assert_serves(&self) {
        let out = self.exchange(b"GET /hello HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
        assert_eq!(
            status(&out),
            Some(200),
            "GET /hello after the input: {:?}",
            String::from_utf8_lossy(&out)
        );
        assert!(out.ends_with("Hello from Isère!\n".as_bytes()));
    }
}

/// The status code of the response at the start of `out`, if `out` starts
/// with a complete, well-formed status line and head.
pub fn status(out: &[u8]) -> Option<u16> {
    let rest = out.strip_prefix(b"HTTP/1.1 ")?;
    let code = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    let head_end = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    (rest.get(3) == Some(&b' ') && head_end > 0).then_some(code)
}

/// The key the `bundle` target trusts (its seed bundles are signed with it).
pub fn bundle_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[1; 32])
}
