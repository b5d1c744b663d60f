//! Hostile clients, against the simulator (and, with `ISERE_TEST_BOARD`,
//! the QEMU board): bodies meant to exhaust the heap, clients that trickle
//! their bytes or hold sockets idle, one address taking every slot, a
//! `Host` that would rewrite the handler's URL, and answers a handler may
//! not give. Every case is followed by a good request that must be served.
//!
//! Replayed and downgraded configurations and bundles are in `tests/ota.rs`.

mod support;

use std::net::{SocketAddr, TcpStream};
use std::os::fd::FromRawFd;
use std::thread;
use std::time::{Duration, Instant};

use support::{
    Conn, ReadError, Response, Sim, assert_alive, board_firmware, build_request,
    function_path_json, run_to_exit,
};

fn config(server: &str, functions: &str, routes: &str) -> String {
    format!(
        r#"{{"log_level":"info","server":{{{server}}},"functions":[{functions}],"routes":[{routes}]}}"#
    )
}

const FUNCTIONS: &str = r#"{"name":"hello","module":"hello"},{"name":"echo","module":"echo"}"#;
const ROUTES: &str =
    r#"{"prefix":"/hello","function":"hello"},{"prefix":"/echo","function":"echo"}"#;

/// A device with short deadlines: a head within 2 s, and bodies at 1 KiB/s
/// after that grace (unless `server` sets `header_timeout_ms` itself).
fn hostile_sim(test: &str, server: &str) -> Option<Sim> {
    let head = match server.contains("header_timeout_ms") {
        true => "",
        false => r#","header_timeout_ms":2000"#,
    };
    let server = format!(r#""keep_alive_timeout_ms":30000{head}{server}"#);
    let functions = format!(
        r#"{FUNCTIONS},{{"name":"u","path":{}}}"#,
        function_path_json("url.js")
    );
    let routes = format!(r#"{ROUTES},{{"prefix":"/url","function":"u"}}"#);
    Sim::with_config(test, &config(&server, &functions, &routes))
}

/// Polls `GET /hello` on new connections until one is served, within
/// `within`; how long it took.
#[track_caller]
fn served_within(sim: &Sim, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if let Ok(s) = TcpStream::connect(sim.addr()) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut c = Conn::from_stream(s);
            if let Ok(r) = c.try_request("GET", "/hello")
                && r.status == 200
            {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < within,
            "no good request served within {within:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn large_bodies_on_many_connections_do_not_bring_the_device_down() {
    let Some(sim) = hostile_sim(
        "large_bodies_on_many_connections_do_not_bring_the_device_down",
        r#","max_connections":40,"max_body_bytes":1048576"#,
    ) else {
        return;
    };
    // All but the last byte of a 1 MiB body each: the QEMU board fell to
    // one such connection, the simulator to 32.
    let (count, size) = if board_firmware().is_some() {
        (4, 1 << 20)
    } else {
        (32, 1 << 20)
    };
    let head = format!("POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: {size}\r\n\r\n");
    let chunk = vec![b'x'; size - 1];
    let mut held = Vec::new();
    for _ in 0..count {
        let mut c = sim.conn();
        c.send(head.as_bytes());
        held.push(c);
    }
    let senders: Vec<_> = held
        .into_iter()
        .map(|mut c| {
            let chunk = chunk.clone();
            thread::spawn(move || {
                // The server reads only as the handler asks: it may stop
                // reading once the handler fails.
                let _ = c.try_send(&chunk);
                c
            })
        })
        .collect();
    let held: Vec<Conn> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    assert_alive(&sim);
    // The last bytes: each is answered (200, or 500 when its handler ran
    // out of engine memory), or closed; never a crash.
    for mut c in held {
        let _ = c.try_send(b"x");
        if let Ok(r) = c.try_read_response(false) {
            assert!(matches!(r.status, 200 | 413 | 500 | 503), "{r}");
        }
    }
    assert_alive(&sim);
    let stats = sim.conn().get("/_isere/stats");
    stats.assert_status(200);
}

/// Sends `first`, then the bytes of `slow` one at a time, over and over,
/// 400 ms apart, until the device answers or closes: the answer, if one
/// came, and how long the connection was held (10 s at most: then the
/// test fails).
fn trickle(sim: &Sim, first: &[u8], slow: &[u8]) -> (Option<Response>, Duration) {
    let started = Instant::now();
    let mut c = sim.conn();
    c.send(first);
    c.set_read_timeout(Duration::from_millis(400));
    for b in slow.iter().cycle() {
        if c.try_send(&[*b]).is_err() {
            break;
        }
        match c.try_read_response(false) {
            Ok(r) => return (Some(r), started.elapsed()),
            Err(ReadError::Timeout(_)) => {}
            Err(_) => break,
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never cut off");
    }
    (None, started.elapsed())
}

#[test]
fn a_head_trickled_a_byte_at_a_time_is_cut_off() {
    let Some(sim) = hostile_sim("a_head_trickled_a_byte_at_a_time_is_cut_off", "") else {
        return;
    };
    // Bare CR/LF counts as the head; so does a head that never ends.
    for (first, slow) in [
        (&b""[..], &b"\r\n"[..]),
        (
            b"GET /hello HTTP/1.1\r\n",
            b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
    ] {
        let (answer, held) = trickle(&sim, first, slow);
        let answer = answer.expect("an answer before the close");
        assert_eq!(answer.status, 408, "{answer}");
        assert!(held < Duration::from_secs(6), "held {held:?}");
        assert_alive(&sim);
    }
}

#[test]
fn a_body_trickled_a_byte_at_a_time_is_cut_off() {
    let Some(sim) = hostile_sim("a_body_trickled_a_byte_at_a_time_is_cut_off", "") else {
        return;
    };
    for length in [100, 100_000] {
        let head = format!("POST /echo HTTP/1.1\r\nHost: d\r\nContent-Length: {length}\r\n\r\n");
        let (answer, held) = trickle(&sim, head.as_bytes(), b"x");
        // The device may close while a byte is on its way: then no answer.
        if let Some(r) = answer {
            assert_eq!(r.status, 408, "{r}");
        }
        assert!(held < Duration::from_secs(6), "held {held:?}");
        assert_alive(&sim);
    }
}

#[test]
fn idle_sockets_hold_the_pool_only_until_the_first_byte_deadline() {
    let Some(sim) = hostile_sim(
        "idle_sockets_hold_the_pool_only_until_the_first_byte_deadline",
        r#","max_connections":4,"max_connections_per_client":0"#,
    ) else {
        return;
    };
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(sim.addr()).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(300));
    // Each new connection must send a head within 2 s, or be closed.
    let took = served_within(&sim, Duration::from_secs(6));
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(idle);
    assert_alive(&sim);
}

/// A connection to `to` from the loopback address `from`.
fn connect_from(from: [u8; 4], to: SocketAddr) -> TcpStream {
    // SAFETY: a socket bound and connected by hand, then owned by the stream.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let addr = |ip: [u8; 4], port: u16| libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(ip),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let local = addr(from, 0);
        assert_eq!(libc::bind(fd, (&raw const local).cast(), len), 0, "bind");
        let SocketAddr::V4(v4) = to else {
            panic!("IPv4")
        };
        let remote = addr(v4.ip().octets(), v4.port());
        assert_eq!(
            libc::connect(fd, (&raw const remote).cast(), len),
            0,
            "connect"
        );
        TcpStream::from_raw_fd(fd)
    }
}

#[test]
fn one_client_address_cannot_take_every_slot() {
    if support::skip_on_board(
        "one_client_address_cannot_take_every_slot",
        "every client reaches the QEMU board from one address (slirp)",
    ) {
        return;
    }
    let Some(sim) = hostile_sim(
        "one_client_address_cannot_take_every_slot",
        r#","max_connections":4,"max_connections_per_client":2,"header_timeout_ms":30000"#,
    ) else {
        return;
    };
    let greedy: Vec<TcpStream> = (0..2)
        .map(|_| connect_from([127, 0, 0, 2], sim.addr()))
        .collect();
    thread::sleep(Duration::from_millis(300));
    let mut third = Conn::from_stream(connect_from([127, 0, 0, 2], sim.addr()));
    third.send(&build_request("GET", "/hello", &[], b""));
    let r = third.read_response();
    assert_eq!(r.status, 503, "{r}");
    assert_eq!(r.header("retry-after"), Some("1"));
    // Another address is served meanwhile, and the greedy one once it lets go.
    let mut other = Conn::from_stream(connect_from([127, 0, 0, 3], sim.addr()));
    other.send(&build_request("GET", "/hello", &[], b""));
    assert_eq!(other.read_response().status, 200);
    drop(greedy);
    thread::sleep(Duration::from_millis(300));
    let mut again = Conn::from_stream(connect_from([127, 0, 0, 2], sim.addr()));
    again.send(&build_request("GET", "/hello", &[], b""));
    assert_eq!(again.read_response().status, 200);
}

#[test]
fn host_must_be_host_and_port() {
    let Some(sim) = hostile_sim("host_must_be_host_and_port", "") else {
        return;
    };
    for host in ["evil.example/pwn?", "a b", "x:99999", "u@h", "h#f"] {
        let mut c = sim.conn();
        c.send(format!("GET /echo/x HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        let r = c.read_response();
        assert_eq!(r.status, 400, "Host: {host}: {r}");
        assert_alive(&sim);
    }
    // A good one is what the handler's URL is built from.
    let mut c = sim.conn();
    c.send(b"GET /url/x?q=1 HTTP/1.1\r\nHost: a.example:8080\r\n\r\n");
    let r = c.read_response();
    assert_eq!(r.text(), "http://a.example:8080/url/x?q=1", "{r}");
}

#[test]
fn a_static_route_over_the_devices_own_data_is_refused() {
    if support::skip_on_board(
        "a_static_route_over_the_devices_own_data_is_refused",
        "the simulator's start-up is what is tested",
    ) {
        return;
    }
    for dir in ["/", "/.isere", "/kv/users"] {
        let cfg = support::TempDir::new("static");
        let json = config(
            "",
            FUNCTIONS,
            &format!(r#"{{"prefix":"/files","static":"{dir}"}}"#),
        );
        let path = cfg.write("config.json", &json);
        let (status, _, stderr) = run_to_exit(
            [std::ffi::OsStr::new("--config"), path.as_os_str()],
            Duration::from_secs(30),
        );
        assert!(!status.success(), "{dir}: started");
        assert!(
            stderr.contains("would serve the device's own data"),
            "{dir}: {stderr}"
        );
    }
}

#[test]
fn a_lambda_status_that_is_not_final_is_a_502() {
    let functions = format!(
        r#"{FUNCTIONS},{{"name":"s","path":{}}}"#,
        function_path_json("lambda-status.js")
    );
    let Some(sim) = Sim::with_config(
        "a_lambda_status_that_is_not_final_is_a_502",
        &config(
            "",
            &functions,
            &format!(r#"{ROUTES},{{"prefix":"/status","function":"s"}}"#),
        ),
    ) else {
        return;
    };
    let mut c = sim.conn();
    for code in [100, 101, 199, 600] {
        let r = c.get(&format!("/status?code={code}"));
        assert_eq!(r.status, 502, "statusCode {code}: {r}");
    }
    let r = c.get("/status?code=201");
    r.assert_status(201);
    assert_alive(&sim);
}
