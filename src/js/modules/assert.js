// node:assert (https://nodejs.org/api/assert.html): the legacy (loose) and
// strict modes, ok, equal/notEqual, strictEqual/notStrictEqual, deepEqual/
// deepStrictEqual and their negations, throws/doesNotThrow, rejects/
// doesNotReject, match/doesNotMatch, ifError, fail, and AssertionError (with
// actual, expected, operator, generatedMessage and code ERR_ASSERTION).
// `node:assert/strict` is `assert.strict`.
// Departures: messages show values with console's formatter and no diff;
// `assert.ok(false)` without a message does not quote the source expression;
// `CallTracker` and `partialDeepStrictEqual` are absent.
import internal from "isere:internal";

const inspect = (v) => internal.inspectValue(v, true);

export class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== "object") {
      throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "options" argument must be of type object');
    }
    const { message, actual, expected, operator } = options;
    const generated = message === undefined || message === null;
    super(generated ? describe(actual, expected, operator) : String(message));
    this.name = "AssertionError";
    this.code = "ERR_ASSERTION";
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    this.generatedMessage = generated;
  }
}

const WORDS = {
  "==": "Expected values to be loosely equal:",
  "!=": 'Expected "actual" to be loosely unequal to:',
  strictEqual: "Expected values to be strictly equal:",
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  deepEqual: "Expected values to be loosely deep-equal:",
  notDeepEqual: '"actual" deepEqual "expected" failed:',
  deepStrictEqual: "Expected values to be strictly deep-equal:",
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
};
function describe(actual, expected, operator) {
  const head = WORDS[operator];
  if (head === undefined) return `${inspect(actual)} ${operator} ${inspect(expected)}`;
  if (operator.startsWith("not") || operator === "!=") return `${head} ${inspect(expected)}`;
  return `${head}\n\n${inspect(actual)} !== ${inspect(expected)}`;
}

// Throws `message` itself when it is an Error (Node's rule), else an
// AssertionError.
function fail_(actual, expected, message, operator, stackStart) {
  if (message instanceof Error) throw message;
  const e = new AssertionError({ actual, expected, message, operator });
  if (Error.captureStackTrace && stackStart) Error.captureStackTrace(e, stackStart);
  throw e;
}

function ok(value, message) {
  if (arguments.length === 0) {
    fail_(undefined, true, "No value argument passed to `assert.ok()`", "==", ok);
  }
  if (!value && message === undefined) {
    const e = new AssertionError({ actual: value, expected: true, operator: "==", message: "The expression evaluated to a falsy value:\n\n  assert.ok(" + inspect(value) + ")\n" });
    e.generatedMessage = true;
    throw e;
  }
  if (!value) fail_(value, true, message, "==", ok);
}

export function fail(message = "Failed") {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message, operator: "fail" });
}

export function equal(actual, expected, message) {
  if (!(actual == expected || (Number.isNaN(actual) && Number.isNaN(expected)))) fail_(actual, expected, message, "==", equal);
}
export function notEqual(actual, expected, message) {
  if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))) fail_(actual, expected, message, "!=", notEqual);
}
export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail_(actual, expected, message, "strictEqual", strictEqual);
}
export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail_(actual, expected, message, "notStrictEqual", notStrictEqual);
}
export function deepEqual(actual, expected, message) {
  if (!internal.deepEqual(actual, expected, false)) fail_(actual, expected, message, "deepEqual", deepEqual);
}
export function notDeepEqual(actual, expected, message) {
  if (internal.deepEqual(actual, expected, false)) fail_(actual, expected, message, "notDeepEqual", notDeepEqual);
}
export function deepStrictEqual(actual, expected, message) {
  if (!internal.deepEqual(actual, expected, true)) fail_(actual, expected, message, "deepStrictEqual", deepStrictEqual);
}
export function notDeepStrictEqual(actual, expected, message) {
  if (internal.deepEqual(actual, expected, true)) fail_(actual, expected, message, "notDeepStrictEqual", notDeepStrictEqual);
}

