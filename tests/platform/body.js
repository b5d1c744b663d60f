// The Body mixin of Request and Response (Fetch §5.3), our own cases written
// from the spec: body streams, blob(), bodyUsed, clone() and Request.signal.

const enc = new TextEncoder();
const streamOf = (...parts) =>
  new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });

promise_test(async () => {
  const r = new Response("hello");
  const body = r.body;
  assert_true(body instanceof ReadableStream);
  assert_equals(r.body, body, "the same stream every time");
  assert_false(r.bodyUsed);
  const reader = body.getReader();
  const { value } = await reader.read();
  assert_true(value instanceof Uint8Array);
  assert_equals(new TextDecoder().decode(value), "hello");
  assert_true(r.bodyUsed, "reading the stream uses the body");
  await promise_rejects_js(TypeError, r.text());
}, "Response.body is a ReadableStream of Uint8Array");

test(() => {
  assert_equals(new Response().body, null);
  assert_equals(new Response(null).body, null);
  assert_equals(new Request("http://h/").body, null);
  assert_true(new Request("http://h/", { method: "POST", body: "x" }).body instanceof ReadableStream);
}, "a null body has a null stream");

promise_test(async () => {
  const r = new Response(streamOf("a", "b", "c"));
  assert_equals(r.headers.get("content-type"), null, "a stream implies no content type");
  assert_equals(await r.text(), "abc");
  assert_true(r.bodyUsed);
  const j = new Response(streamOf('{"n"', ":1}"));
  assert_equals((await j.json()).n, 1);
  const q = new Request("http://h/", { method: "PUT", body: streamOf("up") });
  assert_equals(await q.text(), "up");
}, "new Response(stream) and new Request with a stream body");

promise_test(async () => {
  const s = streamOf("x");
  s.getReader();
  assert_throws_js(TypeError, () => new Response(s), "a locked stream");
  const bad = new Response(new ReadableStream({ start(c) { c.enqueue("not bytes"); c.close(); } }));
  await promise_rejects_js(TypeError, bad.text(), "chunks must be Uint8Array");
  const err = new Response(new ReadableStream({ start(c) { c.error(new RangeError("gone")); } }));
  await promise_rejects_js(RangeError, err.arrayBuffer(), "a stream error rejects");
}, "stream bodies: locked, non-byte chunks, errors");

promise_test(async () => {
  const r = new Response("once");
  assert_equals(await r.text(), "once");
  assert_true(r.bodyUsed);
  await promise_rejects_js(TypeError, r.text());
  await promise_rejects_js(TypeError, r.arrayBuffer());
  await promise_rejects_js(TypeError, r.blob());
  assert_throws_js(TypeError, () => r.clone());
  const empty = new Response();
  assert_equals(await empty.text(), "");
  assert_equals(await empty.text(), "", "a null body can be read again");
  assert_false(empty.bodyUsed);
}, "a body is used once");

promise_test(async () => {
  const r = new Response(streamOf("tee", "d"), { headers: { "x-a": "1" } });
  const c = r.clone();
  assert_equals(c.headers.get("x-a"), "1");
  assert_equals(await c.text(), "teed");
  assert_equals(await r.text(), "teed", "both copies read the whole body");
  const b = new Response("bytes");
  const d = b.clone();
  assert_equals(await b.text(), "bytes");
  assert_equals(await d.text(), "bytes");
  const q = new Request("http://h/", { method: "POST", body: "req" });
  assert_equals(await q.clone().text(), "req");
  assert_equals(await q.text(), "req");
}, "clone() tees a stream body and copies a byte body");

promise_test(async () => {
  const r = new Response("<p>", { headers: { "content-type": "text/html" } });
  const b = await r.blob();
  assert_true(b instanceof Blob);
  assert_equals(b.type, "text/html");
  assert_equals(await b.text(), "<p>");
  const none = await new Response(new Uint8Array([1])).blob();
  assert_equals(none.type, "");
}, "blob() takes the Content-Type");

promise_test(async () => {
  const r = new Response(new Blob(["abc"], { type: "image/x-test" }));
  assert_equals(r.headers.get("content-type"), "image/x-test");
  assert_equals(await r.text(), "abc");
  const f = new FormData();
  f.append("k", "v");
  const m = new Response(f);
  assert_regexp_match(m.headers.get("content-type"), /^multipart\/form-data; boundary=/);
  assert_equals((await m.formData()).get("k"), "v");
  const bytes = await new Response("x").bytes();
  assert_true(bytes instanceof Uint8Array);
}, "Blob and FormData bodies set the Content-Type");

promise_test(async () => {
  const out = await new Response(streamOf("abc")).body
    .pipeThrough(new TransformStream({ transform(chunk, c) { c.enqueue(chunk.map((b) => b - 32)); } }));
  assert_equals(await new Response(out).text(), "ABC");
}, "a body stream piped through a TransformStream into a Response");

test(() => {
  const r = new Request("http://h/");
  assert_true(r.signal instanceof AbortSignal);
  assert_false(r.signal.aborted);
  const c = new AbortController();
  const q = new Request("http://h/", { signal: c.signal });
  assert_not_equals(q.signal, c.signal, "the request's own signal follows the given one");
  const copy = new Request(q);
  const cl = q.clone();
  c.abort("stop");
  assert_true(q.signal.aborted);
  assert_equals(q.signal.reason, "stop");
  assert_true(copy.signal.aborted, "new Request(request) follows the input's signal");
  assert_true(cl.signal.aborted, "clone() follows too");
  assert_throws_js(TypeError, () => new Request("http://h/", { signal: {} }));
  assert_false(new Request("http://h/", { signal: null }).signal.aborted);
}, "Request.signal");

promise_test(async () => {
  const a = new Request("http://h/", { method: "POST", body: "moved" });
  const b = new Request(a);
  assert_true(a.bodyUsed, "the input's body is taken");
  assert_equals(await b.text(), "moved");
  assert_throws_js(TypeError, () => new Request(a), "a used body cannot be taken again");
}, "new Request(request) takes over the body");
