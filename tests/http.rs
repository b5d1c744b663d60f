//! HTTP/1.1 integration tests: each test starts its own `isere-sim` on a free
//! port (`--port 0`) and talks to it over raw TCP.
//!
//! Run: `cargo test --test http`. With `ISERE_TEST_TARGET=HOST:PORT` the tests
//! that only need the default configuration run against that address (a board,
//! a QEMU port-forward) and the others print `SKIP` and pass. A board has a
//! small connection pool, so run those with `-- --test-threads=1`.

mod support;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use support::{
    Conn, HELLO_BODY, Json, Response, Sim, TempDir, assert_alive, build_request,
    function_path_json, run_to_exit,
};

/// The four built-in example functions.
const BUILTIN_FUNCTIONS: &str = r#"{"name":"hello","module":"hello"},{"name":"echo","module":"echo"},{"name":"timer","module":"timer"},{"name":"lambda","module":"lambda"}"#;
/// The default config's routes.
const BUILTIN_ROUTES: &str = r#"{"prefix":"/hello","function":"hello"},{"prefix":"/echo","function":"echo"},{"prefix":"/timer","function":"timer"},{"prefix":"/lambda","function":"lambda"}"#;

/// A config document from its three parts (inner JSON of each).
fn config(server: &str, functions: &str, routes: &str) -> String {
    format!(
        r#"{{"log_level":"info","server":{{{server}}},"functions":[{functions}],"routes":[{routes}]}}"#
    )
}

/// Small limits, so the over-limit requests stay a few KB (all of it is read
/// by the server in one go, so its close is a clean FIN).
const SMALL_LIMITS: &str = r#""max_connections":8,"max_request_line":256,"max_header_bytes":1024,"max_headers":8,"max_body_bytes":1024,"header_timeout_ms":10000,"keep_alive_timeout_ms":30000"#;

fn limits_sim(test: &str) -> Option<Sim> {
    Sim::with_config(
        test,
        &config(SMALL_LIMITS, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    )
}

/// Reads a response that must have `status`, `Connection: close`, and be
/// followed by the server closing the connection.
#[track_caller]
fn expect_status_then_close(conn: &mut Conn, status: u16) -> Response {
    let r = conn
        .try_read_response(false)
        .unwrap_or_else(|e| panic!("expected a {status} response: {e}"));
    r.assert_status(status).assert_well_formed();
    assert!(
        r.connection_has("close"),
        "{status} without `Connection: close`:\n{r}"
    );
    conn.assert_closed();
    r
}

/// Sends raw bytes on a fresh connection and expects `status` then a close.
#[track_caller]
fn raw_expect_close(sim: &Sim, raw: &[u8], status: u16) -> Response {
    let mut c = sim.conn();
    // The server may close before reading everything: a failed write is fine,
    // the response is what matters.
    let _ = c.try_send(raw);
    expect_status_then_close(&mut c, status)
}

#[track_caller]
fn assert_hello(r: &Response) {
    r.assert_status(200);
    assert_eq!(r.text(), HELLO_BODY);
}

fn str_of<'a>(j: &'a Json, key: &str) -> &'a str {
    j[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a string in {j:?}"))
}

// ---------------------------------------------------------------------------
// Example handlers (default config)
// ---------------------------------------------------------------------------

#[test]
fn hello_handler() {
    let sim = Sim::default_config();
    let r = sim.conn().get("/hello");
    assert_hello(&r);
    assert_eq!(r.reason, "OK");
    let ct = r.header("content-type").expect("no content-type");
    assert!(ct.starts_with("text/plain"), "content-type {ct:?}");
    assert_eq!(r.header("content-length"), Some("19"), "{r}");
}

#[test]
fn echo_handler_get_query_and_headers() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let r = c.request(
        "GET",
        "/echo/some/path?a=1&a=2&b=3",
        &[("X-Test-Header", "Value 1"), ("Accept", "*/*")],
        b"",
    );
    r.assert_status(200);
    let j = r.json();
    assert_eq!(str_of(&j, "method"), "GET");
    assert_eq!(str_of(&j, "path"), "/echo/some/path");
    assert_eq!(
        j["query"]["a"],
        Json::Arr(vec![Json::Str("1".into()), Json::Str("2".into())]),
        "repeated key must be an array: {j:?}"
    );
    assert_eq!(j["query"]["b"].as_str(), Some("3"));
    assert_eq!(
        j["headers"]["x-test-header"].as_str(),
        Some("Value 1"),
        "{j:?}"
    );
    assert_eq!(j["headers"]["accept"].as_str(), Some("*/*"));
    assert!(
        j["headers"]["X-Test-Header"].is_null(),
        "header names must be lowercased"
    );
    assert_eq!(j["body"].as_str().unwrap_or(""), "");
}

#[test]
fn echo_content_length_body() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let r = c.request(
        "POST",
        "/echo",
        &[("Content-Type", "text/plain")],
        "hello wörld".as_bytes(),
    );
    r.assert_status(200);
    let j = r.json();
    assert_eq!(str_of(&j, "method"), "POST");
    assert_eq!(str_of(&j, "body"), "hello wörld");
    // The connection is still usable.
    assert_hello(&c.get("/hello"));
}

#[test]
fn echo_large_body() {
    if support::skip_on_target("echo_large_body", "100 KB is over a board's body limit") {
        return;
    }
    let sim = Sim::default_config();
    let body: String = (0..100_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut c = sim.conn();
    let r = c.request("PUT", "/echo/big", &[], body.as_bytes());
    r.assert_status(200);
    let j = r.json();
    assert_eq!(str_of(&j, "method"), "PUT");
    assert_eq!(str_of(&j, "body").len(), body.len());
    assert!(str_of(&j, "body") == body, "large body not echoed intact");
}

#[test]
fn echo_chunked_body_split_writes_with_extensions() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let parts: [&[u8]; 6] = [
        b"POST /echo/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"5;name=value\r\nhel",
        b"lo\r\n",
        b"6;a;b=\"q\"\r\n world\r",
        b"\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n",
        b"0\r\n\r\n",
    ];
    for p in parts {
        c.send(p);
        // Not an assertion: makes the parts arrive as separate segments.
        thread::sleep(Duration::from_millis(30));
    }
    let r = c.read_response();
    r.assert_status(200).assert_well_formed();
    let j = r.json();
    assert_eq!(str_of(&j, "body"), "hello worldabcdefghijklmnopqrstuvwxyz");
    assert_eq!(str_of(&j, "path"), "/echo/chunked");
    assert_hello(&c.get("/hello"));
}

