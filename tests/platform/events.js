// Event, CustomEvent and EventTarget (WHATWG DOM §2), our own cases written from the spec.

test(() => {
  const e = new Event("ping");
  assert_equals(e.type, "ping");
  assert_false(e.bubbles);
  assert_false(e.cancelable);
  assert_false(e.composed);
  assert_false(e.defaultPrevented);
  assert_false(e.isTrusted);
  assert_equals(e.target, null);
  assert_equals(e.currentTarget, null);
  assert_equals(e.eventPhase, Event.NONE);
  assert_equals(typeof e.timeStamp, "number");
  assert_array_equals(e.composedPath(), []);
  assert_equals(Event.AT_TARGET, 2);
  assert_equals(e.BUBBLING_PHASE, 3);
}, "a new Event has the spec's defaults");

test(() => {
  assert_throws_js(TypeError, () => new Event());
  assert_throws_js(TypeError, () => Event("x"));
  assert_throws_js(TypeError, () => new Event("x", 5));
  const e = new Event("x", { bubbles: 1, cancelable: "yes", composed: true });
  assert_true(e.bubbles);
  assert_true(e.cancelable);
  assert_true(e.composed);
}, "constructor arguments are checked and converted");

test(() => {
  const t = new EventTarget();
  const seen = [];
  function a(e) {
    seen.push(["a", this === t, e.target === t, e.currentTarget === t, e.eventPhase]);
  }
  t.addEventListener("x", a);
  t.addEventListener("x", a); // duplicate: ignored
  t.addEventListener("x", { handleEvent(e) { seen.push(["obj", this !== t]); } });
  const e = new Event("x");
  assert_true(t.dispatchEvent(e));
  assert_equals(seen.length, 2);
  assert_array_equals(seen[0], ["a", true, true, true, Event.AT_TARGET]);
  assert_array_equals(seen[1], ["obj", true]);
  assert_equals(e.target, t, "target stays set after dispatch");
  assert_equals(e.currentTarget, null);
  assert_equals(e.eventPhase, Event.NONE);
}, "listeners run in order with this, target and currentTarget");

test(() => {
  const t = new EventTarget();
  const order = [];
  t.addEventListener("x", () => order.push("bubble"));
  t.addEventListener("x", () => order.push("capture"), true);
  t.dispatchEvent(new Event("x"));
  assert_array_equals(order, ["capture", "bubble"]);
}, "capturing listeners run first at the target");

test(() => {
  const t = new EventTarget();
  let n = 0;
  const f = () => n++;
  t.addEventListener("x", f, { once: true });
  t.dispatchEvent(new Event("x"));
  t.dispatchEvent(new Event("x"));
  assert_equals(n, 1);
  t.addEventListener("y", f);
  t.addEventListener("y", f, true);
  t.removeEventListener("y", f);
  t.dispatchEvent(new Event("y"));
  assert_equals(n, 2, "only the capture listener is left");
  t.removeEventListener("y", f, { capture: true });
  t.dispatchEvent(new Event("y"));
  assert_equals(n, 2);
}, "once, and removal matches on callback and capture");

test(() => {
  const t = new EventTarget();
  const c = new AbortController();
  let n = 0;
  t.addEventListener("x", () => n++, { signal: c.signal });
  t.dispatchEvent(new Event("x"));
  c.abort();
  t.dispatchEvent(new Event("x"));
  assert_equals(n, 1);
  t.addEventListener("x", () => n++, { signal: AbortSignal.abort() });
  t.dispatchEvent(new Event("x"));
  assert_equals(n, 1, "an aborted signal adds nothing");
  assert_throws_js(TypeError, () => t.addEventListener("x", () => {}, { signal: {} }));
}, "addEventListener with a signal");

test(() => {
  const t = new EventTarget();
  t.addEventListener("x", (e) => e.preventDefault());
  const plain = new Event("x");
  assert_true(t.dispatchEvent(plain), "not cancelable: preventDefault does nothing");
  assert_false(plain.defaultPrevented);
  const c = new Event("x", { cancelable: true });
  assert_false(t.dispatchEvent(c));
  assert_true(c.defaultPrevented);
  assert_false(c.returnValue);
  const u = new EventTarget();
  u.addEventListener("x", (e) => e.preventDefault(), { passive: true });
  const p = new Event("x", { cancelable: true });
  assert_true(u.dispatchEvent(p), "passive listeners cannot cancel");
}, "preventDefault, cancelable and passive");

test(() => {
  const t = new EventTarget();
  const seen = [];
  t.addEventListener("x", (e) => { seen.push(1); e.stopImmediatePropagation(); });
  t.addEventListener("x", () => seen.push(2));
  t.dispatchEvent(new Event("x"));
  assert_array_equals(seen, [1]);
  t.dispatchEvent(new Event("x"));
  assert_array_equals(seen, [1, 1]);
}, "stopImmediatePropagation skips the remaining listeners");

test(() => {
  const t = new EventTarget();
  const e = new Event("x");
  let inner;
  t.addEventListener("x", () => {
    try {
      t.dispatchEvent(e);
    } catch (err) {
      inner = err;
    }
  });
  t.dispatchEvent(e);
  assert_equals(inner && inner.name, "InvalidStateError");
  assert_true(inner instanceof DOMException);
  assert_throws_js(TypeError, () => t.dispatchEvent({ type: "x" }));
}, "dispatching an event twice at once is an InvalidStateError");

test(() => {
  const t = new EventTarget();
  let after = false;
  t.addEventListener("x", () => {
    throw new Error("listener failure (expected in this test)");
  });
  t.addEventListener("x", () => (after = true));
  assert_true(t.dispatchEvent(new Event("x")));
  assert_true(after);
}, "a throwing listener is reported and does not stop the others");

test(() => {
  const t = new EventTarget();
  const seen = [];
  const b = () => seen.push("b");
  t.addEventListener("x", () => { seen.push("a"); t.removeEventListener("x", b); t.addEventListener("x", () => seen.push("c")); });
  t.addEventListener("x", b);
  t.dispatchEvent(new Event("x"));
  assert_array_equals(seen, ["a"], "removed listeners do not run; added ones wait for the next dispatch");
}, "listeners changed during dispatch");

test(() => {
  const e = new CustomEvent("c", { detail: { n: 1 } });
  assert_true(e instanceof Event);
  assert_equals(e.detail.n, 1);
  assert_equals(new CustomEvent("c").detail, null);
}, "CustomEvent carries detail");

test(() => {
  class Clock extends EventTarget {
    tick() {
      this.dispatchEvent(new Event("tick"));
    }
  }
  const c = new Clock();
  let n = 0;
  c.addEventListener("tick", () => n++);
  c.tick();
  assert_equals(n, 1);
}, "EventTarget can be subclassed");
