//! `env.NAME` for a `redis` binding, over [`crate::db::redis`]; every method
//! returns a promise and runs its round trip on an I/O worker:
//!
//! | method | Redis | resolves to |
//! |---|---|---|
//! | `get(key)` | GET | string or `null` |
//! | `set(key, value, {ex, nx})` | `SET [EX s] [NX]` | `true`, or `false` when NX found the key |
//! | `del(...keys)` | DEL | number removed |
//! | `incr(key)` | INCR | the new number |
//! | `expire(key, seconds)` | EXPIRE | whether the key exists |
//! | `hget(key, field)` | HGET | string or `null` |
//! | `hset(key, field, value)` or `hset(key, {field: value})` | HSET | number of new fields |
//! | `hgetall(key)` | HGETALL | object of fields |
//! | `command(...args)` | any | the reply: string, number, `null`, array |
//!
//! Arguments are strings, numbers (as JS prints them) or bytes
//! (`Uint8Array`/`ArrayBuffer`); replies are decoded as UTF-8. A Redis error
//! reply rejects with an `Error` carrying the server's message and its
//! `code` (`WRONGTYPE`, `ERR`...); the connection stays open for the next call.

use alloc::string::String;
use alloc::vec::Vec;

use super::shared::{binding_object, client_of};
use crate::db::PortConnector;
use crate::db::redis::{self, Client, Reply};
use crate::js::context::ContextState;
use crate::js::engine::{Ctx, NativeFn, Thrown, Value};
use crate::js::io::{self, Finish};

type RedisClient = Client<PortConnector>;

/// The object behind `env.NAME` for a `redis` binding, with a client of the
/// context's own (see [`super::shared`]): it connects on its first command
/// and closes with the context.
pub fn binding<'c>(
    ctx: &'c Ctx,
    name: &str,
    url: &str,
    timeout_ms: u32,
) -> Result<Value<'c>, Thrown> {
    let Some(mut config) = redis::Config::from_url(url) else {
        return Err(ctx.throw_type_error(&alloc::format!(
            "binding '{name}': malformed Redis URL (expected redis://[user:password@]host:port[/db])"
        )));
    };
    config.connect_timeout_ms = timeout_ms;
    config.command_timeout_ms = timeout_ms;
    let net = ContextState::of(ctx)?.services().net;
    let client: RedisClient = Client::new(PortConnector::new(net), config);
    let methods: [(&core::ffi::CStr, u8, NativeFn); 9] = [
        (c"get", 1, get),
        (c"set", 3, set),
        (c"del", 1, del),
        (c"incr", 1, incr),
        (c"expire", 2, expire),
        (c"hget", 2, hget),
        (c"hset", 3, hset),
        (c"hgetall", 1, hgetall),
        (c"command", 1, command),
    ];
    binding_object(ctx, name, client, &methods)
}

/// One argument as bytes: a string, a number or bytes.
fn arg_bytes(ctx: &Ctx, v: Option<&Value<'_>>, method: &str) -> Result<Vec<u8>, Thrown> {
    let Some(v) = v else {
        return Err(ctx.throw_type_error(&alloc::format!("{method}: missing argument")));
    };
    if let Some(bytes) = v.bytes() {
        return Ok(bytes.to_vec());
    }
    if v.is_string() || v.is_number() {
        return Ok(v.to_string()?.into_bytes());
    }
    Err(ctx.throw_type_error(&alloc::format!(
        "{method}: arguments must be strings, numbers or bytes"
    )))
}

/// Sends `args` on the binding's client; `finish` maps the reply.
fn run<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    method: &str,
    args: Vec<Vec<u8>>,
    finish: Finish<Result<Reply, redis::Error>>,
) -> Result<Value<'c>, Thrown> {
    // The job holds the client until its round trip ends, even if the
    // context is freed meanwhile.
    let client = client_of::<RedisClient>(ctx, this, method)?;
    io::spawn(
        ctx,
        move || {
            let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            client.with(|c| c.command(&refs))
        },
        finish,
    )
}

