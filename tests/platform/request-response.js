// Request and Response (WHATWG Fetch §5.4-5.5), our own cases written from the
// spec: constructors and their TypeErrors/RangeErrors, the static Response
// methods, clone(), subclasses and the class strings.
import { inspect } from "node:util";

test(() => {
  const r = new Request("http://example.com/a?b=1");
  assert_equals(r.method, "GET");
  assert_equals(r.url, "http://example.com/a?b=1");
  assert_equals(r.redirect, "follow");
  assert_true(r.headers instanceof Headers);
  assert_equals(r.headers, r.headers, "the same Headers every time");
  assert_false(r.bodyUsed);
  assert_equals(Object.prototype.toString.call(r), "[object Request]");
}, "new Request(url) has the defaults");

test(() => {
  assert_equals(new Request("http://h/", { method: "post" }).method, "POST");
  assert_equals(new Request("http://h/", { method: "Delete" }).method, "DELETE");
  assert_equals(new Request("http://h/", { method: "patch" }).method, "patch", "only the six are normalised");
  for (const m of ["CONNECT", "trace", "TRACK"]) {
    assert_throws_js(TypeError, () => new Request("http://h/", { method: m }), m);
  }
  assert_throws_js(TypeError, () => new Request("http://h/", { method: "a b" }));
  assert_throws_js(TypeError, () => new Request("http://h/", { method: "" }));
}, "methods are normalised; forbidden and invalid methods are TypeErrors");

test(() => {
  assert_throws_js(TypeError, () => new Request("/relative"), "no base URL on a server");
  assert_throws_js(TypeError, () => new Request("http://user:pw@h/"), "credentials");
  assert_throws_js(TypeError, () => new Request("http://h/", 42), "init must be an object");
  assert_throws_js(TypeError, () => new Request("http://h/", { redirect: "sometimes" }));
  assert_equals(new Request("http://h/", { redirect: "manual" }).redirect, "manual");
  assert_throws_js(TypeError, () => new Request("http://h/", { body: "x" }), "GET with a body");
  assert_throws_js(TypeError, () => new Request("http://h/", { method: "HEAD", body: "x" }), "HEAD with a body");
  assert_throws_js(TypeError, () => Request("http://h/"), "needs new");
}, "bad Request input is a TypeError");

promise_test(async () => {
  const r = new Request("http://h/x", { method: "PUT", body: "data", headers: { "X-A": "1" } });
  assert_equals(r.headers.get("content-type"), "text/plain;charset=UTF-8");
  assert_equals(r.headers.get("x-a"), "1");
  const copy = new Request(r, { method: "POST", headers: [["x-b", "2"]] });
  assert_equals(copy.method, "POST");
  assert_equals(copy.url, "http://h/x");
  assert_false(copy.headers.has("x-a"), "init.headers replaces the input's");
  assert_equals(await copy.text(), "data");
  const c = new Request("http://h/", { method: "POST", body: "c" });
  const d = c.clone();
  assert_not_equals(d.headers, c.headers);
  assert_equals(await d.text(), "c");
  assert_equals(await c.text(), "c");
}, "new Request(request, init) and clone()");

test(() => {
  const r = new Response();
  assert_equals(r.status, 200);
  assert_equals(r.statusText, "");
  assert_true(r.ok);
  assert_equals(r.type, "default");
  assert_equals(r.url, "");
  assert_false(r.redirected);
  assert_equals(r.body, null);
  assert_equals(Object.prototype.toString.call(r), "[object Response]");
  const s = new Response("x", { status: 404.9, statusText: "Not Here" });
  assert_equals(s.status, 404, "the status is truncated");
  assert_false(s.ok);
  assert_equals(s.statusText, "Not Here");
}, "new Response() has the defaults; status and statusText");

test(() => {
  for (const status of [199, 600, 0, -1, NaN, "abc"]) {
    assert_throws_js(RangeError, () => new Response("", { status }), String(status));
  }
  assert_throws_js(TypeError, () => new Response("", { statusText: "a\nb" }));
  assert_throws_js(TypeError, () => new Response("", { statusText: "\u0100" }));
  assert_throws_js(TypeError, () => new Response("", 5), "init must be an object");
  for (const status of [204, 205, 304]) {
    assert_throws_js(TypeError, () => new Response("body", { status }), `null body status ${status}`);
    assert_equals(new Response(null, { status }).status, status);
  }
  assert_throws_js(TypeError, () => Response(), "needs new");
}, "bad Response input is a TypeError or a RangeError");

