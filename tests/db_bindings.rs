//! `env.DB` (PostgreSQL) and `env.CACHE` (Redis) bindings end to end: a
//! function on the simulator talks to the real servers of
//! `scripts/test-servers.sh` through the port's outgoing TCP, and a
//! database that is down rejects with a clear error while other routes
//! keep serving. With `ISERE_TEST_BOARD=mps2-an385` the same function runs
//! on the QEMU board, which reaches the servers at 10.0.2.2 (slirp's
//! gateway to the host's loopback) over smoltcp.
//!
//! Redeploys: each version of a function owns its binding clients, and
//! freeing a replaced version closes its connections and gives back its
//! memory, counted on the servers' side.

mod dbsupport;
mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use dbsupport::{StdConnector, closed_port, env_or, require_server};
use isere::config::Binding;
use isere::db::postgres::{self, Value as PgValue};
use isere::db::redis::{self, Reply};
use isere::ota::bundle;
use support::{Conn, Json, Sim, json_string};

const FUNCTION: &str = r#"
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    try {
      if (path === "/hello") return new Response("still here");
      if (path === "/pg") {
        const r = await env.DB.query(
          "select $1::int + 1 as n, $2::text as t, $3::text as z, '\\x0102'::bytea as b, " +
          "'{\"a\": [1, null]}'::jsonb as j, '2024-02-29 12:34:56.5+00'::timestamptz as ts, " +
          "9007199254740993::int8 as big, 2.5::float8 as f, 1.10::numeric as num, $4::bool as yes",
          [41, "it's", null, true]);
        const row = r.rows[0];
        return Response.json({
          rowCount: r.rowCount, command: r.command, fields: r.fields.map(f => [f.name, f.dataTypeID]),
          row: { ...row, b: Array.from(row.b), ts: row.ts.toISOString() },
        });
      }
      if (path === "/pg-error") return Response.json(await env.DB.query("select * from no_such_table"));
      if (path === "/pg-down") return Response.json(await env.DOWN.query("select 1"));
      if (path === "/pg-misuse") {
        const { query } = env.DB;
        return Response.json(await query("select 1"));
      }
      if (path === "/redis") {
        const key = "isere-binding-test:" + Math.random();
        const out = {};
        out.set = await env.CACHE.set(key, "v1", { ex: 60 });
        out.nx = await env.CACHE.set(key, "v2", { nx: true });
        out.get = await env.CACHE.get(key);
        out.missing = await env.CACHE.get(key + ":missing");
        out.incr = [await env.CACHE.incr(key + ":n"), await env.CACHE.incr(key + ":n")];
        out.expire = await env.CACHE.expire(key + ":n", 30);
        out.hset = await env.CACHE.hset(key + ":h", { a: "1", b: 2 });
        out.hget = await env.CACHE.hget(key + ":h", "b");
        out.hgetall = await env.CACHE.hgetall(key + ":h");
        out.whoami = await env.CACHE.command("ACL", "WHOAMI");
        try { await env.CACHE.incr(key + ":h"); } catch (e) { out.wrongtype = [e.code, e.message]; }
        out.del = await env.CACHE.del(key, key + ":n", key + ":h");
        return Response.json(out);
      }
    } catch (e) {
      return Response.json({ name: e.name, message: e.message, code: e.code ?? null }, { status: 503 });
    }
    return new Response("not found", { status: 404 });
  },
};
"#;

/// How the function reaches the host's loopback: directly on the simulator,
/// through QEMU's slirp gateway from the board.
fn host_seen_by_target() -> Option<&'static str> {
    support::board_firmware().map(|_| "10.0.2.2")
}

