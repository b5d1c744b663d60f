// @lazy globals: fetch
// fetch() (WHATWG Fetch §5.6) over the native HTTP/1.1 client (src/http/client.rs,
// src/js/natives/fetch.rs): the exchange runs on an I/O worker task, so the JS
// task keeps serving other requests meanwhile.
//
// Server-side subset, as in Cloudflare Workers:
// * http: URLs only. https: rejects with a TypeError saying TLS is not
//   available yet; other schemes (data:, file:, ...) reject with a TypeError.
// * redirect: "follow" (up to 20; 303 becomes GET, as do 301/302 after a POST),
//   "error" (a redirect rejects with a TypeError) and "manual", which, as in
//   Workers, resolves with the 3xx response itself (status, Location header)
//   rather than the browser's opaque-redirect filtered response.
// * signal: an aborted signal rejects at once with its reason; an abort while
//   the exchange runs rejects at once, and the worker's result is dropped
//   when it arrives. Per-call timeouts are AbortSignal.timeout(ms) (or any
//   signal made from it with AbortSignal.any): the worker is given the same
//   deadline, so it stops waiting when the caller does. Every fetch also ends
//   within the device-wide limit (30 s, Limits::DEFAULT in src/http/client.rs),
//   so a stuck server never holds an I/O worker forever.
// * The request body (string, bytes, Blob, FormData, URLSearchParams, or a
//   ReadableStream, read to its end first) is sent with a Content-Length. The
//   response body arrives whole (at most 1 MiB, else a TypeError) and is
//   readable with every Body method, `body` included.
// * Not covered: cache, credentials, mode, referrer, integrity, keepalive,
//   connection reuse, content decoding (no accept-encoding is sent).
(function (internal, global) {
  "use strict";
  let N = null;

  async function fetch(input, init = undefined) {
    // new Request validates what fetch() takes: URL, method, headers, body,
    // redirect and signal, with the spec's TypeErrors.
    const request = new internal.Request(input, init);
    const given = (init !== undefined && init !== null && init.signal != null) || input instanceof internal.Request;
    const signal = given ? request.signal : null;
    signal?.throwIfAborted();
    let body = internal.takeBody(request);
    if (body !== null && !(body instanceof Uint8Array)) {
      body = await internal.readAllBytes(body);
      signal?.throwIfAborted();
    }
    let timeoutMs = 0;
    let deadline = Infinity;
    if (signal !== null) {
      deadline = internal.signalDeadline(signal);
      if (deadline !== Infinity) timeoutMs = Math.max(1, deadline - Date.now());
    }
    N ??= internal.natives.load("fetch");
    const pending = N.send(
      request.method,
      request.url,
      internal.headersToFlat(request.headers),
      body,
      request.redirect,
      timeoutMs,
    );
    if (signal === null) return internal.networkResponse(await pending);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (f, v) => {
        if (!settled) {
          settled = true;
          f(v);
        }
      };
      internal.onAbort(signal, (reason) => settle(reject, reason));
      pending.then(
        (parts) => {
          if (settled) return; // aborted meanwhile: the result is dropped
          try {
            settle(resolve, internal.networkResponse(parts));
          } catch (e) {
            settle(reject, e);
          }
        },
        (e) => {
          // The worker stops at the signal's deadline too, and may get
          // there first: the signal's own timeout then rejects with its
          // reason (a TimeoutError), as the caller asked.
          if (deadline !== Infinity && Date.now() >= deadline - 50) {
            setTimeout(() => settle(reject, e), 1000);
          } else {
            settle(reject, e);
          }
        },
      );
    });
  }

  internal.expose("fetch", fetch);
});