function checkString(name, v) {
  if (typeof v !== "string") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be of type string. Received ${v === null ? "null" : typeof v}`);
}
export function match(string, regexp, message) {
  if (!(regexp instanceof RegExp)) throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "regexp" argument must be an instance of RegExp');
  if (typeof string !== "string" || !regexp.test(string)) {
    fail_(string, regexp, message ?? (typeof string !== "string" ? `The "string" argument must be of type string. Received type ${typeof string} (${inspect(string)})` : `The input did not match the regular expression ${regexp}. Input:\n\n${inspect(string)}\n`), "match", match);
  }
}
export function doesNotMatch(string, regexp, message) {
  if (!(regexp instanceof RegExp)) throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "regexp" argument must be an instance of RegExp');
  checkString("string", string);
  if (regexp.test(string)) fail_(string, regexp, message ?? `The input was expected to not match the regular expression ${regexp}. Input:\n\n${inspect(string)}\n`, "doesNotMatch", doesNotMatch);
}

export function ifError(value) {
  if (value !== null && value !== undefined) {
    if (value instanceof Error) throw value;
    fail_(value, null, "ifError got unwanted exception: " + inspect(value), "ifError", ifError);
  }
}

// Does `err` satisfy `expected` (a class, a validation function, a RegExp
// tested against the error's string form, or an object whose properties must
// deep-equal the error's)? Failing that, throws an AssertionError.
function checkError(err, expected, message, operator) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && err instanceof expected) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      fail_(err, expected, message ?? `The error is expected to be an instance of "${expected.name}". Received "${err?.constructor?.name}"\n\nError message:\n\n${err?.message}`, operator);
    }
    if (expected.call({}, err) === true) return;
    fail_(err, expected, message ?? `The ${expected.name ? `"${expected.name}" ` : ""}validation function is expected to return "true". Received false`, operator);
  }
  if (expected instanceof RegExp) {
    if (expected.test(String(err))) return;
    fail_(err, expected, message ?? `The input did not match the regular expression ${expected}. Input:\n\n${inspect(String(err))}\n`, operator);
  }
  if (typeof expected === "object" && expected !== null) {
    for (const key of Reflect.ownKeys(expected)) {
      const want = expected[key];
      const got = err?.[key];
      const same = want instanceof RegExp && typeof got === "string" ? want.test(got) : internal.deepEqual(got, want, true);
      if (!same) {
        fail_(err, expected, message ?? `Expected values to be strictly deep-equal at "${String(key)}":\n\n${inspect(got)} !== ${inspect(want)}`, operator);
      }
    }
    return;
  }
  throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "expected" argument must be of type function or an instance of Error, RegExp, or Object');
}

const NOTHING = Symbol("nothing thrown");
export function throws(fn, expected, message) {
  if (typeof fn !== "function") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "fn" argument must be of type function');
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  let err = NOTHING;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === NOTHING) fail_(undefined, expected, message ?? "Missing expected exception" + (expected?.name ? ` (${expected.name}).` : "."), "throws", throws);
  checkError(err, expected, message, "throws");
}
export function doesNotThrow(fn, expected, message) {
  if (typeof fn !== "function") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "fn" argument must be of type function');
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  try {
    fn();
  } catch (e) {
    unwanted(e, expected, message, "doesNotThrow", "exception");
  }
}
// A thrown or rejected error that was not wanted: rethrown as it is when it
// does not match `expected`, else reported as an AssertionError.
function unwanted(e, expected, message, operator, what) {
  if (expected !== undefined && typeof expected === "function" && !(expected.prototype !== undefined && e instanceof expected)) throw e;
  fail_(e, expected, `Got unwanted ${what}${message ? ": " + message : "."}\nActual message: "${e?.message}"`, operator);
}
// The promise of `promiseFn` (a promise, or a function returning one).
function promiseOf(promiseFn) {
  if (typeof promiseFn === "function") {
    const p = promiseFn();
    if (!p || typeof p.then !== "function") {
      throw internal.nodeError(TypeError, "ERR_INVALID_RETURN_VALUE", 'Expected instance of Promise to be returned from the "promiseFn" function');
    }
    return p;
  }
  if (!promiseFn || typeof promiseFn.then !== "function") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "promiseFn" argument must be of type function or an instance of Promise');
  }
  return promiseFn;
}
export async function rejects(promiseFn, expected, message) {
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  const p = promiseOf(promiseFn);
  let err = NOTHING;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === NOTHING) fail_(undefined, expected, message ?? "Missing expected rejection" + (expected?.name ? ` (${expected.name}).` : "."), "rejects", rejects);
  checkError(err, expected, message, "rejects");
}
export async function doesNotReject(promiseFn, expected, message) {
  if (typeof expected === "string") [expected, message] = [undefined, expected];
  const p = promiseOf(promiseFn);
  try {
    await p;
  } catch (e) {
    unwanted(e, expected, message, "doesNotReject", "rejection");
  }
}

function makeAssert(strictMode) {
  const assert = function assert(...args) {
    return ok(...args);
  };
  Object.assign(assert, {
    ok, fail, AssertionError, ifError, match, doesNotMatch, throws, doesNotThrow, rejects, doesNotReject,
    strictEqual, notStrictEqual, deepStrictEqual, notDeepStrictEqual,
    equal: strictMode ? strictEqual : equal,
    notEqual: strictMode ? notStrictEqual : notEqual,
    deepEqual: strictMode ? deepStrictEqual : deepEqual,
    notDeepEqual: strictMode ? notDeepStrictEqual : notDeepEqual,
  });
  return assert;
}
const assert = makeAssert(false);
export const strict = makeAssert(true);
assert.strict = strict;
strict.strict = strict;
export { ok };
export default assert;
