//! `handlers/login.js` end to end over real HTTP: `POST /login` checks a
//! PBKDF2 password hash from a user store and answers an HS256 JWT;
//! `GET /me` checks it. The user store is KV (an image prepared with
//! `isere-sim --add-user`), a real PostgreSQL or a real Redis
//! (`scripts/test-servers.sh`). With `ISERE_TEST_BOARD=mps2-an385` the
//! same tests run on the QEMU board, which reaches the servers at 10.0.2.2;
//! with `ISERE_TEST_BOARD=rp2040` on the RP2040 image in rp2040js, which
//! gets the KV image in its flash partition and its configuration over the
//! air, and reaches the servers at the laptop's end of its USB network.
//!
//! Run: `cargo test --test login`.

mod dbsupport;
mod support;

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use dbsupport::{HOST_RANDOM, StdConnector, closed_port, env_or, require_server};
use support::{Conn, Response, Sim, TempDir, host_address, json_string, skip_on_target};

const SIM: &str = env!("CARGO_BIN_EXE_isere-sim");
const SECRET: &str = "test-jwt-secret";
/// Small, so that a login stays quick on the emulated board.
const ITERATIONS: &str = "1000";

/// `isere-sim` run as a tool (always the host binary); its stdout.
fn tool(args: &[&str]) -> String {
    let out = Command::new(SIM)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run isere-sim {args:?}: {e}"));
    assert!(
        out.status.success(),
        "isere-sim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hash(password: &str) -> String {
    let h = tool(&[
        "--hash-password",
        "--password",
        password,
        "--iterations",
        ITERATIONS,
    ]);
    let h = h.trim().to_string();
    assert!(
        h.starts_with(&format!("pbkdf2-sha256${ITERATIONS}$")),
        "{h}"
    );
    h
}

/// Where the function reaches the host's servers.
fn host() -> &'static str {
    host_address()
}

/// The login function with `bindings` (JSON object text), plus `/hello`.
fn config(function_env: &str, bindings: &str) -> String {
    format!(
        r#"{{"functions":[
            {{"name":"login","module":"login","env":{{"JWT_SECRET":"{SECRET}","PBKDF2_ITERATIONS":"{ITERATIONS}"{function_env}}},"bindings":{bindings}}},
            {{"name":"hello","module":"hello"}}],
          "routes":[{{"prefix":"/hello","function":"hello"}},{{"prefix":"/","function":"login"}}]}}"#
    )
}

