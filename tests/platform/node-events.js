// node:events, our own cases written from Node's documentation
// (https://nodejs.org/api/events.html).
import EventEmitter, { once, on } from "node:events";

test(() => {
  const e = new EventEmitter();
  const seen = [];
  e.on("x", (a, b) => seen.push(["on", a, b]));
  e.prependListener("x", () => seen.push(["first"]));
  e.once("x", () => seen.push(["once"]));
  assert_true(e.emit("x", 1, 2));
  assert_true(e.emit("x", 3, 4));
  assert_false(e.emit("nobody"));
  assert_equals(JSON.stringify(seen), JSON.stringify([["first"], ["on", 1, 2], ["once"], ["first"], ["on", 3, 4]]));
}, "on, prependListener, once, emit order");

test(() => {
  const e = new EventEmitter();
  let self;
  e.on("x", function () {
    self = this;
  });
  e.emit("x");
  assert_equals(self, e, "listeners are called with the emitter as this");
  const f = () => {};
  e.on("y", f).on("y", f);
  assert_equals(e.listenerCount("y"), 2);
  e.off("y", f);
  assert_equals(e.listenerCount("y"), 1);
  assert_array_equals(e.eventNames(), ["x", "y"]);
  e.removeAllListeners("y");
  assert_array_equals(e.eventNames(), ["x"]);
  e.removeAllListeners();
  assert_array_equals(e.eventNames(), []);
  const g = () => {};
  e.once("z", g);
  assert_array_equals(e.listeners("z"), [g], "listeners() unwraps once wrappers");
  assert_equals(e.rawListeners("z")[0].listener, g);
  e.removeListener("z", g);
  assert_equals(e.listenerCount("z"), 0, "a once listener can be removed by its function");
}, "off, listenerCount, eventNames, removeAllListeners, listeners");

test(() => {
  const e = new EventEmitter();
  const boom = new Error("boom");
  assert_equals(assert_throws_js(Error, () => e.emit("error", boom)), boom, "an unhandled 'error' throws its error");
  const thrown = assert_throws_js(Error, () => e.emit("error", "text"));
  assert_equals(thrown.code, "ERR_UNHANDLED_ERROR");
  let got;
  e.on("error", (err) => (got = err));
  e.emit("error", boom);
  assert_equals(got, boom);
  let monitored;
  const m = new EventEmitter();
  m.on(EventEmitter.errorMonitor, (err) => (monitored = err));
  assert_throws_js(Error, () => m.emit("error", boom));
  assert_equals(monitored, boom, "errorMonitor sees the error first");
}, "'error' event semantics and errorMonitor");

test(() => {
  const e = new EventEmitter();
  const added = [];
  e.on("newListener", (name) => added.push(name));
  e.on("a", () => {});
  assert_array_equals(added, ["a"]);
  assert_equals(e.getMaxListeners(), EventEmitter.defaultMaxListeners);
  e.setMaxListeners(1);
  assert_equals(e.getMaxListeners(), 1);
  assert_throws_js(RangeError, () => e.setMaxListeners(-1));
  assert_throws_js(TypeError, () => e.on("a", "not a function"));
}, "newListener, setMaxListeners, listener checks");

test(() => {
  function Legacy() {
    EventEmitter.call(this);
  }
  Object.setPrototypeOf(Legacy.prototype, EventEmitter.prototype);
  const l = new Legacy();
  let n = 0;
  l.on("x", () => n++);
  l.emit("x");
  assert_equals(n, 1);
  class Modern extends EventEmitter {}
  assert_true(new Modern() instanceof EventEmitter);
  assert_equals(EventEmitter.EventEmitter, EventEmitter);
}, "EventEmitter.call(this) and subclasses");

promise_test(async () => {
  const e = new EventEmitter();
  setTimeout(() => e.emit("ready", 1, 2), 1);
  assert_array_equals(await once(e, "ready"), [1, 2]);
  const failing = new EventEmitter();
  const p = once(failing, "ready");
  failing.emit("error", new TypeError("bad"));
  await promise_rejects_js(TypeError, p);
  assert_equals(failing.listenerCount("ready"), 0, "once() cleans up");
}, "once(emitter, name) resolves with the arguments, rejects on 'error'");

promise_test(async () => {
  const e = new EventEmitter();
  queueMicrotask(() => {
    e.emit("n", 1);
    e.emit("n", 2);
  });
  const got = [];
  for await (const [n] of on(e, "n")) {
    got.push(n);
    if (got.length === 2) break;
  }
  assert_array_equals(got, [1, 2]);
  assert_equals(e.listenerCount("n"), 0);
}, "on(emitter, name) iterates events");
