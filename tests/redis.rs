//! The Redis client against real servers on loopback, over real TCP.
//!
//! Settings: ISERE_REDIS_HOST (127.0.0.1), ISERE_REDIS_PORT (6379, no
//! password), ISERE_REDIS_AUTH_PORT (6380: `requirepass redis-secret` and the
//! ACL user `isere`/`isere-secret`), as `scripts/test-servers.sh` starts them.

mod dbsupport;

use dbsupport::{StdConnector, closed_port, env_or, require_server};
use isere::db::redis::{Client, Config, Error, Reply, SetOptions};
use isere::port::NetError;

fn config(port_var: &str, default_port: &str) -> Config {
    let host = env_or("ISERE_REDIS_HOST", "127.0.0.1");
    let port = env_or(port_var, default_port).parse().expect(port_var);
    require_server("Redis", &host, port);
    Config {
        host,
        port,
        ..Config::default()
    }
}

fn client() -> Client<StdConnector> {
    Client::new(StdConnector, config("ISERE_REDIS_PORT", "6379"))
}

/// A key of this test's own, so tests running in parallel do not meet.
fn key(test: &str, name: &str) -> Vec<u8> {
    format!("isere-test:{}:{test}:{name}", std::process::id()).into_bytes()
}

#[test]
fn get_set_del_incr() {
    let mut c = client();
    let k = key("basic", "k");
    c.del(&[&k]).unwrap();
    assert_eq!(c.get(&k).unwrap(), None);
    assert!(
        c.set(&k, b"v\r\n\x00binary", SetOptions::default())
            .unwrap()
    );
    assert_eq!(c.get(&k).unwrap().as_deref(), Some(&b"v\r\n\x00binary"[..]));
    let n = key("basic", "n");
    c.del(&[&n]).unwrap();
    assert_eq!(c.incr(&n).unwrap(), 1);
    assert_eq!(c.incr(&n).unwrap(), 2);
    assert_eq!(c.del(&[&k, &n, b"isere-test:missing"]).unwrap(), 2);
}

#[test]
fn set_with_ex_and_nx_and_expire() {
    let mut c = client();
    let k = key("ex", "k");
    c.del(&[&k]).unwrap();
    let nx = SetOptions {
        only_if_absent: true,
        ..SetOptions::default()
    };
    assert!(c.set(&k, b"first", nx).unwrap());
    assert!(
        !c.set(&k, b"second", nx).unwrap(),
        "NX on an existing key sets nothing"
    );
    assert_eq!(c.get(&k).unwrap().as_deref(), Some(&b"first"[..]));
    let ex = SetOptions {
        expire_seconds: Some(100),
        ..SetOptions::default()
    };
    assert!(c.set(&k, b"third", ex).unwrap());
    let Reply::Integer(ttl) = c.command(&[b"TTL", &k]).unwrap() else {
        panic!("TTL is not an integer");
    };
    assert!((1..=100).contains(&ttl), "{ttl}");
    assert!(c.expire(&k, 1000).unwrap());
    assert!(!c.expire(b"isere-test:missing", 10).unwrap());
    c.del(&[&k]).unwrap();
}

#[test]
fn hashes() {
    let mut c = client();
    let h = key("hash", "h");
    c.del(&[&h]).unwrap();
    assert_eq!(c.hgetall(&h).unwrap(), vec![]);
    assert_eq!(c.hset(&h, &[(b"a", b"1"), (b"b", b"2")]).unwrap(), 2);
    assert_eq!(c.hset(&h, &[(b"a", b"3")]).unwrap(), 0);
    assert_eq!(c.hget(&h, b"a").unwrap().as_deref(), Some(&b"3"[..]));
    assert_eq!(c.hget(&h, b"zz").unwrap(), None);
    let mut all = c.hgetall(&h).unwrap();
    all.sort();
    assert_eq!(
        all,
        vec![
            (b"a".to_vec(), b"3".to_vec()),
            (b"b".to_vec(), b"2".to_vec())
        ]
    );
    c.del(&[&h]).unwrap();
}

#[test]
fn errors_are_values_and_keep_the_connection() {
    let mut c = client();
    let h = key("err", "h");
    c.del(&[&h]).unwrap();
    c.hset(&h, &[(b"f", b"v")]).unwrap();
    let id = c.command(&[b"CLIENT", b"ID"]).unwrap();
    match c.command(&[b"INCR", &h]).unwrap() {
        Reply::Error(message) => assert!(message.starts_with("WRONGTYPE"), "{message}"),
        other => panic!("expected an error reply, got {other:?}"),
    }
    match c.incr(&h) {
        Err(Error::Server(message)) => assert!(message.starts_with("WRONGTYPE")),
        other => panic!("expected a server error, got {other:?}"),
    }
    match c.command(&[b"NOSUCHCOMMAND"]).unwrap() {
        Reply::Error(message) => assert!(message.starts_with("ERR unknown command"), "{message}"),
        other => panic!("expected an error reply, got {other:?}"),
    }
    assert_eq!(
        c.command(&[b"CLIENT", b"ID"]).unwrap(),
        id,
        "same connection after errors"
    );
    assert_eq!(
        c.command(&[b"ECHO", b"x"]).unwrap(),
        Reply::Bulk(b"x".to_vec())
    );
    c.del(&[&h]).unwrap();
}

