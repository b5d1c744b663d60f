// node:crypto, the subset functions and their libraries use: createHash,
// createHmac, getHashes, randomBytes, randomFillSync, randomUUID,
// randomInt, timingSafeEqual, pbkdf2/pbkdf2Sync, webcrypto/subtle/
// getRandomValues. Behaviour and error codes follow Node's documentation.
//
// Bytes come back as Buffers when the global Buffer exists (node:buffer),
// else as Uint8Arrays: `out` below is the one place that decides.
//
// Not covered: Hash/Hmac are not streams (no pipe/write/end: update and
// digest only); no ciphers, signatures, key objects, ECDH, scrypt, hkdf
// (use crypto.subtle); digests are sha1, sha256, sha384 and sha512.
import internal from "isere:internal";

const { natives: N, generator: gen, webcrypto } = internal.crypto;

const HASHES = ["sha1", "sha256", "sha384", "sha512"];
const ALIASES = { "sha-1": "sha1", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512" };
const hashName = (name) => {
  const n = String(name).toLowerCase();
  return HASHES.includes(n) ? n : ALIASES[n];
};

function nodeError(Type, code, message) {
  const e = new Type(message);
  e.code = code;
  return e;
}
const typeOf = (x) => (x === null ? "null" : Array.isArray(x) ? "an array" : typeof x);
const invalidArg = (name, expected, x) =>
  nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${expected}. Received ${typeOf(x)}`);

// Bytes or a Buffer, whichever the platform has.
const out = (u8) =>
  typeof globalThis.Buffer === "function" && typeof globalThis.Buffer.from === "function"
    ? globalThis.Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
    : u8;

const HEX = "0123456789abcdef";
function encodeBytes(u8, encoding) {
  switch (String(encoding).toLowerCase()) {
    case "hex": {
      let s = "";
      for (const b of u8) s += HEX[b >> 4] + HEX[b & 15];
      return s;
    }
    case "base64":
      return internal.base64Encode(u8);
    case "base64url":
      return internal.base64Encode(u8).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    case "latin1":
    case "binary": {
      let s = "";
      for (let i = 0; i < u8.length; i += 4096) s += String.fromCharCode.apply(null, u8.subarray(i, i + 4096));
      return s;
    }
    case "utf8":
    case "utf-8":
      return internal.utf8Decode(u8);
    default:
      throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
  }
}

// string (in `encoding`, utf8 by default) or BufferSource -> bytes.
function toBytes(data, name, encoding) {
  if (typeof data === "string") {
    switch (encoding === undefined ? "utf8" : String(encoding).toLowerCase()) {
      case "utf8":
      case "utf-8":
        return internal.utf8Encode(data);
      case "hex": {
        const n = data.length >> 1;
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const v = parseInt(data.substr(2 * i, 2), 16);
          if (Number.isNaN(v)) return b.subarray(0, i); // Node stops at the first bad pair
          b[i] = v;
        }
        return b;
      }
      case "base64":
      case "base64url":
        return internal.base64Decode(data.replace(/[^A-Za-z0-9+/\-_]/g, ""));
      case "latin1":
      case "binary":
      case "ascii": {
        const b = new Uint8Array(data.length);
        for (let i = 0; i < data.length; i++) b[i] = data.charCodeAt(i) & 255;
        return b;
      }
      default:
        throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${encoding}`);
    }
  }
  if (internal.isBufferSource(data)) return internal.toBytes(data);
  throw invalidArg(name, "of type string or an instance of Buffer, TypedArray, or DataView", data);
}

