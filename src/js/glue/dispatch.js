// internal.dispatch: runs one request through the user module and always resolves
// (never rejects) to [status, statusText, headersFlat, Uint8Array|null].
// statusText "" means "use the standard reason phrase".
//
// Two module forms:
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
  const { Response, Headers, makeRequest, responseParts, headersToFlat } = internal;
  const console = { error: (...args) => internal.console.error(...args) };
  const { utf8Encode, utf8Decode, isUtf8, base64Encode, base64Decode } = internal;
  const TEXT = "text/plain;charset=UTF-8";
  const fail = (status, text) => [status, text, ["content-type", TEXT], utf8Encode(text + "\n")];
  const describe = (v) =>
    v === null ? "null" : typeof v === "object" ? (v.constructor && v.constructor.name) || "object" : typeof v;

  // One ctx for all requests: it holds no per-request state, and frozen it cannot
  // carry any from one request to the next.
  const logRejection = (e) => console.error("Uncaught (in waitUntil):", e);
  const ctx = Object.freeze({
    waitUntil(promise) {
      Promise.resolve(promise).then(undefined, logRejection);
    },
    passThroughOnException() {},
  });

  // Own data property even for "__proto__" (a header or query name from the client).
  const put = (o, k, v) => {
    if (k === "__proto__") Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  };
  const hex = (n, w) => Math.floor(Math.random() * 16 ** w).toString(16).padStart(w, "0");
  // awsRequestId: a random UUID-shaped prefix per context + a counter (unique per context).
  const ID_PREFIX = `${hex(8, 8)}-${hex(4, 4)}-4${hex(3, 3)}-${(8 + Math.floor(Math.random() * 4)).toString(16)}${hex(3, 3)}-`;
  let seq = 0;

  class LambdaContext {
    #deadline;
    constructor(functionName, awsRequestId, deadline) {
      this.functionName = functionName;
      this.functionVersion = "$LATEST";
      this.awsRequestId = awsRequestId;
      this.callbackWaitsForEmptyEventLoop = false;
      this.#deadline = deadline;
    }
    getRemainingTimeInMillis() {
      return Math.max(0, this.#deadline - Date.now());
    }
  }

  async function lambda(handler, fnName, method, url, flat, body) {
    const u = new internal.URL(url);
    const path = u.pathname;
    const headers = {}, multiHeaders = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const k = flat[i].toLowerCase(), v = flat[i + 1];
      if (Object.hasOwn(multiHeaders, k)) {
        multiHeaders[k].push(v);
        headers[k] += "," + v;
      } else {
        put(multiHeaders, k, [v]);
        put(headers, k, v);
      }
    }
    let query = null, multiQuery = null;
    if (u.search !== "") {
      query = {};
      multiQuery = {};
      for (const [k, v] of internal.parseForm(u.search.slice(1))) {
        put(query, k, v);
        if (Object.hasOwn(multiQuery, k)) multiQuery[k].push(v);
        else put(multiQuery, k, [v]);
      }
    }
    let text = null, b64 = false;
    if (body !== null && body !== undefined) {
      const bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
      if (bytes.length > 0) {
        text = utf8Decode(bytes);
        if (text.includes("\uFFFD") && !isUtf8(bytes)) {
          text = base64Encode(bytes);
          b64 = true;
        }
      }
    }
    const id = ID_PREFIX + (++seq).toString(16).padStart(12, "0");
    const now = Date.now();
    const event = {
      resource: path,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: multiHeaders,
      queryStringParameters: query,
      multiValueQueryStringParameters: multiQuery,
      pathParameters: null,
      stageVariables: null,
      requestContext: { httpMethod: method, path, requestId: id, requestTimeEpoch: now },
      body: text,
      isBase64Encoded: b64,
    };
    const r = await handler(event, new LambdaContext(fnName, id, now + (internal.requestTimeoutMs ?? 30000)));

    if (typeof r === "string") return [200, "", ["content-type", "application/json"], utf8Encode(r)];
    const status = r !== null && typeof r === "object" ? r.statusCode : undefined;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
      console.error(`${fnName}: a Lambda handler must return an object with a numeric statusCode (100-599) or a string (got ${typeof status === "number" ? "statusCode " + status : describe(r)})`);
      return fail(502, "Bad Gateway");
    }
    const h = new Headers();
    if (r.headers != null) for (const k of Object.keys(r.headers)) h.set(k, r.headers[k]);
    if (r.multiValueHeaders != null) {
      for (const k of Object.keys(r.multiValueHeaders)) {
        h.delete(k);
        for (const v of [].concat(r.multiValueHeaders[k])) h.append(k, v);
      }
    }
    if (!h.has("content-type")) h.set("content-type", "application/json");
    const rb = r.body;
    const bytes = rb === null || rb === undefined ? new Uint8Array(0) : r.isBase64Encoded ? base64Decode(rb) : utf8Encode(rb);
    return [status, "", headersToFlat(h), bytes];
  }

  internal.dispatch = async (ns, fnName, method, url, headersFlat, body, env) => {
    try {
      const d = ns.default;
      if (d !== null && typeof d === "object" && typeof d.fetch === "function") {
        const res = await d.fetch(makeRequest(method, url, headersFlat, body), env, ctx);
        if (!(res instanceof Response)) {
          console.error(`${fnName}: fetch handler must return a Response (got ${describe(res)})`);
          return fail(500, "Internal Server Error");
        }
        const out = responseParts(res); // TypeError if its body was already read
        if (out[0] === 0) {
          console.error(`${fnName}: fetch handler returned Response.error()`);
          return fail(500, "Internal Server Error");
        }
        return out;
      }
      if (typeof ns.handler === "function") return await lambda(ns.handler, fnName, method, url, headersFlat, body);
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
