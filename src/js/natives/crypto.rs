//! Natives of `crypto` (the Web Crypto glue `src/js/glue/crypto.js` and
//! `node:crypto`), over the algorithms of [`crate::crypto`].
//!
//! Key material never becomes a JS value: a key is an instance of the
//! opaque `CryptoKeyData` class owning a [`Key`], held by the glue in a
//! private field of its `CryptoKey`. The glue checks the WebCrypto rules
//! (algorithm names, usages, extractability) and turns failures into the
//! spec's `DOMException`s; the natives only check their own arguments and
//! answer `null`/`false` where the glue must pick the error:
//!
//! * `generator()` -> a per-context random generator (HMAC_DRBG, seeded
//!   from the port's entropy on first use); `random(gen, n)` -> `Uint8Array`;
//!   `randomUUID(gen)` -> string;
//! * `digest(hash, data)` -> `ArrayBuffer`; `hashCreate(hash[, hmacKey])`,
//!   `hashUpdate(h, data)`, `hashDigest(h)` (-> `Uint8Array`, or `null` once
//!   finalized), `hashCopy(h)`: incremental hashes and HMACs;
//! * `importKey(kind, format, a[, b[, c]])` -> key or `null` (invalid data),
//!   `generateKey(gen, kind)`, `publicKey(key)`, `exportKey(key, format)`,
//!   `sign(key, hash, data)`, `verify(key, hash, data, signature)`;
//! * `pbkdf2(keyOrBytes, hash, salt, iterations, bytes, async)` (async: a
//!   promise, computed on an I/O worker so the JS task keeps serving),
//!   `hkdf(key, hash, salt, info, bytes)` (-> `null` when too long),
//!   `timingSafeEqual(a, b)`.
//!
//! `kind` is `"secret"` (HMAC, PBKDF2, HKDF), `"P-256"` or `"Ed25519"`;
//! `format` is `"raw"`, `"spki"`, `"pkcs8"` or `"jwk"` (JWK members as bytes:
//! `a, b, c` = `x, y, d` for P-256, `x, d` for Ed25519, `k` for secrets).
//! Hash names are WebCrypto's or Node's (`"SHA-256"`, `"sha256"`).

use alloc::vec::Vec;
use core::cell::RefCell;

use crate::crypto::hash::{self, HashAlg, Hasher, Mac};
use crate::crypto::random::{self, Drbg};
use crate::crypto::{ed25519, kdf, p256};
use crate::js::engine::{Class, Ctx, Thrown, Value};
use crate::js::io;

/// Largest `random(gen, n)`: a board has far less RAM; the bound keeps a
/// typo from asking the allocator for gigabytes.
const MAX_RANDOM: usize = 1 << 24;
/// Largest derivation output (PBKDF2, HKDF), in bytes.
const MAX_DERIVED: usize = 1 << 16;

/// Key material behind a `CryptoKey`.
pub enum Key {
    /// HMAC, PBKDF2 or HKDF key bytes (zeroed when dropped).
    Secret(Vec<u8>),
    /// ECDSA P-256 private key.
    P256Private(p256::PrivateKey),
    /// ECDSA P-256 public key.
    P256Public(p256::PublicKey),
    /// Ed25519 private key.
    Ed25519Private(ed25519::PrivateKey),
    /// Ed25519 public key.
    Ed25519Public(ed25519::PublicKey),
}

impl Drop for Key {
    fn drop(&mut self) {
        if let Key::Secret(bytes) = self {
            bytes.fill(0);
        }
    }
}

/// An incremental hash or HMAC; `None` once its digest was taken.
type Stream = RefCell<Option<StreamState>>;

#[derive(Clone)]
enum StreamState {
    Hash(Hasher),
    Mac(Mac),
}

/// A context's random generator, seeded on first use.
type Generator = RefCell<Option<Drbg>>;

fn key_class(ctx: &Ctx) -> Result<Class<Key>, Thrown> {
    Class::of(ctx, c"CryptoKeyData")
}