class Hash {
  #state;
  #algorithm;
  constructor(algorithm, key, state) {
    this.#algorithm = algorithm;
    this.#state = state || N.hashCreate(algorithm, key);
  }
  update(data, inputEncoding) {
    const bytes = toBytes(data, "data", inputEncoding);
    if (!N.hashUpdate(this.#state, bytes)) {
      throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    }
    return this;
  }
  digest(outputEncoding) {
    const d = N.hashDigest(this.#state);
    if (d === null) throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    return outputEncoding === undefined || outputEncoding === "buffer" ? out(d) : encodeBytes(d, outputEncoding);
  }
  copy() {
    const s = N.hashCopy(this.#state);
    if (s === null) throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    return new Hash(this.#algorithm, undefined, s);
  }
}

export function createHash(algorithm) {
  if (typeof algorithm !== "string") throw invalidArg("algorithm", "of type string", algorithm);
  const name = hashName(algorithm);
  if (name === undefined) throw new Error(`Digest method not supported: ${algorithm} (${HASHES.join(", ")})`);
  return new Hash(name);
}

class Hmac extends Hash {}

export function createHmac(algorithm, key) {
  if (typeof algorithm !== "string") throw invalidArg("hmac", "of type string", algorithm);
  const name = hashName(algorithm);
  if (name === undefined) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${algorithm}`);
  const bytes = toBytes(key, "key");
  return new Hmac(name, bytes);
}

export const getHashes = () => [...HASHES];

function checkSize(size, name, max) {
  if (typeof size !== "number") throw invalidArg(name, "of type number", size);
  if (!Number.isInteger(size) || size < 0 || size > max) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be >= 0 && <= ${max}. Received ${size}`);
  }
}
function checkCallback(cb) {
  if (typeof cb !== "function") throw invalidArg("callback", "of type function", cb);
}
// Node calls callbacks on a later turn; a microtask is the nearest here.
const later = (cb, ...args) => Promise.resolve().then(() => cb(...args));

const MAX_RANDOM = 2 ** 24; // what the natives allow; far above a board's RAM
export function randomBytes(size, callback) {
  checkSize(size, "size", MAX_RANDOM);
  if (callback !== undefined) checkCallback(callback);
  const bytes = out(N.random(gen, size));
  if (callback === undefined) return bytes;
  later(callback, null, bytes);
}

export function randomFillSync(buffer, offset = 0, size) {
  if (!ArrayBuffer.isView(buffer) && !(buffer instanceof ArrayBuffer)) {
    throw invalidArg("buf", "an instance of ArrayBuffer or ArrayBufferView", buffer);
  }
  const view = internal.toBytes(buffer);
  checkSize(offset, "offset", view.length);
  if (size === undefined) size = view.length - offset;
  checkSize(size, "size", view.length - offset);
  view.set(N.random(gen, size), offset);
  return buffer;
}

export function randomInt(min, max, callback) {
  if (max === undefined || typeof max === "function") [min, max, callback] = [0, min, max];
  if (!Number.isSafeInteger(min)) throw invalidArg("min", "a safe integer", min);
  if (!Number.isSafeInteger(max)) throw invalidArg("max", "a safe integer", max);
  const range = max - min;
  if (!(range > 0) || range > 2 ** 48) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max" is out of range. It must be greater than the value of "min" (${min}) and at most 2^48 above it. Received ${max}`);
  }
  // Rejection sampling over 48 random bits: no modulo bias.
  const limit = 2 ** 48 - (2 ** 48 % range);
  let n;
  do {
    const b = N.random(gen, 6);
    n = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
  } while (n >= limit);
  const value = min + (n % range);
  if (callback === undefined) return value;
  checkCallback(callback);
  later(callback, null, value);
}

export const randomUUID = () => N.randomUUID(gen);

export function timingSafeEqual(a, b) {
  for (const [name, x] of [["buf1", a], ["buf2", b]]) {
    if (!internal.isBufferSource(x)) throw invalidArg(name, "an instance of ArrayBuffer, Buffer, TypedArray, or DataView", x);
  }
  const ba = internal.toBytes(a), bb = internal.toBytes(b);
  if (ba.length !== bb.length) {
    throw nodeError(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length");
  }
  return N.timingSafeEqual(ba, bb);
}

const MAX_KEYLEN = 65536; // what the natives derive at once
function pbkdf2Args(password, salt, iterations, keylen, digest) {
  const p = toBytes(password, "password");
  const s = toBytes(salt, "salt");
  checkSize(iterations, "iterations", 2 ** 31 - 1);
  if (iterations < 1) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "iterations" is out of range. It must be >= 1 && <= 2147483647. Received ${iterations}`);
  }
  checkSize(keylen, "keylen", MAX_KEYLEN);
  if (typeof digest !== "string") throw invalidArg("digest", "of type string", digest);
  const name = hashName(digest);
  if (name === undefined) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${digest}`);
  return [p, name, s, iterations, keylen];
}

export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const args = pbkdf2Args(password, salt, iterations, keylen, digest);
  return out(new Uint8Array(N.pbkdf2(...args, false)));
}

// Runs on an I/O worker task: the JS task keeps serving meanwhile.
export function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  checkCallback(callback);
  const args = pbkdf2Args(password, salt, iterations, keylen, digest);
  N.pbkdf2(...args, true).then(
    (ab) => callback(null, out(new Uint8Array(ab))),
    (e) => callback(e),
  );
}

export { webcrypto };
export const subtle = webcrypto.subtle;
export const getRandomValues = (array) => webcrypto.getRandomValues(array);

export default {
  createHash,
  createHmac,
  getHashes,
  randomBytes,
  randomFillSync,
  randomInt,
  randomUUID,
  timingSafeEqual,
  pbkdf2,
  pbkdf2Sync,
  webcrypto,
  subtle,
  getRandomValues,
};
