// node:process and the global `process`, our own cases written from Node's
// documentation (https://nodejs.org/api/process.html). The runner gives this
// function the env vars GREETING=hi and EMPTY="".
import process, { env, nextTick } from "node:process";

test(() => {
  assert_equals(process, globalThis.process, "the module is the global");
  assert_equals(env.GREETING, "hi");
  assert_equals(process.env.EMPTY, "");
  assert_equals(process.env.NOPE, undefined);
  process.env.SET = "1";
  assert_equals(process.env.SET, "1", "env is writable, as in Node");
}, "env holds the function's configured env vars");

promise_test(async () => {
  const order = [];
  nextTick((a, b) => order.push("tick " + a + b), 1, 2);
  order.push("sync");
  await new Promise((r) => setTimeout(r, 0));
  assert_array_equals(order, ["sync", "tick 12"]);
  assert_throws_js(TypeError, () => process.nextTick(42));
}, "nextTick runs after the current job, with its arguments");

promise_test(async () => {
  const t0 = process.hrtime();
  assert_equals(t0.length, 2);
  assert_true(Number.isInteger(t0[0]) && Number.isInteger(t0[1]));
  const b0 = process.hrtime.bigint();
  assert_equals(typeof b0, "bigint");
  await new Promise((r) => setTimeout(r, 20));
  const [s, ns] = process.hrtime(t0);
  assert_greater_than(s * 1e9 + ns, 5e6, "hrtime(previous) is the time since previous");
  assert_greater_than(process.hrtime.bigint(), b0);
  assert_greater_than(process.uptime(), 0);
}, "hrtime, hrtime.bigint and uptime are monotonic");

test(() => {
  assert_equals(typeof process.platform, "string");
  assert_regexp_match(process.version, /^v\d+\.\d+\.\d+$/);
  assert_equals(typeof process.versions.isere, "string");
  assert_equals(process.cwd(), "/");
  assert_true(Array.isArray(process.argv));
  const e = assert_throws_js(Error, () => process.exit(0));
  assert_regexp_match(e.message, /not supported/);
}, "platform, version(s), cwd, argv; exit throws a clear error");
