// internal.dispatch: runs one request (a native Request built by the JS task)
// through the user module and always resolves (never rejects) to the handler's
// Response, whose parts the JS task reads natively, or to
// [status, statusText, headersFlat, Uint8Array|ReadableStream|null] (errors,
// the Lambda form, a stream body, sent as it is produced). statusText "" means "use the standard
// reason phrase".
//
// Two module forms (the Lambda one lives in lambda.js, loaded on first use):
// - Workers: `export default { async fetch(request, env, ctx) { ... } }`
// - Lambda (API Gateway REST/v1 proxy event): `export const handler = async (event, context) => ...`
//   Departures from API Gateway: duplicate request headers are joined with ","
//   in `headers` (v1 keeps the last); queryStringParameters keeps the last value
//   (as v1); a string result is a 200 with content-type application/json (as
//   Lambda function URLs; REST v1 answers 502); a result without content-type
//   gets application/json (as API Gateway). Callback-style handlers
//   (event, context, callback) are not supported: return a value or a promise.
//   context.getRemainingTimeInMillis() counts down from internal.requestTimeoutMs
//   (set by the Rust side; 30 s if it is not set).
(function (internal, global) {
  "use strict";
  // URL, parseForm and console are loaded on first use (Lambda form, errors).
  const { Response, bodyStream, headersToFlat } = internal;
  const console = { error: (...args) => internal.console.error(...args) };
  const TEXT = "text/plain;charset=UTF-8";
  // The encoding glue loads on the first failure.
  const fail = (status, text) => [status, text, ["content-type", TEXT], internal.utf8Encode(text + "\n")];
  const describe = (v) =>
    v === null ? "null" : typeof v === "object" ? (v.constructor && v.constructor.name) || "object" : typeof v;
  internal.failure = fail;
  internal.describe = describe;

  // One ctx for all requests: it holds no per-request state, and frozen it cannot
  // carry any from one request to the next.
  const logRejection = (e) => console.error("Uncaught (in waitUntil):", e);
  const ctx = Object.freeze({
    waitUntil(promise) {
      Promise.resolve(promise).then(undefined, logRejection);
    },
    passThroughOnException() {},
  });

  internal.dispatch = async (ns, fnName, request, env) => {
    try {
      const d = ns.default;
      if (d !== null && typeof d === "object" && typeof d.fetch === "function") {
        const res = await d.fetch(request, env, ctx);
        if (!(res instanceof Response)) {
          console.error(`${fnName}: fetch handler must return a Response (got ${describe(res)})`);
          return fail(500, "Internal Server Error");
        }
        if (res.type === "error") {
          console.error(`${fnName}: fetch handler returned Response.error()`);
          return fail(500, "Internal Server Error");
        }
        const stream = bodyStream(res); // TypeError if it was already read
        // A stream body is sent as it is produced (the JS task pumps it once
        // the head is out).
        if (stream !== null) return [res.status, res.statusText, headersToFlat(res.headers), stream];
        return res;
      }
      if (typeof ns.handler === "function") return await internal.lambda(ns.handler, fnName, request);
      console.error(`${fnName}: module has neither \`export default { fetch }\` nor \`export const handler\``);
      return fail(500, "Internal Server Error");
    } catch (err) {
      try {
        console.error("Uncaught (in " + fnName + "):", err);
      } catch {}
      return fail(500, "Internal Server Error");
    }
  };
});
