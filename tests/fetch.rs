//! `fetch()` end to end: a function on the simulator fetches from a small
//! HTTP/1.1 server this test runs itself (std `TcpListener`, a thread per
//! connection) through the port's outgoing TCP. With
//! `ISERE_TEST_BOARD=mps2-an385` the same function runs on the QEMU board,
//! which reaches the test's server at 10.0.2.2 (slirp's gateway to the
//! host's loopback) over smoltcp.

mod dbsupport;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use dbsupport::closed_port;
use support::{Json, Sim, json_string};

const FUNCTION: &str = r#"
const report = (e) => ({ name: e.name, message: e.message, cause: e.cause?.message ?? null });
const cases = {
  async get(base) {
    const r = await fetch(base + "/echo?x=1", { headers: { "X-Test": "yes" } });
    return { status: r.status, statusText: r.statusText, ok: r.ok, url: r.url, redirected: r.redirected,
             type: r.type, ct: r.headers.get("content-type"), echo: await r.json() };
  },
  async post(base) {
    const a = await fetch(new Request(base + "/echo", { method: "POST", body: "hello body",
                                                        headers: { "content-type": "text/x-test" } }));
    const b = await fetch(new URL(base + "/echo"), { method: "PUT", body: new URLSearchParams({ k: "v w" }) });
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("streamed ")); c.enqueue(new TextEncoder().encode("bytes")); c.close(); } });
    const c = await fetch(base + "/echo", { method: "POST", body: stream });
    const d = await fetch(base + "/echo", { method: "POST", body: new Uint8Array([104, 105]) });
    return [await a.json(), await b.json(), await c.json(), await d.json()];
  },
  async redirects(base) {
    const out = {};
    for (const code of [301, 302, 303, 307, 308]) {
      const r = await fetch(base + "/redirect/" + code + "?to=/echo", { method: "POST", body: "payload",
                                                                        headers: { "content-type": "text/plain" } });
      const echo = await r.json();
      out[code] = [r.status, r.redirected, r.url.replace(base, ""), echo.method, echo.body, echo.headers["content-type"] ?? null];
    }
    const rel = await fetch(base + "/a/b/redirect/302?to=../echo");
    out.relative = [rel.status, rel.url.replace(base, "")];
    return out;
  },
  async loop(base) { await fetch(base + "/loop"); },
  async manual(base) {
    const r = await fetch(base + "/redirect/302?to=/echo", { redirect: "manual" });
    return { status: r.status, location: r.headers.get("location"), redirected: r.redirected, body: await r.text() };
  },
  async redirectError(base) { await fetch(base + "/redirect/301?to=/echo", { redirect: "error" }); },
  async timeout(base) {
    const t0 = Date.now();
    try { await fetch(base + "/slow", { signal: AbortSignal.timeout(300) }); } catch (e) { return { ...report(e), ms: Date.now() - t0 }; }
  },
  async abort(base) {
    const pre = await fetch(base + "/echo", { signal: AbortSignal.abort() }).catch(report);
    const c = new AbortController();
    setTimeout(() => c.abort(), 200);
    const t0 = Date.now();
    const mid = await fetch(base + "/slow", { signal: c.signal }).catch(report);
    const ms = Date.now() - t0;
    const reason = await fetch(base + "/echo", { signal: AbortSignal.abort("why") }).catch((e) => e);
    return { pre, mid, ms, reason };
  },
  async refused(base, u) { await fetch("http://" + u.searchParams.get("down") + "/"); },
  async https() { await fetch("https://example.com/"); },
  async scheme() { await fetch("ftp://example.com/"); },
  async chunked(base) {
    const r = await fetch(base + "/chunked");
    const reader = r.body.getReader();
    let text = "";
    for (;;) { const { done, value } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
    return { text, te: r.headers.get("transfer-encoding") };
  },
  async close(base) { return await (await fetch(base + "/close")).text(); },
  async head(base) { const r = await fetch(base + "/echo", { method: "HEAD" }); return [r.status, (await r.arrayBuffer()).byteLength]; },
  async huge(base) { await fetch(base + "/huge"); },
  async hugeClose(base) { await fetch(base + "/huge-close"); },
};
export default {
  async fetch(request) {
    const u = new URL(request.url);
    const base = u.searchParams.get("base");
    try {
      return Response.json({ value: (await cases[u.pathname.slice(1)](base, u)) ?? null });
    } catch (e) {
      return Response.json({ error: report(e) });
    }
  },
};
"#;

/// One request of the test server: method, target, header fields, body.
struct Incoming {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Incoming> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap_or(0));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Incoming {
        method,
        target,
        headers,
        body,
    })
}

fn respond(mut stream: &TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
}

