// Response (Fetch §5.5): status, statusText, ok, headers, type, url, redirected,
// the Body methods (body is a ReadableStream), clone(), and
// Response.json/redirect/error. Departure: headers of redirect()/error()
// responses are not immutable. A stream body is read to its end by dispatch
// before the response is sent (no chunked streaming to the client yet).
(function (internal, global) {
  "use strict";
  const { Body, Headers, extractBody, headersToFlat, peekBody, cloneBody, utf8Encode } = internal;
  const NULL_BODY = new Set([101, 103, 204, 205, 304]);
  const REDIRECT = new Set([301, 302, 303, 307, 308]);
  const REASON = /^[\t\x20-\x7e\x80-\xff]*$/; // reason-phrase (RFC 9112 §4)
  const RAW = {}; // marks the trusted constructor path

  // "initialize a response" (§5.5) steps 1-4: [status, statusText, Headers].
  function initParts(init) {
    if (init !== undefined && init !== null && typeof init !== "object") {
      throw new TypeError("Response: init must be an object");
    }
    init ??= {};
    let status = 200;
    if (init.status !== undefined) {
      status = Number(init.status);
      status = Number.isFinite(status) ? Math.trunc(status) : 0;
      if (status < 200 || status > 599) {
        throw new RangeError(`Response: status must be in the range 200 to 599 (got ${String(init.status)})`);
      }
    }
    const statusText = init.statusText === undefined ? "" : String(init.statusText);
    if (!REASON.test(statusText)) throw new TypeError(`Response: invalid statusText ${JSON.stringify(statusText)}`);
    return [status, statusText, new Headers(init.headers)];
  }
  function checkBodyAllowed(status) {
    if (NULL_BODY.has(status)) throw new TypeError(`Response with null body status ${status} cannot have a body`);
  }

  let parts;
  class Response extends Body {
    #status;
    #statusText;
    #headers;
    #type;
    #url;

    constructor(body = null, init = undefined) {
      if (body === RAW) {
        // [status, statusText, Headers, Uint8Array|null, type, url]
        super(init[3]);
        [this.#status, this.#statusText, this.#headers, , this.#type, this.#url] = init;
        return;
      }
      const [status, statusText, headers] = initParts(init);
      let bytes = null;
      if (body !== null && body !== undefined) {
        checkBodyAllowed(status);
        bytes = extractBody(body, headers);
      }
      super(bytes);
      this.#status = status;
      this.#statusText = statusText;
      this.#headers = headers;
      this.#type = "default";
      this.#url = "";
    }

    static json(data, init = undefined) {
      const s = JSON.stringify(data);
      if (s === undefined) throw new TypeError("Response.json: data is not JSON-serializable");
      const [status, statusText, headers] = initParts(init);
      checkBodyAllowed(status);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(RAW, [status, statusText, headers, utf8Encode(s), "default", ""]);
    }
    static redirect(url, status = 302) {
      const u = internal.URL.parse(url);
      if (u === null) throw new TypeError(`Response.redirect: invalid URL ${JSON.stringify(String(url))}`);
      status = Number(status);
      if (!REDIRECT.has(status)) {
        throw new RangeError(`Response.redirect: status must be 301, 302, 303, 307 or 308 (got ${status})`);
      }
      return new Response(RAW, [status, "", new Headers([["location", u.href]]), null, "default", ""]);
    }
    static error() {
      return new Response(RAW, [0, "", new Headers(), null, "error", ""]);
    }

    get type() {
      return this.#type;
    }
    get url() {
      return this.#url;
    }
    get redirected() {
      return false;
    }
    get status() {
      return this.#status;
    }
    get ok() {
      return this.#status >= 200 && this.#status <= 299;
    }
    get statusText() {
      return this.#statusText;
    }
    get headers() {
      return this.#headers;
    }
    clone() {
      const b = cloneBody(this); // TypeError if used
      return new Response(RAW, [this.#status, this.#statusText, new Headers(this.#headers), b, this.#type, this.#url]);
    }
    get [Symbol.toStringTag]() {
      return "Response";
    }
    [internal.inspect]() {
      return { status: this.#status, statusText: this.#statusText, headers: this.#headers, bodyUsed: this.bodyUsed };
    }

    static {
      // For dispatch: [status, statusText, headersFlat, Uint8Array|ReadableStream|null].
      // TypeError if the body was already read.
      parts = (r) => [r.#status, r.#statusText, headersToFlat(r.#headers), peekBody(r)];
    }
  }
  internal.responseParts = parts;
  internal.Response = Response;
  internal.expose("Response", Response);
});
