// Headers (WHATWG Fetch §5.2), our own cases written from the spec.

test(() => {
  const h = new Headers();
  assert_array_equals([...h], []);
  assert_equals(h.get("a"), null);
  assert_false(h.has("a"));
}, "an empty Headers has nothing");

test(() => {
  const h = new Headers({ "Content-Type": "text/plain", "X-A": "1" });
  assert_equals(h.get("content-type"), "text/plain");
  assert_equals(h.get("CONTENT-TYPE"), "text/plain", "names are case-insensitive");
  assert_equals(h.get("x-a"), "1");
}, "a record initialises headers");

test(() => {
  const h = new Headers([["a", "1"], ["b", "2"], ["a", "3"]]);
  assert_equals(h.get("a"), "1, 3");
  assert_equals(h.get("b"), "2");
  const copy = new Headers(h);
  copy.set("a", "x");
  assert_equals(h.get("a"), "1, 3", "a copy does not share storage");
  assert_equals(copy.get("a"), "x");
}, "a sequence of pairs and another Headers initialise headers");

test(() => {
  assert_throws_js(TypeError, () => new Headers([["a"]]));
  assert_throws_js(TypeError, () => new Headers([["a", "1", "2"]]));
  assert_throws_js(TypeError, () => new Headers(["ab"]));
  assert_throws_js(TypeError, () => new Headers("a: 1"));
  assert_throws_js(TypeError, () => new Headers(42));
}, "a malformed init is a TypeError");

test(() => {
  const h = new Headers();
  for (const bad of ["", "a b", "a:b", "é", "a\n", "(x)", "a/b"]) {
    assert_throws_js(TypeError, () => h.append(bad, "v"), `name ${JSON.stringify(bad)}`);
    assert_throws_js(TypeError, () => h.get(bad), `get ${JSON.stringify(bad)}`);
  }
  for (const bad of ["a\r\nb", "a\nb", "a\rb", "a\0b", "\u0100", "😀"]) {
    assert_throws_js(TypeError, () => h.set("x", bad), `value ${JSON.stringify(bad)}`);
  }
  h.append("ok", "\u00ff latin-1 is fine");
  assert_equals(h.get("ok"), "\u00ff latin-1 is fine");
}, "invalid names and values are TypeErrors; Latin-1 values are allowed");

test(() => {
  const h = new Headers();
  h.append("a", "  \t padded \t ");
  assert_equals(h.get("a"), "padded", "leading and trailing HTTP whitespace is removed");
  h.set("b", " in side ");
  assert_equals(h.get("b"), "in side", "inner spaces stay");
}, "values are normalised");

test(() => {
  const h = new Headers([["a", "1"]]);
  h.append("A", "2");
  assert_equals(h.get("a"), "1, 2");
  h.set("a", "3");
  assert_equals(h.get("a"), "3", "set replaces every value");
  h.delete("A");
  assert_false(h.has("a"));
  assert_equals(h.get("a"), null);
  h.delete("never-there");
}, "append, set, delete and has");

test(() => {
  const h = new Headers([["b", "2"], ["C", "3"], ["a", "1"], ["b", "4"]]);
  assert_array_equals([...h.keys()], ["a", "b", "c"], "keys are sorted, lowercase and combined");
  assert_array_equals([...h.values()], ["1", "2, 4", "3"]);
  assert_array_equals([...h].map((e) => e.join("=")), ["a=1", "b=2, 4", "c=3"]);
  assert_array_equals([...h.entries()].map((e) => e[0]), ["a", "b", "c"]);
}, "iteration sorts and combines");

test(() => {
  const h = new Headers();
  h.append("Set-Cookie", "a=1");
  h.append("set-cookie", "b=2");
  h.append("x", "y");
  assert_array_equals(h.getSetCookie(), ["a=1", "b=2"]);
  assert_equals(h.get("set-cookie"), "a=1, b=2");
  assert_array_equals([...h].map((e) => e.join("=")), ["set-cookie=a=1", "set-cookie=b=2", "x=y"], "set-cookie is never combined");
  h.delete("set-cookie");
  assert_array_equals(h.getSetCookie(), []);
}, "set-cookie stays separate");

test(() => {
  const h = new Headers([["b", "2"], ["a", "1"]]);
  const seen = [];
  const self = {};
  h.forEach(function (value, name, headers) {
    seen.push(name + ":" + value);
    assert_equals(headers, h);
    assert_equals(this, self);
  }, self);
  assert_array_equals(seen, ["a:1", "b:2"]);
  assert_throws_js(TypeError, () => h.forEach("nope"));
}, "forEach visits sorted entries with value, name, headers and thisArg");

test(() => {
  const h = new Headers([["a", "1"]]);
  const it = h.entries();
  h.append("b", "2");
  assert_array_equals([...it].map((e) => e[0]), ["a"], "an iterator walks the list as it was when it was made");
  assert_equals(Object.prototype.toString.call(h), "[object Headers]");
  assert_equals(typeof Headers.prototype[Symbol.iterator], "function");
}, "iterators and the class string");
