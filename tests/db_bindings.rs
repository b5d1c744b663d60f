//! `env.DB` (PostgreSQL) and `env.CACHE` (Redis) bindings end to end: a
//! function on the simulator talks to the real servers of
//! `scripts/test-servers.sh` through the port's outgoing TCP, and a
//! database that is down rejects with a clear error while other routes
//! keep serving. With `ISERE_TEST_BOARD=mps2-an385` the same function runs
//! on the QEMU board, which reaches the servers at 10.0.2.2 (slirp's
//! gateway to the host's loopback) over smoltcp.

mod dbsupport;
mod support;

use dbsupport::{closed_port, env_or, require_server};
use support::{Sim, json_string};

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
