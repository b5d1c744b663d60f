// The Body mixin (Fetch §5.3) as a base class of Request and Response (an internal
// class, not a global). The body is held as bytes (Uint8Array) or null; streams,
// Blob and FormData come later, so there is no `body` getter yet.
// Departure: arrayBuffer()/bytes() hand out the stored bytes without a copy when
// they are the only reference (the body is consumed by then and was copied on
// the way in, or came from the Rust side), saving a copy per read on the boards.
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode, toBytes, isBufferSource } = internal;
  const USED = "Body has already been used";

  // "extract a body" (§5.3): returns Uint8Array|null; sets content-type on
  // `headers` (a Headers) when the body type implies one and none is set.
  function extractBody(init, headers) {
    let type = null, bytes;
    if (init === null || init === undefined) return null;
    if (typeof init === "string") {
      bytes = utf8Encode(init);
      type = "text/plain;charset=UTF-8";
    } else if (isBufferSource(init)) {
      bytes = toBytes(init).slice(); // copy: later writes to the source must not show
    } else if (internal.peek("URLSearchParams") && init instanceof internal.URLSearchParams) {
      bytes = utf8Encode(init.toString());
      type = "application/x-www-form-urlencoded;charset=UTF-8";
    } else if (typeof init === "object" && typeof init.getReader === "function") {
      throw new TypeError("ReadableStream bodies are not supported yet");
    } else {
      // Web IDL converts any other value to a USVString, as browsers do.
      bytes = utf8Encode(String(init));
      type = "text/plain;charset=UTF-8";
    }
    if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    return bytes;
  }
  internal.extractBody = extractBody;

  let take, peek;
  class Body {
    #bytes;
    #used = false;

    constructor(bytes) {
      this.#bytes = bytes;
    }
    // "consume body": a null body can be read any number of times (as empty).
    #consume() {
      if (this.#used) throw new TypeError(USED);
      const b = this.#bytes;
      if (b === null) return new Uint8Array(0);
      this.#used = true;
      this.#bytes = null;
      return b;
    }
    get bodyUsed() {
      return this.#used;
    }
    async arrayBuffer() {
      const b = this.#consume();
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;
    }
    async bytes() {
      return this.#consume();
    }
    async text() {
      const s = utf8Decode(this.#consume());
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s; // UTF-8 decode drops a BOM
    }
    async json() {
      return JSON.parse(await this.text());
    }

    static {
      // For the glue: take the bytes (marks the body used; TypeError if it was).
      take = (body) => body.#consume();
      // The raw bytes without consuming (clone(), dispatch of a null body).
      peek = (body) => {
        if (body.#used) throw new TypeError(USED);
        return body.#bytes;
      };
    }
  }
  internal.Body = Body;
  internal.takeBody = take;
  internal.peekBody = peek;
});
