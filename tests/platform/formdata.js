// FormData (XHR §4.3) and the multipart/form-data and urlencoded body formats
// (Fetch §5.3), our own cases written from the specs.

test(() => {
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("b", "2");
  fd.append("a", "3");
  assert_equals(fd.get("a"), "1");
  assert_array_equals(fd.getAll("a"), ["1", "3"]);
  assert_true(fd.has("b"));
  assert_equals(fd.get("zz"), null);
  fd.set("a", "x");
  assert_array_equals([...fd.keys()], ["a", "b"], "set replaces the first and drops the others");
  assert_equals(fd.get("a"), "x");
  fd.delete("b");
  assert_false(fd.has("b"));
  assert_array_equals([...fd].map(([k, v]) => k + "=" + v), ["a=x"]);
  fd.append(1, 2);
  assert_equals(fd.get("1"), "2", "names and values are converted to strings");
}, "the entry list");

test(() => {
  const fd = new FormData();
  fd.append("file", new Blob(["abc"], { type: "text/plain" }));
  const f = fd.get("file");
  assert_true(f instanceof File);
  assert_equals(f.name, "blob", "a Blob becomes a File named blob");
  fd.set("named", new Blob(["x"]), "x.bin");
  assert_equals(fd.get("named").name, "x.bin");
  fd.append("file2", new File(["y"], "orig.txt"), "renamed.txt");
  assert_equals(fd.get("file2").name, "renamed.txt");
  assert_throws_js(TypeError, () => fd.append("s", "string", "name.txt"));
  assert_throws_js(TypeError, () => fd.append("only-name"));
  assert_throws_js(TypeError, () => new FormData({}));
}, "Blob values become Files");

test(() => {
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("b", "2");
  const seen = [];
  fd.forEach((v, k, self) => seen.push(k + v + (self === fd)));
  assert_array_equals(seen, ["a1true", "b2true"]);
  assert_array_equals([...fd.values()], ["1", "2"]);
  assert_equals(Object.prototype.toString.call(fd), "[object FormData]");
}, "iteration");

promise_test(async () => {
  const fd = new FormData();
  fd.append("name", "Isère \"quoted\"");
  fd.append("multi\nline", "a\nb");
  fd.append("upload", new File(["\u00e9\r\n--not-a-boundary"], "r\u00e9sum\u00e9.txt", { type: "text/plain" }));
  fd.append("bin", new Blob([new Uint8Array([0, 255, 13, 10])]));
  const req = new Request("http://h/", { method: "POST", body: fd });
  const type = req.headers.get("content-type");
  assert_regexp_match(type, /^multipart\/form-data; boundary=[-\w]+$/);
  const text = await req.clone().text();
  assert_true(text.includes('Content-Disposition: form-data; name="name"\r\n\r\nIsère "quoted"\r\n'), "a string part");
  assert_true(text.includes('name="multi%0D%0Aline"'), "newlines in names are escaped");
  assert_true(text.includes("\r\n\r\na\r\nb\r\n"), "newlines in values become CRLF");
  assert_true(text.includes('filename="r\u00e9sum\u00e9.txt"\r\nContent-Type: text/plain\r\n'), "a file part");
  assert_true(text.includes('filename="blob"\r\nContent-Type: application/octet-stream\r\n'), "a typeless Blob");
  const back = await req.formData();
  assert_equals(back.get("name"), "Isère \"quoted\"");
  assert_equals(back.get("multi%0D%0Aline"), "a\r\nb");
  const up = back.get("upload");
  assert_true(up instanceof File);
  assert_equals(up.name, "r\u00e9sum\u00e9.txt");
  assert_equals(up.type, "text/plain");
  assert_equals(await up.text(), "\u00e9\r\n--not-a-boundary");
  assert_array_equals(await back.get("bin").bytes(), [0, 255, 13, 10]);
}, "multipart/form-data round trip through a Request");

promise_test(async () => {
  const body =
    "preamble\r\n--XyZ\r\n" +
    'Content-Disposition: form-data; name="a"\r\n\r\n' +
    "one\r\n--XyZ\r\n" +
    'content-disposition: form-data; name="f"; filename="f.txt"\r\nContent-Type: text/csv\r\n\r\n' +
    "x,y\r\n--XyZ\r\n" +
    'Content-Disposition: form-data; name="empty"\r\n\r\n' +
    "\r\n--XyZ--\r\nepilogue";
  const res = new Response(body, { headers: { "content-type": 'multipart/form-data; boundary="XyZ"' } });
  const fd = await res.formData();
  assert_equals(fd.get("a"), "one");
  assert_equals(fd.get("f").name, "f.txt");
  assert_equals(fd.get("f").type, "text/csv");
  assert_equals(await fd.get("f").text(), "x,y");
  assert_equals(fd.get("empty"), "");
}, "multipart parsing: preamble, quoted boundary, headers in any case, empty part");

promise_test(async () => {
  const mk = (body, type = "multipart/form-data; boundary=B") => new Response(body, { headers: { "content-type": type } }).formData();
  await promise_rejects_js(TypeError, mk("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"));
  await promise_rejects_js(TypeError, mk("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--"), "no Content-Disposition");
  await promise_rejects_js(TypeError, mk("nothing here"));
  await promise_rejects_js(TypeError, mk("", "multipart/form-data"), "no boundary");
  await promise_rejects_js(TypeError, mk("a=b", "text/plain"), "another type");
  await promise_rejects_js(TypeError, new Response("a=b").formData(), "text/plain;charset=UTF-8");
}, "malformed multipart bodies and other types are TypeErrors");

promise_test(async () => {
  const res = new Response("a=1&b=%C3%A9+x&a=2&flag", { headers: { "content-type": "application/x-www-form-urlencoded" } });
  const fd = await res.formData();
  assert_array_equals(fd.getAll("a"), ["1", "2"]);
  assert_equals(fd.get("b"), "\u00e9 x");
  assert_equals(fd.get("flag"), "");
  const p = new URLSearchParams({ q: "x y" });
  const fd2 = await new Request("http://h/", { method: "POST", body: p }).formData();
  assert_equals(fd2.get("q"), "x y");
}, "application/x-www-form-urlencoded parsing");
