//! `env.NAME` for a `kv` binding: a Workers KV namespace on the device's
//! file system ([`crate::kv`]). Every method returns a promise and runs on
//! an I/O worker; a write is durable on the flash when its promise resolves.
//!
//! | method | resolves to |
//! |---|---|
//! | `get(key, type \| {type})` | the value as `"text"` (default), `"json"` or `"arrayBuffer"`, or `null` |
//! | `getWithMetadata(key, type \| {type})` | `{ value, metadata, cacheStatus: null }` |
//! | `put(key, value, {expiration, expirationTtl, metadata})` | `undefined` |
//! | `delete(key)` | `undefined` |
//! | `list({prefix, limit, cursor})` | `{ keys: [{name, expiration?, metadata?}], list_complete, cursor? }` |
//!
//! Values are strings or bytes (`ArrayBuffer`, typed arrays); bad arguments
//! (empty or oversized keys, a TTL under 60 s, unknown types) reject with a
//! `TypeError`, storage failures with an `Error`.

use alloc::string::String;
use alloc::vec::Vec;

use super::shared::{binding_object, client_of};
use crate::js::context::ContextState;
use crate::js::engine::{Ctx, NativeFn, Thrown, Value};
use crate::js::io;
use crate::kv::{KvEntry, KvError, KvLimits, ListOptions, ListResult, PutOptions, SharedKv};
use crate::services::Services;

/// A namespace, opened on its first use (on a worker).
struct Namespace {
    name: String,
    services: &'static Services,
    kv: Option<SharedKv>,
}

impl Namespace {
    fn with<R>(&mut self, f: impl FnOnce(&SharedKv) -> Result<R, KvError>) -> Result<R, String> {
        if self.kv.is_none() {
            let storage = self
                .services
                .storage
                .ok_or_else(|| String::from("KV: this device has no file system"))?;
            let kv = SharedKv::open(
                storage,
                &self.name,
                KvLimits::default(),
                self.services.clock,
            )
            .map_err(|e| alloc::format!("KV namespace '{}': {e}", self.name))?;
            self.kv = Some(kv);
        }
        let kv = self.kv.as_ref().ok_or_else(String::new)?;
        f(kv).map_err(|e| match e.is_argument_error() {
            true => alloc::format!("TypeError:{e}"),
            false => alloc::format!("{e}"),
        })
    }
}

/// The object behind `env.NAME` for a `kv` binding: the namespace, opened
/// for the context on its first use and closed with it (see
/// [`super::shared`]); the data stays in the file system.
pub fn binding<'c>(ctx: &'c Ctx, name: &str, namespace: &str) -> Result<Value<'c>, Thrown> {
    let namespace = Namespace {
        name: String::from(namespace),
        services: ContextState::of(ctx)?.services(),
        kv: None,
    };
    let methods: [(&core::ffi::CStr, u8, NativeFn); 5] = [
        (c"get", 2, get),
        (c"getWithMetadata", 2, get_with_metadata),
        (c"put", 3, put),
        (c"delete", 1, delete),
        (c"list", 1, list),
    ];
    binding_object(ctx, name, namespace, &methods)
}

/// Rejects with a `TypeError` for argument errors (marked by the worker),
/// else with an `Error`.
fn throw_failure(ctx: &Ctx, message: String) -> Thrown {
    match message.strip_prefix("TypeError:") {
        Some(m) => ctx.throw_type_error(m),
        None => match ctx.error(&message) {
            Ok(e) => ctx.throw(e),
            Err(t) => t,
        },
    }
}

