// Byte helpers shared by the other glue files: UTF-8 through the Rust natives,
// BufferSource -> bytes, base64 (for the Lambda form). Installs no globals:
// TextEncoder/TextDecoder/atob/btoa come with the full Web platform later.
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

  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  // bytes (Uint8Array) -> base64 string with padding.
  internal.base64Encode = (b) => {
    let out = "", i = 0;
    const n = b.length, full = n - (n % 3);
    for (; i < full; i += 3) {
      const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      out += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
    }
    if (n - full === 1) {
      const v = b[i] << 16;
      out += B64[v >> 18] + B64[(v >> 12) & 63] + "==";
    } else if (n - full === 2) {
      const v = (b[i] << 16) | (b[i + 1] << 8);
      out += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + "=";
    }
    return out;
  };

  // base64 string -> Uint8Array, "forgiving-base64 decode" (HTML §8.3 / Infra):
  // ASCII whitespace ignored, padding optional; also accepts the URL-safe
  // alphabet (-_). Invalid input -> TypeError.
  internal.base64Decode = (s) => {
    s = String(s).replace(/[\t\n\f\r ]+/g, "");
    if (s.length % 4 === 0 && s.endsWith("=")) s = s.slice(0, s.endsWith("==") ? -2 : -1);
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/\-_]/.test(s)) {
      throw new TypeError("Invalid base64 string");
    }
    const out = new Uint8Array((s.length * 3) >> 2);
    let acc = 0, bits = 0, j = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      c = c === 45 ? 62 : c === 95 ? 63 : B64.indexOf(s[i]);
      acc = (acc << 6) | c;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[j++] = (acc >> bits) & 255;
      }
    }
    return out;
  };
});