fn serve(stream: TcpStream) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let mut s = &stream;
    match path {
        "/echo" => {
            let headers: Vec<String> = req
                .headers
                .iter()
                .map(|(n, v)| format!("{}:{}", json_string(n), json_string(v)))
                .collect();
            let body = format!(
                r#"{{"method":{},"target":{},"headers":{{{}}},"body":{}}}"#,
                json_string(&req.method),
                json_string(&req.target),
                headers.join(","),
                json_string(&String::from_utf8_lossy(&req.body)),
            );
            respond(
                &stream,
                "200 Fine Thanks",
                &[("content-type", "application/json".into())],
                body.as_bytes(),
            );
        }
        "/loop" => respond(&stream, "302 Found", &[("location", "/loop".into())], b""),
        "/slow" => {
            thread::sleep(Duration::from_secs(3));
            respond(&stream, "200 OK", &[], b"late");
        }
        "/chunked" => {
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
            let _ = s.flush();
            thread::sleep(Duration::from_millis(50));
            let _ = s.write_all(b"8;ext=1\r\n, chunks\r\n0\r\nx-trailer: 1\r\n\r\n");
        }
        "/close" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the ");
            thread::sleep(Duration::from_millis(50));
            let _ = s.write_all(b"server closes");
        }
        "/huge" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2000000\r\n\r\n");
            let _ = s.write_all(&vec![b'x'; 2_000_000]);
        }
        "/huge-close" => {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
            let _ = s.write_all(&vec![b'x'; 1_200_000]);
        }
        p if p.ends_with("/redirect/301")
            || p.ends_with("/redirect/302")
            || p.ends_with("/redirect/303")
            || p.ends_with("/redirect/307")
            || p.ends_with("/redirect/308") =>
        {
            let code = &p[p.len() - 3..];
            let to = query.strip_prefix("to=").unwrap_or("/");
            respond(
                &stream,
                &format!("{code} Redirect"),
                &[("location", to.to_string())],
                b"",
            );
        }
        _ => respond(&stream, "404 Not Found", &[], b"no such path"),
    }
}

/// Starts the test's HTTP server; returns its port.
fn start_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    port
}

/// How the function reaches the host's loopback: directly on the simulator,
/// through QEMU's slirp gateway from the board.
fn host_seen_by_target() -> &'static str {
    match support::board_firmware() {
        Some(_) => "10.0.2.2",
        None => "127.0.0.1",
    }
}

/// Runs `case` of the function against a fresh server; returns its JSON.
fn run(test: &str, case: &str) -> Option<Json> {
    let sim = Sim::with_function(test, "fetcher.js", FUNCTION)?;
    let port = start_server();
    let host = host_seen_by_target();
    let down = closed_port();
    let r = sim.conn().get(&format!(
        "/{case}?base=http://{host}:{port}&down={host}:{down}"
    ));
    r.assert_status(200);
    Some(r.json())
}

fn error_of(j: &Json) -> (String, String, Option<String>) {
    let e = &j["error"];
    (
        e["name"].as_str().unwrap_or("").to_string(),
        e["message"].as_str().unwrap_or("").to_string(),
        e["cause"].as_str().map(str::to_string),
    )
}

#[test]
fn get_with_headers_is_echoed() {
    let Some(j) = run("get_with_headers_is_echoed", "get") else {
        return;
    };
    let v = &j["value"];
    assert_eq!(v["status"].as_f64(), Some(200.0), "{j:?}");
    assert_eq!(v["statusText"].as_str(), Some("Fine Thanks"));
    assert_eq!(v["ok"], Json::Bool(true));
    assert_eq!(v["redirected"], Json::Bool(false));
    assert_eq!(v["type"].as_str(), Some("basic"));
    assert!(v["url"].as_str().unwrap().ends_with("/echo?x=1"));
    assert_eq!(v["ct"].as_str(), Some("application/json"));
    let echo = &v["echo"];
    assert_eq!(echo["method"].as_str(), Some("GET"));
    assert_eq!(echo["target"].as_str(), Some("/echo?x=1"));
    assert_eq!(echo["headers"]["x-test"].as_str(), Some("yes"));
    assert_eq!(echo["headers"]["connection"].as_str(), Some("close"));
    assert!(echo["headers"]["host"].as_str().unwrap().contains(':'));
}

