// The Body mixin (Fetch §5.3) as a base class of Request and Response (an internal
// class, not a global). The body is held as bytes (Uint8Array), as a
// ReadableStream, or is null. Bytes become a stream only when `body` is read, so
// the common path (text(), json()) never loads the streams glue; Blob, FormData
// and streams are recognised only once their glue is loaded (no instance can
// exist before).
// Departure: arrayBuffer()/bytes() hand out the stored bytes without a copy when
// they are the only reference (the body is consumed by then and was copied on
// the way in, or came from the Rust side), saving a copy per read on the boards.
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode, toBytes, isBufferSource, peek } = internal;
  const USED = "Body has already been used";
  const is = (name, x) => {
    const C = peek(name);
    return C !== undefined && x instanceof C;
  };

  // "extract a body" (§5.3): returns Uint8Array|ReadableStream|null; sets
  // content-type on `headers` (a Headers) when the body type implies one and
  // none is set.
  function extractBody(init, headers) {
    let type = null, bytes;
    if (init === null || init === undefined) return null;
    if (typeof init === "string") {
      bytes = utf8Encode(init);
      type = "text/plain;charset=UTF-8";
    } else if (isBufferSource(init)) {
      bytes = toBytes(init).slice(); // copy: later writes to the source must not show
    } else if (is("URLSearchParams", init)) {
      bytes = utf8Encode(init.toString());
      type = "application/x-www-form-urlencoded;charset=UTF-8";
    } else if (is("Blob", init)) {
      bytes = internal.blobBytes(init).slice();
      if (init.type !== "") type = init.type;
    } else if (is("FormData", init)) {
      [bytes, type] = internal.formDataToBody(init);
    } else if (is("ReadableStream", init)) {
      if (init.locked || internal.streamDisturbed(init)) throw new TypeError("The body stream is locked or has been read");
      bytes = init;
    } else {
      // Web IDL converts any other value to a USVString, as browsers do.
      bytes = utf8Encode(String(init));
      type = "text/plain;charset=UTF-8";
    }
    if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    return bytes;
  }
  internal.extractBody = extractBody;

  let take, peekBody, cloneBody;
  class Body {
    #bytes = null;
    #stream = null;
    #used = false;

    constructor(body) {
      if (body instanceof Uint8Array) this.#bytes = body;
      else if (body !== null) this.#stream = body;
    }
    #check() {
      if (this.bodyUsed) throw new TypeError(USED);
      if (this.#stream !== null && this.#stream.locked) throw new TypeError("The body stream is locked to a reader");
    }
    // "consume body": a null body can be read any number of times (as empty).
    async #consume() {
      this.#check();
      if (this.#stream !== null) return internal.readAllBytes(this.#stream);
      const b = this.#bytes;
      if (b === null) return new Uint8Array(0);
      this.#used = true;
      this.#bytes = null;
      return b;
    }
    get body() {
      if (this.#stream === null && this.#bytes !== null) {
        this.#stream = internal.streamFromBytes(this.#bytes);
        this.#bytes = null;
      }
      return this.#stream;
    }
    get bodyUsed() {
      return this.#used || (this.#stream !== null && internal.streamDisturbed(this.#stream));
    }
    async arrayBuffer() {
      const b = await this.#consume();
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;
    }
    async bytes() {
      return this.#consume();
    }
    async text() {
      const s = utf8Decode(await this.#consume());
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s; // UTF-8 decode drops a BOM
    }
    async json() {
      return JSON.parse(await this.text());
    }
    async blob() {
      const bytes = await this.#consume();
      return new internal.Blob([bytes], { type: this.headers.get("content-type") ?? "" });
    }
    async formData() {
      const type = this.headers.get("content-type");
      const bytes = await this.#consume();
      return internal.formDataFromBody(bytes, type);
    }

    static {
      // For the glue: take the body (bytes or stream) and mark it used
      // (TypeError if it was).
      take = (body) => {
        body.#check();
        const b = body.#stream ?? body.#bytes;
        body.#used = true;
        body.#bytes = body.#stream = null;
        return b;
      };
      // The body without consuming it (dispatch of a response).
      peekBody = (body) => {
        body.#check();
        return body.#stream ?? body.#bytes;
      };
      // A copy for clone(): bytes are copied, a stream is teed (§5.3 "clone").
      cloneBody = (body) => {
        body.#check();
        if (body.#stream === null) return body.#bytes === null ? null : body.#bytes.slice();
        const [a, b] = body.#stream.tee();
        body.#stream = a;
        return b;
      };
    }
  }
  internal.Body = Body;
  internal.takeBody = take;
  internal.peekBody = peekBody;
  internal.cloneBody = cloneBody;
});
