// @lazy internal: expose, peek, inspect, utf8Encode, utf8Decode, isUtf8, isBufferSource, toBytes, base64Encode, base64Decode
// Byte helpers shared by the other glue files: UTF-8 through the Rust natives,
// BufferSource -> bytes, base64 (for the Lambda form). Installs no globals
// (TextEncoder/TextDecoder/atob/btoa are native: natives/text.rs).
(function (internal, global) {
  "use strict";
  const N = internal.natives;

  // Install a global the way Web IDL does: writable, configurable, not enumerable.
  internal.expose = (name, value) =>
    Object.defineProperty(global, name, { value, writable: true, configurable: true });

  // The value of an internal name if its file is loaded, without loading it.
  internal.peek = (name) => Object.getOwnPropertyDescriptor(internal, name)?.value;

  // The key under which glue classes describe themselves to console.log.
  internal.inspect = Symbol("inspect");

  const encode = (internal.utf8Encode = (s) => N.utf8Encode(String(s)));
  internal.utf8Decode = (bytes) => N.utf8Decode(bytes);

  // Valid UTF-8 <=> decoding loses nothing. Only inputs whose decoding contains
  // U+FFFD need the (slower) round-trip check.
  internal.isUtf8 = (bytes) => {
    const s = N.utf8Decode(bytes);
    if (!s.includes("\uFFFD")) return true;
    const back = N.utf8Encode(s);
    if (back.length !== bytes.length) return false;
    for (let i = 0; i < back.length; i++) if (back[i] !== bytes[i]) return false;
    return true;
  };

  const isBuffer = (x) =>
    x instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer === "function" && x instanceof SharedArrayBuffer);
  internal.isBufferSource = (x) => isBuffer(x) || ArrayBuffer.isView(x);

  // string -> UTF-8; ArrayBuffer / TypedArray / DataView -> a Uint8Array *view* of
  // exactly its bytes (callers that keep the bytes copy them); else TypeError.
  internal.toBytes = (x) => {
    if (typeof x === "string") return encode(x);
    if (x instanceof Uint8Array) return x;
    if (isBuffer(x)) return new Uint8Array(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    throw new TypeError("Expected a string, an ArrayBuffer or an ArrayBufferView (got " + (x === null ? "null" : typeof x) + ")");
  };

  // Base64 (for the Lambda form and the other glue), native: see natives/text.rs.
  internal.base64Encode = (bytes) => N.load("text").base64Encode(bytes);
  // Forgiving-base64 decode (Infra §4.5), also accepting the URL-safe alphabet
  // (-_); invalid input is a TypeError.
  internal.base64Decode = (s) => {
    const bytes = N.load("text").base64Decode(String(s), true);
    if (bytes === null) throw new TypeError("Invalid base64 string");
    return bytes;
  };
});