fn key_arg(ctx: &Ctx, args: &[Value<'_>], method: &str) -> Result<String, Thrown> {
    match args.first() {
        Some(v) if !v.is_undefined() => v.to_string(),
        _ => Err(ctx.throw_type_error(&alloc::format!("KV {method}: a key is required"))),
    }
}

/// What a read returns the value as.
#[derive(Clone, Copy)]
enum ValueType {
    Text,
    Json,
    ArrayBuffer,
}

fn type_arg(ctx: &Ctx, v: Option<&Value<'_>>) -> Result<ValueType, Thrown> {
    let ty = match v {
        None => return Ok(ValueType::Text),
        Some(v) if v.is_nullish() => return Ok(ValueType::Text),
        Some(v) if v.is_string() => v.to_string()?,
        Some(v) if v.is_object() => {
            let t = v.get(c"type")?;
            if t.is_undefined() {
                return Ok(ValueType::Text);
            }
            t.to_string()?
        }
        Some(_) => {
            return Err(
                ctx.throw_type_error("KV get: the second argument must be a type or {type}")
            );
        }
    };
    match ty.as_str() {
        "text" => Ok(ValueType::Text),
        "json" => Ok(ValueType::Json),
        "arrayBuffer" => Ok(ValueType::ArrayBuffer),
        "stream" => Err(ctx.throw_type_error(
            "KV get: type \"stream\" is not supported on this device; use \"text\", \"json\" or \"arrayBuffer\"",
        )),
        other => Err(ctx.throw_type_error(&alloc::format!(
            "KV get: unknown type \"{other}\" (text, json, arrayBuffer)"
        ))),
    }
}

fn value_to_js<'c>(ctx: &'c Ctx, bytes: &[u8], ty: ValueType) -> Result<Value<'c>, Thrown> {
    match ty {
        ValueType::ArrayBuffer => ctx.array_buffer(bytes),
        ValueType::Text => ctx.string(&String::from_utf8_lossy(bytes)),
        ValueType::Json => ctx.parse_json(&String::from_utf8_lossy(bytes)),
    }
}

fn metadata_to_js<'c>(ctx: &'c Ctx, metadata: Option<&str>) -> Result<Value<'c>, Thrown> {
    match metadata {
        Some(m) => ctx.parse_json(m),
        None => Ok(ctx.null()),
    }
}

/// The type travels with the result: `finish` functions are plain `fn`s.
type Read = (Result<Option<KvEntry>, String>, ValueType);

fn spawn_read<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    args: &[Value<'c>],
    method: &str,
    finish: io::Finish<Read>,
) -> Result<Value<'c>, Thrown> {
    let key = key_arg(ctx, args, method)?;
    let ty = type_arg(ctx, args.get(1))?;
    let ns = client_of::<Namespace>(ctx, this, method)?;
    io::spawn(
        ctx,
        move || (ns.with(|n| n.with(|kv| kv.get(&key))), ty),
        finish,
    )
}

fn get<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    spawn_read(ctx, &this, args, "get", |ctx, (r, ty)| {
        match r.map_err(|e| throw_failure(ctx, e))? {
            Some(entry) => value_to_js(ctx, &entry.value, ty),
            None => Ok(ctx.null()),
        }
    })
}

fn get_with_metadata<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    spawn_read(ctx, &this, args, "getWithMetadata", |ctx, (r, ty)| {
        let out = ctx.object()?;
        match r.map_err(|e| throw_failure(ctx, e))? {
            Some(entry) => {
                out.set(c"value", value_to_js(ctx, &entry.value, ty)?)?;
                out.set(c"metadata", metadata_to_js(ctx, entry.metadata.as_deref())?)?;
            }
            None => {
                out.set(c"value", ctx.null())?;
                out.set(c"metadata", ctx.null())?;
            }
        }
        out.set(c"cacheStatus", ctx.null())?;
        Ok(out)
    })
}

/// A JS number option as whole seconds, if present.
fn seconds_option(
    ctx: &Ctx,
    options: &Value<'_>,
    name: &core::ffi::CStr,
) -> Result<Option<u64>, Thrown> {
    let v = options.get(name)?;
    if v.is_nullish() {
        return Ok(None);
    }
    let n = v.to_f64()?;
    if !n.is_finite() || n < 0.0 {
        return Err(ctx.throw_type_error(&alloc::format!(
            "KV put: {} must be a non-negative number of seconds",
            name.to_string_lossy()
        )));
    }
    Ok(Some(n as u64))
}

