//! The PostgreSQL client against a real server on loopback, over real TCP.
//!
//! Settings: ISERE_PG_HOST (127.0.0.1), ISERE_PG_PORT (5432); the database
//! `isere_test` and the roles of `scripts/test-servers.sh`, one per
//! authentication method.

mod dbsupport;

use dbsupport::{HOST_RANDOM, StdConnector, closed_port, env_or, require_server};
use isere::db::postgres::{AuthMethods, Client, Config, Error, Value, types::oid};
use isere::port::NetError;

fn config(user: &str, password: Option<&str>) -> Config {
    let host = env_or("ISERE_PG_HOST", "127.0.0.1");
    let port = env_or("ISERE_PG_PORT", "5432")
        .parse()
        .expect("ISERE_PG_PORT");
    require_server("PostgreSQL", &host, port);
    Config {
        host,
        port,
        user: user.to_string(),
        password: password.map(str::to_string),
        database: "isere_test".to_string(),
        // The cleartext role's method must be allowed explicitly.
        require_auth: match user {
            "isere_clear" => AuthMethods::parse("password").unwrap(),
            _ => AuthMethods::DEFAULT,
        },
        ..Config::default()
    }
}

fn client(user: &str, password: Option<&str>) -> Client<StdConnector> {
    Client::new(StdConnector, config(user, password), &HOST_RANDOM)
}

fn trust() -> Client<StdConnector> {
    client("isere_trust", None)
}