fn stream_class(ctx: &Ctx) -> Result<Class<Stream>, Thrown> {
    Class::of(ctx, c"HashState")
}

fn generator_class(ctx: &Ctx) -> Result<Class<Generator>, Thrown> {
    Class::of(ctx, c"RandomGenerator")
}

/// Creates the `crypto` natives object.
pub fn create(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    let n = ctx.object()?;
    n.set(c"generator", ctx.function(c"generator", 0, generator)?)?;
    n.set(c"random", ctx.function(c"random", 2, random_bytes)?)?;
    n.set(c"randomUUID", ctx.function(c"randomUUID", 1, random_uuid)?)?;
    n.set(c"digest", ctx.function(c"digest", 2, digest)?)?;
    n.set(c"hashCreate", ctx.function(c"hashCreate", 2, hash_create)?)?;
    n.set(c"hashUpdate", ctx.function(c"hashUpdate", 2, hash_update)?)?;
    n.set(c"hashDigest", ctx.function(c"hashDigest", 1, hash_digest)?)?;
    n.set(c"hashCopy", ctx.function(c"hashCopy", 1, hash_copy)?)?;
    n.set(c"importKey", ctx.function(c"importKey", 5, import_key)?)?;
    n.set(
        c"generateKey",
        ctx.function(c"generateKey", 2, generate_key)?,
    )?;
    n.set(c"publicKey", ctx.function(c"publicKey", 1, public_key)?)?;
    n.set(c"exportKey", ctx.function(c"exportKey", 2, export_key)?)?;
    n.set(c"sign", ctx.function(c"sign", 3, sign)?)?;
    n.set(c"verify", ctx.function(c"verify", 4, verify)?)?;
    n.set(c"pbkdf2", ctx.function(c"pbkdf2", 6, pbkdf2)?)?;
    n.set(c"hkdf", ctx.function(c"hkdf", 5, hkdf)?)?;
    n.set(
        c"timingSafeEqual",
        ctx.function(c"timingSafeEqual", 2, timing_safe_equal)?,
    )?;
    Ok(n)
}

// ---- argument helpers

fn arg<'a, 'c>(args: &'a [Value<'c>], i: usize) -> Option<&'a Value<'c>> {
    args.get(i)
}

/// The bytes of buffer-source argument `i`, borrowed from the JS heap: use
/// them before anything can run JS (no copy, so large inputs cost no RAM).
fn bytes_ref<'a>(
    ctx: &Ctx,
    args: &'a [Value<'_>],
    i: usize,
    what: &str,
) -> Result<&'a [u8], Thrown> {
    arg(args, i).and_then(|v| v.bytes()).ok_or_else(|| {
        ctx.throw_type_error(&alloc::format!(
            "crypto: {what} must be an ArrayBuffer or an ArrayBufferView"
        ))
    })
}

