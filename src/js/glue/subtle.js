// @lazy globals: SubtleCrypto, CryptoKey; internal: subtle
// crypto.subtle, the heavy half of Web Crypto (W3C Web Cryptography API,
// and the Secure Curves draft for Ed25519): digest (SHA-1/256/384/512), importKey/exportKey (raw, jwk, and
// pkcs8/spki for ECDSA and Ed25519), sign/verify (HMAC, ECDSA P-256,
// Ed25519), generateKey for those, deriveBits/deriveKey (PBKDF2, HKDF).
// The algorithms run in Rust (src/js/natives/crypto.rs); a key's material
// lives there too, in an opaque object held by a private field of its
// CryptoKey. This file applies the spec's rules and error types: argument
// conversion failures are TypeErrors, the others DOMExceptions
// (NotSupportedError, SyntaxError, InvalidAccessError, DataError,
// OperationError).
//
// Not covered (departures): no ciphers or key agreement (AES-*, RSA-*, ECDH,
// X25519: encrypt/decrypt/wrapKey/unwrapKey reject with NotSupportedError);
// ECDSA on P-384/P-521 (NotSupportedError); HMAC keys whose length is not a
// whole number of bytes are used as whole bytes. PBKDF2 runs on an I/O
// worker task; the other operations run on the JS task and settle at once.
//
// Loaded on the first use of `crypto.subtle` (crypto.js holds the light
// half), so a function that only draws random values does not pay for it.
(function (internal, global) {
  "use strict";
  const { natives: N, generator: gen, DOMException: DOMExc } = internal.crypto;
  const dom = (name, message) => new DOMExc(message, name);

  // ---- conversions

  const typeName = (x) => (x === null ? "null" : typeof x);
  // A BufferSource's bytes, copied (the spec copies at call time).
  const bytesOf = (x, what) => {
    if (!internal.isBufferSource(x)) {
      throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView (got ${typeName(x)})`);
    }
    return internal.toBytes(x).slice();
  };
  const b64url = (bytes) => internal.base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const unb64url = (s, member) => {
    if (typeof s !== "string" || /[^A-Za-z0-9_-]/.test(s) || s.length % 4 === 1) {
      throw dom("DataError", `JWK member "${member}" is not base64url`);
    }
    return internal.base64Decode(s);
  };

  // Algorithms by operation, with the members of their parameters ("?":
  // optional), converted by MEMBERS.
  const OPS = {
    digest: { "SHA-1": "", "SHA-256": "", "SHA-384": "", "SHA-512": "" },
    sign: { HMAC: "", ECDSA: "hash", Ed25519: "" },
    verify: { HMAC: "", ECDSA: "hash", Ed25519: "" },
    generateKey: { HMAC: "hash length?", ECDSA: "namedCurve", Ed25519: "" },
    importKey: { HMAC: "hash length?", ECDSA: "namedCurve", Ed25519: "", PBKDF2: "", HKDF: "" },
    deriveBits: { PBKDF2: "hash iterations salt", HKDF: "hash info salt" },
    "get key length": { HMAC: "hash length?", PBKDF2: "", HKDF: "" },
  };
  const MEMBERS = {
    hash: (v) => normalize(v, "digest"),
    length: (v) => toUint32(v, "length"),
    namedCurve: String,
    iterations: (v) => toUint32(v, "iterations"),
    salt: (v, name) => bytesOf(v, `${name} salt`),
    info: (v, name) => bytesOf(v, `${name} info`),
  };
  const UNSUPPORTED_HINT = {
    encrypt: "no ciphers (AES, RSA) on this platform",
    "P-384": "only the P-256 curve on this platform",
  };

  // WebCrypto §18.4 "normalize an algorithm": a copy with the canonical
  // name and the converted members its parameters define.
  function normalize(alg, op) {
    if (typeof alg === "string") alg = { name: alg };
    else if (alg === null || typeof alg !== "object") {
      throw new TypeError(`algorithm must be a string or an object with a name (got ${typeName(alg)})`);
    }
    if (alg.name === undefined) throw new TypeError("algorithm: the member 'name' is required");
    const given = String(alg.name);
    const table = OPS[op];
    const name = Object.keys(table).find((n) => n.toUpperCase() === given.toUpperCase());
    if (name === undefined) {
      throw dom("NotSupportedError", `${op}: unsupported algorithm '${given}' (supported: ${Object.keys(table).join(", ")})`);
    }
    const out = { name };
    for (const m of table[name].split(" ")) {
      if (m === "") continue;
      const key = m.replace("?", "");
      if (alg[key] !== undefined) out[key] = MEMBERS[key](alg[key], name);
      else if (!m.endsWith("?")) throw new TypeError(`${name}: the member '${key}' is required`);
    }
    return out;
  }

  // WebIDL [EnforceRange] unsigned long.
  function toUint32(v, what) {
    const n = Number(v);
    if (!Number.isFinite(n) || Math.trunc(n) < 0 || Math.trunc(n) > 4294967295) {
      throw new TypeError(`${what} must be an integer from 0 to 4294967295 (got ${String(v)})`);
    }
    return Math.trunc(n);
  }

  const FORMATS = ["raw", "spki", "pkcs8", "jwk"];
  const USAGES = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];
  function toFormat(f) {
    f = String(f);
    if (!FORMATS.includes(f)) throw new TypeError(`key format must be one of ${FORMATS.join(", ")} (got '${f}')`);
    return f;
  }
  // sequence<KeyUsage>, as a set in the spec's order.
  function toUsages(u) {
    if (u === null || typeof u !== "object" || typeof u[Symbol.iterator] !== "function") {
      throw new TypeError("keyUsages must be a sequence of strings");
    }
    const list = [...u].map(String);
    for (const x of list) if (!USAGES.includes(x)) throw new TypeError(`'${x}' is not a key usage (${USAGES.join(", ")})`);
    return USAGES.filter((x) => list.includes(x));
  }
  function allowOnly(usages, allowed, what) {
    const bad = usages.find((u) => !allowed.includes(u));
    if (bad !== undefined) throw dom("SyntaxError", `${what} keys cannot be used to ${bad} (allowed: ${allowed.join(", ") || "none"})`);
  }

  // ---- CryptoKey

  const TOKEN = Symbol("CryptoKey");
  let handleOf, isKey;
  class CryptoKey {
    #type;
    #extractable;
    #algorithm;
    #usages;
    #handle;
    constructor(token, type, extractable, algorithm, usages, handle) {
      if (token !== TOKEN) throw new TypeError("Illegal constructor: CryptoKeys come from crypto.subtle");
      this.#type = type;
      this.#extractable = extractable;
      this.#algorithm = algorithm;
      this.#usages = usages;
      this.#handle = handle;
    }
    get type() {
      return this.#type;
    }
    get extractable() {
      return this.#extractable;
    }
    get algorithm() {
      return this.#algorithm;
    }
    get usages() {
      return this.#usages;
    }
    static {
      handleOf = (k) => k.#handle;
      isKey = (k) => k !== null && typeof k === "object" && #handle in k;
    }
  }
  Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: "CryptoKey", configurable: true });
  const freezeAlg = (a) => {
    if (a.hash) a.hash = Object.freeze({ name: a.hash.name });
    return Object.freeze(a);
  };
  const newKey = (type, extractable, algorithm, usages, handle) =>
    new CryptoKey(TOKEN, type, !!extractable, freezeAlg(algorithm), Object.freeze(usages), handle);
  const checkKey = (key, what) => {
    if (!isKey(key)) throw new TypeError(`${what} must be a CryptoKey (got ${typeName(key)})`);
    return key;
  };

  // ---- import

  const HMAC_JWK_ALG = { "SHA-1": "HS1", "SHA-256": "HS256", "SHA-384": "HS384", "SHA-512": "HS512" };

  // Checks of JWK members common to every key type (use, key_ops, ext).
  function checkJwk(jwk, usages, extractable) {
    if (jwk.use !== undefined && usages.length > 0 && jwk.use !== "sig") {
      throw dom("DataError", `JWK "use" is '${jwk.use}', not 'sig'`);
    }
    if (jwk.key_ops !== undefined) {
      if (!Array.isArray(jwk.key_ops)) throw dom("DataError", 'JWK "key_ops" must be an array');
      const missing = usages.find((u) => !jwk.key_ops.includes(u));
      if (missing !== undefined) throw dom("DataError", `JWK "key_ops" does not allow '${missing}'`);
    }
    if (jwk.ext === false && extractable) throw dom("DataError", 'JWK "ext" is false: the key cannot be imported as extractable');
  }

  function importHmac(format, data, alg, extractable, usages) {
    allowOnly(usages, ["sign", "verify"], "HMAC");
    let bytes;
    if (format === "raw") bytes = data;
    else if (format === "jwk") {
      if (data.kty !== "oct") throw dom("DataError", `JWK "kty" must be 'oct' for HMAC (got '${data.kty}')`);
      if (data.k === undefined) throw dom("DataError", 'JWK "k" is missing');
      bytes = unb64url(data.k, "k");
      if (data.alg !== undefined && data.alg !== HMAC_JWK_ALG[alg.hash.name]) {
        throw dom("DataError", `JWK "alg" '${data.alg}' does not match the hash ${alg.hash.name}`);
      }
      checkJwk(data, usages, extractable);
    } else throw dom("NotSupportedError", `HMAC keys cannot be imported from '${format}' (raw or jwk)`);
    let length = bytes.length * 8;
    if (length === 0) throw dom("DataError", "HMAC key data is empty");
    if (alg.length !== undefined) {
      if (alg.length > length || alg.length <= length - 8) {
        throw dom("DataError", `HMAC length ${alg.length} does not match the ${length}-bit key data`);
      }
      length = alg.length;
    }
    const handle = N.importKey("secret", "raw", bytes);
    return newKey("secret", extractable, { name: "HMAC", length, hash: alg.hash }, usages, handle);
  }

  // ECDSA (P-256) and Ed25519: the same shape with different JWK members.
  function importAsymmetric(format, data, alg, extractable, usages) {
    const ec = alg.name === "ECDSA";
    const kind = ec ? "P-256" : "Ed25519";
    if (ec && alg.namedCurve !== "P-256") {
      throw dom("NotSupportedError", `ECDSA curve '${alg.namedCurve}' is not supported: ${UNSUPPORTED_HINT["P-384"]}`);
    }
    let type, handle;
    if (format === "jwk") {
      type = data.d !== undefined ? "private" : "public";
      allowOnly(usages, type === "private" ? ["sign"] : ["verify"], `${alg.name} ${type}`);
      const [kty, crv] = ec ? ["EC", "P-256"] : ["OKP", "Ed25519"];
      if (data.kty !== kty) throw dom("DataError", `JWK "kty" must be '${kty}' (got '${data.kty}')`);
      if (data.crv !== crv) throw dom("DataError", `JWK "crv" must be '${crv}' (got '${data.crv}')`);
      if (data.alg !== undefined && !(ec ? ["ES256"] : ["Ed25519", "EdDSA"]).includes(data.alg)) {
        throw dom("DataError", `JWK "alg" '${data.alg}' does not fit ${alg.name} ${crv}`);
      }
      checkJwk(data, usages, extractable);
      const x = data.x === undefined ? undefined : unb64url(data.x, "x");
      const d = data.d === undefined ? undefined : unb64url(data.d, "d");
      if (x === undefined) throw dom("DataError", 'JWK "x" is missing');
      if (ec) {
        if (data.y === undefined) throw dom("DataError", 'JWK "y" is missing');
        handle = N.importKey(kind, "jwk", x, unb64url(data.y, "y"), d);
      } else handle = N.importKey(kind, "jwk", x, d);
    } else {
      type = format === "pkcs8" ? "private" : "public";
      allowOnly(usages, type === "private" ? ["sign"] : ["verify"], `${alg.name} ${type}`);
      handle = N.importKey(kind, format, data);
    }
    if (handle === null) throw dom("DataError", `the ${format} data is not a valid ${alg.name} ${kind === "P-256" ? "P-256 " : ""}${type} key`);
    const algorithm = ec ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" };
    return newKey(type, extractable, algorithm, usages, handle);
  }

  function importKdf(format, data, alg, extractable, usages) {
    if (format !== "raw") throw dom("NotSupportedError", `${alg.name} keys can only be imported from 'raw'`);
    allowOnly(usages, ["deriveKey", "deriveBits"], alg.name);
    if (extractable) throw dom("SyntaxError", `${alg.name} keys cannot be extractable`);
    return newKey("secret", false, { name: alg.name }, usages, N.importKey("secret", "raw", data));
  }

  function importKey(format, keyData, algorithm, extractable, keyUsages) {
    format = toFormat(format);
    const alg = normalize(algorithm, "importKey");
    const usages = toUsages(keyUsages);
    let data;
    if (format === "jwk") {
      if (keyData === null || typeof keyData !== "object" || internal.isBufferSource(keyData)) {
        throw new TypeError("keyData must be a JsonWebKey object for the 'jwk' format");
      }
      data = keyData;
    } else data = bytesOf(keyData, "keyData");
    const importer = alg.name === "HMAC" ? importHmac : alg.name === "PBKDF2" || alg.name === "HKDF" ? importKdf : importAsymmetric;
    const key = importer(format, data, alg, !!extractable, usages);
    if ((key.type === "secret" || key.type === "private") && usages.length === 0) {
      throw dom("SyntaxError", `a ${key.type} key needs at least one usage`);
    }
    return key;
  }

  // ---- export

  function exportKey(format, key) {
    format = toFormat(format);
    checkKey(key, "key");
    const name = key.algorithm.name;
    if (name === "PBKDF2" || name === "HKDF") throw dom("NotSupportedError", `${name} keys cannot be exported`);
    if (!key.extractable) throw dom("InvalidAccessError", "the key is not extractable");
    const handle = handleOf(key);
    if (format === "jwk") {
      const m = N.exportKey(handle, "jwk");
      const jwk =
        name === "HMAC"
          ? { kty: "oct", k: b64url(m[0]), alg: HMAC_JWK_ALG[key.algorithm.hash.name] }
          : name === "ECDSA"
            ? { kty: "EC", crv: "P-256", x: b64url(m[0]), y: b64url(m[1]) }
            : { kty: "OKP", crv: "Ed25519", x: b64url(m[0]) };
      const d = name === "ECDSA" ? m[2] : name === "Ed25519" ? m[1] : undefined;
      if (d !== undefined) jwk.d = b64url(d);
      jwk.key_ops = [...key.usages];
      jwk.ext = key.extractable;
      return jwk;
    }
    if (name === "HMAC" && format !== "raw") throw dom("NotSupportedError", `HMAC keys export as 'raw' or 'jwk', not '${format}'`);
    const needs = format === "pkcs8" ? "private" : name === "HMAC" ? "secret" : "public";
    if (key.type !== needs) throw dom("InvalidAccessError", `a ${key.type} key cannot be exported as '${format}'`);
    return N.exportKey(handle, format).buffer;
  }

  // ---- sign / verify

  function signingKey(alg, key, usage) {
    checkKey(key, "key");
    if (key.algorithm.name !== alg.name) {
      throw dom("InvalidAccessError", `the key is for ${key.algorithm.name}, not ${alg.name}`);
    }
    if (!key.usages.includes(usage)) throw dom("InvalidAccessError", `the key's usages do not include '${usage}'`);
    const needs = alg.name === "HMAC" ? "secret" : usage === "sign" ? "private" : "public";
    if (key.type !== needs) throw dom("InvalidAccessError", `${usage} needs a ${needs} key, not a ${key.type} one`);
    const hash = alg.name === "HMAC" ? key.algorithm.hash.name : alg.name === "ECDSA" ? alg.hash.name : undefined;
    return [handleOf(key), hash];
  }

  // ---- generate

  function generateKey(algorithm, extractable, keyUsages) {
    const alg = normalize(algorithm, "generateKey");
    const usages = toUsages(keyUsages);
    if (alg.name === "HMAC") {
      allowOnly(usages, ["sign", "verify"], "HMAC");
      const length = alg.length === undefined ? blockBits(alg.hash.name) : alg.length;
      if (length === 0) throw dom("OperationError", "HMAC key length must not be zero");
      if (usages.length === 0) throw dom("SyntaxError", "a secret key needs at least one usage");
      const handle = N.importKey("secret", "raw", N.random(gen, Math.ceil(length / 8)));
      return newKey("secret", extractable, { name: "HMAC", length, hash: alg.hash }, usages, handle);
    }
    if (alg.name === "ECDSA" && alg.namedCurve !== "P-256") {
      throw dom("NotSupportedError", `ECDSA curve '${alg.namedCurve}' is not supported: ${UNSUPPORTED_HINT["P-384"]}`);
    }
    allowOnly(usages, ["sign", "verify"], alg.name);
    const privateUsages = usages.filter((u) => u === "sign");
    if (privateUsages.length === 0) throw dom("SyntaxError", "the private key needs the 'sign' usage");
    const handle = N.generateKey(gen, alg.name === "ECDSA" ? "P-256" : "Ed25519");
    const keyAlgorithm = () => (alg.name === "ECDSA" ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" });
    return {
      publicKey: newKey("public", true, keyAlgorithm(), usages.filter((u) => u === "verify"), N.publicKey(handle)),
      privateKey: newKey("private", extractable, keyAlgorithm(), privateUsages, handle),
    };
  }
  const blockBits = (hash) => (hash === "SHA-384" || hash === "SHA-512" ? 1024 : 512);

  // ---- derive

  function derivingKey(alg, key, usage) {
    checkKey(key, "baseKey");
    if (key.algorithm.name !== alg.name) {
      throw dom("InvalidAccessError", `the key is for ${key.algorithm.name}, not ${alg.name}`);
    }
    if (!key.usages.includes(usage)) throw dom("InvalidAccessError", `the key's usages do not include '${usage}'`);
    return handleOf(key);
  }

  async function derive(alg, handle, length) {
    if (length === null || length % 8 !== 0) {
      throw dom("OperationError", `${alg.name} needs a length that is a multiple of 8 (got ${length})`);
    }
    if (alg.name === "PBKDF2") {
      if (alg.iterations === 0) throw dom("OperationError", "PBKDF2 needs at least one iteration");
      if (length > 524288) throw dom("OperationError", "PBKDF2 output is limited to 65536 bytes here");
      return N.pbkdf2(handle, alg.hash.name, alg.salt, alg.iterations, length / 8, true);
    }
    const max = 255 * (alg.hash.name === "SHA-1" ? 160 : parseInt(alg.hash.name.slice(4)));
    const out = length > max ? null : N.hkdf(handle, alg.hash.name, alg.salt, alg.info, length / 8);
    if (out === null) throw dom("OperationError", `HKDF with ${alg.hash.name} derives at most ${max} bits`);
    return out;
  }

  const toLength = (length) => (length === undefined || length === null ? null : toUint32(length, "length"));

  // ---- SubtleCrypto

  const brand = Symbol("brand");
  const check = (self, what) => {
    if (self === null || typeof self !== "object" || self[brand] !== what) {
      throw new TypeError(`Illegal invocation: not a ${what}`);
    }
  };
  const notSupported = (op) =>
    async function () {
      check(this, "SubtleCrypto");
      throw dom("NotSupportedError", `${op} is not implemented: ${UNSUPPORTED_HINT.encrypt}`);
    };

  class SubtleCrypto {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError("Illegal constructor: use crypto.subtle");
      Object.defineProperty(this, brand, { value: "SubtleCrypto" });
    }
    async digest(algorithm, data) {
      check(this, "SubtleCrypto");
      const alg = normalize(algorithm, "digest");
      return N.digest(alg.name, bytesOf(data, "data"));
    }
    async importKey(format, keyData, algorithm, extractable, keyUsages) {
      check(this, "SubtleCrypto");
      return importKey(format, keyData, algorithm, extractable, keyUsages);
    }
    async exportKey(format, key) {
      check(this, "SubtleCrypto");
      return exportKey(format, key);
    }
    async sign(algorithm, key, data) {
      check(this, "SubtleCrypto");
      const alg = normalize(algorithm, "sign");
      const bytes = bytesOf(data, "data");
      const [handle, hash] = signingKey(alg, key, "sign");
      return N.sign(handle, hash, bytes);
    }
    async verify(algorithm, key, signature, data) {
      check(this, "SubtleCrypto");
      const alg = normalize(algorithm, "verify");
      const sig = bytesOf(signature, "signature");
      const bytes = bytesOf(data, "data");
      const [handle, hash] = signingKey(alg, key, "verify");
      return N.verify(handle, hash, bytes, sig);
    }
    async generateKey(algorithm, extractable, keyUsages) {
      check(this, "SubtleCrypto");
      return generateKey(algorithm, extractable, keyUsages);
    }
    async deriveBits(algorithm, baseKey, length = null) {
      check(this, "SubtleCrypto");
      const alg = normalize(algorithm, "deriveBits");
      length = toLength(length);
      return derive(alg, derivingKey(alg, baseKey, "deriveBits"), length);
    }
    async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      check(this, "SubtleCrypto");
      const alg = normalize(algorithm, "deriveBits");
      const derived = normalize(derivedKeyType, "get key length");
      normalize(derivedKeyType, "importKey");
      toUsages(keyUsages);
      const handle = derivingKey(alg, baseKey, "deriveKey");
      const length = derived.name === "HMAC" ? (derived.length === undefined ? blockBits(derived.hash.name) : derived.length) : null;
      const bits = await derive(alg, handle, length);
      return importKey("raw", bits, derivedKeyType, extractable, keyUsages);
    }
  }
  for (const op of ["encrypt", "decrypt", "wrapKey", "unwrapKey"]) {
    Object.defineProperty(SubtleCrypto.prototype, op, { value: notSupported(op), writable: true, configurable: true });
  }
  Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: "SubtleCrypto", configurable: true });

  internal.expose("CryptoKey", CryptoKey);
  internal.expose("SubtleCrypto", SubtleCrypto);
  internal.subtle = new SubtleCrypto(TOKEN);
});
