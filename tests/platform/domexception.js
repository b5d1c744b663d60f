// DOMException (WebIDL §2.8.1, §3.14.1), our own cases written from the spec.

test(() => {
  const e = new DOMException();
  assert_equals(e.name, "Error");
  assert_equals(e.message, "");
  assert_equals(e.code, 0);
}, "defaults: name Error, empty message, code 0");

test(() => {
  const e = new DOMException("stop", "AbortError");
  assert_equals(e.name, "AbortError");
  assert_equals(e.message, "stop");
  assert_equals(e.code, 20);
  assert_equals(e.code, DOMException.ABORT_ERR);
  assert_equals(new DOMException("x", "DataCloneError").code, 25);
  assert_equals(new DOMException("x", "IndexSizeError").code, 1);
  assert_equals(new DOMException("x", "InvalidCharacterError").code, 5);
  assert_equals(new DOMException("x", "TimeoutError").code, 23);
  assert_equals(new DOMException("x", "NotAllowedError").code, 0, "newer names have no code");
  assert_equals(new DOMException("x", "OperationError").code, 0);
}, "names map to their legacy codes");

test(() => {
  const e = new DOMException("m", "SyntaxError");
  assert_true(e instanceof DOMException);
  assert_true(e instanceof Error);
  assert_equals(Object.getPrototypeOf(DOMException.prototype), Error.prototype);
  assert_equals(Object.prototype.toString.call(e), "[object DOMException]");
  assert_equals(String(e), "SyntaxError: m");
  assert_equals(typeof e.stack, "string");
}, "a DOMException is an Error");

test(() => {
  assert_false(Object.prototype.hasOwnProperty.call(new DOMException("m", "X"), "message"));
  for (const k of ["name", "message", "code"]) {
    const d = Object.getOwnPropertyDescriptor(DOMException.prototype, k);
    assert_equals(typeof d.get, "function", k + " is a prototype getter");
  }
}, "name, message and code are prototype getters");

test(() => {
  const list = ["INDEX_SIZE_ERR", 1, "DOMSTRING_SIZE_ERR", 2, "HIERARCHY_REQUEST_ERR", 3, "NO_DATA_ALLOWED_ERR", 6,
    "INUSE_ATTRIBUTE_ERR", 10, "VALIDATION_ERR", 16, "NETWORK_ERR", 19, "QUOTA_EXCEEDED_ERR", 22, "DATA_CLONE_ERR", 25];
  for (let i = 0; i < list.length; i += 2) {
    assert_equals(DOMException[list[i]], list[i + 1], list[i]);
    assert_equals(DOMException.prototype[list[i]], list[i + 1], "prototype " + list[i]);
  }
  const d = Object.getOwnPropertyDescriptor(DOMException, "ABORT_ERR");
  assert_false(d.writable);
  assert_false(d.configurable);
  assert_true(d.enumerable);
}, "legacy code constants on the constructor and prototype");

test(() => {
  const e = new DOMException(42, null);
  assert_equals(e.message, "42");
  assert_equals(e.name, "null");
  const c = new DOMException("m", { name: "AbortError", cause: 7 });
  assert_equals(c.name, "AbortError");
  assert_equals(c.cause, 7);
}, "arguments are converted to strings; options form with a cause");

test(() => {
  assert_throws_js(TypeError, () => DOMException("m"));
}, "calling DOMException without new is a TypeError");

test(() => {
  const d = Object.getOwnPropertyDescriptor(globalThis, "DOMException");
  assert_false(d.enumerable);
  assert_true(d.writable);
}, "DOMException is a non-enumerable global");