/// The reply, or the rejection for a failure or a Redis error.
fn reply_or_throw(ctx: &Ctx, r: Result<Reply, redis::Error>) -> Result<Reply, Thrown> {
    let message = match r {
        Ok(Reply::Error(message)) => message,
        Ok(reply) => return Ok(reply),
        Err(e) => {
            let err = ctx.error(&alloc::format!("{e}"))?;
            return Err(ctx.throw(err));
        }
    };
    let err = ctx.error(&alloc::format!("Redis: {message}"))?;
    let code = message.split(' ').next().unwrap_or("ERR");
    err.set(c"code", ctx.string(code)?)?;
    Err(ctx.throw(err))
}

fn reply_to_js<'c>(ctx: &'c Ctx, reply: Reply) -> Result<Value<'c>, Thrown> {
    Ok(match reply {
        Reply::Status(s) => ctx.string(&s)?,
        Reply::Error(s) => ctx.error(&s)?,
        Reply::Integer(n) => ctx.number(n as f64),
        Reply::Bulk(b) => ctx.string(&String::from_utf8_lossy(&b))?,
        Reply::Nil => ctx.null(),
        Reply::Array(items) => {
            let arr = ctx.array()?;
            for (i, item) in items.into_iter().enumerate() {
                arr.set_index(i as u32, reply_to_js(ctx, item)?)?;
            }
            arr
        }
    })
}

fn unexpected(ctx: &Ctx) -> Thrown {
    match ctx.error("Redis: unexpected reply type for this command") {
        Ok(err) => ctx.throw(err),
        Err(thrown) => thrown,
    }
}

fn finish_any<'c>(ctx: &'c Ctx, r: Result<Reply, redis::Error>) -> Result<Value<'c>, Thrown> {
    let reply = reply_or_throw(ctx, r)?;
    reply_to_js(ctx, reply)
}

fn finish_string_or_null<'c>(
    ctx: &'c Ctx,
    r: Result<Reply, redis::Error>,
) -> Result<Value<'c>, Thrown> {
    match reply_or_throw(ctx, r)? {
        reply @ (Reply::Bulk(_) | Reply::Nil) => reply_to_js(ctx, reply),
        _ => Err(unexpected(ctx)),
    }
}

fn finish_integer<'c>(ctx: &'c Ctx, r: Result<Reply, redis::Error>) -> Result<Value<'c>, Thrown> {
    match reply_or_throw(ctx, r)? {
        Reply::Integer(n) => Ok(ctx.number(n as f64)),
        _ => Err(unexpected(ctx)),
    }
}

fn finish_flag<'c>(ctx: &'c Ctx, r: Result<Reply, redis::Error>) -> Result<Value<'c>, Thrown> {
    match reply_or_throw(ctx, r)? {
        Reply::Integer(n) => Ok(ctx.bool(n == 1)),
        Reply::Status(_) => Ok(ctx.bool(true)),
        Reply::Nil => Ok(ctx.bool(false)),
        _ => Err(unexpected(ctx)),
    }
}

fn finish_hash<'c>(ctx: &'c Ctx, r: Result<Reply, redis::Error>) -> Result<Value<'c>, Thrown> {
    let Reply::Array(items) = reply_or_throw(ctx, r)? else {
        return Err(unexpected(ctx));
    };
    let obj = ctx.object()?;
    let mut items = items.into_iter();
    while let (Some(Reply::Bulk(field)), Some(Reply::Bulk(value))) = (items.next(), items.next()) {
        let Ok(key) = alloc::ffi::CString::new(field) else {
            continue;
        };
        obj.set(&key, ctx.string(&String::from_utf8_lossy(&value))?)?;
    }
    Ok(obj)
}

fn get<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "get")?;
    run(
        ctx,
        &this,
        "get",
        alloc::vec![b"GET".to_vec(), key],
        finish_string_or_null,
    )
}