fn start(test: &str) -> Option<Sim> {
    let pg_host = env_or("ISERE_PG_HOST", "127.0.0.1");
    let pg_port = env_or("ISERE_PG_PORT", "5432");
    let redis_port = env_or("ISERE_REDIS_AUTH_PORT", "6380");
    require_server("PostgreSQL", &pg_host, pg_port.parse().unwrap());
    require_server(
        "Redis",
        &env_or("ISERE_REDIS_HOST", "127.0.0.1"),
        redis_port.parse().unwrap(),
    );
    let redis_host = env_or("ISERE_REDIS_HOST", "127.0.0.1");
    let down = closed_port();
    let (pg_host, redis_host, down_host) = match host_seen_by_target() {
        Some(gateway) => (gateway.to_string(), gateway.to_string(), gateway),
        None => (pg_host, redis_host, "127.0.0.1"),
    };
    Sim::with_config_dir(test, |dir| {
        let path = dir.write("db.js", FUNCTION);
        format!(
            r#"{{"functions":[{{"name":"db","path":{path},"bindings":{{
                "DB":{{"type":"postgres","url":"postgres://isere_scram:scram-secret@{pg_host}:{pg_port}/isere_test"}},
                "DOWN":{{"type":"postgres","url":"postgres://isere_trust@{down_host}:{down}/isere_test","timeout_ms":2000}},
                "CACHE":{{"type":"redis","url":"redis://isere:isere-secret@{redis_host}:{redis_port}"}}}}}}],
              "routes":[{{"prefix":"/","function":"db"}}]}}"#,
            path = json_string(path.to_str().unwrap()),
        )
    })
}

#[test]
fn postgres_binding_queries_with_parameters() {
    let Some(sim) = start("postgres_binding_queries_with_parameters") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/pg");
    r.assert_status(200);
    let body = r.text();
    for expected in [
        r#""rowCount":1"#,
        r#""command":"SELECT""#,
        r#"["n",23]"#,
        r#""n":42"#,
        r#""t":"it's""#,
        r#""z":null"#,
        r#""b":[1,2]"#,
        r#""j":{"a":[1,null]}"#,
        r#""ts":"2024-02-29T12:34:56.500Z""#,
        r#""big":"9007199254740993""#,
        r#""f":2.5"#,
        r#""num":"1.10""#,
        r#""yes":true"#,
    ] {
        assert!(body.contains(expected), "{expected} not in {body}");
    }
    // The connection is reused: the same query again works at once.
    c.get("/pg").assert_status(200);
}

