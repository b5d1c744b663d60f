// Globals defined on first use (src/js/lazy.rs): the API a name stands for
// loads when it is read, not when it is only checked for (`in`) or assigned.
// Nothing before these tests has touched Blob, FormData, URLSearchParams or
// ReadableStream in this function's context.

test(() => {
  assert_true("Blob" in globalThis, "in");
  assert_false(Object.prototype.hasOwnProperty.call(globalThis, "Blob"), "not loaded by `in`");
  assert_equals(typeof FormData, "function", "typeof (which reads the value, so loads it)");
}, "in sees a lazy global without loading it");

test(() => {
  const b = new Blob(["ab"]);
  assert_equals(b.size, 2);
  const d = Object.getOwnPropertyDescriptor(globalThis, "Blob");
  assert_equals(d.value, Blob, "an own data property once loaded");
  assert_false(d.enumerable);
  assert_true(d.writable);
  assert_true(d.configurable);
}, "reading a lazy global loads it as a plain global");

test(() => {
  const mine = function URLSearchParams() {};
  globalThis.URLSearchParams = mine;
  assert_equals(URLSearchParams, mine);
  assert_equals(Object.getOwnPropertyDescriptor(globalThis, "URLSearchParams").value, mine);
}, "assigning a lazy global before use replaces it");

test(() => {
  globalThis.lazyGlobalsPlain = 1;
  assert_equals(lazyGlobalsPlain, 1);
  const d = Object.getOwnPropertyDescriptor(globalThis, "lazyGlobalsPlain");
  assert_true(d.enumerable && d.writable && d.configurable);
  assert_false("notAGlobalAnywhere" in globalThis);
  assert_equals(typeof notAGlobalAnywhere, "undefined");
  assert_throws_js(ReferenceError, () => notAGlobalAnywhere);
}, "other globals behave as ordinary properties");

test(() => {
  let seen;
  Object.defineProperty(Object.prototype, "lazyGlobalsSetter", {
    set(v) {
      seen = [this, v];
    },
    configurable: true,
  });
  try {
    globalThis.lazyGlobalsSetter = 5;
    assert_equals(seen[0], globalThis, "the setter gets the global as this");
    assert_equals(seen[1], 5);
    assert_false(Object.prototype.hasOwnProperty.call(globalThis, "lazyGlobalsSetter"));
  } finally {
    delete Object.prototype.lazyGlobalsSetter;
  }
  Object.defineProperty(Object.prototype, "lazyGlobalsFixed", { value: 1, writable: false, configurable: true });
  try {
    assert_throws_js(TypeError, () => {
      globalThis.lazyGlobalsFixed = 2;
    }, "a read-only inherited property cannot be assigned in strict code");
  } finally {
    delete Object.prototype.lazyGlobalsFixed;
  }
}, "assignments to the global object follow Object.prototype's setters and read-only properties");

test(() => {
  const s = new ReadableStream();
  assert_true(s instanceof ReadableStream);
  assert_equals(typeof structuredClone, "function");
  assert_equals(typeof DOMException, "function");
  assert_equals(new DOMException("m", "AbortError").code, 20, "our DOMException, not the engine's");
  assert_equals(typeof performance.timeOrigin, "number");
  assert_true(Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000, "our performance");
}, "the APIs the engine also defines are ours");

test(() => {
  assert_false(Object.prototype.hasOwnProperty.call(globalThis, "Proxy"), "not there before its first use");
  const p = new Proxy({}, { get: (_, k) => `got ${String(k)}` });
  assert_equals(p.x, "got x");
  const target = {};
  const r = new WeakRef(target);
  assert_equals(r.deref(), target);
  assert_equals(typeof new FinalizationRegistry(() => {}).register, "function");
  assert_true(Object.prototype.hasOwnProperty.call(globalThis, "WeakRef"), "an own global once used");
}, "the engine's Proxy, WeakRef and FinalizationRegistry are added on first use");
