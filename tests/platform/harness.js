// A small web-platform-tests style harness for the platform suites in this
// directory. The test runner (tests/platform.rs) serves this file, followed by
// one suite file and a `fetch` handler, as a function; a GET runs every case
// in order and answers {total, passed, failures: [{name, message}]}.
//
// test(fn, name) / test(name, fn)                  a synchronous case
// promise_test(async fn, name) / (name, async fn)  an asynchronous case (5 s limit)
// assert_equals(actual, expected, description)     SameValue (NaN equals NaN, 0 !== -0)
// assert_not_equals, assert_true, assert_false, assert_array_equals,
// assert_object_equals (own enumerable properties, recursively), assert_in_array,
// assert_greater_than, assert_less_than, assert_regexp_match, assert_unreached,
// assert_throws_js(ErrorType, fn), assert_throws_dom(name, fn),
// promise_rejects_js([t,] ErrorType, promise), promise_rejects_dom([t,] name, promise)
// A case function gets a `t` with t.step_func(fn) (returns fn: no extra wrapping).

const __cases = [];
function __add(a, b, isPromise) {
  const [fn, name] = typeof a === "function" ? [a, b] : [b, a];
  if (typeof fn !== "function") throw new TypeError("test: no function given");
  __cases.push({ name: String(name), fn, isPromise });
}
function test(a, b) {
  __add(a, b, false);
}
function promise_test(a, b) {
  __add(a, b, true);
}

class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}
function __fmt(v) {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Object.is(v, -0)) return "-0";
  if (Array.isArray(v)) return `[${v.map(__fmt).join(", ")}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}[${Array.from(v).join(", ")}]`;
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
function __fail(message, description) {
  throw new AssertionError(description ? `${description}: ${message}` : message);
}
function assert_equals(actual, expected, description) {
  if (!Object.is(actual, expected)) __fail(`expected ${__fmt(expected)} but got ${__fmt(actual)}`, description);
}
function assert_not_equals(actual, expected, description) {
  if (Object.is(actual, expected)) __fail(`got disallowed value ${__fmt(actual)}`, description);
}
function assert_true(actual, description) {
  if (actual !== true) __fail(`expected true got ${__fmt(actual)}`, description);
}
function assert_false(actual, description) {
  if (actual !== false) __fail(`expected false got ${__fmt(actual)}`, description);
}
function assert_array_equals(actual, expected, description) {
  if (actual === null || typeof actual !== "object" || typeof actual.length !== "number") {
    __fail(`expected an array-like, got ${__fmt(actual)}`, description);
  }
  if (actual.length !== expected.length) {
    __fail(`lengths differ: expected ${expected.length} (${__fmt(expected)}) got ${actual.length} (${__fmt(actual)})`, description);
  }
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      __fail(`index ${i}: expected ${__fmt(expected[i])} got ${__fmt(actual[i])}`, description);
    }
  }
}
function assert_object_equals(actual, expected, description) {
  const walk = (a, e, path) => {
    if (typeof e !== "object" || e === null) {
      if (!Object.is(a, e)) __fail(`${path || "value"}: expected ${__fmt(e)} got ${__fmt(a)}`, description);
      return;
    }
    if (typeof a !== "object" || a === null) __fail(`${path || "value"}: expected an object got ${__fmt(a)}`, description);
    const ka = Object.keys(a).sort(), ke = Object.keys(e).sort();
    assert_array_equals(ka, ke, `${description || ""} keys of ${path || "value"}`);
    for (const k of ke) walk(a[k], e[k], path ? `${path}.${k}` : k);
  };
  walk(actual, expected, "");
}
function assert_in_array(actual, expected, description) {
  if (!expected.some((e) => Object.is(e, actual))) __fail(`${__fmt(actual)} not in ${__fmt(expected)}`, description);
}
function assert_greater_than(actual, expected, description) {
  if (!(actual > expected)) __fail(`expected a number greater than ${__fmt(expected)} got ${__fmt(actual)}`, description);
}
function assert_less_than(actual, expected, description) {
  if (!(actual < expected)) __fail(`expected a number less than ${__fmt(expected)} got ${__fmt(actual)}`, description);
}
function assert_regexp_match(actual, re, description) {
  if (!re.test(actual)) __fail(`expected ${__fmt(actual)} to match ${re}`, description);
}
function assert_unreached(description) {
  __fail("reached unreachable code", description);
}
function __check_thrown(e, check, what, description) {
  if (e instanceof AssertionError) throw e;
  if (!check(e)) __fail(`expected ${what}, got ${__fmt(e && e.name)}: ${__fmt(e && e.message)}`, description);
}
function assert_throws_js(Type, fn, description) {
  try {
    fn();
  } catch (e) {
    __check_thrown(e, (x) => x instanceof Type && x.constructor === Type, Type.name, description);
    return e;
  }
  __fail(`expected ${Type.name} to be thrown, nothing was`, description);
}
function assert_throws_dom(name, fn, description) {
  try {
    fn();
  } catch (e) {
    __check_thrown(e, (x) => x !== null && typeof x === "object" && x.name === name && (typeof DOMException !== "function" || x instanceof DOMException), `DOMException ${name}`, description);
    return e;
  }
  __fail(`expected DOMException ${name} to be thrown, nothing was`, description);
}
async function promise_rejects_js(...args) {
  const [Type, promise, description] = args.length >= 3 && typeof args[0] !== "function" ? args.slice(1) : args;
  try {
    await promise;
  } catch (e) {
    __check_thrown(e, (x) => x instanceof Type && x.constructor === Type, Type.name, description);
    return e;
  }
  __fail(`expected a rejection with ${Type.name}, the promise fulfilled`, description);
}
async function promise_rejects_dom(...args) {
  const [name, promise, description] = args.length >= 3 && typeof args[0] !== "string" ? args.slice(1) : args;
  try {
    await promise;
  } catch (e) {
    __check_thrown(e, (x) => x !== null && typeof x === "object" && x.name === name, `DOMException ${name}`, description);
    return e;
  }
  __fail(`expected a rejection with DOMException ${name}, the promise fulfilled`, description);
}

async function __run() {
  const failures = [];
  let passed = 0;
  const t = { step_func: (f) => f, step_func_done: (f) => f, unreached_func: (d) => () => assert_unreached(d) };
  for (const c of __cases) {
    try {
      if (c.isPromise) {
        let timer;
        const limit = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new AssertionError("timed out after 5 s")), 5000);
        });
        try {
          await Promise.race([Promise.resolve().then(() => c.fn(t)), limit]);
        } finally {
          clearTimeout(timer);
        }
      } else {
        const r = c.fn(t);
        if (r && typeof r.then === "function") throw new AssertionError("test() returned a promise: use promise_test");
      }
      passed++;
    } catch (e) {
      let message;
      try {
        message = e instanceof Error ? `${e.name}: ${e.message}` : `threw ${__fmt(e)}`;
      } catch {
        message = "threw an unprintable value";
      }
      failures.push({ name: c.name, message });
    }
  }
  return { total: __cases.length, passed, failures };
}
