//! `env.NAME` for a `postgres` binding: `query(sql, params)` →
//! `Promise<{ rows, rowCount, fields, command }>`, over [`crate::db::postgres`].
//!
//! The round trip runs on an I/O worker ([`crate::js::io`]), so a slow
//! database holds no other request. Parameters travel as text, never spliced
//! into the SQL: `null`/`undefined` → NULL, strings as they are, numbers and
//! booleans as JS prints them, `Uint8Array`/`ArrayBuffer` → `bytea` hex,
//! `Date` → ISO 8601, other objects → JSON.
//!
//! Values come back as node-postgres returns them, with two departures
//! named here: `int8` is a number when it is a safe integer (a string
//! otherwise, where node-postgres always gives a string), and `date` is a
//! `Date` at midnight UTC (node-postgres uses local midnight; boards run in
//! UTC). `numeric` is a string, `bytea` a `Uint8Array`, `json`/`jsonb`
//! parsed, timestamps `Date`s, other types their text.
//!
//! A failure rejects with an `Error` whose message names PostgreSQL and the
//! cause; a database error also carries `code` (SQLSTATE), `severity`, and
//! `detail`, `hint`, `position` where the server gave them.

use alloc::ffi::CString;
use alloc::vec::Vec;

use super::shared::{binding_object, client_of, string_arg};
use crate::db::PortConnector;
use crate::db::postgres::{self, Client, QueryResult, Value as PgValue};
use crate::js::context::ContextState;
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::io;

type PgClient = Client<PortConnector>;

/// The object behind `env.NAME` for a `postgres` binding, with a client of
/// the context's own (see [`super::shared`]): it connects on its first query
/// and closes with the context.
pub fn binding<'c>(
    ctx: &'c Ctx,
    name: &str,
    url: &str,
    timeout_ms: u32,
) -> Result<Value<'c>, Thrown> {
    let Some(mut config) = postgres::Config::from_url(url) else {
        return Err(ctx.throw_type_error(&alloc::format!(
            "binding '{name}': malformed PostgreSQL URL (expected postgres://user:password@host:port/database)"
        )));
    };
    config.connect_timeout_ms = timeout_ms;
    config.query_timeout_ms = timeout_ms;
    let services = ContextState::of(ctx)?.services();
    let client: PgClient = Client::new(PortConnector::new(services.net), config, services.entropy);
    binding_object(ctx, name, client, &[(c"query", 2, query)])
}

/// A parameter's text form (see the module docs).
fn param_text(ctx: &Ctx, v: &Value<'_>) -> Result<Option<Vec<u8>>, Thrown> {
    if v.is_nullish() {
        return Ok(None);
    }
    if let Some(bytes) = v.bytes() {
        let mut out = Vec::with_capacity(2 + bytes.len() * 2);
        out.extend_from_slice(b"\\x");
        for b in bytes {
            out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        return Ok(Some(out));
    }
    if v.is_object() {
        let iso = v.get(c"toISOString")?;
        let text = if iso.is_function() {
            iso.call(v, &[])?.to_string()?
        } else {
            ctx.json_stringify(v)?.unwrap_or_default()
        };
        return Ok(Some(text.into_bytes()));
    }
    Ok(Some(v.to_string()?.into_bytes()))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn query<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    // The job holds the client until its round trip ends, even if the
    // context is freed meanwhile.
    let client = client_of::<PgClient>(ctx, &this, "query")?;
    let sql = string_arg(ctx, args.first(), "query: the SQL must be a string")?;
    let mut params: Vec<Option<Vec<u8>>> = Vec::new();
    match args.get(1) {
        None => {}
        Some(p) if p.is_undefined() => {}
        Some(p) if p.is_array() => {
            for i in 0..p.length()? {
                params.push(param_text(ctx, &p.get_index(i)?)?);
            }
        }
        Some(_) => {
            return Err(
                ctx.throw_type_error("query: the parameters must be an array ($1, $2, ...)")
            );
        }
    }
    io::spawn(
        ctx,
        move || {
            let refs: Vec<Option<&[u8]>> = params.iter().map(|p| p.as_deref()).collect();
            client.with(|c| c.query(&sql, &refs))
        },
        finish_query,
    )
}

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

fn to_js<'c>(ctx: &'c Ctx, v: PgValue) -> Result<Value<'c>, Thrown> {
    Ok(match v {
        PgValue::Null => ctx.null(),
        PgValue::Bool(b) => ctx.bool(b),
        PgValue::Int(n) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n) => {
            ctx.number(n as f64)
        }
        PgValue::Int(n) => ctx.string(&alloc::format!("{n}"))?,
        PgValue::Float(f) => ctx.number(f),
        PgValue::Numeric(s) | PgValue::Text(s) => ctx.string(&s)?,
        PgValue::Bytes(b) => ctx.uint8_array(&b)?,
        PgValue::Json(s) => ctx.parse_json(&s)?,
        PgValue::Timestamp(us) => ctx.date(us.div_euclid(1000) as f64)?,
    })
}

fn finish_query<'c>(
    ctx: &'c Ctx,
    result: Result<QueryResult, postgres::Error>,
) -> Result<Value<'c>, Thrown> {
    let r = match result {
        Ok(r) => r,
        Err(e) => return Err(reject(ctx, &e)),
    };
    let fields = ctx.array()?;
    let mut keys: Vec<CString> = Vec::with_capacity(r.fields.len());
    for (i, f) in r.fields.iter().enumerate() {
        let field = ctx.object()?;
        field.set(c"name", ctx.string(&f.name)?)?;
        field.set(c"dataTypeID", ctx.number(f64::from(f.type_oid)))?;
        fields.set_index(i as u32, field)?;
        keys.push(CString::new(f.name.as_str()).unwrap_or_else(|_| CString::from(c"?")));
    }
    let rows = ctx.array()?;
    for (i, row) in r.rows.into_iter().enumerate() {
        let obj = ctx.object()?;
        for (key, value) in keys.iter().zip(row) {
            obj.set(key, to_js(ctx, value)?)?;
        }
        rows.set_index(i as u32, obj)?;
    }
    let out = ctx.object()?;
    out.set(c"rows", rows)?;
    out.set(
        c"rowCount",
        match r.row_count {
            Some(n) => ctx.number(n as f64),
            None => ctx.null(),
        },
    )?;
    out.set(c"fields", fields)?;
    out.set(
        c"command",
        ctx.string(r.command.split(' ').next().unwrap_or(""))?,
    )?;
    Ok(out)
}

/// Throws the `Error` a failed query rejects with.
fn reject(ctx: &Ctx, e: &postgres::Error) -> Thrown {
    let build = || -> Result<Value<'_>, Thrown> {
        let err = ctx.error(&alloc::format!("{e}"))?;
        if let postgres::Error::Db(db) = e {
            err.set(c"code", ctx.string(&db.code)?)?;
            err.set(c"severity", ctx.string(&db.severity)?)?;
            let optional = [(c"detail", &db.detail), (c"hint", &db.hint)];
            for (key, value) in optional {
                if let Some(v) = value {
                    err.set(key, ctx.string(v)?)?;
                }
            }
            if let Some(p) = db.position {
                err.set(c"position", ctx.number(f64::from(p)))?;
            }
        }
        Ok(err)
    };
    match build() {
        Ok(err) => ctx.throw(err),
        Err(thrown) => thrown,
    }
}