fn put<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = key_arg(ctx, args, "put")?;
    let value: Vec<u8> = match args.get(1) {
        Some(v) if v.is_string() => v.to_utf8()?,
        Some(v) => match v.bytes() {
            Some(b) => b.to_vec(),
            None => {
                return Err(ctx.throw_type_error(
                    "KV put() accepts only strings, ArrayBuffers and ArrayBufferViews",
                ));
            }
        },
        None => return Err(ctx.throw_type_error("KV put: a value is required")),
    };
    let mut options = PutOptions::default();
    if let Some(o) = args.get(2).filter(|o| !o.is_nullish()) {
        if !o.is_object() {
            return Err(ctx.throw_type_error("KV put: options must be an object"));
        }
        options.expiration = seconds_option(ctx, o, c"expiration")?;
        options.expiration_ttl = seconds_option(ctx, o, c"expirationTtl")?;
        let metadata = o.get(c"metadata")?;
        if !metadata.is_undefined() {
            let Some(text) = ctx.json_stringify(&metadata)? else {
                return Err(ctx.throw_type_error("KV put: metadata must be serializable to JSON"));
            };
            options.metadata = Some(text);
        }
    }
    let ns = client_of::<Namespace>(ctx, &this, "put")?;
    io::spawn(
        ctx,
        move || ns.with(|n| n.with(|kv| kv.put(&key, &value, &options))),
        |ctx, r| {
            r.map_err(|e| throw_failure(ctx, e))?;
            Ok(ctx.undefined())
        },
    )
}

fn delete<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = key_arg(ctx, args, "delete")?;
    let ns = client_of::<Namespace>(ctx, &this, "delete")?;
    io::spawn(
        ctx,
        move || ns.with(|n| n.with(|kv| kv.delete(&key))),
        |ctx, r| {
            r.map_err(|e| throw_failure(ctx, e))?;
            Ok(ctx.undefined())
        },
    )
}

fn list<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let mut options = ListOptions::default();
    if let Some(o) = args.first().filter(|o| !o.is_nullish()) {
        if !o.is_object() {
            return Err(ctx.throw_type_error("KV list: options must be an object"));
        }
        let prefix = o.get(c"prefix")?;
        if !prefix.is_nullish() {
            options.prefix = Some(prefix.to_string()?);
        }
        let cursor = o.get(c"cursor")?;
        if !cursor.is_nullish() {
            options.cursor = Some(cursor.to_string()?);
        }
        let limit = o.get(c"limit")?;
        if !limit.is_nullish() {
            let n = limit.to_f64()?;
            if !(1.0..=crate::kv::MAX_LIST_LIMIT as f64).contains(&n) {
                return Err(ctx.throw_type_error(&alloc::format!(
                    "KV list: limit must be between 1 and {}",
                    crate::kv::MAX_LIST_LIMIT
                )));
            }
            options.limit = n as usize;
        }
    }
    let ns = client_of::<Namespace>(ctx, &this, "list")?;
    io::spawn(
        ctx,
        move || ns.with(|n| n.with(|kv| kv.list(&options))),
        |ctx, r: Result<ListResult, String>| {
            let result = r.map_err(|e| throw_failure(ctx, e))?;
            let keys = ctx.array()?;
            for (i, k) in result.keys.iter().enumerate() {
                let key = ctx.object()?;
                key.set(c"name", ctx.string(&k.name)?)?;
                if let Some(exp) = k.expiration {
                    key.set(c"expiration", ctx.number(exp as f64))?;
                }
                if let Some(m) = &k.metadata {
                    key.set(c"metadata", ctx.parse_json(m)?)?;
                }
                keys.set_index(i as u32, key)?;
            }
            let out = ctx.object()?;
            out.set(c"keys", keys)?;
            out.set(c"list_complete", ctx.bool(result.list_complete))?;
            if let Some(c) = &result.cursor {
                out.set(c"cursor", ctx.string(c)?)?;
            }
            out.set(c"cacheStatus", ctx.null())?;
            Ok(out)
        },
    )
}