fn post_login(c: &mut Conn, body: &str) -> Response {
    c.request(
        "POST",
        "/login",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

fn token_of(r: &Response) -> String {
    r.assert_status(200);
    let text = r.text();
    let token = text
        .strip_prefix(r#"{"token":""#)
        .and_then(|t| t.strip_suffix(r#""}"#))
        .unwrap_or_else(|| panic!("no token in {text}"));
    assert_eq!(token.split('.').count(), 3, "{token}");
    token.to_string()
}

fn me(c: &mut Conn, token: &str) -> Response {
    let auth = format!("Bearer {token}");
    c.request("GET", "/me", &[("Authorization", &auth)], b"")
}

/// The flow every store must give: a good login, `/me` with its token, and
/// the same 401 for a wrong password and an unknown user.
fn check_flow(sim: &Sim, user: &str, password: &str) {
    let mut c = sim.conn();
    c.set_read_timeout(Duration::from_secs(60));
    let login = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
    let token = match sim.rp2040() {
        Some(board) => {
            let (r, time) = board.chip_time(|| post_login(&mut c, &login));
            eprintln!("figure: RP2040 login ({ITERATIONS} iterations): {time:?}");
            token_of(&r)
        }
        None => token_of(&post_login(&mut c, &login)),
    };
    let r = me(&mut c, &token);
    r.assert_status(200);
    assert!(
        r.text().contains(&format!(r#""username":"{user}""#)),
        "{}",
        r.text()
    );
    let wrong = post_login(
        &mut c,
        &format!(r#"{{"username":"{user}","password":"nope"}}"#),
    );
    wrong.assert_status(401);
    let unknown = post_login(&mut c, r#"{"username":"nobody","password":"nope"}"#);
    unknown.assert_status(401);
    assert_eq!(wrong.text(), unknown.text(), "the same answer either way");
    let injection = post_login(
        &mut c,
        r#"{"username":"x' OR '1'='1","password":"' OR '1'='1"}"#,
    );
    injection.assert_status(401);
}

fn kv_sim(test: &str, dir: &TempDir, function_env: &str) -> Option<Sim> {
    if skip_on_target(test, "needs its own configuration and data image") {
        return None;
    }
    let image = dir.path().join("users.img");
    let image = image.to_str().unwrap();
    // The size of the RP2040's partition, so that the same image serves
    // there.
    tool(&[
        "--data",
        image,
        "--data-size",
        "512K",
        "--add-user",
        "ada",
        "--password",
        "lovelace",
        "--iterations",
        ITERATIONS,
    ]);
    let cfg = dir.write(
        "config.json",
        &config(function_env, r#"{"USERS":{"type":"kv"}}"#),
    );
    Some(Sim::spawn(
        vec![
            OsString::from("--config"),
            cfg.into_os_string(),
            OsString::from("--data"),
            OsString::from(image),
        ],
        None,
    ))
}

#[test]
fn login_with_users_in_kv() {
    let dir = TempDir::new("login-kv");
    let Some(sim) = kv_sim("login_with_users_in_kv", &dir, "") else {
        return;
    };
    check_flow(&sim, "ada", "lovelace");
}

#[test]
fn bad_requests_and_bad_tokens_are_refused() {
    let dir = TempDir::new("login-bad");
    let Some(sim) = kv_sim(
        "bad_requests_and_bad_tokens_are_refused",
        &dir,
        r#","TOKEN_TTL":"1""#,
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.set_read_timeout(Duration::from_secs(60));
    for (body, status) in [
        ("not json", 400),
        ("[1,2]", 400),
        (r#"{"username":"ada"}"#, 400),
        (r#"{"username":"ada","password":42}"#, 400),
        (r#"{"username":"","password":"x"}"#, 400),
    ] {
        let r = post_login(&mut c, body);
        r.assert_status(status);
        assert!(r.text().contains("\"error\""), "{body}: {}", r.text());
    }
    c.get("/login").assert_status(405);
    let r = c.get("/me");
    r.assert_status(401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer realm="isere""#)
    );
    let token = token_of(&post_login(
        &mut c,
        r#"{"username":"ada","password":"lovelace"}"#,
    ));
    me(&mut c, &token).assert_status(200);
    // A changed payload, a changed signature, another algorithm: refused.
    let parts: Vec<&str> = token.split('.').collect();
    let other_payload = format!(
        "{}.eyJzdWIiOiJldmUiLCJleHAiOjk5OTk5OTk5OTl9.{}",
        parts[0], parts[2]
    );
    me(&mut c, &other_payload).assert_status(401);
    let mut sig = parts[2].to_string();
    sig.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    me(&mut c, &format!("{}.{}.{sig}", parts[0], parts[1])).assert_status(401);
    let none_alg = format!("eyJhbGciOiJub25lIn0.{}.", parts[1]);
    me(&mut c, &none_alg).assert_status(401);
    me(&mut c, "garbage").assert_status(401);
    // TOKEN_TTL is 1 s here: the token expires.
    sim.let_time_pass(Duration::from_millis(2100));
    me(&mut c, &token).assert_status(401);
}

fn pg_url(user_password: &str) -> String {
    let port = env_or("ISERE_PG_PORT", "5432");
    format!("postgres://{user_password}@{}:{port}/isere_test", host())
}

/// Puts `ada` into the `users` table of the test database.
fn seed_postgres(password_hash: &str) {
    let host = env_or("ISERE_PG_HOST", "127.0.0.1");
    let port: u16 = env_or("ISERE_PG_PORT", "5432").parse().unwrap();
    require_server("PostgreSQL", &host, port);
    let config = isere::db::postgres::Config {
        host,
        port,
        user: "isere_trust".into(),
        password: None,
        database: "isere_test".into(),
        ..Default::default()
    };
    let mut client = isere::db::postgres::Client::new(StdConnector, config, &HOST_RANDOM);
    let run =
        |c: &mut isere::db::postgres::Client<StdConnector>, sql: &str, params: &[Option<&[u8]>]| {
            c.query(sql, params)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        };
    run(
        &mut client,
        "create table if not exists users (username text primary key, password_hash text not null)",
        &[],
    );
    run(&mut client, "grant select on users to isere_scram", &[]);
    run(
        &mut client,
        "insert into users values ($1, $2) on conflict (username) do update set password_hash = excluded.password_hash",
        &[Some(b"ada".as_slice()), Some(password_hash.as_bytes())],
    );
}

#[test]
fn login_with_users_in_postgres() {
    seed_postgres(&hash("lovelace"));
    let bindings = format!(
        r#"{{"DB":{{"type":"postgres","url":{}}}}}"#,
        json_string(&pg_url("isere_scram:scram-secret"))
    );
    let Some(sim) = Sim::with_config("login_with_users_in_postgres", &config("", &bindings)) else {
        return;
    };
    check_flow(&sim, "ada", "lovelace");
}

#[test]
fn login_with_users_in_redis() {
    let port = env_or("ISERE_REDIS_AUTH_PORT", "6380");
    require_server("Redis", "127.0.0.1", port.parse().unwrap());
    let config_seed =
        isere::db::redis::Config::from_url(&format!("redis://isere:isere-secret@127.0.0.1:{port}"))
            .expect("redis url");
    let mut client = isere::db::redis::Client::new(StdConnector, config_seed);
    let h = hash("lovelace");
    client
        .command(&[b"HSET", b"user:ada", b"password_hash", h.as_bytes()])
        .expect("HSET");
    let url = format!("redis://isere:isere-secret@{}:{port}", host());
    let bindings = format!(
        r#"{{"REDIS":{{"type":"redis","url":{}}}}}"#,
        json_string(&url)
    );
    let Some(sim) = Sim::with_config("login_with_users_in_redis", &config("", &bindings)) else {
        return;
    };
    check_flow(&sim, "ada", "lovelace");
}

#[test]
fn a_database_that_is_down_gives_503_and_other_routes_serve() {
    let url = format!(
        "postgres://isere_trust@{}:{}/isere_test",
        host(),
        closed_port()
    );
    let bindings = format!(
        r#"{{"DB":{{"type":"postgres","url":{},"timeout_ms":2000}}}}"#,
        json_string(&url)
    );
    let Some(sim) = Sim::with_config(
        "a_database_that_is_down_gives_503_and_other_routes_serve",
        &config("", &bindings),
    ) else {
        return;
    };
    let mut c = sim.conn();
    c.set_read_timeout(Duration::from_secs(30));
    let r = post_login(&mut c, r#"{"username":"ada","password":"lovelace"}"#);
    r.assert_status(503);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(r.text().contains("user store unavailable"), "{}", r.text());
    let r = c.get("/hello");
    r.assert_status(200);
}