/// A copy of the bytes of buffer-source argument `i`.
fn bytes_arg(ctx: &Ctx, args: &[Value<'_>], i: usize, what: &str) -> Result<Vec<u8>, Thrown> {
    match arg(args, i).and_then(|v| v.bytes()) {
        Some(b) => Ok(b.to_vec()),
        None => Err(ctx.throw_type_error(&alloc::format!(
            "crypto: {what} must be an ArrayBuffer or an ArrayBufferView"
        ))),
    }
}

fn string_arg(
    ctx: &Ctx,
    args: &[Value<'_>],
    i: usize,
    what: &str,
) -> Result<alloc::string::String, Thrown> {
    match arg(args, i) {
        Some(v) if v.is_string() => v.to_string(),
        _ => Err(ctx.throw_type_error(&alloc::format!("crypto: {what} must be a string"))),
    }
}

fn hash_arg(ctx: &Ctx, args: &[Value<'_>], i: usize) -> Result<HashAlg, Thrown> {
    let name = string_arg(ctx, args, i, "the hash name")?;
    HashAlg::from_name(&name).ok_or_else(|| {
        ctx.throw_type_error(&alloc::format!(
            "crypto: unsupported hash '{name}' (SHA-1, SHA-256, SHA-384 or SHA-512)"
        ))
    })
}

/// A non-negative integer argument up to `max`.
fn size_arg(
    ctx: &Ctx,
    args: &[Value<'_>],
    i: usize,
    max: usize,
    what: &str,
) -> Result<usize, Thrown> {
    let n = arg(args, i)
        .map(|v| v.to_f64())
        .transpose()?
        .unwrap_or(f64::NAN);
    if n >= 0.0 && n <= max as f64 && n == (n as u64) as f64 {
        Ok(n as usize)
    } else {
        Err(ctx.throw_range_error(&alloc::format!(
            "crypto: {what} must be an integer from 0 to {max}"
        )))
    }
}

/// `n` zero bytes, or a `RangeError` when the heap cannot hold them (a
/// size from JS must not abort the firmware through the allocator).
fn zeroed(ctx: &Ctx, n: usize) -> Result<Vec<u8>, Thrown> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        ctx.throw_range_error(&alloc::format!("crypto: out of memory for {n} bytes"))
    })?;
    v.resize(n, 0);
    Ok(v)
}

fn key_arg<'v>(ctx: &Ctx, args: &'v [Value<'_>], i: usize) -> Result<&'v Key, Thrown> {
    let class = key_class(ctx)?;
    arg(args, i)
        .and_then(|v| class.get(v))
        .ok_or_else(|| ctx.throw_type_error("crypto: expected a key"))
}

fn stream_arg<'v>(ctx: &Ctx, args: &'v [Value<'_>], i: usize) -> Result<&'v Stream, Thrown> {
    let class = stream_class(ctx)?;
    arg(args, i)
        .and_then(|v| class.get(v))
        .ok_or_else(|| ctx.throw_type_error("crypto: expected a hash state"))
}

// ---- randomness

fn generator<'c>(ctx: &'c Ctx, _this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    generator_class(ctx)?.instance(ctx, RefCell::new(None))
}

/// Fills `out` from generator argument `i`, seeding it on first use.
fn fill_random(ctx: &Ctx, args: &[Value<'_>], i: usize, out: &mut [u8]) -> Result<(), Thrown> {
    let class = generator_class(ctx)?;
    let generator = arg(args, i)
        .and_then(|v| class.get(v))
        .ok_or_else(|| ctx.throw_type_error("crypto: expected a random generator"))?;
    let no_entropy = || ctx.throw_type_error("crypto: this device has no entropy source");
    let source = crate::js::context::ContextState::of(ctx)?
        .services()
        .entropy;
    let mut generator = generator.borrow_mut();
    if generator.is_none() {
        *generator = Some(Drbg::new(source).map_err(|_| no_entropy())?);
    }
    match generator.as_mut() {
        Some(drbg) => drbg.fill(source, out).map_err(|_| no_entropy()),
        None => Err(no_entropy()),
    }
}

fn random_bytes<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let n = size_arg(ctx, args, 1, MAX_RANDOM, "the number of random bytes")?;
    let mut out = zeroed(ctx, n)?;
    fill_random(ctx, args, 0, &mut out)?;
    ctx.uint8_array(&out)
}

fn random_uuid<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let mut bytes = [0u8; 16];
    fill_random(ctx, args, 0, &mut bytes)?;
    let uuid = random::uuid_v4(bytes);
    // The UUID is ASCII hex and dashes.
    ctx.latin1_string(&uuid)
}

// ---- hashes

fn digest<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let alg = hash_arg(ctx, args, 0)?;
    let data = arg(args, 1).and_then(|v| v.bytes()).ok_or_else(|| {
        ctx.throw_type_error("crypto: the data must be an ArrayBuffer or an ArrayBufferView")
    })?;
    // Hashed straight from the JS buffer: nothing runs JS in between.
    let out = hash::digest(alg, data);
    ctx.array_buffer(&out)
}

