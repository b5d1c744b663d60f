// performance (High Resolution Time) and navigator (HTML §8.9.1), our own cases.

test(() => {
  const a = performance.now();
  assert_equals(typeof a, "number");
  assert_true(a >= 0);
  const b = performance.now();
  assert_true(b >= a, "monotonic");
  assert_equals(typeof performance.timeOrigin, "number");
  assert_true(Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000, "timeOrigin + now() is about Date.now()");
  assert_equals(performance.toJSON().timeOrigin, performance.timeOrigin);
  assert_equals(Object.prototype.toString.call(performance), "[object Performance]");
}, "performance.now() and timeOrigin");

promise_test(async () => {
  const a = performance.now();
  await new Promise((r) => setTimeout(r, 50));
  const elapsed = performance.now() - a;
  assert_true(elapsed >= 40, `at least the timer delay (less the tick): ${elapsed}`);
  assert_true(elapsed < 2000, `not wildly more: ${elapsed}`);
}, "performance.now() advances with time");

test(() => {
  assert_regexp_match(navigator.userAgent, /^Isere\/\d+\.\d+\.\d+/);
  assert_equals(Object.prototype.toString.call(navigator), "[object Navigator]");
}, "navigator.userAgent names Isère and its version");

promise_test(async () => {
  const order = [];
  queueMicrotask(() => order.push("micro"));
  Promise.resolve().then(() => order.push("promise"));
  order.push("sync");
  await new Promise((r) => setTimeout(r, 0));
  assert_array_equals(order, ["sync", "micro", "promise"], "microtasks run in queue order, before timers");
  assert_throws_js(TypeError, () => queueMicrotask());
  assert_throws_js(TypeError, () => queueMicrotask("code"));
}, "queueMicrotask");
