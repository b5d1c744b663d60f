// @lazy globals: crypto, Crypto; internal: crypto
// The global `crypto` (W3C Web Cryptography API §10): getRandomValues and
// randomUUID over the Rust random generator (an HMAC_DRBG seeded from the
// port's entropy, src/js/natives/crypto.rs), and `crypto.subtle`, which
// loads subtle.js on first use. Also the DOMException the crypto files
// throw: the global one when the platform has it, else a minimal private
// stand-in with the same name/message/code shape.
(function (internal, global) {
  "use strict";
  const N = internal.natives.load("crypto");
  const gen = N.generator();

  const CODES = { SyntaxError: 12, NotSupportedError: 9, InvalidAccessError: 15, TypeMismatchError: 17, QuotaExceededError: 22 };
  const DOMExc =
    typeof global.DOMException === "function"
      ? global.DOMException
      : class DOMException extends Error {
          constructor(message = "", name = "Error") {
            super(message);
            Object.defineProperty(this, "name", { value: String(name), configurable: true, writable: true });
          }
          get code() {
            return CODES[this.name] || 0;
          }
        };
  const dom = (name, message) => new DOMExc(message, name);
  const typeName = (x) => (x === null ? "null" : typeof x);
  const TOKEN = Symbol("Crypto");
  const brand = Symbol("brand");
  const check = (self) => {
    if (self === null || typeof self !== "object" || self[brand] !== "Crypto") {
      throw new TypeError("Illegal invocation: not a Crypto");
    }
  };

  // The TypedArray brand (undefined for DataView and non-views).
  const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
  const INTEGER_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];

  class Crypto {
    constructor(token) {
      if (token !== TOKEN) throw new TypeError("Illegal constructor: use the global crypto");
      Object.defineProperty(this, brand, { value: "Crypto" });
    }
    get subtle() {
      check(this);
      return internal.subtle;
    }
    getRandomValues(array) {
      check(this);
      if (!ArrayBuffer.isView(array)) {
        throw new TypeError(`getRandomValues: expected an integer TypedArray (got ${typeName(array)})`);
      }
      const tag = typedArrayTag.call(array);
      if (!INTEGER_ARRAYS.includes(tag)) {
        throw dom("TypeMismatchError", `getRandomValues: ${tag || "DataView"} is not an integer TypedArray`);
      }
      if (array.byteLength > 65536) {
        throw dom("QuotaExceededError", `getRandomValues: ${array.byteLength} bytes asked, at most 65536 at a time`);
      }
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(N.random(gen, array.byteLength));
      return array;
    }
    randomUUID() {
      check(this);
      return N.randomUUID(gen);
    }
  }
  Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: "Crypto", configurable: true });
  const crypto = new Crypto(TOKEN);

  internal.expose("crypto", crypto);
  internal.expose("Crypto", Crypto);
  // For subtle.js and node:crypto.
  internal.crypto = { natives: N, generator: gen, webcrypto: crypto, DOMException: DOMExc };
});