fn scalar(c: &mut Client<StdConnector>, sql: &str) -> Value {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows[0][0].clone()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

#[test]
fn every_auth_method_logs_in() {
    for (user, password) in [
        ("isere_trust", None),
        ("isere_clear", Some("clear-secret")),
        ("isere_md5", Some("md5-secret")),
        ("isere_scram", Some("scram-secret")),
    ] {
        let mut c = client(user, password);
        assert_eq!(
            scalar(&mut c, "select current_user::text"),
            text(user),
            "{user}"
        );
    }
}

#[test]
fn the_password_goes_in_clear_only_when_allowed() {
    let mut c = Client::new(
        StdConnector,
        Config {
            require_auth: AuthMethods::DEFAULT,
            ..config("isere_clear", Some("clear-secret"))
        },
        &HOST_RANDOM,
    );
    match c.query("select 1", &[]) {
        Err(Error::AuthNotAllowed(m)) => assert_eq!(m, "cleartext password"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_or_missing_password_is_refused() {
    for user in ["isere_clear", "isere_md5", "isere_scram"] {
        match client(user, Some("wrong")).query("select 1", &[]) {
            Err(Error::Db(e)) => {
                assert_eq!(
                    (e.severity.as_str(), e.code.as_str()),
                    ("FATAL", "28P01"),
                    "{user}: {e:?}"
                );
                assert!(
                    e.message.contains("password authentication failed"),
                    "{}",
                    e.message
                );
            }
            other => panic!("{user}: expected a FATAL 28P01, got {other:?}"),
        }
        assert_eq!(
            client(user, None).query("select 1", &[]),
            Err(Error::PasswordRequired)
        );
    }
}

#[test]
fn text_decoding_of_each_type() {
    let mut c = trust();
    let r = c
        .query(
            "select 1::int2, 2147483647::int4, 9007199254740993::int8, 1.5::float4, \
             'NaN'::float8, 12345678901234567890.5::numeric, true, 'héllo'::text, \
             'v'::varchar(3), 'pg'::name, '\\x00ff'::bytea, '{\"a\": [1, null]}'::json, \
             '{\"b\": 2}'::jsonb, '2024-02-29'::date, '2024-02-29 12:34:56.5'::timestamp, \
             '2024-02-29 14:04:56.5+01:30'::timestamptz, null::int4, \
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
            &[],
        )
        .unwrap();
    let ts = 1_709_210_096_500_000;
    let expected = vec![
        Value::Int(1),
        Value::Int(2_147_483_647),
        Value::Int(9_007_199_254_740_993),
        Value::Float(1.5),
        Value::Float(f64::NAN),
        Value::Numeric("12345678901234567890.5".into()),
        Value::Bool(true),
        text("héllo"),
        text("v"),
        text("pg"),
        Value::Bytes(vec![0, 255]),
        Value::Json("{\"a\": [1, null]}".into()),
        Value::Json("{\"b\": 2}".into()),
        Value::Timestamp(1_709_164_800_000_000),
        Value::Timestamp(ts),
        Value::Timestamp(ts),
        Value::Null,
        text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ];
    assert_eq!(r.rows.len(), 1);
    for (i, (got, want)) in r.rows[0].iter().zip(&expected).enumerate() {
        match (got, want) {
            (Value::Float(g), Value::Float(w)) if w.is_nan() => assert!(g.is_nan(), "column {i}"),
            _ => assert_eq!(got, want, "column {i}"),
        }
    }
    let types: Vec<u32> = r.fields.iter().map(|f| f.type_oid).collect();
    assert_eq!(&types[..4], &[oid::INT2, oid::INT4, oid::INT8, oid::FLOAT4]);
    assert_eq!(types[11], oid::JSON);
    assert_eq!(types[13], oid::DATE);
}

#[test]
fn parameters_nulls_and_row_counts() {
    let mut c = trust();
    let r = c
        .query(
            "create temp table people (id serial primary key, name text, age int)",
            &[],
        )
        .unwrap();
    assert_eq!(
        (r.command.as_str(), r.row_count, r.fields.len()),
        ("CREATE TABLE", None, 0)
    );
    let r = c
        .query(
            "insert into people (name, age) values ($1, $2), ($3, $4)",
            &[Some(b"ann"), Some(b"31"), Some(b"bob"), None],
        )
        .unwrap();
    assert_eq!((r.command.as_str(), r.row_count), ("INSERT 0 2", Some(2)));
    let r = c
        .query(
            "select name, age from people where name = any($1) order by id",
            &[Some(b"{ann,bob}")],
        )
        .unwrap();
    let names: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["name", "age"]);
    assert_eq!(
        r.rows,
        vec![
            vec![text("ann"), Value::Int(31)],
            vec![text("bob"), Value::Null]
        ]
    );
    assert_eq!(r.row_count, Some(2));
    let r = c
        .query(
            "update people set age = $1 where age is null",
            &[Some(b"40")],
        )
        .unwrap();
    assert_eq!(r.row_count, Some(1));
    let r = c.query("delete from people", &[]).unwrap();
    assert_eq!(r.row_count, Some(2));
    let r = c.query("select * from people", &[]).unwrap();
    assert_eq!((r.rows.len(), r.fields.len(), r.row_count), (0, 3, Some(0)));
    let r = c.query("", &[]).unwrap();
    assert_eq!((r.command.as_str(), r.rows.len()), ("", 0));
}

#[test]
fn injection_attempts_stay_data() {
    let mut c = trust();
    c.query("create temp table notes (body text)", &[]).unwrap();
    let evil = "x'); drop table notes; --";
    c.query("insert into notes values ($1)", &[Some(evil.as_bytes())])
        .unwrap();
    assert_eq!(scalar(&mut c, "select body from notes"), text(evil));
    // Two statements cannot ride in one extended-protocol query.
    match c.query("select 1; drop table notes", &[]) {
        Err(Error::Db(e)) => assert_eq!(e.code, "42601", "{e:?}"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert_eq!(scalar(&mut c, "select count(*) from notes"), Value::Int(1));
}

#[test]
fn database_errors_carry_sqlstate_and_keep_the_connection() {
    let mut c = trust();
    let pid = scalar(&mut c, "select pg_backend_pid()");
    match c.query("select * from no_such_table", &[]) {
        Err(Error::Db(e)) => {
            assert_eq!((e.severity.as_str(), e.code.as_str()), ("ERROR", "42P01"));
            assert_eq!(e.message, "relation \"no_such_table\" does not exist");
            assert_eq!(e.position, Some(15));
            let shown = Error::Db(e).to_string();
            assert_eq!(
                shown,
                "PostgreSQL ERROR 42P01: relation \"no_such_table\" does not exist"
            );
        }
        other => panic!("expected 42P01, got {other:?}"),
    }
    match c.query("select 1/0", &[]) {
        Err(Error::Db(e)) => assert_eq!(e.code, "22012"),
        other => panic!("expected a division by zero, got {other:?}"),
    }
    match c.query("select $1::int", &[Some(b"abc")]) {
        Err(Error::Db(e)) => assert_eq!(e.code, "22P02"),
        other => panic!("expected an invalid input, got {other:?}"),
    }
    // Same session afterwards: nothing was reconnected.
    assert_eq!(scalar(&mut c, "select pg_backend_pid()"), pid);
    // A NUL in the SQL is refused before sending, with the session intact.
    assert!(matches!(c.query("select 1\0", &[]), Err(Error::Encode(_))));
    assert_eq!(scalar(&mut c, "select pg_backend_pid()"), pid);
}

#[test]
fn a_killed_session_is_replaced_on_the_next_query() {
    let mut c = trust();
    let Value::Int(pid) = scalar(&mut c, "select pg_backend_pid()") else {
        panic!("pid is not an integer");
    };
    let mut admin = trust();
    let r = admin
        .query(
            "select pg_terminate_backend($1)",
            &[Some(pid.to_string().as_bytes())],
        )
        .unwrap();
    assert_eq!(r.rows[0][0], Value::Bool(true));
    // Let the server's goodbye arrive.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let Value::Int(new_pid) = scalar(&mut c, "select pg_backend_pid()") else {
        panic!("pid is not an integer");
    };
    assert_ne!(new_pid, pid);
}

#[test]
fn query_timeout_drops_the_connection_and_the_next_query_works() {
    let mut cfg = config("isere_trust", None);
    cfg.query_timeout_ms = 300;
    let mut c = Client::new(StdConnector, cfg, &HOST_RANDOM);
    let started = std::time::Instant::now();
    assert_eq!(
        c.query("select pg_sleep(3)", &[]),
        Err(Error::Net(NetError::TimedOut))
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!c.is_connected());
    assert_eq!(scalar(&mut c, "select 7"), Value::Int(7));
}

#[test]
fn server_down_is_a_clear_error() {
    let mut cfg = config("isere_trust", None);
    cfg.port = closed_port();
    let mut c = Client::new(StdConnector, cfg, &HOST_RANDOM);
    let e = c.query("select 1", &[]).unwrap_err();
    assert_eq!(e, Error::Net(NetError::Refused));
    assert_eq!(e.to_string(), "PostgreSQL: connection refused");
}

#[test]
fn size_limits() {
    let mut cfg = config("isere_trust", None);
    cfg.max_result_bytes = 10_000;
    let mut c = Client::new(StdConnector, cfg, &HOST_RANDOM);
    assert_eq!(
        c.query("select generate_series(1, 5000)", &[]),
        Err(Error::ResultTooLarge)
    );
    assert!(
        c.is_connected(),
        "the session stays in step after a result over the limit"
    );
    assert_eq!(scalar(&mut c, "select 8"), Value::Int(8));
    // One row larger than max_message_bytes (64 KiB by default).
    assert_eq!(
        c.query("select repeat('x', 100000)", &[]),
        Err(Error::MessageTooLarge)
    );
    assert!(!c.is_connected());
    assert_eq!(scalar(&mut c, "select 9"), Value::Int(9));
}

#[test]
fn wide_results_arrive_whole() {
    let mut cfg = config("isere_trust", None);
    cfg.max_result_bytes = 4 << 20;
    let mut c = Client::new(StdConnector, cfg, &HOST_RANDOM);
    let r = c
        .query(
            "select i, repeat('y', i % 300) from generate_series(1, 5000) i",
            &[],
        )
        .unwrap();
    assert_eq!(r.rows.len(), 5000);
    assert_eq!(
        r.rows[4999],
        vec![Value::Int(5000), text(&"y".repeat(5000 % 300))]
    );
}