fn set<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "set")?;
    let value = arg_bytes(ctx, args.get(1), "set")?;
    let mut cmd = alloc::vec![b"SET".to_vec(), key, value];
    if let Some(options) = args.get(2).filter(|o| !o.is_undefined()) {
        if !options.is_object() {
            return Err(
                ctx.throw_type_error("set: options must be an object like { ex: 60, nx: true }")
            );
        }
        let ex = options.get(c"ex")?;
        let ex = if ex.is_undefined() {
            options.get(c"EX")?
        } else {
            ex
        };
        if !ex.is_undefined() {
            let seconds = ex.to_f64()?;
            if !(seconds.is_finite() && seconds >= 1.0 && seconds == (seconds as u64) as f64) {
                return Err(
                    ctx.throw_range_error("set: ex must be a whole number of seconds, at least 1")
                );
            }
            cmd.push(b"EX".to_vec());
            cmd.push(alloc::format!("{}", seconds as u64).into_bytes());
        }
        let nx = options.get(c"nx")?;
        let nx = if nx.is_undefined() {
            options.get(c"NX")?
        } else {
            nx
        };
        if !nx.is_undefined() && nx.to_f64().map(|n| n != 0.0 && !n.is_nan()).unwrap_or(true) {
            cmd.push(b"NX".to_vec());
        }
    }
    run(ctx, &this, "set", cmd, finish_flag)
}

fn del<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    if args.is_empty() {
        return Err(ctx.throw_type_error("del: give at least one key"));
    }
    let mut cmd = alloc::vec![b"DEL".to_vec()];
    for a in args {
        cmd.push(arg_bytes(ctx, Some(a), "del")?);
    }
    run(ctx, &this, "del", cmd, finish_integer)
}

fn incr<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "incr")?;
    run(
        ctx,
        &this,
        "incr",
        alloc::vec![b"INCR".to_vec(), key],
        finish_integer,
    )
}

fn expire<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "expire")?;
    let seconds = arg_bytes(ctx, args.get(1), "expire")?;
    run(
        ctx,
        &this,
        "expire",
        alloc::vec![b"EXPIRE".to_vec(), key, seconds],
        finish_flag,
    )
}

fn hget<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "hget")?;
    let field = arg_bytes(ctx, args.get(1), "hget")?;
    run(
        ctx,
        &this,
        "hget",
        alloc::vec![b"HGET".to_vec(), key, field],
        finish_string_or_null,
    )
}

fn hset<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "hset")?;
    let mut cmd = alloc::vec![b"HSET".to_vec(), key];
    match args.get(1) {
        Some(fields) if fields.is_object() && fields.bytes().is_none() => {
            let object = ctx.global().get(c"Object")?;
            let entries = object
                .get(c"entries")?
                .call(&object, core::slice::from_ref(fields))?;
            for i in 0..entries.length()? {
                let pair = entries.get_index(i)?;
                cmd.push(arg_bytes(ctx, Some(&pair.get_index(0)?), "hset")?);
                cmd.push(arg_bytes(ctx, Some(&pair.get_index(1)?), "hset")?);
            }
            if cmd.len() == 2 {
                return Err(ctx.throw_type_error("hset: give at least one field"));
            }
        }
        _ => {
            cmd.push(arg_bytes(ctx, args.get(1), "hset")?);
            cmd.push(arg_bytes(ctx, args.get(2), "hset")?);
        }
    }
    run(ctx, &this, "hset", cmd, finish_integer)
}

fn hgetall<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = arg_bytes(ctx, args.first(), "hgetall")?;
    run(
        ctx,
        &this,
        "hgetall",
        alloc::vec![b"HGETALL".to_vec(), key],
        finish_hash,
    )
}

fn command<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    if args.is_empty() {
        return Err(ctx.throw_type_error("command: give the command and its arguments"));
    }
    let mut cmd = Vec::with_capacity(args.len());
    for a in args {
        cmd.push(arg_bytes(ctx, Some(a), "command")?);
    }
    run(ctx, &this, "command", cmd, finish_any)
}