promise_test(async () => {
  const j = Response.json({ a: [1, "é"] }, { status: 201, headers: { "x-k": "v" } });
  assert_equals(j.status, 201);
  assert_equals(j.headers.get("content-type"), "application/json");
  assert_equals(j.headers.get("x-k"), "v");
  assert_equals(await j.text(), '{"a":[1,"é"]}');
  const typed = Response.json(1, { headers: { "content-type": "application/x-custom" } });
  assert_equals(typed.headers.get("content-type"), "application/x-custom", "a given content-type stays");
  assert_throws_js(TypeError, () => Response.json(undefined));
  assert_throws_js(TypeError, () => Response.json(() => 1));
  assert_throws_js(TypeError, () => Response.json({}, { status: 204 }));
}, "Response.json");

test(() => {
  const r = Response.redirect("http://example.com/a b", 301);
  assert_equals(r.status, 301);
  assert_equals(r.headers.get("location"), "http://example.com/a%20b");
  assert_equals(r.body, null);
  assert_equals(Response.redirect("http://h/").status, 302);
  assert_throws_js(RangeError, () => Response.redirect("http://h/", 200));
  assert_throws_js(TypeError, () => Response.redirect("not a url"));
  const e = Response.error();
  assert_equals(e.type, "error");
  assert_equals(e.status, 0);
  assert_false(e.ok);
}, "Response.redirect and Response.error");

promise_test(async () => {
  const bytes = new Uint8Array([104, 105]);
  const r = new Response(bytes);
  bytes[0] = 0;
  assert_equals(await r.text(), "hi", "the body is a copy of the source");
  assert_equals(new Response(new Uint8Array(1)).headers.get("content-type"), null, "bytes imply no content type");
  assert_equals(await new Response(new Uint16Array([0x6968]).buffer).text(), "hi");
  assert_equals(await new Response(42).text(), "42", "other values become strings");
  assert_equals(await new Response({ toString: () => "obj" }).text(), "obj");
  const ab = await new Response("\uFEFFbom").arrayBuffer();
  assert_true(ab instanceof ArrayBuffer);
  assert_equals(ab.byteLength, 6);
  assert_equals(await new Response("\uFEFFbom").text(), "bom", "text() drops a BOM");
  await promise_rejects_js(SyntaxError, new Response("{").json());
  assert_equals(await new Response(new Uint8Array([0xff])).text(), "\uFFFD");
}, "body kinds and how they read");

promise_test(async () => {
  class MyResponse extends Response {
    constructor(body) {
      super(body, { status: 201 });
      this.extra = true;
    }
    greet() {
      return "hi";
    }
  }
  const r = new MyResponse("sub");
  assert_true(r instanceof MyResponse);
  assert_true(r instanceof Response);
  assert_equals(r.status, 201);
  assert_equals(r.greet(), "hi");
  assert_true(r.extra);
  assert_equals(await r.text(), "sub");
  class MyHeaders extends Headers {}
  const h = new MyHeaders({ a: "1" });
  assert_true(h instanceof Headers);
  assert_equals(h.get("a"), "1");
  class MyRequest extends Request {}
  assert_equals(new MyRequest("http://h/").method, "GET");
}, "subclasses of Response, Headers and Request");

test(() => {
  assert_throws_js(TypeError, () => Response.prototype.status, "a getter on the prototype");
  assert_throws_js(TypeError, () => Headers.prototype.get.call({}, "a"));
  assert_throws_js(TypeError, () => Request.prototype.clone.call(new Response()));
  assert_equals(typeof Response.prototype.text, "function");
  assert_equals(Response.prototype.constructor, Response);
  assert_equals(Response.name, "Response");
}, "methods on the wrong object are TypeErrors");

promise_test(async () => {
  const r = new Response("once");
  const c = r.clone();
  assert_equals(await r.text(), "once");
  assert_throws_js(TypeError, () => r.clone(), "a used body cannot be cloned");
  assert_equals(await c.text(), "once");
  const h = new Headers({ a: "1" });
  const resp = new Response(null, { headers: h });
  h.set("a", "2");
  assert_equals(resp.headers.get("a"), "1", "init.headers is copied");
}, "clone() and copied headers");

test(() => {
  assert_equals(inspect(new Headers({ b: "2", "set-cookie": "x", a: "1" })), "Headers { a: '1', b: '2', 'set-cookie': 'x' }");
  assert_equals(inspect(new Response("x", { status: 201 })), "Response { status: 201, statusText: '', headers: Headers [Object], bodyUsed: false }");
  assert_equals(inspect(new Request("http://h/")), "Request { method: 'GET', url: 'http://h/', headers: Headers [Object], bodyUsed: false }");
}, "console and util.inspect show what they hold");