#[test]
fn auth_with_password_and_with_acl_user() {
    let base = config("ISERE_REDIS_AUTH_PORT", "6380");
    let mut none = Client::new(StdConnector, base.clone());
    match none.command(&[b"PING"]).unwrap() {
        Reply::Error(message) => assert!(message.starts_with("NOAUTH"), "{message}"),
        other => panic!("expected NOAUTH, got {other:?}"),
    }
    let mut password = Client::new(
        StdConnector,
        Config {
            password: Some("redis-secret".into()),
            ..base.clone()
        },
    );
    assert_eq!(
        password.command(&[b"PING"]).unwrap(),
        Reply::Status("PONG".into())
    );
    let mut user = Client::new(
        StdConnector,
        Config {
            username: Some("isere".into()),
            password: Some("isere-secret".into()),
            ..base.clone()
        },
    );
    assert_eq!(
        user.command(&[b"ACL", b"WHOAMI"]).unwrap(),
        Reply::Bulk(b"isere".to_vec())
    );
    let mut wrong = Client::new(
        StdConnector,
        Config {
            password: Some("wrong".into()),
            ..base
        },
    );
    match wrong.command(&[b"PING"]) {
        Err(Error::Server(message)) => assert!(message.starts_with("WRONGPASS"), "{message}"),
        other => panic!("expected WRONGPASS, got {other:?}"),
    }
}

#[test]
fn database_index_is_selected() {
    let mut c = Client::new(
        StdConnector,
        Config {
            database: 3,
            ..config("ISERE_REDIS_PORT", "6379")
        },
    );
    let Reply::Bulk(info) = c.command(&[b"CLIENT", b"INFO"]).unwrap() else {
        panic!("CLIENT INFO is not a string");
    };
    assert!(
        String::from_utf8_lossy(&info).contains(" db=3 "),
        "{}",
        String::from_utf8_lossy(&info)
    );
}

#[test]
fn a_killed_connection_is_replaced() {
    let mut c = client();
    let Reply::Integer(id) = c.command(&[b"CLIENT", b"ID"]).unwrap() else {
        panic!("CLIENT ID is not an integer");
    };
    let mut admin = client();
    let killed = admin
        .command(&[b"CLIENT", b"KILL", b"ID", id.to_string().as_bytes()])
        .unwrap();
    assert_eq!(killed, Reply::Integer(1));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let Reply::Integer(new_id) = c.command(&[b"CLIENT", b"ID"]).unwrap() else {
        panic!("CLIENT ID is not an integer");
    };
    assert_ne!(new_id, id);
}

#[test]
fn timeout_drops_the_connection_and_the_next_command_works() {
    let mut c = Client::new(
        StdConnector,
        Config {
            command_timeout_ms: 300,
            ..config("ISERE_REDIS_PORT", "6379")
        },
    );
    let list = key("timeout", "list");
    let started = std::time::Instant::now();
    assert_eq!(
        c.command(&[b"BLPOP", &list, b"3"]),
        Err(Error::Net(NetError::TimedOut))
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(!c.is_connected());
    assert_eq!(c.command(&[b"PING"]).unwrap(), Reply::Status("PONG".into()));
}

#[test]
fn server_down_and_oversized_replies() {
    let mut down = Client::new(
        StdConnector,
        Config {
            port: closed_port(),
            ..config("ISERE_REDIS_PORT", "6379")
        },
    );
    let e = down.command(&[b"PING"]).unwrap_err();
    assert_eq!(e, Error::Net(NetError::Refused));
    assert_eq!(e.to_string(), "Redis: connection refused");

    let mut small = Client::new(
        StdConnector,
        Config {
            max_reply_bytes: 1000,
            ..config("ISERE_REDIS_PORT", "6379")
        },
    );
    let k = key("big", "k");
    assert!(small.set(&k, &[b'x'; 5000], SetOptions::default()).unwrap());
    assert_eq!(small.get(&k), Err(Error::ReplyTooLarge));
    assert!(!small.is_connected());
    assert_eq!(small.del(&[&k]).unwrap(), 1);
}
