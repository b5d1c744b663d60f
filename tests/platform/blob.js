// Blob and File (W3C File API), our own cases written from the spec.

promise_test(async () => {
  const b = new Blob(["h\u00e9", new Uint8Array([0x21]), new Blob(["?"])], { type: "Text/Plain" });
  assert_equals(b.size, 5);
  assert_equals(b.type, "text/plain", "the type is lowercased");
  assert_equals(await b.text(), "h\u00e9!?");
  assert_array_equals(await b.bytes(), [0x68, 0xc3, 0xa9, 0x21, 0x3f]);
  const ab = await b.arrayBuffer();
  assert_true(ab instanceof ArrayBuffer);
  assert_equals(ab.byteLength, 5);
}, "a Blob joins strings, buffers and Blobs");

test(() => {
  const b = new Blob();
  assert_equals(b.size, 0);
  assert_equals(b.type, "");
  assert_equals(new Blob([], { type: "a\u00e9" }).type, "", "non-ASCII types are dropped");
  assert_equals(new Blob([], { type: "a\x1f" }).type, "", "control characters are dropped");
  assert_equals(new Blob([42]).size, 2, "other values are converted to strings");
  assert_throws_js(TypeError, () => new Blob("abc"), "a string is not a sequence of parts");
  assert_throws_js(TypeError, () => new Blob([], { endings: "unix" }));
  assert_throws_js(TypeError, () => new Blob([], 5));
}, "constructor defaults and argument checks");

promise_test(async () => {
  const src = new Uint8Array([1, 2, 3]);
  const b = new Blob([src]);
  src[0] = 9;
  assert_array_equals(await b.bytes(), [1, 2, 3], "the bytes are copied in");
  assert_equals(await new Blob(["a\r\nb\rc"], { endings: "native" }).text(), "a\nb\nc");
  assert_equals(await new Blob(["a\r\nb"]).text(), "a\r\nb", "transparent endings keep CRLF");
}, "copying and line endings");

promise_test(async () => {
  const b = new Blob(["0123456789"], { type: "text/plain" });
  assert_equals(await b.slice(2, 5).text(), "234");
  assert_equals(await b.slice(-3).text(), "789");
  assert_equals(await b.slice(-3, -1).text(), "78");
  assert_equals(await b.slice(5, 2).text(), "", "end before start is empty");
  assert_equals(await b.slice(0, 100).text(), "0123456789");
  assert_equals(b.slice(1).type, "", "slice without a type has none");
  assert_equals(b.slice(1, 2, "X/Y").type, "x/y");
}, "slice");

promise_test(async () => {
  const chunks = [];
  for await (const c of new Blob(["stream me"]).stream()) chunks.push(c);
  assert_true(chunks.every((c) => c instanceof Uint8Array));
  assert_equals(new TextDecoder().decode(chunks[0]), "stream me");
}, "stream() gives Uint8Array chunks");

promise_test(async () => {
  const f = new File(["abc"], "a.txt", { type: "text/plain", lastModified: 1234 });
  assert_true(f instanceof Blob);
  assert_equals(f.name, "a.txt");
  assert_equals(f.lastModified, 1234);
  assert_equals(f.size, 3);
  assert_equals(await f.text(), "abc");
  assert_equals(Object.prototype.toString.call(f), "[object File]");
  const now = Date.now();
  assert_true(Math.abs(new File([], "x").lastModified - now) < 1000, "lastModified defaults to now");
  assert_throws_js(TypeError, () => new File(["a"]));
}, "File");

promise_test(async () => {
  const f = structuredClone(new File(["x"], "n", { type: "a/b", lastModified: 5 }));
  assert_true(f instanceof File);
  assert_equals(f.name, "n");
  assert_equals(f.type, "a/b");
  assert_equals(f.lastModified, 5);
  assert_equals(await f.text(), "x");
}, "structuredClone of a File");