#[test]
fn echo_chunked_body_with_trailer() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    c.send(
        b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n\
          3\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n",
    );
    let r = c.read_response();
    r.assert_status(200).assert_well_formed();
    assert_eq!(str_of(&r.json(), "body"), "abc");
    // The trailer section was consumed: the next request parses.
    assert_hello(&c.get("/hello"));
}

#[test]
fn timer_handler() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let j = c.get("/timer?ms=120").assert_status(200).json();
    assert_eq!(j["waited"].as_f64(), Some(120.0), "{j:?}");
    assert!(j["elapsed"].as_f64().unwrap() >= 120.0, "{j:?}");
    let j = c.get("/timer").assert_status(200).json();
    assert_eq!(j["waited"].as_f64(), Some(50.0), "default wait: {j:?}");
    assert!(j["elapsed"].as_f64().unwrap() >= 50.0, "{j:?}");
}

#[test]
fn pending_timer_does_not_block_other_requests() {
    let sim = Sim::default_config();
    let mut slow = sim.conn();
    slow.send(&build_request("GET", "/timer?ms=6000", &[], b""));
    // Served while the timer is pending: a JS task blocked on the timer would
    // answer only after it, so the timer's response would already be there.
    assert_hello(&sim.conn().get("/hello"));
    assert!(
        slow.is_open_and_quiet(Duration::from_millis(1)),
        "the timer request was answered before a request sent after it"
    );
    let r = slow.read_response();
    r.assert_status(200).assert_well_formed();
    assert!(r.json()["elapsed"].as_f64().unwrap() >= 6000.0);
}

#[test]
fn concurrent_timers_run_concurrently() {
    let sim = Sim::default_config();
    let addr = sim.addr();
    let t0 = Instant::now();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(move || {
                let r = Conn::connect(addr).get("/timer?ms=2000");
                r.assert_status(200);
                r.json()["elapsed"].as_f64().unwrap()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() >= 2000.0);
    }
    // Serialised they would take 6 s.
    let total = t0.elapsed();
    assert!(
        total < Duration::from_secs(5),
        "3 × 2 s timers took {total:?}"
    );
}

#[test]
fn lambda_handler() {
    let sim = Sim::default_config();
    let r = sim.conn().get("/lambda/items?name=ada");
    r.assert_status(200);
    let j = r.json();
    assert!(j["message"].as_str().is_some(), "{j:?}");
    assert_eq!(str_of(&j, "method"), "GET");
    assert_eq!(str_of(&j, "path"), "/lambda/items");
    assert_eq!(j["query"]["name"].as_str(), Some("ada"), "{j:?}");
}

// ---------------------------------------------------------------------------
// Connection handling
// ---------------------------------------------------------------------------

#[test]
fn keep_alive_many_requests_one_connection() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    for i in 0..8 {
        let r = match i % 3 {
            0 => c.get("/hello"),
            1 => c.request(
                "POST",
                &format!("/echo/{i}"),
                &[],
                format!("body {i}").as_bytes(),
            ),
            _ => c.get(&format!("/lambda?i={i}")),
        };
        r.assert_status(200);
        assert!(
            !r.connection_has("close"),
            "request {i} closed the connection:\n{r}"
        );
        if i % 3 == 1 {
            assert_eq!(str_of(&r.json(), "body"), format!("body {i}"));
        }
    }
}

#[test]
fn pipelined_requests_answered_in_order() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let mut batch = build_request("GET", "/echo/one", &[], b"");
    batch.extend(build_request("POST", "/echo/two", &[], b"second"));
    batch.extend(build_request("GET", "/hello", &[], b""));
    c.send(&batch);
    let r1 = c.read_response();
    r1.assert_status(200).assert_well_formed();
    assert_eq!(str_of(&r1.json(), "path"), "/echo/one");
    let r2 = c.read_response();
    r2.assert_status(200).assert_well_formed();
    assert_eq!(str_of(&r2.json(), "path"), "/echo/two");
    assert_eq!(str_of(&r2.json(), "body"), "second");
    let r3 = c.read_response();
    r3.assert_well_formed();
    assert_hello(&r3);
}

#[test]
fn pipelined_with_head_and_close() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let mut batch = build_request("GET", "/echo/a", &[], b"");
    batch.extend(build_request("HEAD", "/hello", &[], b""));
    batch.extend(build_request(
        "GET",
        "/echo/b",
        &[("Connection", "close")],
        b"",
    ));
    c.send(&batch);
    assert_eq!(
        str_of(&c.read_response().assert_status(200).json(), "path"),
        "/echo/a"
    );
    let head = c.read_head_response();
    head.assert_status(200).assert_well_formed();
    let last = c.read_response();
    last.assert_status(200).assert_well_formed();
    assert_eq!(str_of(&last.json(), "path"), "/echo/b");
    assert!(last.connection_has("close"));
    c.assert_closed();
}

#[test]
fn connection_close_request() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let r = c.request("GET", "/hello", &[("Connection", "close")], b"");
    assert_hello(&r);
    assert!(r.connection_has("close"), "{r}");
    c.assert_closed();
}

#[test]
fn http10_without_keep_alive_closes() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    c.send(b"GET /hello HTTP/1.0\r\n\r\n");
    let r = c.read_response();
    r.assert_well_formed();
    assert_hello(&r);
    c.assert_closed();
}

#[test]
fn http10_with_keep_alive_is_kept() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    for _ in 0..2 {
        c.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let r = c.read_response();
        r.assert_well_formed();
        assert_hello(&r);
        assert!(
            r.connection_has("keep-alive"),
            "HTTP/1.0 keep-alive must be confirmed:\n{r}"
        );
    }
    c.send(b"GET /hello HTTP/1.0\r\n\r\n");
    assert_hello(&c.read_response());
    c.assert_closed();
}

