// The built-in modules answer to both `node:NAME` and `NAME` with one module
// object, and an unknown name fails to import.
const NAMES = ["assert", "buffer", "diagnostics_channel", "events", "path", "process", "stream", "string_decoder", "util"];

for (const name of NAMES) {
  promise_test(async () => {
    const a = await import("node:" + name);
    const b = await import(name);
    assert_equals(a, b, "one module object");
    assert_not_equals(a.default, undefined, "it has a default export");
  }, `node:${name} and ${name} are the same module`);
}

promise_test(async () => {
  let error;
  try {
    await import("node:no-such-module");
  } catch (e) {
    error = e;
  }
  assert_true(error instanceof Error);
  assert_regexp_match(String(error.message), /no built-in module/);
}, "an unknown node: module fails to import");
