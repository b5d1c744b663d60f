//! The `env.KV` binding over real HTTP: the Workers KV methods, their
//! errors, persistence across restarts, and durability when the simulator is
//! killed in the middle of writes.
//!
//! Run: `cargo test --test kv`.

mod support;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{Conn, Response, Sim, TempDir, build_request, skip_on_board};

/// A function that runs a KV call named by the path and answers its result
/// as JSON (`{ok}` or `{error: "Name: message"}`).
const KV_FUNCTION: &str = r#"
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = Object.fromEntries(url.searchParams);
    const run = async () => {
      switch (url.pathname) {
        case "/put": {
          const options = q.options ? JSON.parse(q.options) : undefined;
          const value = q.bytes ? new Uint8Array(await request.arrayBuffer()) : await request.text();
          return await env.KV.put(q.key, value, options);
        }
        case "/get": return await env.KV.get(q.key, q.type ? { type: q.type } : undefined);
        case "/bytes": {
          const b = await env.KV.get(q.key, "arrayBuffer");
          return b === null ? null : Array.from(new Uint8Array(b));
        }
        case "/meta": return await env.KV.getWithMetadata(q.key, q.type);
        case "/delete": return await env.KV.delete(q.key);
        case "/list": return await env.KV.list(q.options ? JSON.parse(q.options) : undefined);
        default: return "no such call";
      }
    };
    try {
      const ok = await run();
      return Response.json({ ok: ok === undefined ? "undefined" : ok });
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` });
    }
  },
};
"#;

fn call(conn: &mut Conn, method: &str, path: &str, body: &[u8]) -> Response {
    conn.send(&build_request(method, path, &[("Host", "t")], body));
    let res = conn.read_response();
    assert_eq!(res.status, 200, "{path}: {}", res.text());
    res
}

/// The JSON text of the call's `ok`, or panics with its error.
fn ok(conn: &mut Conn, path: &str, body: &str) -> String {
    let res = call(conn, "POST", path, body.as_bytes());
    let text = res.text().to_string();
    assert!(text.starts_with("{\"ok\":"), "{path}: {text}");
    text["{\"ok\":".len()..text.len() - 1].to_string()
}

/// The error the call rejected with.
fn error(conn: &mut Conn, path: &str, body: &str) -> String {
    let res = call(conn, "POST", path, body.as_bytes());
    let text = res.text().to_string();
    assert!(
        text.starts_with("{\"error\":"),
        "{path} should fail: {text}"
    );
    text
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn kv_sim(test: &str) -> Option<Sim> {
    Sim::with_function(test, "kv.js", KV_FUNCTION)
}

#[test]
fn values_round_trip_as_text_json_and_bytes() {
    let Some(sim) = kv_sim("values_round_trip_as_text_json_and_bytes") else {
        return;
    };
    let mut c = sim.conn();
    assert_eq!(ok(&mut c, "/get?key=missing", ""), "null");
    assert_eq!(
        ok(&mut c, "/put?key=greeting", "h\u{e9}llo \u{1F600}"),
        "\"undefined\""
    );
    assert_eq!(
        ok(&mut c, "/get?key=greeting", ""),
        "\"h\u{e9}llo \u{1F600}\""
    );
    ok(&mut c, "/put?key=doc", r#"{"a":[1,2,{"b":null}]}"#);
    assert_eq!(
        ok(&mut c, "/get?key=doc&type=json", ""),
        r#"{"a":[1,2,{"b":null}]}"#
    );
    assert_eq!(
        ok(&mut c, "/get?key=doc&type=text", ""),
        r#""{\"a\":[1,2,{\"b\":null}]}""#
    );
    let res = call(&mut c, "POST", "/put?key=raw&bytes=1", &[0, 255, 7, 128]);
    assert!(res.text().contains("\"ok\""), "{}", res.text());
    assert_eq!(ok(&mut c, "/bytes?key=raw", ""), "[0,255,7,128]");
    ok(&mut c, "/put?key=greeting", "replaced");
    assert_eq!(ok(&mut c, "/get?key=greeting", ""), "\"replaced\"");
    ok(&mut c, "/delete?key=greeting", "");
    assert_eq!(ok(&mut c, "/get?key=greeting", ""), "null");
    ok(&mut c, "/delete?key=greeting", "");
    let key = "k\u{e9}y/with spaces & symbols?";
    ok(&mut c, &format!("/put?key={}", enc(key)), "v");
    assert_eq!(ok(&mut c, &format!("/get?key={}", enc(key)), ""), "\"v\"");
}

#[test]
fn metadata_and_expiration_come_back() {
    let Some(sim) = kv_sim("metadata_and_expiration_come_back") else {
        return;
    };
    let mut c = sim.conn();
    let options = enc(r#"{"metadata":{"owner":"ada","n":1},"expirationTtl":3600}"#);
    ok(&mut c, &format!("/put?key=m&options={options}"), "v");
    assert_eq!(
        ok(&mut c, "/meta?key=m", ""),
        r#"{"value":"v","metadata":{"owner":"ada","n":1},"cacheStatus":null}"#
    );
    assert_eq!(
        ok(&mut c, "/meta?key=none", ""),
        r#"{"value":null,"metadata":null,"cacheStatus":null}"#
    );
    let list = ok(&mut c, "/list", "");
    assert!(list.contains(r#""name":"m","expiration":"#), "{list}");
    assert!(
        list.contains(r#""metadata":{"owner":"ada","n":1}"#),
        "{list}"
    );
    // As on Workers, an expiration must be at least 60 s away.
    let past = enc(r#"{"expiration":1000000000}"#);
    let e = error(&mut c, &format!("/put?key=old&options={past}"), "v");
    assert!(e.contains("TypeError") && e.contains("60 seconds"), "{e}");
    assert_eq!(ok(&mut c, "/get?key=old", ""), "null");
}

#[test]
fn list_pages_through_keys_in_order_with_a_prefix() {
    let Some(sim) = kv_sim("list_pages_through_keys_in_order_with_a_prefix") else {
        return;
    };
    let mut c = sim.conn();
    for k in ["user:c", "user:a", "item:1", "user:b", "user:d"] {
        ok(&mut c, &format!("/put?key={}", enc(k)), k);
    }
    let page1 = ok(
        &mut c,
        &format!("/list?options={}", enc(r#"{"prefix":"user:","limit":3}"#)),
        "",
    );
    assert!(
        page1.starts_with(r#"{"keys":[{"name":"user:a"},{"name":"user:b"},{"name":"user:c"}],"list_complete":false,"cursor":""#),
        "{page1}"
    );
    let cursor = page1
        .split("\"cursor\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let options = format!(r#"{{"prefix":"user:","limit":3,"cursor":"{cursor}"}}"#);
    let page2 = ok(&mut c, &format!("/list?options={}", enc(&options)), "");
    assert_eq!(
        page2,
        r#"{"keys":[{"name":"user:d"}],"list_complete":true,"cacheStatus":null}"#
    );
    let all = ok(&mut c, "/list", "");
    assert!(
        all.contains(r#""name":"item:1""#) && all.contains(r#""list_complete":true"#),
        "{all}"
    );
}

#[test]
fn bad_arguments_reject_with_type_errors() {
    let Some(sim) = kv_sim("bad_arguments_reject_with_type_errors") else {
        return;
    };
    let mut c = sim.conn();
    let long = "k".repeat(513);
    for (path, needle) in [
        ("/put?key=".to_string(), "TypeError"),
        (format!("/put?key={long}"), "TypeError"),
        (
            format!("/put?key=a&options={}", enc(r#"{"expirationTtl":30}"#)),
            "TypeError",
        ),
        (
            format!("/put?key=a&options={}", enc(r#"{"expirationTtl":-1}"#)),
            "TypeError",
        ),
        ("/get?key=a&type=stream".to_string(), "TypeError"),
        ("/get?key=a&type=blob".to_string(), "TypeError"),
        (
            format!("/list?options={}", enc(r#"{"limit":0}"#)),
            "TypeError",
        ),
        (
            format!("/list?options={}", enc(r#"{"limit":1001}"#)),
            "TypeError",
        ),
    ] {
        let e = error(&mut c, &path, "v");
        assert!(e.contains(needle), "{path}: {e}");
    }
    // The store still works after the rejections.
    ok(&mut c, "/put?key=a", "fine");
    assert_eq!(ok(&mut c, "/get?key=a", ""), "\"fine\"");
}

/// A simulator serving [`KV_FUNCTION`] over the data image `image`.
fn sim_on(dir: &TempDir, image: &std::path::Path) -> Sim {
    let function = dir.path().join("kv.js");
    if !function.exists() {
        dir.write("kv.js", KV_FUNCTION);
    }
    Sim::spawn(
        vec![
            function.into_os_string(),
            OsString::from("--data"),
            image.as_os_str().to_owned(),
        ],
        None,
    )
}

#[test]
fn values_survive_a_restart() {
    if skip_on_board(
        "values_survive_a_restart",
        "restarts the simulator on its image",
    ) {
        return;
    }
    let dir = TempDir::new("kv-restart");
    let image = dir.path().join("data.img");
    let sim = sim_on(&dir, &image);
    ok(&mut sim.conn(), "/put?key=kept", "across restarts");
    sim.stop();
    let sim = sim_on(&dir, &image);
    assert_eq!(
        ok(&mut sim.conn(), "/get?key=kept", ""),
        "\"across restarts\""
    );
}

/// The value written under key `i`: several blocks long, so a torn write
/// would show.
fn value_for(i: u32) -> String {
    format!("value {i} ").repeat(700 + (i as usize % 5) * 300)
}

fn pseudo_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn no_acknowledged_write_is_lost_when_the_simulator_is_killed() {
    if skip_on_board(
        "no_acknowledged_write_is_lost_when_the_simulator_is_killed",
        "kills the simulator",
    ) {
        return;
    }
    const CYCLES: u32 = 30;
    let dir = TempDir::new("kv-kill");
    let image = dir.path().join("data.img");
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut acknowledged: BTreeMap<u32, String> = BTreeMap::new();
    let mut next = 0u32;
    let mut kills_mid_write = 0;
    for cycle in 0..CYCLES {
        let sim = sim_on(&dir, &image);
        let mut c = sim.conn();
        // Everything acknowledged before is there, whole.
        for (k, v) in &acknowledged {
            let got = ok(&mut c, &format!("/get?key=k{k}"), "");
            assert_eq!(
                got,
                format!("\"{v}\""),
                "cycle {cycle}: key k{k} lost or torn"
            );
        }
        let listed = ok(&mut c, "/list", "");
        assert!(
            listed.contains("\"list_complete\":true"),
            "cycle {cycle}: {listed}"
        );
        // Write until a kill lands at a random moment.
        let kill_at = Instant::now() + Duration::from_millis(50 + pseudo_random(&mut seed) % 450);
        let writer = std::thread::spawn({
            let addr = sim.addr();
            let start = next;
            move || {
                let mut acked = Vec::new();
                let mut conn = Conn::connect(addr);
                conn.set_read_timeout(Duration::from_secs(5));
                for i in start..start + 1000 {
                    let body = value_for(i);
                    let req = build_request(
                        "POST",
                        &format!("/put?key=k{i}"),
                        &[("Host", "t")],
                        body.as_bytes(),
                    );
                    if conn.try_send(&req).is_err() {
                        break;
                    }
                    match conn.try_read_response(false) {
                        Ok(r) if r.status == 200 && r.text().contains("\"ok\"") => acked.push(i),
                        _ => break,
                    }
                }
                acked
            }
        });
        std::thread::sleep(kill_at.saturating_duration_since(Instant::now()));
        let (status, _) = sim.stop_with("KILL");
        assert!(
            !status.success(),
            "cycle {cycle}: the simulator was not killed"
        );
        let acked = writer.join().unwrap();
        if acked.len() < 1000 {
            kills_mid_write += 1;
        }
        for i in acked {
            acknowledged.insert(i, value_for(i));
        }
        next += 1000;
    }
    let sim = sim_on(&dir, &image);
    let mut c = sim.conn();
    for (k, v) in &acknowledged {
        assert_eq!(
            ok(&mut c, &format!("/get?key=k{k}"), ""),
            format!("\"{v}\"")
        );
    }
    assert!(!acknowledged.is_empty(), "no write was acknowledged at all");
    assert!(
        kills_mid_write > CYCLES / 2,
        "only {kills_mid_write} kills landed mid-write"
    );
    eprintln!(
        "{CYCLES} kills ({kills_mid_write} mid-write), {} acknowledged writes, none lost",
        acknowledged.len()
    );
}
