//! The server over an in-memory network ([`crate::port::mem`]), with the
//! real JS task behind it, started through the device's composition
//! ([`crate::device::start`]): routing, the pool's growth and shrinking,
//! the answer of a full pool, and a bad request followed by a good one.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::config::Config;
use crate::device::{Boot, Device};
use crate::fs::ram::RamDevice;
use crate::fs::{Fs, Storage};
use crate::http::server::TaskSizes;
use crate::js::task::{JsConfig, resolve_functions};
use crate::logger::Logger;
use crate::port::mem::{Client, CounterEntropy, FixedClock, MemNetwork, NullConsole};
use crate::port::{Listener, Network};
use crate::rtos::testing::{run, wait_for};
use crate::running::Ceilings;
use crate::services::Services;

static CLOCK: FixedClock = FixedClock(1_700_000_000);
static ENTROPY: CounterEntropy = CounterEntropy::new(1);
static LOGGER: Logger = Logger::new(&NullConsole);

const CONFIG: &str = r#"{
  "server": { "max_connections": 2, "keep_alive_timeout_ms": 2000, "header_timeout_ms": 2000 },
  "functions": [ { "name": "hello", "module": "hello" }, { "name": "echo", "module": "echo" } ],
  "routes": [
    { "prefix": "/hello", "function": "hello", "methods": ["GET", "HEAD"] },
    { "prefix": "/echo", "function": "echo" },
    { "prefix": "/files", "static": "/www" }
  ]
}"#;

/// A device serving `CONFIG` on a fresh in-memory network, with a RAM file
/// system holding `/www/a.txt`; call inside `run`.
fn device(max_connections: usize) -> (&'static MemNetwork, Device) {
    device_with(CONFIG, max_connections)
}

/// A device serving `config` (see [`device`]).
fn device_with(config: &'static str, max_connections: usize) -> (&'static MemNetwork, Device) {
    let net: &'static MemNetwork = Box::leak(Box::new(MemNetwork::new()));
    let mut fs = Fs::format(Box::new(RamDevice::new(32))).unwrap();
    fs.mkdir("/www").unwrap();
    fs.write_file("/www/a.txt", b"static bytes").unwrap();
    let storage: &'static Storage = Box::leak(Box::new(Storage::new(fs).unwrap()));
    let services: &'static Services = Box::leak(Box::new(Services {
        net,
        clock: &CLOCK,
        entropy: &ENTROPY,
        storage: Some(storage),
        log: &LOGGER,
        cpu_busy_ns: None,
    }));
    let config_json = config;
    let config = Config::parse(config_json.as_bytes()).unwrap();
    let functions = resolve_functions(&config, |p: &str| Err(String::from(p))).unwrap();
    let listener: Listener = net.listen([0; 4], 80).unwrap();
    let boot = Boot {
        config,
        config_json: config_json.as_bytes().to_vec(),
        functions,
        ceilings: Ceilings {
            max_connections,
            js_memory_bytes: 16 << 20,
            body_bytes: 24 * 1024,
            cap_clients_by_default: false,
        },
        js: JsConfig {
            stack_limit: 256 * 1024,
            task_stack_words: 1024,
            priority: crate::rtos::testing::PRIORITY,
            queue_len: 32,
            io_workers: 1,
            io_stack_words: 1024,
        },
        server: TaskSizes {
            stack_words: 1024,
            priority: crate::rtos::testing::PRIORITY,
        },
        listener: Some(listener),
        store: None,
        compile_file: None,
    };
    let device = crate::device::start(services, boot).unwrap();
    (net, device)
}

/// The status of the first response `client` got, once it has one.
fn status_of(net: &MemNetwork, client: Client) -> Option<u16> {
    let mut status = None;
    wait_for(5000, || {
        let got = net.received(client);
        let text = String::from_utf8_lossy(&got);
        status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok());
        status.is_some() && text.contains("\r\n\r\n")
    });
    status
}

fn text_of(net: &MemNetwork, client: Client) -> String {
    String::from_utf8_lossy(&net.received(client)).into_owned()
}

/// Sends `raw` (a request asking to close) on a new connection and waits
/// until the server has answered and closed: the status and the whole
/// response.
fn ask(net: &MemNetwork, raw: &str) -> (Option<u16>, String) {
    let c = net.connect(raw.as_bytes());
    let status = status_of(net, c);
    wait_for(5000, || net.closed_by_server(c));
    (status, text_of(net, c))
}

/// `GET path` on a connection that closes after it.
fn get(net: &MemNetwork, path: &str) -> (Option<u16>, String) {
    ask(
        net,
        &alloc::format!("GET {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"),
    )
}