fn hash_create<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let alg = hash_arg(ctx, args, 0)?;
    let state = match arg(args, 1) {
        Some(v) if !v.is_undefined() => {
            let key = bytes_arg(ctx, args, 1, "the HMAC key")?;
            StreamState::Mac(Mac::new(alg, &key))
        }
        _ => StreamState::Hash(Hasher::new(alg)),
    };
    stream_class(ctx)?.instance(ctx, RefCell::new(Some(state)))
}

fn hash_update<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let stream = stream_arg(ctx, args, 0)?;
    let data = arg(args, 1).and_then(|v| v.bytes()).ok_or_else(|| {
        ctx.throw_type_error("crypto: the data must be an ArrayBuffer or an ArrayBufferView")
    })?;
    let mut stream = stream.borrow_mut();
    match stream.as_mut() {
        Some(StreamState::Hash(h)) => h.update(data),
        Some(StreamState::Mac(m)) => m.update(data),
        None => return Ok(ctx.bool(false)),
    }
    Ok(ctx.bool(true))
}

fn hash_digest<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let stream = stream_arg(ctx, args, 0)?;
    let out = match stream.borrow_mut().take() {
        Some(StreamState::Hash(h)) => h.finalize(),
        Some(StreamState::Mac(m)) => m.finalize(),
        None => return Ok(ctx.null()),
    };
    ctx.uint8_array(&out)
}

fn hash_copy<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let stream = stream_arg(ctx, args, 0)?;
    let copy = stream.borrow().clone();
    match copy {
        Some(state) => stream_class(ctx)?.instance(ctx, RefCell::new(Some(state))),
        None => Ok(ctx.null()),
    }
}

// ---- keys

/// Builds a key of `kind` from `format` data; `Ok(None)` for invalid data.
fn build_key(ctx: &Ctx, args: &[Value<'_>]) -> Result<Option<Key>, Thrown> {
    let kind = string_arg(ctx, args, 0, "the key kind")?;
    let format = string_arg(ctx, args, 1, "the key format")?;
    // JWK members are optional (`undefined` when absent).
    let member = |i: usize| -> Result<Option<Vec<u8>>, Thrown> {
        match arg(args, i) {
            Some(v) if !v.is_undefined() => bytes_arg(ctx, args, i, "a JWK member").map(Some),
            _ => Ok(None),
        }
    };
    let a = member(2)?.unwrap_or_default();
    let key = match (kind.as_str(), format.as_str()) {
        ("secret", "raw" | "jwk") => Ok(Key::Secret(a)),
        ("P-256", "raw") => p256::PublicKey::from_sec1(&a).map(Key::P256Public),
        ("P-256", "spki") => p256::PublicKey::from_spki(&a).map(Key::P256Public),
        ("P-256", "pkcs8") => p256::PrivateKey::from_pkcs8(&a).map(Key::P256Private),
        ("P-256", "jwk") => {
            let y = member(3)?.unwrap_or_default();
            match (p256::PublicKey::from_coordinates(&a, &y), member(4)?) {
                (Ok(public), Some(d)) => {
                    p256::PrivateKey::from_scalar(&d, Some(&public)).map(Key::P256Private)
                }
                (public, None) => public.map(Key::P256Public),
                (Err(e), Some(_)) => Err(e),
            }
        }
        ("Ed25519", "raw") => ed25519::PublicKey::from_bytes(&a).map(Key::Ed25519Public),
        ("Ed25519", "spki") => ed25519::PublicKey::from_spki(&a).map(Key::Ed25519Public),
        ("Ed25519", "pkcs8") => ed25519::PrivateKey::from_pkcs8(&a).map(Key::Ed25519Private),
        ("Ed25519", "jwk") => match (ed25519::PublicKey::from_bytes(&a), member(3)?) {
            (Ok(public), Some(d)) => {
                ed25519::PrivateKey::from_seed(&d, Some(&public)).map(Key::Ed25519Private)
            }
            (public, None) => public.map(Key::Ed25519Public),
            (Err(e), Some(_)) => Err(e),
        },
        _ => {
            return Err(ctx.throw_type_error(&alloc::format!(
                "crypto: cannot import a '{kind}' key from '{format}'"
            )));
        }
    };
    Ok(key.ok())
}

fn import_key<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    match build_key(ctx, args)? {
        Some(key) => key_class(ctx)?.instance(ctx, key),
        None => Ok(ctx.null()),
    }
}

