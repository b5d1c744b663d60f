// TextEncoder, TextDecoder (WHATWG Encoding §8), atob and btoa (HTML §8.3),
// our own cases written from the specs.

const bytes = (...b) => new Uint8Array(b);

test(() => {
  const e = new TextEncoder();
  assert_equals(e.encoding, "utf-8");
  assert_array_equals(e.encode("h\u00e9\u20ac\u{1F600}"), [0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
  assert_array_equals(e.encode(), []);
  assert_true(e.encode("a") instanceof Uint8Array);
  assert_array_equals(e.encode("\ud800x"), [0xef, 0xbf, 0xbd, 0x78], "a lone surrogate becomes U+FFFD");
  assert_array_equals(e.encode(12), [0x31, 0x32], "converted to a string");
}, "TextEncoder.encode");

test(() => {
  const e = new TextEncoder();
  const dest = new Uint8Array(5);
  const r = e.encodeInto("a\u20acb", dest);
  assert_equals(r.read, 3);
  assert_equals(r.written, 5);
  assert_array_equals(dest, [0x61, 0xe2, 0x82, 0xac, 0x62]);
  const small = new Uint8Array(4);
  const r2 = e.encodeInto("a\u{1F600}", small);
  assert_equals(r2.read, 1, "a character that does not fit is not split");
  assert_equals(r2.written, 1);
  const r3 = e.encodeInto("\u{1F600}z", new Uint8Array(4));
  assert_equals(r3.read, 2, "an astral character reads two code units");
  assert_equals(r3.written, 4);
  assert_throws_js(TypeError, () => e.encodeInto("a", new ArrayBuffer(4)));
}, "TextEncoder.encodeInto");

test(() => {
  const d = new TextDecoder();
  assert_equals(d.encoding, "utf-8");
  assert_false(d.fatal);
  assert_false(d.ignoreBOM);
  assert_equals(d.decode(bytes(0x68, 0xc3, 0xa9)), "h\u00e9");
  assert_equals(d.decode(), "");
  assert_equals(d.decode(new Uint8Array([0x61, 0x62, 0x63]).buffer), "abc", "an ArrayBuffer");
  assert_equals(d.decode(new DataView(new Uint8Array([0x7a]).buffer)), "z", "a DataView");
  const big = new Uint16Array([0x6968]);
  assert_equals(d.decode(big), "hi", "any view, by its bytes");
  assert_throws_js(TypeError, () => d.decode("abc"));
}, "TextDecoder.decode of the buffer source types");

test(() => {
  for (const label of ["utf-8", "UTF-8", " utf8 ", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode11utf8"]) {
    assert_equals(new TextDecoder(label).encoding, "utf-8", label);
  }
  for (const label of ["utf-16le", "latin1", "bogus", "", "utf-8x"]) {
    assert_throws_js(RangeError, () => new TextDecoder(label), label);
  }
}, "TextDecoder labels: the utf-8 labels work, others are a RangeError");

test(() => {
  const d = new TextDecoder();
  assert_equals(d.decode(bytes(0x61, 0xff, 0x62)), "a\ufffdb");
  assert_equals(d.decode(bytes(0xf0, 0x9f, 0x98)), "\ufffd", "a truncated sequence is one U+FFFD");
  assert_equals(d.decode(bytes(0xc0, 0x80)), "\ufffd\ufffd", "overlong forms");
  assert_equals(d.decode(bytes(0xed, 0xa0, 0x80)), "\ufffd\ufffd\ufffd", "encoded surrogates");
  assert_equals(d.decode(bytes(0xf4, 0x90, 0x80, 0x80)), "\ufffd\ufffd\ufffd\ufffd", "beyond U+10FFFF");
}, "replacement of malformed input (maximal subparts)");

test(() => {
  const d = new TextDecoder("utf-8", { fatal: true });
  assert_true(d.fatal);
  assert_throws_js(TypeError, () => d.decode(bytes(0x61, 0xff)));
  assert_throws_js(TypeError, () => d.decode(bytes(0xe2, 0x82)));
  assert_equals(d.decode(bytes(0x61)), "a", "usable after an error");
}, "fatal: malformed input is a TypeError");

test(() => {
  const bom = [0xef, 0xbb, 0xbf];
  assert_equals(new TextDecoder().decode(bytes(...bom, 0x61)), "a", "the BOM is dropped");
  assert_equals(new TextDecoder().decode(bytes(...bom, ...bom, 0x61)), "\ufeffa", "only one BOM");
  assert_equals(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes(...bom, 0x61)), "\ufeffa", "ignoreBOM keeps it");
  const d = new TextDecoder();
  assert_equals(d.decode(bytes(...bom, 0x61)), "a");
  assert_equals(d.decode(bytes(...bom, 0x62)), "b", "every new decode() starts a new stream");
}, "byte order mark handling");

test(() => {
  const d = new TextDecoder();
  const euro = [0xe2, 0x82, 0xac];
  let out = "";
  out += d.decode(bytes(0x61, euro[0]), { stream: true });
  out += d.decode(bytes(euro[1]), { stream: true });
  out += d.decode(bytes(euro[2], 0x62), { stream: true });
  out += d.decode();
  assert_equals(out, "a\u20acb");
  const s = new TextDecoder();
  assert_equals(s.decode(bytes(0xef, 0xbb), { stream: true }), "");
  assert_equals(s.decode(bytes(0xbf, 0x7a), { stream: true }), "z", "a BOM split across chunks");
  assert_equals(s.decode(bytes(0xe2), { stream: true }), "");
  assert_equals(s.decode(), "\ufffd", "an incomplete sequence at the end is U+FFFD");
  const f = new TextDecoder("utf-8", { fatal: true });
  f.decode(bytes(0xf0, 0x9f), { stream: true });
  assert_throws_js(TypeError, () => f.decode(), "fatal at the end of the stream");
  const every = new TextDecoder();
  const all = new TextEncoder().encode("\u00e9t\u00e9 \u{1F600}!");
  let joined = "";
  for (const b of all) joined += every.decode(bytes(b), { stream: true });
  joined += every.decode();
  assert_equals(joined, "\u00e9t\u00e9 \u{1F600}!", "one byte at a time");
}, "stream: true decodes across chunk boundaries");

test(() => {
  assert_equals(btoa(""), "");
  assert_equals(btoa("f"), "Zg==");
  assert_equals(btoa("foobar"), "Zm9vYmFy");
  assert_equals(btoa("\u00ff\u00fe"), "//4=");
  assert_equals(btoa(12), "MTI=");
  assert_throws_dom("InvalidCharacterError", () => btoa("\u0100"));
  assert_throws_dom("InvalidCharacterError", () => btoa("\u{1F600}"));
  assert_throws_js(TypeError, () => btoa());
}, "btoa");

test(() => {
  assert_equals(atob("Zm9vYmFy"), "foobar");
  assert_equals(atob("Zg"), "f", "padding is optional");
  assert_equals(atob(" Zm9v\tYg==\n"), "foob", "ASCII whitespace is ignored");
  assert_equals(atob("//4="), "\u00ff\u00fe");
  assert_equals(atob(""), "");
  for (const bad of ["Z", "Zg=", "Zm9=v", "Zm-_", "Zm9v\u00e9", "====", "Zg==="]) {
    assert_throws_dom("InvalidCharacterError", () => atob(bad), JSON.stringify(bad));
  }
  assert_throws_dom("InvalidCharacterError", () => atob(undefined), "\"undefined\" has 9 characters");
  assert_equals(atob(null), "\u009e\u00e9e", "null is the string \"null\"");
}, "atob (forgiving-base64 decode)");

test(() => {
  const s = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  assert_equals(atob(btoa(s)), s);
}, "atob(btoa(s)) round-trips every Latin-1 character");