#[test]
fn postgres_errors_reject_with_sqlstate_and_down_is_clear() {
    let Some(sim) = start("postgres_errors_reject_with_sqlstate_and_down_is_clear") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/pg-error");
    r.assert_status(503);
    assert!(r.text().contains(r#""code":"42P01""#), "{}", r.text());
    assert!(
        r.text()
            .contains(r#"relation \"no_such_table\" does not exist"#),
        "{}",
        r.text()
    );
    let r = c.get("/pg-down");
    r.assert_status(503);
    assert!(
        r.text().contains("PostgreSQL: connection refused"),
        "{}",
        r.text()
    );
    // Other routes keep serving, and the healthy binding still works.
    let r = c.get("/hello");
    r.assert_status(200);
    assert_eq!(r.text(), "still here");
    c.get("/pg").assert_status(200);
    let r = c.get("/pg-misuse");
    r.assert_status(503);
    assert!(r.text().contains(r#""name":"TypeError""#), "{}", r.text());
}

#[test]
fn redis_binding_commands() {
    let Some(sim) = start("redis_binding_commands") else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/redis");
    r.assert_status(200);
    let body = r.text();
    for expected in [
        r#""set":true"#,
        r#""nx":false"#,
        r#""get":"v1""#,
        r#""missing":null"#,
        r#""incr":[1,2]"#,
        r#""expire":true"#,
        r#""hset":2"#,
        r#""hget":"2""#,
        r#""hgetall":{"a":"1","b":"2"}"#,
        r#""whoami":"isere""#,
        r#""wrongtype":["WRONGTYPE","Redis: WRONGTYPE"#,
        r#""del":3"#,
    ] {
        assert!(body.contains(expected), "{expected} not in {body}");
    }
}

// ---------------------------------------------------------------------------
// Redeploys
// ---------------------------------------------------------------------------

/// Every version reads its number back through both servers.
const VERSIONED: &str = r#"
export default {
  async fetch(request, env) {
    const pg = await env.DB.query("select $1::int as v", [env.VERSION]);
    await env.CACHE.set(env.KEY, env.VERSION, { ex: 60 });
    return Response.json({ pg: pg.rows[0].v, redis: await env.CACHE.get(env.KEY) });
  },
};
"#;

/// Versions deployed one after the other.
const REDEPLOYS: u32 = 100;

/// What the heap may differ by between the first and the last version.
const HEAP_SLACK: f64 = 2048.0;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    bundle::hex(&mut s, bytes);
    s
}

/// Local ports of the TCP sockets process `pid` holds open to `remote_port`
/// (from /proc: its descriptors' socket inodes, matched in its network
/// namespace's socket tables). For the board, `pid` is QEMU, whose slirp
/// holds each of the board's outgoing connections as a host socket.
fn process_ports(pid: u32, remote_port: u16) -> HashSet<u16> {
    let mut inodes = HashSet::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    let port_of = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    let mut ports = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(inode)) = (f.get(1), f.get(2), f.get(9)) else {
                continue;
            };
            let ours = inode.parse::<u64>().is_ok_and(|i| inodes.contains(&i));
            if ours && port_of(remote) == Some(remote_port) {
                ports.extend(port_of(local));
            }
        }
    }
    ports
}

/// The client ports of the sessions Redis has open now (`CLIENT LIST`).
fn redis_session_ports(admin: &mut redis::Client<StdConnector>) -> HashSet<u16> {
    let list = match admin.command(&[b"CLIENT", b"LIST"]) {
        Ok(Reply::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("CLIENT LIST: {other:?}"),
    };
    list.lines()
        .filter_map(|line| {
            let addr = line.split(' ').find_map(|f| f.strip_prefix("addr="))?;
            addr.rsplit_once(':')?.1.parse().ok()
        })
        .collect()
}

/// The client ports of the sessions PostgreSQL has open now
/// (`pg_stat_activity`, this test's own session left out).
fn postgres_session_ports(admin: &mut postgres::Client<StdConnector>) -> HashSet<u16> {
    let r = admin
        .query(
            "select client_port from pg_stat_activity \
             where pid <> pg_backend_pid() and client_port is not null",
            &[],
        )
        .unwrap_or_else(|e| panic!("pg_stat_activity: {e}"));
    r.rows
        .into_iter()
        .filter_map(|row| match row.into_iter().next() {
            Some(PgValue::Int(p)) => u16::try_from(p).ok(),
            _ => None,
        })
        .collect()
}

/// The device's sessions with the servers, counted on both ends.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sessions {
    /// Sockets the device's process holds to Redis, and to PostgreSQL.
    device: (usize, usize),
    /// Of those, the ones Redis and PostgreSQL list as their clients.
    server: (usize, usize),
}

/// The servers, watched by clients of the test's own (which the counts
/// leave out: only the device's sockets count, whoever else is connected).
struct Servers {
    pid: u32,
    redis_port: u16,
    pg_port: u16,
    redis: redis::Client<StdConnector>,
    pg: postgres::Client<StdConnector>,
}

impl Servers {
    fn sessions(&mut self) -> Sessions {
        let device_redis = process_ports(self.pid, self.redis_port);
        let device_pg = process_ports(self.pid, self.pg_port);
        let server_redis = redis_session_ports(&mut self.redis);
        let server_pg = postgres_session_ports(&mut self.pg);
        Sessions {
            device: (device_redis.len(), device_pg.len()),
            server: (
                device_redis.intersection(&server_redis).count(),
                device_pg.intersection(&server_pg).count(),
            ),
        }
    }

    /// The sessions once they equal `want`, or what they are after 10 s
    /// (a server notices a closed connection a moment after it closes).
    fn settled(&mut self, want: &Sessions) -> Sessions {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.sessions();
            if now == *want || Instant::now() > deadline {
                return now;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The device's heap in use, in all and in the JS engine.
#[derive(Clone, Copy, Debug)]
struct Heap {
    used: f64,
    engine: f64,
}

impl Heap {
    /// What `GET /_isere/stats` on `c` says.
    fn of(c: &mut Conn) -> Heap {
        let r = c.get("/_isere/stats");
        r.assert_status(200);
        let j: Json = r.json();
        let number = |v: &Json| {
            v.as_f64()
                .unwrap_or_else(|| panic!("heap figures missing from {}", r.text()))
        };
        Heap {
            used: number(&j["heap"]["used"]),
            engine: number(&j["js_memory"]["used"]),
        }
    }

    /// Everything but the engine: tasks, sockets, buffers, binding clients,
    /// the contexts' Rust-side state.
    fn outside_engine(&self) -> f64 {
        self.used - self.engine
    }
}

/// Whether the engine the device runs keeps QuickJS-NG's small-block arena
/// allocator: the simulator's does, the boards' do not (see
/// .cargo/config.toml). Arenas are 4 KiB pages shared by objects of all
/// contexts, so after a context is freed the engine keeps the pages other
/// objects still use: its memory steps up over the first deploys and then
/// alternates between two levels, 16 KiB apart here, without growing.
fn engine_has_arenas() -> bool {
    support::board_firmware().is_none()
}

#[test]
fn redeploys_close_the_replaced_versions_connections_and_free_their_memory() {
    let test = "redeploys_close_the_replaced_versions_connections_and_free_their_memory";
    if support::skip_on_target(test, "counts the device's own sockets") {
        return;
    }
    let host = env_or("ISERE_PG_HOST", "127.0.0.1");
    let pg_port: u16 = env_or("ISERE_PG_PORT", "5432").parse().unwrap();
    let redis_host = env_or("ISERE_REDIS_HOST", "127.0.0.1");
    let redis_port: u16 = env_or("ISERE_REDIS_AUTH_PORT", "6380").parse().unwrap();
    require_server("PostgreSQL", &host, pg_port);
    require_server("Redis", &redis_host, redis_port);
    let (pg_seen, redis_seen) = match host_seen_by_target() {
        Some(gateway) => (gateway.to_string(), gateway.to_string()),
        None => (host.clone(), redis_host.clone()),
    };

    // The bundles, built once: one compiled module, a manifest per version.
    let signing = ed25519_dalek::SigningKey::from_bytes(&[0x5e; 32]);
    let admin = ed25519_dalek::SigningKey::from_bytes(&[0xad; 32]);
    let mut read = |path: &str| Ok((path == "versioned.js").then(|| VERSIONED.to_string()));
    let modules =
        isere::js::modules::compile_function("versioned.js", &mut read, 256 * 1024).unwrap();
    let (entry, bytecode) = &modules[0];
    let bindings = BTreeMap::from([
        (
            "DB".to_string(),
            Binding::Postgres {
                url: format!("postgres://isere_scram:scram-secret@{pg_seen}:{pg_port}/isere_test"),
                timeout_ms: 5_000,
            },
        ),
        (
            "CACHE".to_string(),
            Binding::Redis {
                url: format!("redis://isere:isere-secret@{redis_seen}:{redis_port}"),
                timeout_ms: 5_000,
            },
        ),
    ]);
    let redis_key = format!("isere-test:{}:redeploys", std::process::id());
    let bundles: Vec<Vec<u8>> = (1..=REDEPLOYS)
        .map(|v| {
            let env = BTreeMap::from([
                ("VERSION".to_string(), v.to_string()),
                ("KEY".to_string(), redis_key.clone()),
            ]);
            support::module_bundle(
                ("versioned", &v.to_string(), "/versioned"),
                (entry, bytecode),
                env,
                bindings.clone(),
                &signing,
            )
        })
        .collect();

    let Some(sim) = Sim::with_config(
        test,
        &format!(
            r#"{{"functions":[{{"name":"hi","module":"hello"}}],
                "routes":[{{"prefix":"/hi","function":"hi"}}],
                "admin":{{"admin_keys":["{}"],"trusted_keys":["{}"],"public_stats":true}}}}"#,
            hex(admin.verifying_key().as_bytes()),
            hex(signing.verifying_key().as_bytes()),
        ),
    ) else {
        return;
    };
    let mut servers = Servers {
        pid: sim.pid().expect("a spawned device"),
        redis_port,
        pg_port,
        redis: redis::Client::new(
            StdConnector,
            redis::Config {
                host: redis_host,
                port: redis_port,
                username: Some("isere".into()),
                password: Some("isere-secret".into()),
                ..redis::Config::default()
            },
        ),
        pg: postgres::Client::new(
            StdConnector,
            postgres::Config {
                host,
                port: pg_port,
                user: "isere_scram".into(),
                password: Some("scram-secret".into()),
                database: "isere_test".into(),
                ..postgres::Config::default()
            },
            &dbsupport::HOST_RANDOM,
        ),
    };
    let none = Sessions {
        device: (0, 0),
        server: (0, 0),
    };
    let one = Sessions {
        device: (1, 1),
        server: (1, 1),
    };
    assert_eq!(servers.sessions(), none, "before the first deploy");

    // One keep-alive connection for everything, so that the device holds
    // the same connection tasks and buffers at each measurement.
    let mut c = sim.conn();
    // Deploys version `v`, has it answer a request through both servers,
    // and returns the heap then.
    let deploy_and_use = |c: &mut Conn, v: u32| {
        let body = &bundles[v as usize - 1];
        let target = "/_isere/functions/versioned";
        let auth = support::sign_admin(c, &admin, "PUT", target, body);
        let r = c.request("PUT", target, &[("authorization", &auth)], body);
        assert_eq!(r.status, 200, "deploy {v}: {}", r.text());
        let r = c.get("/versioned");
        assert_eq!(r.status, 200, "version {v}: {}", r.text());
        let j = r.json();
        assert_eq!(j["pg"].as_f64(), Some(f64::from(v)), "{}", r.text());
        assert_eq!(
            j["redis"].as_str(),
            Some(v.to_string().as_str()),
            "{}",
            r.text()
        );
        Heap::of(c)
    };
    let mut heaps = vec![deploy_and_use(&mut c, 1)];
    let first_sessions = servers.settled(&one);
    assert_eq!(first_sessions, one, "the first version's connections");
    let mut last_sessions = first_sessions;
    for v in 2..=REDEPLOYS {
        heaps.push(deploy_and_use(&mut c, v));
        if v % 10 == 0 {
            last_sessions = servers.settled(&one);
            assert_eq!(
                last_sessions, one,
                "after {v} versions, only the active one's connections are open"
            );
        }
    }

    // What a replaced version's freeing gives back may take a moment (a
    // socket closing on the board): wait for the heap to come back.
    let first = heaps[0];
    let back = |h: &Heap| {
        (h.outside_engine() - first.outside_engine()).abs() <= HEAP_SLACK
            && (engine_has_arenas() || (h.used - first.used).abs() <= HEAP_SLACK)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = Heap::of(&mut c);
    while !back(&last) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        last = Heap::of(&mut c);
    }
    // The engine's highest level over ten versions, at the middle and at
    // the end of the run: flat once its allocator has settled.
    let engine_peak = |versions: std::ops::RangeInclusive<u32>| {
        versions
            .map(|v| heaps[v as usize - 1].engine)
            .fold(0.0, f64::max)
    };
    let (middle, end) = (
        engine_peak(REDEPLOYS / 2 - 9..=REDEPLOYS / 2),
        engine_peak(REDEPLOYS - 9..=REDEPLOYS),
    );
    eprintln!(
        "{REDEPLOYS} deploys: sessions (device, server; Redis, PostgreSQL) {first_sessions:?} \
         after the first, {last_sessions:?} after the last; heap after the first {first:?}, \
         after the last {last:?} ({:+} in all, {:+} outside the engine); the engine's peak \
         over versions {}-{} {middle}, over {}-{} {end}",
        last.used - first.used,
        last.outside_engine() - first.outside_engine(),
        REDEPLOYS / 2 - 9,
        REDEPLOYS / 2,
        REDEPLOYS - 9,
        REDEPLOYS,
    );
    assert!(
        (last.outside_engine() - first.outside_engine()).abs() <= HEAP_SLACK,
        "the heap outside the engine went from {first:?} to {last:?} over {REDEPLOYS} deploys"
    );
    if !engine_has_arenas() {
        assert!(
            (last.used - first.used).abs() <= HEAP_SLACK,
            "the heap went from {first:?} to {last:?} over {REDEPLOYS} deploys"
        );
    }
    assert!(
        end - middle <= HEAP_SLACK,
        "the engine grew from {middle} to {end} bytes over the last {} deploys",
        REDEPLOYS / 2
    );
}
