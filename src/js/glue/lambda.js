// @lazy internal: lambda
// internal.lambda: runs one request through a Lambda-form module
// (`export const handler = async (event, context) => ...`, the API Gateway
// REST/v1 proxy event), for internal.dispatch. Loaded on first use: a Workers
// function never pays for it. Departures from API Gateway are listed in
// dispatch.js.
(function (internal, global) {
  "use strict";
  const { Headers, headersToFlat, utf8Encode, utf8Decode, isUtf8, base64Encode, base64Decode, describe } = internal;
  const fail = internal.failure;
  const console = { error: (...args) => internal.console.error(...args) };

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

  internal.lambda = async function lambda(handler, fnName, request) {
    // The request as received: repeated headers not combined, the body taken.
    const [method, url, flat, body] = internal.requestParts(request);
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
      // A body the connection streams is read whole: the event carries it as text.
      const bytes = body instanceof Uint8Array ? body : await internal.readAllBytes(body);
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
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
      console.error(`${fnName}: a Lambda handler must return an object with a numeric statusCode (200-599: a 1xx is never a final answer) or a string (got ${typeof status === "number" ? "statusCode " + status : describe(r)})`);
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
  };

})