#[test]
fn post_bodies_of_each_kind() {
    let Some(j) = run("post_bodies_of_each_kind", "post") else {
        return;
    };
    let v = &j["value"];
    assert_eq!(v[0]["method"].as_str(), Some("POST"), "{j:?}");
    assert_eq!(v[0]["body"].as_str(), Some("hello body"));
    assert_eq!(
        v[0]["headers"]["content-type"].as_str(),
        Some("text/x-test")
    );
    assert_eq!(v[0]["headers"]["content-length"].as_str(), Some("10"));
    assert_eq!(v[1]["method"].as_str(), Some("PUT"));
    assert_eq!(v[1]["body"].as_str(), Some("k=v+w"));
    assert_eq!(
        v[1]["headers"]["content-type"].as_str(),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    assert_eq!(v[2]["body"].as_str(), Some("streamed bytes"));
    assert_eq!(v[3]["body"].as_str(), Some("hi"));
}

#[test]
fn redirects_of_each_kind() {
    let Some(j) = run("redirects_of_each_kind", "redirects") else {
        return;
    };
    let v = &j["value"];
    let row = |code: &str| {
        let r = &v[code];
        (
            r[0].as_f64(),
            r[1].clone(),
            r[2].as_str().map(str::to_string),
            r[3].as_str().map(str::to_string),
            r[4].as_str().map(str::to_string),
            r[5].as_str().map(str::to_string),
        )
    };
    let get = (Some("GET".to_string()), Some(String::new()), None);
    let post = (
        Some("POST".to_string()),
        Some("payload".to_string()),
        Some("text/plain".to_string()),
    );
    for (code, (method, body, ct)) in [
        ("301", get.clone()),
        ("302", get.clone()),
        ("303", get),
        ("307", post.clone()),
        ("308", post),
    ] {
        assert_eq!(
            row(code),
            (
                Some(200.0),
                Json::Bool(true),
                Some("/echo".to_string()),
                method,
                body,
                ct
            ),
            "{code}: {j:?}"
        );
    }
    // `../echo` from /a/b/redirect/302: the server has no /a/b/echo.
    assert_eq!(v["relative"][1].as_str(), Some("/a/b/echo"), "{j:?}");
    assert_eq!(v["relative"][0].as_f64(), Some(404.0));
}

#[test]
fn redirect_loop_manual_and_error() {
    let Some(j) = run("redirect_loop", "loop") else {
        return;
    };
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(message.contains("too many redirects"), "{message}");

    let j = run("redirect_manual", "manual").unwrap();
    let v = &j["value"];
    assert_eq!(v["status"].as_f64(), Some(302.0), "{j:?}");
    assert_eq!(v["location"].as_str(), Some("/echo"));
    assert_eq!(v["redirected"], Json::Bool(false));

    let j = run("redirect_error", "redirectError").unwrap();
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(message.contains("redirect mode is \"error\""), "{message}");
}

#[test]
fn slow_server_times_out_with_abort_signal_timeout() {
    let Some(j) = run("slow_server_times_out", "timeout") else {
        return;
    };
    let v = &j["value"];
    assert_eq!(v["name"].as_str(), Some("TimeoutError"), "{j:?}");
    let ms = v["ms"].as_f64().unwrap();
    assert!((250.0..2500.0).contains(&ms), "took {ms} ms");
}

#[test]
fn abort_before_and_mid_flight() {
    let Some(j) = run("abort_before_and_mid_flight", "abort") else {
        return;
    };
    let v = &j["value"];
    assert_eq!(v["pre"]["name"].as_str(), Some("AbortError"), "{j:?}");
    assert_eq!(v["mid"]["name"].as_str(), Some("AbortError"), "{j:?}");
    let ms = v["mid"].clone();
    let ms_taken = v["ms"].as_f64().unwrap();
    assert!(ms_taken < 2500.0, "abort took {ms_taken} ms: {ms:?}");
    assert_eq!(v["reason"].as_str(), Some("why"));
}

#[test]
fn refused_connection_is_a_type_error() {
    let Some(j) = run("refused_connection", "refused") else {
        return;
    };
    let (name, message, cause) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(
        message.starts_with("fetch failed: connection refused"),
        "{message}"
    );
    assert!(cause.unwrap().contains("connection refused"));
}

#[test]
fn https_and_other_schemes_are_rejected() {
    let Some(j) = run("https_rejected", "https") else {
        return;
    };
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(message.contains("no TLS"), "{message}");
    let j = run("scheme_rejected", "scheme").unwrap();
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(
        message.contains("ftp: scheme is not supported"),
        "{message}"
    );
}

#[test]
fn chunked_close_delimited_and_head_bodies() {
    let Some(j) = run("chunked_body", "chunked") else {
        return;
    };
    assert_eq!(j["value"]["text"].as_str(), Some("hello, chunks"), "{j:?}");
    assert_eq!(j["value"]["te"].as_str(), Some("chunked"));
    let j = run("close_body", "close").unwrap();
    assert_eq!(
        j["value"].as_str(),
        Some("until the server closes"),
        "{j:?}"
    );
    let j = run("head_body", "head").unwrap();
    assert_eq!(j["value"][0].as_f64(), Some(200.0), "{j:?}");
    assert_eq!(j["value"][1].as_f64(), Some(0.0));
}

#[test]
fn huge_response_is_over_the_limit() {
    let Some(j) = run("huge_response", "huge") else {
        return;
    };
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    // 1 MiB, or less on a board with less free heap.
    assert!(message.contains("larger than the limit of"), "{message}");
    let j = run("huge_close_response", "hugeClose").unwrap();
    let (name, message, _) = error_of(&j);
    assert_eq!(name, "TypeError", "{j:?}");
    assert!(message.contains("larger than the limit of"), "{message}");
}