fn generate_key<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let kind = string_arg(ctx, args, 1, "the key kind")?;
    let mut seed = [0u8; 32];
    let key = match kind.as_str() {
        "P-256" => {
            let mut failed = None;
            let key = p256::PrivateKey::generate(|b| {
                fill_random(ctx, args, 0, b).map_err(|t| failed = Some(t))
            });
            match (key, failed) {
                (Ok(key), _) => Key::P256Private(key),
                (Err(()), Some(thrown)) => return Err(thrown),
                (Err(()), None) => return Err(ctx.throw_type_error("crypto: no random bytes")),
            }
        }
        "Ed25519" => {
            fill_random(ctx, args, 0, &mut seed)?;
            let key = ed25519::PrivateKey::from_seed(&seed, None);
            seed.fill(0);
            match key {
                Ok(key) => Key::Ed25519Private(key),
                Err(_) => return Err(ctx.throw_type_error("crypto: key generation failed")),
            }
        }
        _ => {
            return Err(ctx.throw_type_error(&alloc::format!(
                "crypto: cannot generate a '{kind}' key pair"
            )));
        }
    };
    key_class(ctx)?.instance(ctx, key)
}

fn public_key<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let public = match key_arg(ctx, args, 0)? {
        Key::P256Private(k) => Key::P256Public(k.public_key()),
        Key::P256Public(k) => Key::P256Public(*k),
        Key::Ed25519Private(k) => Key::Ed25519Public(k.public_key()),
        Key::Ed25519Public(k) => Key::Ed25519Public(*k),
        Key::Secret(_) => {
            return Err(ctx.throw_type_error("crypto: a secret key has no public key"));
        }
    };
    key_class(ctx)?.instance(ctx, public)
}

fn export_key<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let format = string_arg(ctx, args, 1, "the key format")?;
    let key = key_arg(ctx, args, 0)?;
    if format == "jwk" {
        let members: Vec<Vec<u8>> = match key {
            Key::Secret(k) => alloc::vec![k.clone()],
            Key::P256Public(k) => {
                let (x, y) = k.coordinates();
                alloc::vec![x.to_vec(), y.to_vec()]
            }
            Key::P256Private(k) => {
                let (x, y) = k.public_key().coordinates();
                alloc::vec![x.to_vec(), y.to_vec(), k.scalar().to_vec()]
            }
            Key::Ed25519Public(k) => alloc::vec![k.to_bytes().to_vec()],
            Key::Ed25519Private(k) => {
                alloc::vec![k.public_key().to_bytes().to_vec(), k.seed().to_vec()]
            }
        };
        let out = ctx.array()?;
        for (i, m) in members.iter().enumerate() {
            out.set_index(i as u32, ctx.uint8_array(m)?)?;
        }
        return Ok(out);
    }
    let bytes = match (key, format.as_str()) {
        (Key::Secret(k), "raw") => k.clone(),
        (Key::P256Public(k), "raw") => k.to_sec1().to_vec(),
        (Key::P256Public(k), "spki") => k.to_spki(),
        (Key::P256Private(k), "pkcs8") => k.to_pkcs8(),
        (Key::Ed25519Public(k), "raw") => k.to_bytes().to_vec(),
        (Key::Ed25519Public(k), "spki") => k.to_spki(),
        (Key::Ed25519Private(k), "pkcs8") => k.to_pkcs8(),
        _ => {
            return Err(ctx.throw_type_error(&alloc::format!(
                "crypto: this key cannot be exported as '{format}'"
            )));
        }
    };
    ctx.uint8_array(&bytes)
}

