// @lazy globals: TextEncoder, TextDecoder, atob, btoa; internal: TextEncoder, TextDecoder
// TextEncoder and TextDecoder (WHATWG Encoding §8.1-8.2), atob and btoa (HTML
// §8.3). The byte work is native (natives/text.rs).
// Departure: TextDecoder knows UTF-8 only; any other label, known to the
// Encoding Standard or not, is a RangeError (the spec's error for an unknown
// label), so a caller can tell at construction time.
(function (internal, global) {
  "use strict";
  const T = internal.natives.load("text");
  const { utf8Encode, toBytes, isBufferSource } = internal;
  const LABELS = new Set(["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"]);
  const brand = (o, C, what) => {
    if (!(o instanceof C)) throw new TypeError(`${what}: illegal invocation`);
  };

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      return utf8Encode(input);
    }
    // Encodes as much of `source` as fits in `destination` without splitting a
    // character; returns { read: UTF-16 code units, written: bytes }.
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError("TextEncoder.encodeInto: the destination must be a Uint8Array");
      const bytes = utf8Encode(source);
      let n = Math.min(bytes.length, destination.length);
      if (n < bytes.length) while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      destination.set(n === bytes.length ? bytes : bytes.subarray(0, n));
      let read = 0;
      for (let i = 0; i < n; i++) {
        const b = bytes[i];
        if ((b & 0xc0) !== 0x80) read += b >= 0xf0 ? 2 : 1;
      }
      return { read, written: n };
    }
    get [Symbol.toStringTag]() {
      return "TextEncoder";
    }
  }

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    #pending = undefined; // bytes of an incomplete sequence (stream mode)
    #started = false; // past the point where a BOM may appear

    constructor(label = "utf-8", options = undefined) {
      const name = String(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "").toLowerCase();
      if (!LABELS.has(name)) {
        throw new RangeError(`TextDecoder: the encoding ${JSON.stringify(String(label))} is not supported (only utf-8 is)`);
      }
      if (options !== undefined && options !== null && typeof options !== "object") {
        throw new TypeError("TextDecoder: options must be an object");
      }
      this.#fatal = !!options?.fatal;
      this.#ignoreBOM = !!options?.ignoreBOM;
    }
    get encoding() {
      return "utf-8";
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input = undefined, options = undefined) {
      brand(this, TextDecoder, "TextDecoder.decode");
      if (input !== undefined && !isBufferSource(input)) {
        throw new TypeError("TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView");
      }
      const stream = !!options?.stream;
      const bytes = input === undefined ? new Uint8Array(0) : toBytes(input);
      let s, pending;
      try {
        [s, pending] = T.decode(this.#pending, bytes, this.#fatal, stream);
      } catch (e) {
        this.#pending = undefined;
        this.#started = false;
        throw e;
      }
      this.#pending = pending;
      if (!this.#started && s.length > 0) {
        this.#started = true;
        if (!this.#ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      }
      if (!stream) this.#started = false; // the next call starts a new stream
      return s;
    }
    get [Symbol.toStringTag]() {
      return "TextDecoder";
    }
  }

  const invalid = (what) => internal.domError(what, "InvalidCharacterError");
  internal.expose("btoa", function btoa(data) {
    if (arguments.length === 0) throw new TypeError("btoa: 1 argument required");
    const out = T.btoa(String(data));
    if (out === null) throw invalid("btoa: the string contains characters outside of Latin-1");
    return out;
  });
  internal.expose("atob", function atob(data) {
    if (arguments.length === 0) throw new TypeError("atob: 1 argument required");
    const out = T.atob(String(data));
    if (out === null) throw invalid("atob: the string is not correctly base64-encoded");
    return out;
  });
  internal.TextEncoder = TextEncoder;
  internal.TextDecoder = TextDecoder;
  internal.expose("TextEncoder", TextEncoder);
  internal.expose("TextDecoder", TextDecoder);
});
