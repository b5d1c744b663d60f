// node:util, our own cases written from Node's documentation
// (https://nodejs.org/api/util.html).
import util, { format, inspect, promisify, callbackify, types, inherits, deprecate, isDeepStrictEqual } from "node:util";

test(() => {
  assert_equals(format("%s:%s", "foo", "bar", "baz"), "foo:bar baz");
  assert_equals(format("%d", 42.5), "42.5");
  assert_equals(format("%i", 42.5), "42");
  assert_equals(format("%j", { a: 1 }), '{"a":1}');
  assert_equals(format("%%s %s", "x"), "%s x");
  assert_equals(format("%s", "a", { b: 1 }), "a { b: 1 }");
  assert_equals(format(1, "a"), "1 a");
  assert_equals(format("%o"), "%o");
}, "format");

test(() => {
  assert_equals(inspect("a"), "'a'");
  assert_equals(inspect({ a: [1, 2], b: "x" }), "{ a: [ 1, 2 ], b: 'x' }");
  assert_equals(inspect(new Map([[1, 2]])), "Map(1) { 1 => 2 }");
  const o = { a: 1 };
  o.self = o;
  assert_equals(inspect(o), "{ a: 1, self: [Circular] }");
  class P {
    [inspect.custom]() {
      return "P<custom>";
    }
  }
  assert_equals(inspect(new P()), "P<custom>");
  assert_equals(inspect.custom, Symbol.for("nodejs.util.inspect.custom"));
}, "inspect, with inspect.custom");

promise_test(async () => {
  const cbStyle = (a, cb) => setTimeout(() => (a < 0 ? cb(new RangeError("neg")) : cb(null, a * 2)), 0);
  const p = promisify(cbStyle);
  assert_equals(await p(21), 42);
  await promise_rejects_js(RangeError, p(-1));
  const custom = () => {};
  custom[promisify.custom] = () => Promise.resolve("custom");
  assert_equals(await promisify(custom)(), "custom");
  assert_throws_js(TypeError, () => promisify(1));
}, "promisify");

promise_test(async () => {
  const cb = callbackify(async (x) => x + 1);
  const r = await new Promise((resolve) => cb(1, (err, v) => resolve([err, v])));
  assert_array_equals(r, [null, 2]);
  const failing = callbackify(() => Promise.reject(null));
  const e = await new Promise((resolve) => failing((err) => resolve(err)));
  assert_equals(e.code, "ERR_FALSY_VALUE_REJECTION");
}, "callbackify");

test(() => {
  assert_true(types.isDate(new Date()));
  assert_true(types.isRegExp(/a/));
  assert_true(types.isPromise(Promise.resolve()));
  assert_true(types.isUint8Array(Buffer.alloc(1)));
  assert_false(types.isUint8Array(new Uint16Array(1)));
  assert_true(types.isTypedArray(new Float32Array(1)));
  assert_true(types.isArrayBuffer(new ArrayBuffer(1)));
  assert_true(types.isMap(new Map()));
  assert_true(types.isSet(new Set()));
  assert_true(types.isAsyncFunction(async () => {}));
  assert_true(types.isGeneratorFunction(function* () {}));
  assert_true(types.isNativeError(new TypeError()));
  assert_true(types.isBoxedPrimitive(Object(1)));
  assert_false(types.isDate({}));
}, "types");

test(() => {
  function Base() {}
  Base.prototype.hi = () => "hi";
  function Child() {}
  inherits(Child, Base);
  assert_equals(new Child().hi(), "hi");
  assert_equals(Child.super_, Base);
  assert_throws_js(TypeError, () => inherits(Child, null));
  let calls = 0;
  const d = deprecate(() => ++calls, "old", "DEP0");
  assert_equals(d(), 1);
  assert_equals(d(), 2, "a deprecated function still works");
}, "inherits and deprecate");

test(() => {
  assert_true(isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
  assert_false(isDeepStrictEqual({ a: 1 }, { a: "1" }));
  assert_false(isDeepStrictEqual([1], { 0: 1, length: 1 }));
  assert_true(isDeepStrictEqual(new Set([1, { a: 1 }]), new Set([{ a: 1 }, 1])));
  assert_true(isDeepStrictEqual(new Map([["k", [1]]]), new Map([["k", [1]]])));
  assert_true(isDeepStrictEqual(NaN, NaN));
  assert_false(isDeepStrictEqual(0, -0));
  assert_true(isDeepStrictEqual(new Date(5), new Date(5)));
  assert_false(isDeepStrictEqual(Buffer.from("a"), Buffer.from("b")));
}, "isDeepStrictEqual");

test(() => {
  assert_equals(util.TextEncoder, globalThis.TextEncoder, "TextEncoder is the global, not a copy");
  assert_equals(util.TextDecoder, globalThis.TextDecoder);
  assert_equals(util.format, format);
  assert_true(util.isArray([]));
}, "TextEncoder/TextDecoder are the Web globals");