#[test]
fn routes_answer_what_serves_them() {
    run(c"routes", || {
        let (net, _device) = device(8);
        let (status, text) = get(net, "/hello");
        assert_eq!(status, Some(200), "{text}");
        assert!(text.ends_with("Hello from Isère!\n"), "{text}");
        let (status, text) = ask(
            net,
            "POST /hello HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
        );
        assert_eq!(status, Some(405), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("allow: get, head"),
            "{text}"
        );
        assert_eq!(get(net, "/nothing").0, Some(404));
        let (status, text) = get(net, "/files/a.txt");
        assert_eq!(status, Some(200), "{text}");
        assert!(text.ends_with("static bytes"), "{text}");
        let (status, text) = ask(
            net,
            "POST /echo/x?a=1 HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        );
        assert_eq!(status, Some(200), "{text}");
        assert!(text.contains("\"body\":\"hello\""), "{text}");
        let (status, text) = get(net, "/_isere/stats");
        assert_eq!(status, Some(200), "{text}");
        assert!(text.contains("\"connections\":{\"tasks\":2"), "{text}");
        // No admin API on this device: said so, not a crash.
        assert_eq!(get(net, "/_isere/functions").0, Some(501));
    });
}

#[test]
fn a_bad_request_is_answered_and_the_next_is_served() {
    run(c"bad-then-good", || {
        let (net, _device) = device(8);
        let bad = net.connect(b"GET /hello HTTP/9.9\r\n\r\n");
        assert_eq!(status_of(net, bad), Some(505));
        wait_for(2000, || net.closed_by_server(bad));
        assert!(net.closed_by_server(bad), "a protocol error closes");
        let huge =
            net.connect(b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 99999999\r\n\r\n");
        assert_eq!(status_of(net, huge), Some(413));
        // So is one to a route that takes no body (read and dropped when
        // within the limit), before a byte of it arrives.
        let dropped =
            net.connect(b"POST /hello HTTP/1.1\r\nHost: d\r\nContent-Length: 2000000\r\n\r\n");
        assert_eq!(status_of(net, dropped), Some(413));
        // A bad chunk size, and an upload to the admin path of a device
        // without an admin API: answered, then the connection is closed or
        // its framing kept.
        let chunks = net
            .connect(b"POST /echo HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assert_eq!(status_of(net, chunks), Some(400));
        let admin =
            net.connect(b"PUT /_isere/config HTTP/1.1\r\nHost: d\r\nContent-Length: 3\r\n\r\nabc");
        assert_eq!(status_of(net, admin), Some(501));
        // A head that stalls half-way is timed out (header_timeout_ms: 2 s),
        // as is a body that stops short.
        let slow = net.connect(b"GET /hel");
        assert_eq!(status_of(net, slow), Some(408));
        let short = net.connect(b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 10\r\n\r\nabc");
        assert_eq!(status_of(net, short), Some(408));
        let good = net.connect(b"GET /hello HTTP/1.1\r\nHost: d\r\n\r\n");
        assert_eq!(status_of(net, good), Some(200));
    });
}

#[test]
fn the_pool_grows_shrinks_and_answers_503_when_full() {
    run(c"pool", || {
        let (net, device) = device(4);
        let server = device.server.unwrap();
        let idle = |n: usize| {
            wait_for(3000, || {
                let c = server.pool_counts();
                c.tasks == n && c.idle == n
            })
        };
        assert!(idle(2), "{:?}", server.pool_counts());
        // Growing spawns at once, up to the port's ceiling.
        assert_eq!(server.resize(10), 4);
        assert!(idle(4), "{:?}", server.pool_counts());
        // Shrinking retires idle tasks at once...
        assert_eq!(server.resize(1), 1);
        assert!(idle(1), "{:?}", server.pool_counts());
        // ...and a busy one when its connection ends.
        assert_eq!(server.resize(2), 2);
        assert!(idle(2));
        let held: Vec<Client> = (0..2).map(|_| net.connect(b"GET /hel")).collect();
        assert!(wait_for(3000, || server.pool_counts().idle == 0));
        // Both tasks busy: the next connection is told, not dropped.
        let extra = net.connect(b"GET /hello HTTP/1.1\r\n\r\n");
        assert_eq!(status_of(net, extra), Some(503));
        assert!(
            text_of(net, extra)
                .to_ascii_lowercase()
                .contains("retry-after: 1")
        );
        server.resize(1);
        assert_eq!(
            server.pool_counts().tasks,
            2,
            "busy tasks finish their connection first"
        );
        net.close(held[0]);
        assert!(wait_for(3000, || server.pool_counts().tasks == 1));
        net.send(held[1], b"lo HTTP/1.1\r\nHost: d\r\n\r\n");
        assert_eq!(status_of(net, held[1]), Some(200));
    });
}

#[test]
fn request_bodies_share_one_budget() {
    run(c"body-budget", || {
        // The test port sets 24 KiB aside for the bodies read whole (those
        // of at most 16 KiB; larger ones are streamed to the handler).
        let (net, _device) = device(8);
        let holder = net.connect(
            b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 16000\r\nConnection: close\r\n\r\nabc",
        );
        // The holder's reservation is taken once its head is read.
        crate::rtos::delay(crate::rtos::ms_to_ticks(200));
        let over = net.connect(
            b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 10000\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_of(net, over), Some(503));
        assert!(
            text_of(net, over)
                .to_ascii_lowercase()
                .contains("retry-after: 1"),
            "{}",
            text_of(net, over)
        );
        // The holder finishes; its bytes go back to the budget.
        net.send(holder, &alloc::vec![b'y'; 16000 - 3]);
        assert_eq!(status_of(net, holder), Some(200));
        let mut again = Vec::from(
            &b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 10000\r\nConnection: close\r\n\r\n"[..],
        );
        again.extend(core::iter::repeat_n(b'z', 10000));
        let again = net.connect(&again);
        assert_eq!(
            status_of(net, again),
            Some(200),
            "the budget was given back"
        );
    });
}

/// Sends `bytes` one at a time on `client`, `gap_ms` apart, until the
/// server answers or `for_ms` have passed.
fn trickle(net: &MemNetwork, client: Client, bytes: &[u8], gap_ms: u64, for_ms: u64) {
    let mut spent = 0;
    for b in bytes.iter().cycle() {
        if spent >= for_ms || !net.received(client).is_empty() {
            break;
        }
        net.send(client, &[*b]);
        crate::rtos::delay(crate::rtos::ms_to_ticks(gap_ms));
        spent += gap_ms;
    }
}

#[test]
fn trickling_clients_are_cut_off_by_deadlines() {
    run(c"deadlines", || {
        // header_timeout_ms is 2 s: a head, even of bare CR/LF, must be
        // whole by then however its bytes are spread.
        let (net, _device) = device(8);
        let blank = net.connect(b"");
        trickle(net, blank, b"\r\n", 300, 6000);
        assert_eq!(status_of(net, blank), Some(408), "CR/LF counts as the head");
        let head = net.connect(b"");
        trickle(
            net,
            head,
            b"GET /hello HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaa",
            300,
            6000,
        );
        assert_eq!(status_of(net, head), Some(408));
        // A body must keep the minimum rate after the same grace.
        let body = net.connect(b"POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: 1000\r\n\r\n");
        trickle(net, body, b"x", 300, 6000);
        assert_eq!(status_of(net, body), Some(408), "{}", text_of(net, body));
        assert_eq!(get(net, "/hello").0, Some(200));
    });
}

#[test]
fn one_client_cannot_hold_every_connection() {
    const CAPPED: &str = r#"{
      "server": { "max_connections": 3, "max_connections_per_client": 2, "header_timeout_ms": 5000 },
      "functions": [ { "name": "hello", "module": "hello" } ],
      "routes": [ { "prefix": "/hello", "function": "hello" } ]
    }"#;
    run(c"per-client", || {
        let (net, device) = device_with(CAPPED, 8);
        let server = device.server.unwrap();
        let greedy = [10, 0, 0, 66];
        let held: Vec<Client> = (0..2)
            .map(|_| net.connect_from(greedy, b"GET /hel"))
            .collect();
        assert!(wait_for(3000, || server.pool_counts().idle == 1));
        let third = net.connect_from(greedy, b"GET /hello HTTP/1.1\r\n\r\n");
        assert_eq!(status_of(net, third), Some(503));
        assert!(
            text_of(net, third)
                .to_ascii_lowercase()
                .contains("retry-after: 1")
        );
        let other = net.connect_from(
            [10, 0, 0, 7],
            b"GET /hello HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_of(net, other), Some(200), "another host is served");
        // The greedy host's connections end; it is served again.
        for c in held {
            net.close(c);
        }
        assert!(wait_for(3000, || server.pool_counts().idle == 3));
        let again = net.connect_from(
            greedy,
            b"GET /hello HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_of(net, again), Some(200));
    });
}
