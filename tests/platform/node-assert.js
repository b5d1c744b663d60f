// node:assert, our own cases written from Node's documentation
// (https://nodejs.org/api/assert.html).
import assert, { AssertionError as NodeAssertionError, strict } from "node:assert";

function failure(fn) {
  try {
    fn();
  } catch (e) {
    if (e instanceof NodeAssertionError) return e;
    throw e;
  }
  assert_unreached("no AssertionError was thrown");
}

test(() => {
  assert(true);
  assert.ok(1);
  const e = failure(() => assert.ok(0));
  assert_equals(e.code, "ERR_ASSERTION");
  assert_equals(e.actual, 0);
  assert_equals(e.expected, true);
  assert_equals(e.operator, "==");
  assert_true(e.generatedMessage);
  const m = failure(() => assert(false, "custom"));
  assert_equals(m.message, "custom");
  assert_false(m.generatedMessage);
  const own = new TypeError("mine");
  assert_equals(assert_throws_js(TypeError, () => assert.ok(false, own)), own, "an Error message is thrown as it is");
}, "ok and AssertionError's fields");

test(() => {
  assert.equal(1, "1");
  assert.notEqual(1, 2);
  assert.strictEqual(NaN, NaN);
  const e = failure(() => assert.strictEqual(1, 2));
  assert_equals(e.operator, "strictEqual");
  assert_equals(e.actual, 1);
  assert_equals(e.expected, 2);
  failure(() => assert.notStrictEqual(1, 1));
  failure(() => strict.equal(1, "1"));
  assert_equals(assert.strict, strict);
}, "equal, strictEqual and strict mode");

test(() => {
  assert.deepEqual({ a: 1 }, { a: "1" });
  assert.deepStrictEqual({ a: [1, 2], b: new Map([[1, { c: 3 }]]) }, { a: [1, 2], b: new Map([[1, { c: 3 }]]) });
  const e = failure(() => assert.deepStrictEqual({ a: 1 }, { a: "1" }));
  assert_equals(e.operator, "deepStrictEqual");
  assert.notDeepStrictEqual({ a: 1 }, { a: "1" });
  failure(() => assert.notDeepStrictEqual([1], [1]));
  failure(() => assert.deepStrictEqual(Object.create(null), {}));
  failure(() => strict.deepEqual({ a: 1 }, { a: "1" }));
  assert.notDeepEqual({ a: 1 }, { a: 2 });
}, "deepEqual, deepStrictEqual and their negations");

test(() => {
  assert.throws(() => {
    throw new TypeError("wrong value");
  }, TypeError);
  assert.throws(() => {
    throw new Error("wrong value");
  }, /^Error: wrong/);
  assert.throws(
    () => {
      const e = new Error("wrong");
      e.code = 42;
      throw e;
    },
    { message: "wrong", code: 42 },
  );
  assert.throws(() => {
    throw new Error("x");
  }, (err) => err.message === "x");
  failure(() => assert.throws(() => {}));
  failure(() => assert.throws(() => {
    throw new Error("a");
  }, { message: "b" }));
  const wrongClass = failure(() => assert.throws(() => {
    throw new TypeError("x");
  }, RangeError));
  assert_regexp_match(wrongClass.message, /instance of "RangeError"/, "an error of another class fails the assertion");
}, "throws with a class, RegExp, object and function");

test(() => {
  assert.doesNotThrow(() => {});
  const e = failure(() => assert.doesNotThrow(() => {
    throw new Error("oops");
  }));
  assert_regexp_match(e.message, /Got unwanted exception/);
  assert.match("I will pass", /pass/);
  failure(() => assert.match("I will fail", /pass/));
  assert.doesNotMatch("I will pass", /fail/);
  assert_throws_js(TypeError, () => assert.match("x", "x"));
  assert.ifError(null);
  assert_throws_js(RangeError, () => assert.ifError(new RangeError("x")));
  const f = failure(() => assert.fail("boom"));
  assert_equals(f.message, "boom");
}, "doesNotThrow, match, doesNotMatch, ifError, fail");

promise_test(async () => {
  await assert.rejects(Promise.reject(new TypeError("x")), TypeError);
  await assert.rejects(async () => {
    throw new Error("y");
  }, { message: "y" });
  let e;
  try {
    await assert.rejects(Promise.resolve(1));
  } catch (err) {
    e = err;
  }
  assert_true(e instanceof NodeAssertionError, "a fulfilled promise fails rejects()");
  await assert.doesNotReject(Promise.resolve(1));
  await promise_rejects_js(NodeAssertionError, assert.doesNotReject(Promise.reject(new Error("z"))));
  await promise_rejects_js(TypeError, assert.rejects(42));
}, "rejects and doesNotReject");
