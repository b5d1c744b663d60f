// structuredClone (HTML §2.7), our own cases written from the spec.

test(() => {
  for (const v of [1, -0, NaN, "s", true, null, undefined, 10n]) {
    assert_equals(structuredClone(v), v);
  }
  assert_throws_js(TypeError, () => structuredClone());
}, "primitives clone to themselves");

test(() => {
  const src = { a: 1, b: [1, { c: "d" }], e: { f: null } };
  const c = structuredClone(src);
  assert_not_equals(c, src);
  assert_not_equals(c.b, src.b);
  assert_object_equals(c, src);
  assert_true(Array.isArray(c.b));
}, "plain objects and arrays are deep-copied");

test(() => {
  const a = { name: "a" };
  a.self = a;
  const shared = { n: 1 };
  a.list = [shared, shared];
  const c = structuredClone(a);
  assert_equals(c.self, c, "a cycle is kept");
  assert_equals(c.list[0], c.list[1], "shared references stay shared");
  assert_not_equals(c.list[0], shared);
}, "cycles and shared references");

test(() => {
  const d = new Date(1700000000000);
  const r = /a+b/gi;
  r.lastIndex = 3;
  const c = structuredClone({ d, r, n: new Number(3), s: new String("x"), b: new Boolean(false) });
  assert_true(c.d instanceof Date);
  assert_equals(c.d.getTime(), d.getTime());
  assert_not_equals(c.d, d);
  assert_true(c.r instanceof RegExp);
  assert_equals(c.r.source, "a+b");
  assert_equals(c.r.flags, "gi");
  assert_equals(c.r.lastIndex, 0, "lastIndex is not kept");
  assert_equals(c.n.valueOf(), 3);
  assert_equals(typeof c.n, "object");
  assert_equals(c.s.valueOf(), "x");
  assert_equals(c.b.valueOf(), false);
}, "Date, RegExp and primitive wrappers");

test(() => {
  const m = new Map([["k", { v: 1 }], [{ key: true }, "obj"]]);
  const s = new Set([1, "two", m]);
  const c = structuredClone(s);
  assert_true(c instanceof Set);
  assert_equals(c.size, 3);
  const cm = [...c][2];
  assert_true(cm instanceof Map);
  assert_not_equals(cm, m);
  assert_equals(cm.get("k").v, 1);
  assert_equals([...cm.keys()][1].key, true);
}, "Map and Set");

test(() => {
  const buf = new ArrayBuffer(8);
  const u8 = new Uint8Array(buf, 2, 4);
  u8.set([1, 2, 3, 4]);
  const f64 = new Float64Array([1.5]);
  const dv = new DataView(buf);
  const c = structuredClone({ buf, u8, dv, f64 });
  assert_true(c.u8 instanceof Uint8Array);
  assert_equals(c.u8.byteOffset, 2);
  assert_array_equals(c.u8, [1, 2, 3, 4]);
  assert_equals(c.u8.buffer, c.buf, "views of one buffer share the cloned buffer");
  assert_equals(c.dv.buffer, c.buf);
  assert_true(c.dv instanceof DataView);
  assert_equals(c.f64[0], 1.5);
  c.u8[0] = 9;
  assert_equals(u8[0], 1, "the clone does not share memory with the original");
}, "ArrayBuffer, typed arrays and DataView");

test(() => {
  const e = new RangeError("out", { cause: { why: 1 } });
  const c = structuredClone(e);
  assert_true(c instanceof RangeError);
  assert_equals(c.name, "RangeError");
  assert_equals(c.message, "out");
  assert_equals(c.cause.why, 1);
  class MyError extends Error {}
  const m = structuredClone(new MyError("mine"));
  assert_equals(m.constructor, Error, "unknown error types become Error");
  assert_equals(m.message, "mine");
  const d = structuredClone(new DOMException("gone", "AbortError"));
  assert_true(d instanceof DOMException);
  assert_equals(d.name, "AbortError");
  assert_equals(d.code, 20);
}, "Error types and DOMException");

test(() => {
  class Point {
    constructor() {
      this.x = 1;
    }
    get y() {
      return 2;
    }
  }
  const c = structuredClone(new Point());
  assert_equals(Object.getPrototypeOf(c), Object.prototype, "the prototype is not kept");
  assert_equals(c.x, 1);
  assert_equals(c.y, undefined);
}, "class instances clone to plain objects");

test(() => {
  assert_throws_dom("DataCloneError", () => structuredClone(() => {}));
  assert_throws_dom("DataCloneError", () => structuredClone({ f: function named() {} }));
  assert_throws_dom("DataCloneError", () => structuredClone(Symbol("s")));
  assert_throws_dom("DataCloneError", () => structuredClone([Symbol.iterator]));
  assert_throws_dom("DataCloneError", () => structuredClone(new WeakMap()));
  assert_throws_dom("DataCloneError", () => structuredClone(Promise.resolve()));
  assert_throws_dom("DataCloneError", () => structuredClone(new Headers()));
}, "functions, symbols and non-serialisable objects are a DataCloneError");

test(() => {
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const c = structuredClone({ buf }, { transfer: [buf] });
  assert_equals(c.buf.byteLength, 3);
  assert_array_equals(new Uint8Array(c.buf), [1, 2, 3]);
  assert_equals(buf.byteLength, 0, "the original is detached");
  assert_throws_dom("DataCloneError", () => structuredClone(buf), "a detached buffer cannot be cloned");
  const b2 = new ArrayBuffer(1);
  assert_throws_dom("DataCloneError", () => structuredClone(1, { transfer: [b2, b2] }));
  assert_throws_dom("DataCloneError", () => structuredClone(1, { transfer: [{}] }));
  assert_throws_js(TypeError, () => structuredClone(1, { transfer: 5 }));
}, "transfer moves ArrayBuffers");
