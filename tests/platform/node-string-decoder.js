// node:string_decoder, our own cases written from Node's documentation
// (https://nodejs.org/api/string_decoder.html).
import { StringDecoder } from "node:string_decoder";

test(() => {
  const d = new StringDecoder("utf8");
  assert_equals(d.write(Buffer.from([0xe2])), "");
  assert_equals(d.write(Buffer.from([0x82])), "");
  assert_equals(d.end(Buffer.from([0xac])), "€");
  const e = new StringDecoder();
  assert_equals(e.write(Buffer.from([0x24, 0xe2, 0x82])), "$");
  assert_equals(e.write(Buffer.from([0xac, 0x41])), "€A");
  assert_equals(e.write(Buffer.from([0xf0, 0x9f])), "");
  assert_equals(e.write(Buffer.from([0x98, 0x80])), "\u{1F600}");
}, "utf8: characters split across writes are held back");

test(() => {
  const d = new StringDecoder("utf8");
  assert_equals(d.write(Buffer.from([0xe2, 0x82])), "");
  assert_equals(d.end(), "\ufffd", "an incomplete character at the end is U+FFFD");
  assert_equals(d.write(Buffer.from("ok")), "ok", "end() resets the decoder");
}, "utf8: end() flushes");

test(() => {
  const d = new StringDecoder("utf16le");
  assert_equals(d.write(Buffer.from([0x61])), "");
  assert_equals(d.write(Buffer.from([0x00, 0x3d, 0xd8])), "a", "a high surrogate waits for its pair");
  assert_equals(d.write(Buffer.from([0x00, 0xde])), "\u{1F600}");
  const u = new StringDecoder("ucs2");
  assert_equals(u.encoding, "utf16le");
}, "utf16le, including surrogate pairs across writes");

test(() => {
  const d = new StringDecoder("base64");
  assert_equals(d.write(Buffer.from("he")), "");
  assert_equals(d.write(Buffer.from("llo")), "aGVs");
  assert_equals(d.end(), "bG8=");
  const h = new StringDecoder("hex");
  assert_equals(h.write(Buffer.from([1, 255])), "01ff");
  const l = new StringDecoder("latin1");
  assert_equals(l.write(Buffer.from([0xe9])), "é");
  assert_throws_js(TypeError, () => new StringDecoder("nope"));
  assert_throws_js(TypeError, () => new StringDecoder().write(42));
}, "base64 groups, hex, latin1, bad arguments");
