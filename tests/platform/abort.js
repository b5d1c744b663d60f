// AbortController and AbortSignal (WHATWG DOM §3.1-3.2), our own cases written from the spec.

test(() => {
  const c = new AbortController();
  const s = c.signal;
  assert_true(s instanceof AbortSignal);
  assert_true(s instanceof EventTarget);
  assert_false(s.aborted);
  assert_equals(s.reason, undefined);
  assert_equals(c.signal, s, "the same signal every time");
  s.throwIfAborted();
  assert_throws_js(TypeError, () => new AbortSignal());
}, "a new controller's signal is not aborted");

test(() => {
  const c = new AbortController();
  const seen = [];
  c.signal.addEventListener("abort", (e) => seen.push(["listener", e.type, e.target === c.signal]));
  c.signal.onabort = (e) => seen.push(["onabort", c.signal.aborted]);
  c.abort();
  c.abort(); // a second abort does nothing
  assert_true(c.signal.aborted);
  assert_equals(seen.length, 2);
  assert_array_equals(seen[0], ["listener", "abort", true]);
  assert_array_equals(seen[1], ["onabort", true]);
  const r = c.signal.reason;
  assert_true(r instanceof DOMException);
  assert_equals(r.name, "AbortError");
  assert_throws_dom("AbortError", () => c.signal.throwIfAborted());
}, "abort() fires abort once with an AbortError reason");

test(() => {
  const c = new AbortController();
  const why = new Error("why");
  c.abort(why);
  assert_equals(c.signal.reason, why);
  try {
    c.signal.throwIfAborted();
    assert_unreached("should throw");
  } catch (e) {
    assert_equals(e, why);
  }
  const d = new AbortController();
  d.abort(0);
  assert_equals(d.signal.reason, 0, "any value but undefined is kept");
}, "abort(reason) keeps the reason");

test(() => {
  const s = AbortSignal.abort();
  assert_true(s.aborted);
  assert_equals(s.reason.name, "AbortError");
  assert_equals(AbortSignal.abort("r").reason, "r");
}, "AbortSignal.abort()");

test(() => {
  const s = new AbortController().signal;
  assert_equals(s.onabort, null);
  const f = () => {};
  s.onabort = f;
  assert_equals(s.onabort, f);
  s.onabort = 5;
  assert_equals(s.onabort, null, "non-callable values become null");
}, "onabort is an event handler attribute");

promise_test(async () => {
  const s = AbortSignal.timeout(10);
  assert_false(s.aborted);
  await new Promise((resolve) => s.addEventListener("abort", resolve));
  assert_true(s.aborted);
  assert_true(s.reason instanceof DOMException);
  assert_equals(s.reason.name, "TimeoutError");
  assert_throws_js(TypeError, () => AbortSignal.timeout(-1));
}, "AbortSignal.timeout() aborts with a TimeoutError");

test(() => {
  const a = new AbortController(), b = new AbortController();
  const any = AbortSignal.any([a.signal, b.signal]);
  assert_false(any.aborted);
  let fired = 0;
  any.onabort = () => fired++;
  b.abort("b first");
  assert_true(any.aborted);
  assert_equals(any.reason, "b first");
  a.abort("a later");
  assert_equals(any.reason, "b first");
  assert_equals(fired, 1);
}, "AbortSignal.any() follows the first source to abort");

test(() => {
  const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort("done")]);
  assert_true(any.aborted);
  assert_equals(any.reason, "done");
  assert_false(AbortSignal.any([]).aborted);
  assert_throws_js(TypeError, () => AbortSignal.any([{}]));
  assert_throws_js(TypeError, () => AbortSignal.any(5));
}, "AbortSignal.any() with an aborted source, none, or bad input");

test(() => {
  const a = new AbortController();
  const inner = AbortSignal.any([a.signal]);
  const outer = AbortSignal.any([inner]);
  a.abort("x");
  assert_true(outer.aborted);
  assert_equals(outer.reason, "x");
}, "AbortSignal.any() of a dependent signal");