#[test]
fn head_has_length_and_no_body() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let get = c.get("/hello");
    let head = c.request("HEAD", "/hello", &[], b"");
    head.assert_status(200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        get.header("content-length"),
        "HEAD must advertise GET's length:\n{head}"
    );
    assert_eq!(head.header("content-type"), get.header("content-type"));
    // No stray body bytes: the next response parses and nothing else is buffered.
    assert_hello(&c.get("/hello"));
    assert!(c.is_open_and_quiet(Duration::from_millis(200)));
}

#[test]
fn expect_100_continue() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    c.send(
        b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    let interim = c
        .try_read_response(false)
        .unwrap_or_else(|e| panic!("no 100 Continue: {e}"));
    assert_eq!(interim.status, 100, "{interim}");
    assert_eq!(interim.version, "HTTP/1.1");
    assert!(!interim.reason.is_empty());
    c.send(b"hello");
    let r = c.read_response();
    r.assert_status(200).assert_well_formed();
    assert_eq!(str_of(&r.json(), "body"), "hello");
}

#[test]
fn date_header_is_imf_fixdate() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    for path in ["/hello", "/echo", "/does-not-exist"] {
        let r = c.get(path);
        let date = r.header("date").expect("no Date");
        assert_eq!(date.len(), 29, "{date:?}");
        assert!(date.ends_with(" GMT"), "{date:?}");
        assert!(support::is_imf_fixdate(date), "{date:?}");
    }
}

#[test]
fn unknown_route_is_404() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let r = c.get("/no/such/route");
    r.assert_status(404);
    assert_eq!(r.reason, "Not Found");
    // Prefixes match at a path-segment boundary only.
    c.get("/hellox").assert_status(404);
    // A 404 keeps the connection.
    assert_hello(&c.get("/hello/"));
}

#[test]
fn fifty_concurrent_keep_alive_clients() {
    let server = r#""max_connections":64,"keep_alive_timeout_ms":30000,"header_timeout_ms":30000"#;
    let Some(sim) = Sim::with_config(
        "fifty_concurrent_keep_alive_clients",
        &config(server, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    ) else {
        return;
    };
    // A board has no accept queue (smoltcp): a burst of connections needs a
    // listening socket each, and the mps2-an385 firmware keeps 8. Beyond that
    // a SYN is reset, so on a board the test runs 8 clients at once.
    let n = if support::board_firmware().is_some() {
        8
    } else {
        50
    };
    let addr = sim.addr();
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                let mut c = Conn::connect(addr);
                barrier.wait();
                for k in 0..4 {
                    if k % 2 == 0 {
                        assert_hello(&c.get("/hello"));
                    } else {
                        let body = format!("client {i} request {k}");
                        let r = c.request("POST", &format!("/echo/{i}"), &[], body.as_bytes());
                        r.assert_status(200);
                        let j = r.json();
                        assert_eq!(str_of(&j, "body"), body);
                        assert_eq!(str_of(&j, "path"), format!("/echo/{i}"));
                    }
                }
            })
        })
        .collect();
    let failures = handles.into_iter().filter_map(|h| h.join().err()).count();
    assert_eq!(failures, 0, "{failures} of {n} clients failed");
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

#[test]
fn method_not_allowed_405_with_allow() {
    let routes = r#"{"prefix":"/hello","function":"hello","methods":["GET","HEAD"]},{"prefix":"/echo","function":"echo"}"#;
    let Some(sim) = Sim::with_config(
        "method_not_allowed_405_with_allow",
        &config("", BUILTIN_FUNCTIONS, routes),
    ) else {
        return;
    };
    let mut c = sim.conn();
    let r = c.request("POST", "/hello", &[], b"");
    r.assert_status(405);
    assert_eq!(r.reason, "Method Not Allowed");
    let allow: Vec<String> = r
        .header("allow")
        .unwrap_or_else(|| panic!("405 without Allow:\n{r}"))
        .split(',')
        .map(|m| m.trim().to_string())
        .collect();
    assert!(
        allow.iter().any(|m| m == "GET") && allow.iter().any(|m| m == "HEAD"),
        "{allow:?}"
    );
    assert!(!allow.iter().any(|m| m == "POST"), "{allow:?}");
    // Allowed methods still work, on the same connection.
    assert_hello(&c.get("/hello"));
    c.request("HEAD", "/hello", &[], b"").assert_status(200);
    c.request("DELETE", "/echo", &[], b"").assert_status(200);
}

#[test]
fn routing_longest_prefix_at_segment_boundary() {
    let routes = r#"{"prefix":"/echo","function":"echo"},{"prefix":"/echo/hello","function":"hello"},{"prefix":"/hello","function":"hello"}"#;
    let Some(sim) = Sim::with_config(
        "routing_longest_prefix_at_segment_boundary",
        &config("", BUILTIN_FUNCTIONS, routes),
    ) else {
        return;
    };
    let mut c = sim.conn();
    assert_hello(&c.get("/echo/hello"));
    assert_hello(&c.get("/echo/hello/deeper?x=1"));
    assert_eq!(
        str_of(&c.get("/echo/hellox").assert_status(200).json(), "path"),
        "/echo/hellox"
    );
    assert_eq!(
        str_of(&c.get("/echo").assert_status(200).json(), "path"),
        "/echo"
    );
    assert_eq!(
        str_of(&c.get("/echo?q=1").assert_status(200).json(), "path"),
        "/echo"
    );
    c.get("/hellox").assert_status(404);
    c.get("/").assert_status(404);
    c.get("/ech").assert_status(404);
}

// ---------------------------------------------------------------------------
// Malformed and unsupported requests (default config)
// ---------------------------------------------------------------------------

#[test]
fn malformed_requests_are_400_and_closed() {
    let sim = Sim::default_config();
    let cases: [&[u8]; 5] = [
        b"GET /hello HTTP/1.1\r\nHost localhost\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nHost : localhost\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"\x00\x01\x02 garbage\r\n\r\n",
    ];
    for raw in cases {
        let mut c = sim.conn();
        let _ = c.try_send(raw);
        let r = c
            .try_read_response(false)
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(raw)));
        assert_eq!(
            r.status,
            400,
            "for {:?}:\n{r}",
            String::from_utf8_lossy(raw)
        );
        r.assert_well_formed();
        assert!(r.connection_has("close"), "{r}");
        c.assert_closed();
    }
    assert_alive(&sim);
}

