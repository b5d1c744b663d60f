// Request (Fetch §5.4), server-side subset: method, url, headers, redirect,
// signal, the Body methods and clone(). Not covered: cache, credentials,
// integrity, mode, referrer, duplex and the other browser-only members; a URL is
// never resolved against a base (a server has no document URL), so relative
// URLs are a TypeError. The signal of an incoming request never aborts (the
// connection task does not report a client that goes away); it is created on
// first use, so a request that never reads it does not load the events glue.
(function (internal, global) {
  "use strict";
  const { Body, Headers, extractBody, headersFromFlat, takeBody, peekBody, cloneBody } = internal;
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const NORMAL = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
  const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);
  const REDIRECT = new Set(["follow", "error", "manual"]);
  const RAW = {}; // marks the trusted constructor path; never reachable from user code

  function normalizeMethod(m) {
    m = String(m);
    const up = m.toUpperCase();
    if (!TOKEN.test(m)) throw new TypeError(`Invalid HTTP method: ${JSON.stringify(m)}`);
    if (FORBIDDEN.has(up)) throw new TypeError(`HTTP method ${JSON.stringify(m)} is forbidden`);
    return NORMAL.has(up) ? up : m; // e.g. "patch" stays "patch" (§2.2.1 normalize)
  }

  class Request extends Body {
    #method;
    #url;
    #headers;
    #redirect;
    #signal = null;

    constructor(input, init = undefined) {
      if (input === RAW) {
        // [method, url, Headers, Uint8Array|null], already valid.
        super(init[3]);
        this.#method = init[0];
        this.#url = init[1];
        this.#headers = init[2];
        this.#redirect = "follow";
        return;
      }
      if (init !== undefined && init !== null && typeof init !== "object") {
        throw new TypeError("Request: init must be an object");
      }
      init ??= {};
      let method = "GET", url, headers, redirect = "follow", body = null, inherited = false, signal = null;
      if (input instanceof Request) {
        method = input.#method;
        url = input.#url;
        redirect = input.#redirect;
        signal = input.#signal;
        headers = input.#headers;
        body = peekBody(input); // TypeError if used
        inherited = body !== null;
      } else {
        const parsed = internal.URL.parse(input);
        if (parsed === null) throw new TypeError(`Request: invalid URL ${JSON.stringify(String(input))} (an absolute URL is needed)`);
        if (parsed.username !== "" || parsed.password !== "") {
          throw new TypeError("Request: URLs with credentials are not allowed: " + parsed.href);
        }
        url = parsed.href;
      }
      if (init.method !== undefined) method = normalizeMethod(init.method);
      if (init.redirect !== undefined) {
        redirect = String(init.redirect);
        if (!REDIRECT.has(redirect)) throw new TypeError(`Request: invalid redirect mode ${JSON.stringify(redirect)}`);
      }
      if (init.signal !== undefined) {
        signal = init.signal;
        if (signal !== null && !(internal.peek("AbortSignal") && signal instanceof internal.AbortSignal)) {
          throw new TypeError("Request: init.signal must be an AbortSignal or null");
        }
      }
      headers = new Headers(init.headers !== undefined ? init.headers : headers);
      if (init.body !== undefined && init.body !== null) {
        body = extractBody(init.body, headers);
        inherited = false;
      }
      if (body !== null && (method === "GET" || method === "HEAD")) {
        throw new TypeError("Request with GET/HEAD method cannot have body.");
      }
      // The new Request takes over the input's body (§5.4 "new Request" step 41).
      if (inherited) takeBody(input);
      super(body);
      this.#method = method;
      this.#url = url;
      this.#headers = headers;
      this.#redirect = redirect;
      // The request's signal follows the given one (§5.4 step 30).
      if (signal !== null) this.#signal = internal.AbortSignal.any([signal]);
    }

    get method() {
      return this.#method;
    }
    get url() {
      return this.#url;
    }
    get headers() {
      return this.#headers;
    }
    get redirect() {
      return this.#redirect;
    }
    get signal() {
      return (this.#signal ??= internal.newAbortSignal());
    }
    clone() {
      const b = cloneBody(this); // TypeError if used
      const c = new Request(RAW, [this.#method, this.#url, new Headers(this.#headers), b]);
      if (this.#signal !== null) c.#signal = internal.AbortSignal.any([this.#signal]);
      return c;
    }
    get [Symbol.toStringTag]() {
      return "Request";
    }
    [internal.inspect]() {
      return { method: this.#method, url: this.#url, headers: this.#headers, bodyUsed: this.bodyUsed };
    }
  }

  // Fast path for incoming requests: no validation, still a real Request.
  internal.makeRequest = (method, url, headersFlat, body) =>
    new Request(RAW, [method, url, headersFromFlat(headersFlat), body === null || body === undefined ? null : body instanceof Uint8Array ? body : new Uint8Array(body)]);
  internal.Request = Request;
  internal.expose("Request", Request);
});