fn sign<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = key_arg(ctx, args, 0)?;
    let data = bytes_ref(ctx, args, 2, "the data")?;
    let signature = match key {
        Key::Secret(k) => hash::hmac(hash_arg(ctx, args, 1)?, k, data),
        Key::P256Private(k) => k.sign(hash_arg(ctx, args, 1)?, data).to_vec(),
        Key::Ed25519Private(k) => k.sign(data).to_vec(),
        _ => return Err(ctx.throw_type_error("crypto: a public key cannot sign")),
    };
    ctx.array_buffer(&signature)
}

fn verify<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let key = key_arg(ctx, args, 0)?;
    let data = bytes_ref(ctx, args, 2, "the data")?;
    let signature = bytes_ref(ctx, args, 3, "the signature")?;
    let valid = match key {
        Key::Secret(k) => {
            let mut mac = Mac::new(hash_arg(ctx, args, 1)?, k);
            mac.update(data);
            mac.verify(signature)
        }
        Key::P256Public(k) => k.verify(hash_arg(ctx, args, 1)?, data, signature),
        Key::Ed25519Public(k) => k.verify(data, signature),
        _ => return Err(ctx.throw_type_error("crypto: a private key cannot verify")),
    };
    Ok(ctx.bool(valid))
}

// ---- derivation and comparison

/// Secret bytes from a key (`Key::Secret`) or a buffer source.
fn secret_arg(ctx: &Ctx, args: &[Value<'_>], i: usize) -> Result<Vec<u8>, Thrown> {
    let class = key_class(ctx)?;
    match arg(args, i).and_then(|v| class.get(v)) {
        Some(Key::Secret(k)) => Ok(k.clone()),
        Some(_) => Err(ctx.throw_type_error("crypto: expected a secret key")),
        None => bytes_arg(ctx, args, i, "the key material"),
    }
}

fn pbkdf2<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let password = secret_arg(ctx, args, 0)?;
    let alg = hash_arg(ctx, args, 1)?;
    let salt = bytes_arg(ctx, args, 2, "the salt")?;
    let iterations = size_arg(ctx, args, 3, u32::MAX as usize, "the iteration count")?;
    let len = size_arg(ctx, args, 4, MAX_DERIVED, "the output length")?;
    let in_background =
        arg(args, 5).is_some_and(|v| v.to_f64().is_ok_and(|n| n != 0.0 && !n.is_nan()));
    let iterations = u32::try_from(iterations)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| ctx.throw_range_error("crypto: PBKDF2 needs at least one iteration"))?;
    let mut out = zeroed(ctx, len)?;
    let derive = move || {
        // Iterations were checked above: this cannot fail.
        let _ = kdf::pbkdf2(alg, &password, &salt, iterations, &mut out);
        let mut password = password;
        password.fill(0);
        out
    };
    if in_background {
        io::spawn(ctx, derive, |ctx, out: Vec<u8>| ctx.array_buffer(&out))
    } else {
        ctx.array_buffer(&derive())
    }
}

fn hkdf<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let mut ikm = secret_arg(ctx, args, 0)?;
    let alg = hash_arg(ctx, args, 1)?;
    let len = size_arg(ctx, args, 4, MAX_DERIVED, "the output length")?;
    let mut out = zeroed(ctx, len)?;
    let salt = bytes_ref(ctx, args, 2, "the salt")?;
    let info = bytes_ref(ctx, args, 3, "the info")?;
    let derived = kdf::hkdf(alg, &ikm, salt, info, &mut out);
    ikm.fill(0);
    match derived {
        Ok(()) => ctx.array_buffer(&out),
        Err(_) => Ok(ctx.null()),
    }
}

fn timing_safe_equal<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let a = bytes_ref(ctx, args, 0, "the first buffer")?;
    let b = bytes_ref(ctx, args, 1, "the second buffer")?;
    Ok(ctx.bool(hash::constant_time_eq(a, b)))
}