#[test]
fn http2_is_505() {
    let sim = Sim::default_config();
    let r = raw_expect_close(&sim, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
    assert_eq!(r.reason, "HTTP Version Not Supported");
    raw_expect_close(&sim, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    assert_alive(&sim);
}

#[test]
fn unsupported_transfer_encoding_is_501() {
    let sim = Sim::default_config();
    raw_expect_close(
        &sim,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
    );
    raw_expect_close(
        &sim,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
    );
    assert_alive(&sim);
}

// ---------------------------------------------------------------------------
// Limits (small-limits config)
// ---------------------------------------------------------------------------

#[test]
fn request_line_too_long_is_414() {
    let Some(sim) = limits_sim("request_line_too_long_is_414") else {
        return;
    };
    // Within the limit works.
    assert_eq!(
        str_of(
            &sim.conn().get(&format!("/echo/{}", "a".repeat(150))).json(),
            "path"
        )
        .len(),
        156
    );
    let raw = format!("GET /echo/{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(400));
    let r = raw_expect_close(&sim, raw.as_bytes(), 414);
    assert_eq!(r.reason, "URI Too Long");
    assert_alive(&sim);
}

#[test]
fn header_section_too_large_is_431() {
    let Some(sim) = limits_sim("header_section_too_large_is_431") else {
        return;
    };
    let big = "v".repeat(700);
    let raw = format!("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: {big}\r\nX-B: {big}\r\n\r\n");
    let r = raw_expect_close(&sim, raw.as_bytes(), 431);
    assert_eq!(r.reason, "Request Header Fields Too Large");
    assert_alive(&sim);
}

#[test]
fn too_many_headers_is_431() {
    let Some(sim) = limits_sim("too_many_headers_is_431") else {
        return;
    };
    // Host + 7 = 8 fields = max_headers: accepted.
    let seven: Vec<(String, String)> = (0..7)
        .map(|i| (format!("X-H{i}"), "1".to_string()))
        .collect();
    let h: Vec<(&str, &str)> = seven
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    sim.conn()
        .request("GET", "/hello", &h, b"")
        .assert_status(200);
    // Host + 8 = 9 fields: rejected.
    let mut raw = String::from("GET /hello HTTP/1.1\r\nHost: x\r\n");
    for i in 0..8 {
        raw.push_str(&format!("X-H{i}: 1\r\n"));
    }
    raw.push_str("\r\n");
    raw_expect_close(&sim, raw.as_bytes(), 431);
    assert_alive(&sim);
}

#[test]
fn body_too_large_by_content_length_is_413() {
    let Some(sim) = limits_sim("body_too_large_by_content_length_is_413") else {
        return;
    };
    // Exactly max_body_bytes is fine.
    let ok = "b".repeat(1024);
    let r = sim.conn().request("POST", "/echo", &[], ok.as_bytes());
    assert_eq!(str_of(&r.assert_status(200).json(), "body"), ok);
    // One more is not; the server answers without waiting for the body.
    let r = raw_expect_close(
        &sim,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n",
        413,
    );
    // RFC 9110 renamed "Payload Too Large" to "Content Too Large".
    assert!(
        matches!(r.reason.as_str(), "Content Too Large" | "Payload Too Large"),
        "{r}"
    );
    raw_expect_close(
        &sim,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
        413,
    );
    assert_alive(&sim);
}

#[test]
fn body_too_large_by_chunked_data_is_413() {
    let Some(sim) = limits_sim("body_too_large_by_chunked_data_is_413") else {
        return;
    };
    // 1000 bytes in chunks: fine.
    let mut c = sim.conn();
    let a = "x".repeat(500);
    c.send(
        format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1f4\r\n{a}\r\n1f4\r\n{a}\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    let r = c.read_response();
    assert_eq!(str_of(&r.assert_status(200).json(), "body").len(), 1000);
    // 1100 bytes in chunks: 413.
    let (k, l) = ("y".repeat(1024), "z".repeat(76));
    let raw = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n{k}\r\n4c\r\n{l}\r\n0\r\n\r\n"
    );
    raw_expect_close(&sim, raw.as_bytes(), 413);
    // A single chunk whose declared size is over the limit.
    raw_expect_close(
        &sim,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\nabc",
        413,
    );
    assert_alive(&sim);
}

#[test]
fn chunk_size_overflow_is_rejected() {
    let sim = Sim::default_config();
    let mut c = sim.conn();
    let _ = c.try_send(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\nabc\r\n",
    );
    let r = c
        .try_read_response(false)
        .unwrap_or_else(|e| panic!("no response: {e}"));
    assert!(matches!(r.status, 400 | 413), "{r}");
    r.assert_well_formed();
    c.assert_closed();
    assert_alive(&sim);
}

#[test]
fn stalled_request_head_is_408() {
    let server = r#""header_timeout_ms":300,"keep_alive_timeout_ms":30000"#;
    let Some(sim) = Sim::with_config(
        "stalled_request_head_is_408",
        &config(server, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.set_read_timeout(Duration::from_secs(15));
    let t0 = Instant::now();
    c.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n");
    let r = expect_status_then_close(&mut c, 408);
    assert_eq!(r.reason, "Request Timeout");
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "408 after only {:?}",
        t0.elapsed()
    );
    assert_alive(&sim);
}

#[test]
fn trickled_request_head_is_408() {
    // The header timeout bounds the whole head, not the gap between bytes.
    let server = r#""header_timeout_ms":500,"keep_alive_timeout_ms":30000"#;
    let Some(sim) = Sim::with_config(
        "trickled_request_head_is_408",
        &config(server, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.send(b"GET /hello HTTP/1.1\r\n");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if c.try_send(b"X-Slow: 1\r\n").is_err() || !c.is_open_and_quiet(Duration::from_millis(100))
        {
            break;
        }
    }
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "server kept reading a trickled head for 20 s"
    );
    expect_status_then_close(&mut c, 408);
}

#[test]
fn idle_keep_alive_connection_closed_without_408() {
    let server = r#""header_timeout_ms":300,"keep_alive_timeout_ms":300"#;
    let Some(sim) = Sim::with_config(
        "idle_keep_alive_connection_closed_without_408",
        &config(server, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.set_read_timeout(Duration::from_secs(15));
    assert_hello(&c.get("/hello"));
    // No bytes sent: the server just closes, with no 408.
    c.assert_closed();
}

#[test]
fn connection_over_pool_gets_503() {
    // No cap per client: this is about the pool (all come from one host).
    let server = r#""max_connections":2,"max_connections_per_client":0,"header_timeout_ms":30000,"keep_alive_timeout_ms":30000"#;
    let Some(sim) = Sim::with_config(
        "connection_over_pool_gets_503",
        &config(server, BUILTIN_FUNCTIONS, BUILTIN_ROUTES),
    ) else {
        return;
    };
    // Slot 1: an idle kept-alive connection.
    let mut c1 = sim.conn();
    assert_hello(&c1.get("/hello"));
    // Slot 2: a connection in the middle of its request head.
    let mut c2 = sim.conn();
    c2.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n");
    // A third is served a 503 and closed (whether or not the server reads its
    // request first).
    let mut c3 = sim.conn();
    let _ = c3.try_send(&build_request("GET", "/hello", &[], b""));
    let r = expect_status_then_close(&mut c3, 503);
    assert_eq!(r.reason, "Service Unavailable");
    // The two held connections are unaffected.
    c2.send(b"\r\n");
    let r2 = c2.read_response();
    r2.assert_well_formed();
    assert_hello(&r2);
    assert_hello(&c1.get("/hello"));
    // Freeing a slot lets a new connection in (once the server saw the close).
    drop(c1);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = sim.conn().get("/hello");
        if r.status == 200 {
            assert_hello(&r);
            break;
        }
        assert_eq!(r.status, 503, "{r}");
        assert!(
            Instant::now() < deadline,
            "slot never freed after closing a connection"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Handler errors and the Response API (tests/functions/*.js)
// ---------------------------------------------------------------------------

fn throws_sim(test: &str) -> Option<Sim> {
    let functions = format!(
        r#"{{"name":"t","path":{}}}"#,
        function_path_json("throws.js")
    );
    Sim::with_config(
        test,
        &config("", &functions, r#"{"prefix":"/","function":"t"}"#),
    )
}

#[test]
fn throwing_handler_is_500_and_next_request_served() {
    let Some(sim) = throws_sim("throwing_handler_is_500_and_next_request_served") else {
        return;
    };
    let mut c = sim.conn();
    for path in ["/throw", "/reject", "/bad"] {
        let r = c.get(path);
        r.assert_status(500);
        assert_eq!(r.reason, "Internal Server Error");
        let ok = c.get("/ok");
        ok.assert_status(200);
        assert_eq!(ok.text(), "ok", "after {path}");
    }
    sim.expect_stderr("boom", Duration::from_secs(10));
    let r = sim.conn().get("/");
    r.assert_status(200);
    assert_eq!(r.text(), "ok");
}

#[test]
fn lambda_results_and_errors() {
    let functions = format!(
        r#"{{"name":"r","path":{}}}"#,
        function_path_json("rejects.js")
    );
    let Some(sim) = Sim::with_config(
        "lambda_results_and_errors",
        &config("", &functions, r#"{"prefix":"/","function":"r"}"#),
    ) else {
        return;
    };
    let mut c = sim.conn();
    let j = c.get("/event?k=v").assert_status(200).json();
    assert_eq!(str_of(&j, "path"), "/event", "{j:?}");
    assert_eq!(str_of(&j, "httpMethod"), "GET", "{j:?}");
    assert_eq!(j["queryStringParameters"]["k"].as_str(), Some("v"), "{j:?}");
    assert_eq!(str_of(&j, "functionName"), "r", "{j:?}");

    let r = c.get("/string");
    r.assert_status(200);
    assert_eq!(r.text(), "plain string");

    let r = c.get("/b64");
    r.assert_status(200);
    assert_eq!(r.body, vec![0u8, 1, 2, 255]);

    let r = c.get("/multi");
    r.assert_status(201);
    assert_eq!(r.headers_all("set-cookie"), vec!["a=1", "b=2"], "{r}");

    // A result with no statusCode is a bad gateway answer; a rejection is a 500.
    c.get("/bad").assert_status(502);
    c.get("/other").assert_status(500);
    sim.expect_stderr("lambda rejected", Duration::from_secs(10));
    assert_eq!(c.get("/string").assert_status(200).text(), "plain string");
}

fn status_sim(test: &str) -> Option<Sim> {
    let functions = format!(
        r#"{{"name":"s","path":{},"env":{{"GREETING":"hi","MODE":"test"}}}}"#,
        function_path_json("status.js")
    );
    Sim::with_config(
        test,
        &config("", &functions, r#"{"prefix":"/","function":"s"}"#),
    )
}

#[test]
fn response_status_headers_and_body() {
    let Some(sim) = status_sim("response_status_headers_and_body") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/?status=201&h=x-a:1&h=set-cookie:a=1&h=set-cookie:b=2&body=hi");
    r.assert_status(201);
    assert_eq!(r.reason, "Created");
    assert_eq!(r.header("x-a"), Some("1"));
    assert_eq!(r.headers_all("set-cookie"), vec!["a=1", "b=2"], "{r}");
    assert_eq!(r.text(), "hi");

    let r = c.get("/redirect");
    r.assert_status(307);
    assert_eq!(r.reason, "Temporary Redirect");
    assert_eq!(r.header("location"), Some("http://example.com/x"));

    let r = c.get("/json");
    r.assert_status(202);
    assert_eq!(r.reason, "Accepted");
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{r}"
    );
    assert_eq!(r.json(), Json::Obj(vec![("a".into(), Json::Num(1.0))]));

    let r = c.get("/bytes");
    r.assert_status(200);
    assert_eq!(r.body, vec![0u8, 1, 2, 255]);
}

#[test]
fn response_204_has_no_body() {
    let Some(sim) = status_sim("response_204_has_no_body") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/empty");
    r.assert_status(204);
    assert_eq!(r.reason, "No Content");
    assert!(r.body.is_empty());
    assert!(r.header("transfer-encoding").is_none(), "{r}");
    // No body bytes were sent: the next request on the connection works.
    let r = c.get("/json");
    r.assert_status(202);
    assert_eq!(r.json()["a"].as_f64(), Some(1.0));
}

#[test]
fn wait_until_runs_after_response() {
    let Some(sim) = status_sim("wait_until_runs_after_response") else {
        return;
    };
    let r = sim.conn().get("/waituntil");
    r.assert_status(200);
    assert_eq!(r.text(), "ok");
    sim.expect_stderr("waitUntil done", Duration::from_secs(15));
}

#[test]
fn timers_and_microtasks_in_handlers() {
    let Some(sim) = status_sim("timers_and_microtasks_in_handlers") else {
        return;
    };
    let mut c = sim.conn();
    let j = c.get("/interval").assert_status(200).json();
    assert_eq!(j["count"].as_f64(), Some(3.0), "{j:?}");
    let j = c.get("/microtask").assert_status(200).json();
    let order: Vec<&str> = j
        .as_array()
        .unwrap_or_else(|| panic!("expected an array: {j:?}"))
        .iter()
        .map(|v| v.as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        order,
        ["sync", "microtask1", "promise", "microtask2", "timeout"],
        "microtasks run in order, before timers"
    );
}

#[test]
fn function_env_is_passed() {
    let Some(sim) = status_sim("function_env_is_passed") else {
        return;
    };
    let j = sim.conn().get("/env").assert_status(200).json();
    assert_eq!(j["GREETING"].as_str(), Some("hi"), "{j:?}");
    assert_eq!(j["MODE"].as_str(), Some("test"), "{j:?}");
}

// ---------------------------------------------------------------------------
// Dev mode (FUNCTION.js)
// ---------------------------------------------------------------------------

#[test]
fn dev_mode_serves_function_at_every_path() {
    let js = r#"export default {
  async fetch(request, env, ctx) {
    return new Response("dev:" + request.method, { headers: { "content-type": "text/plain" } });
  },
};
"#;
    let Some(sim) = Sim::with_function("dev_mode_serves_function_at_every_path", "dev.js", js)
    else {
        return;
    };
    let mut c = sim.conn();
    for path in ["/", "/hello", "/a/b/c?x=1", "/anything.html"] {
        let r = c.get(path);
        r.assert_status(200);
        assert_eq!(r.text(), "dev:GET", "at {path}");
    }
    assert_eq!(
        c.request("POST", "/x", &[], b"data")
            .assert_status(200)
            .text(),
        "dev:POST"
    );
}

#[test]
fn sending_a_response_reads_its_body() {
    let js = r#"const cached = new Response("once");
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/used") return new Response(String(cached.bodyUsed));
    return cached;
  },
};
"#;
    let Some(sim) = Sim::with_function("sending_a_response_reads_its_body", "cached.js", js) else {
        return;
    };
    let mut c = sim.conn();
    assert_eq!(c.get("/").assert_status(200).text(), "once");
    assert_eq!(c.get("/used").assert_status(200).text(), "true");
    // Its body was read by the first send, as a second read would find it.
    c.get("/").assert_status(500);
    assert_eq!(
        c.get("/used").assert_status(200).text(),
        "true",
        "served after the 500"
    );
}

#[test]
fn dev_mode_syntax_error_exits_1_with_location() {
    if support::skip_on_target(
        "dev_mode_syntax_error_exits_1_with_location",
        "spawns the simulator",
    ) {
        return;
    }
    let dir = TempDir::new("syntax");
    let path = dir.write(
        "bad.js",
        "export default {\n  fetch(request) {\n    return new Response(\"x\";\n  },\n};\n",
    );
    let (status, stdout, stderr) = run_to_exit([path.as_os_str()], Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(1),
        "exit status {status}; stderr:\n{stderr}"
    );
    assert!(
        !stdout.contains("listening"),
        "listened despite the error: {stdout}"
    );
    assert!(stderr.contains("SyntaxError"), "stderr:\n{stderr}");
    // `…/bad.js:LINE:COL: SyntaxError: …` with LINE = 3.
    let at = stderr
        .find("bad.js:")
        .unwrap_or_else(|| panic!("no `bad.js:` in stderr:\n{stderr}"));
    let mut fields = stderr[at + "bad.js:".len()..].splitn(3, ':');
    let line: u32 = fields
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no line in:\n{stderr}"));
    let col: u32 = fields
        .next()
        .unwrap_or("")
        .parse()
        .unwrap_or_else(|_| panic!("no column in:\n{stderr}"));
    assert_eq!(line, 3, "stderr:\n{stderr}");
    assert!(col >= 1, "stderr:\n{stderr}");
}

// ---------------------------------------------------------------------------
// Shutdown
// ---------------------------------------------------------------------------

#[test]
fn sigterm_with_pending_timers_passes_leak_check() {
    if support::skip_on_board(
        "sigterm_with_pending_timers_passes_leak_check",
        "QEMU cannot signal the firmware; on a board, heap_does_not_grow_over_many_requests checks for leaks",
    ) {
        return;
    }
    let interval_js = r#"let ticks = 0;
export default {
  fetch(request) {
    setInterval(() => { ticks++; }, 10);
    setTimeout(() => { ticks++; }, 60000);
    return new Response("interval started");
  },
};
"#;
    let Some(sim) = Sim::with_config_dir("sigterm_with_pending_timers_passes_leak_check", |dir| {
        let p = dir.write("interval.js", interval_js);
        let functions = format!(
            r#"{BUILTIN_FUNCTIONS},{{"name":"interval","path":{}}}"#,
            support::json_string(p.to_str().unwrap())
        );
        let routes = format!(r#"{BUILTIN_ROUTES},{{"prefix":"/interval","function":"interval"}}"#);
        config("", &functions, &routes)
    }) else {
        return;
    };
    let mut c = sim.conn();
    assert_hello(&c.get("/hello"));
    c.request("POST", "/echo", &[], b"some body")
        .assert_status(200);
    c.get("/lambda?x=1").assert_status(200);
    assert_eq!(
        c.get("/interval").assert_status(200).text(),
        "interval started"
    );
    // A timer request left in flight on another connection.
    let mut pending = sim.conn();
    pending.send(&build_request("GET", "/timer?ms=5000", &[], b""));
    assert_hello(&sim.conn().get("/hello"));
    // Protocol wait, not an assertion: let the timer request reach the JS task.
    thread::sleep(Duration::from_millis(300));

    let (status, stderr) = sim.stop();
    assert!(
        status.success(),
        "exit {status} after SIGTERM; stderr:\n{stderr}"
    );
    assert!(stderr.contains("leak check passed"), "stderr:\n{stderr}");
    // The in-flight connection was answered or closed, not left hanging.
    pending.set_read_timeout(Duration::from_secs(10));
    let _ = pending.try_read_response(false);
}

#[test]
fn sigint_stops_gracefully() {
    if support::skip_on_board(
        "sigint_stops_gracefully",
        "QEMU cannot signal the firmware; on a board, heap_does_not_grow_over_many_requests checks for leaks",
    ) {
        return;
    }
    let sim = Sim::spawn(Vec::<String>::new(), None);
    assert_hello(&sim.conn().get("/hello"));
    let (status, stderr) = sim.stop_with("INT");
    assert!(
        status.success(),
        "exit {status} after SIGINT; stderr:\n{stderr}"
    );
    assert!(stderr.contains("leak check passed"), "stderr:\n{stderr}");
}

// ---------------------------------------------------------------------------
// The JS task's limits (tests/functions/limits.js)
// ---------------------------------------------------------------------------

fn limits_fn_sim(test: &str, server: &str) -> Option<Sim> {
    let functions = format!(
        r#"{{"name":"l","path":{}}}"#,
        function_path_json("limits.js")
    );
    Sim::with_config(
        test,
        &config(server, &functions, r#"{"prefix":"/","function":"l"}"#),
    )
}

#[test]
fn runaway_handler_is_interrupted_with_500_and_next_request_served() {
    let Some(sim) = limits_fn_sim(
        "runaway_handler_is_interrupted_with_500_and_next_request_served",
        r#""handler_timeout_ms":300"#,
    ) else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/spin");
    r.assert_status(500).assert_well_formed();
    sim.expect_stderr("interrupted", Duration::from_secs(10));
    let ok = c.get("/ok");
    ok.assert_status(200);
    assert_eq!(ok.text(), "ok");
}

#[test]
fn memory_hog_gets_500_and_next_request_served() {
    let Some(sim) = limits_fn_sim(
        "memory_hog_gets_500_and_next_request_served",
        r#""js_memory_bytes":16777216"#,
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.get("/hog").assert_status(500).assert_well_formed();
    // QuickJS may run out of memory again while building the error's
    // message, so only its class is certain.
    sim.expect_stderr("InternalError", Duration::from_secs(10));
    let ok = c.get("/ok");
    ok.assert_status(200);
    assert_eq!(ok.text(), "ok");
}

/// A URL whose Rust copies would not fit the engine's limit is an
/// out-of-memory error the function can catch, before the copies are made:
/// the heap's peak stays within the engine's limit (on a board, the copies
/// would be an allocation the heap cannot give).
#[test]
fn a_url_too_large_for_the_engine_is_out_of_memory_and_next_request_served() {
    const LIMIT: f64 = 16.0 * 1024.0 * 1024.0;
    let Some(sim) = limits_fn_sim(
        "a_url_too_large_for_the_engine_is_out_of_memory_and_next_request_served",
        &format!(r#""js_memory_bytes":{LIMIT}"#),
    ) else {
        return;
    };
    let peak = |sim: &Sim| {
        sim.conn().get("/_isere/stats").json()["heap"]["peak"]
            .as_f64()
            .unwrap()
    };
    let before = peak(&sim);
    let mut c = sim.conn();
    let r = c.get("/huge-url");
    r.assert_status(500);
    assert!(r.text().contains("out of memory"), "{}", r.text());
    let rise = peak(&sim) - before;
    assert!(rise < LIMIT, "the heap's peak rose by {rise} B");
    let ok = c.get("/ok");
    ok.assert_status(200);
    assert_eq!(ok.text(), "ok");
}

#[test]
fn hung_handler_is_504_and_closed() {
    let Some(sim) = limits_fn_sim(
        "hung_handler_is_504_and_closed",
        r#""handler_timeout_ms":300"#,
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.send(&build_request("GET", "/hang", &[], b""));
    expect_status_then_close(&mut c, 504);
    let ok = sim.conn().get("/ok");
    ok.assert_status(200);
    assert_eq!(ok.text(), "ok");
}

// ---------------------------------------------------------------------------
// The device's own endpoints, and leaks
// ---------------------------------------------------------------------------

fn heap_used(sim: &Sim) -> f64 {
    let r = sim.conn().get("/_isere/stats");
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let j = r.json();
    let heap = &j["heap"];
    let (used, free, total) = (
        heap["used"].as_f64().unwrap(),
        heap["free"].as_f64().unwrap(),
        heap["total"].as_f64().unwrap(),
    );
    assert_eq!(used + free, total, "{j:?}");
    assert!(heap["peak"].as_f64().unwrap() >= used, "{j:?}");
    used
}

#[test]
fn stats_endpoint_reports_the_heap() {
    let sim = Sim::default_config();
    let used = heap_used(&sim);
    assert!(used > 0.0);
    let r = sim.conn().get("/_isere/nothing");
    r.assert_status(404);
    let r = sim.conn().request("POST", "/_isere/stats", &[], b"");
    r.assert_status(405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[test]
fn heap_does_not_grow_over_many_requests() {
    let functions = format!(
        r#"{BUILTIN_FUNCTIONS},{{"name":"t","path":{}}}"#,
        function_path_json("throws.js")
    );
    let routes = format!(
        r#"{BUILTIN_ROUTES},{{"prefix":"/throw","function":"t"}},{{"prefix":"/reject","function":"t"}}"#
    );
    let Some(sim) = Sim::with_config(
        "heap_does_not_grow_over_many_requests",
        &config("", &functions, &routes),
    ) else {
        return;
    };
    let round = |c: &mut Conn| {
        assert_hello(&c.get("/hello"));
        c.request("POST", "/echo/x?a=1", &[("x-h", "v")], b"body")
            .assert_status(200);
        c.get("/lambda?q=2").assert_status(200);
        c.get("/timer?ms=1").assert_status(200);
        c.get("/throw").assert_status(500);
        c.get("/reject").assert_status(500);
    };
    // Warm up: first-use allocations (atoms, shapes, sockets) are not leaks.
    let mut c = sim.conn();
    for _ in 0..20 {
        round(&mut c);
    }
    drop(c);
    let before = heap_used(&sim);
    let mut c = sim.conn();
    for _ in 0..300 {
        round(&mut c);
    }
    drop(c);
    // Protocol wait: let the closed connection's socket be reaped and the idle
    // JS task collect its cycles.
    thread::sleep(Duration::from_millis(300));
    let after = heap_used(&sim);
    // 1800 requests: a leak of 16 bytes each (29 KB) would show. The margin is
    // the garbage an idle JS task may leave uncollected (it collects cycles
    // once the engine grew by 16 KB) plus a connection task's read buffer.
    assert!(
        after - before < 28.0 * 1024.0,
        "heap grew by {} bytes over 1800 requests ({before} -> {after})",
        after - before
    );
}

// ---------------------------------------------------------------------------
// Bodies as streams (tests/functions/stream.js)
// ---------------------------------------------------------------------------

fn stream_sim(test: &str) -> Option<Sim> {
    let functions = format!(
        r#"{{"name":"s","path":{}}}"#,
        function_path_json("stream.js")
    );
    Sim::with_config(
        test,
        &config(
            r#""max_body_bytes":16777216"#,
            &functions,
            r#"{"prefix":"/","function":"s"}"#,
        ),
    )
}

/// The heap's peak so far, from `GET /_isere/stats`.
fn heap_peak(sim: &Sim) -> f64 {
    let j = sim.conn().get("/_isere/stats").assert_status(200).json();
    j["heap"]["peak"].as_f64().expect("heap.peak")
}

#[test]
fn a_large_upload_reaches_the_handler_in_pieces_never_whole() {
    let Some(sim) = stream_sim("a_large_upload_reaches_the_handler_in_pieces_never_whole") else {
        return;
    };
    let before = heap_peak(&sim);
    // 4 MiB: more than the QEMU board's whole heap.
    let body: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    let mut c = sim.conn();
    let j = c
        .request("POST", "/count", &[], &body)
        .assert_status(200)
        .json();
    assert_eq!(j["bytes"].as_f64(), Some(body.len() as f64), "{j:?}");
    assert!(j["pieces"].as_f64().unwrap() > 16.0, "{j:?}");
    let grew = heap_peak(&sim) - before;
    assert!(
        grew < 1024.0 * 1024.0,
        "the heap's peak grew by {grew} bytes for a 4 MiB upload"
    );
    // Chunked, and read whole by text(): the same body, the same count.
    let chunked = c.request(
        "POST",
        "/text",
        &[("transfer-encoding", "chunked")],
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    assert_eq!(chunked.assert_status(200).text(), "11");
    assert_hello_after(&sim);
}

/// A good request on a new connection is served.
fn assert_hello_after(sim: &Sim) {
    let r = sim.conn().get("/produce?n=1");
    r.assert_status(200);
    assert_eq!(r.text(), "chunk 0\n");
}

#[test]
fn a_stream_answer_is_sent_as_it_is_produced() {
    let Some(sim) = stream_sim("a_stream_answer_is_sent_as_it_is_produced") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/produce?n=5");
    r.assert_status(200);
    assert!(r.chunked, "{r}");
    assert_eq!(r.text(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
    // Large chunks are split into pieces the client takes one by one.
    let r = c.get("/produce?n=3&size=40000");
    assert_eq!(r.body.len(), 120_000);
    // HEAD: the head only, and the connection goes on.
    let r = c.request("HEAD", "/produce?n=1000000", &[], b"");
    r.assert_status(200);
    assert!(r.body.is_empty());
    // An HTTP/1.0 client gets the body raw, ended by the close.
    let mut old = sim.conn();
    old.send(b"GET /produce?n=2 HTTP/1.0\r\n\r\n");
    let raw = String::from_utf8(old.read_until_close()).unwrap();
    assert!(raw.ends_with("\r\n\r\nchunk 0\nchunk 1\n"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase().contains("transfer-encoding"),
        "{raw}"
    );
    // The request body streamed straight back.
    let body: Vec<u8> = (0..256u32 << 10).map(|i| (i % 253) as u8).collect();
    let r = c.request("POST", "/echo", &[], &body);
    r.assert_status(200);
    assert!(r.body == body, "the echo differs");
    assert_hello_after(&sim);
}

#[test]
fn a_failing_stream_cuts_the_answer_and_the_next_request_is_served() {
    let Some(sim) = stream_sim("a_failing_stream_cuts_the_answer_and_the_next_request_is_served")
    else {
        return;
    };
    let mut c = sim.conn();
    c.send(&build_request("GET", "/fail", &[], b""));
    let raw = String::from_utf8_lossy(&c.read_until_close()).into_owned();
    assert!(raw.contains("partial"), "{raw}");
    assert!(
        !raw.ends_with("0\r\n\r\n"),
        "the body was ended as if whole: {raw}"
    );
    sim.expect_stderr("the producer failed", Duration::from_secs(10));
    assert_hello_after(&sim);
}

#[test]
fn an_upload_the_handler_does_not_read_is_answered_then_closed() {
    let Some(sim) = stream_sim("an_upload_the_handler_does_not_read_is_answered_then_closed")
    else {
        return;
    };
    // 48 KB the handler never reads: the answer says close, and what the
    // client still sends is read and dropped first, so the client gets the
    // answer rather than a reset.
    let mut c = sim.conn();
    let body = vec![b'u'; 48 * 1024];
    let r = c.request("POST", "/produce?n=1", &[], &body);
    r.assert_status(200);
    assert_eq!(r.text(), "chunk 0\n");
    assert!(r.connection_has("close"), "{r}");
    c.assert_closed();
    assert_hello_after(&sim);
}
