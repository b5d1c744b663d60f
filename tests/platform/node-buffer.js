// node:buffer, our own cases written from Node's documentation
// (https://nodejs.org/api/buffer.html).
import { Buffer as ModuleBuffer, constants, isUtf8 } from "node:buffer";

const bytes = (b) => Array.from(b);

test(() => {
  assert_equals(ModuleBuffer, Buffer, "the module's Buffer is the global");
  assert_true(Buffer.from("a") instanceof Uint8Array);
  assert_true(Buffer.isBuffer(Buffer.alloc(1)));
  assert_false(Buffer.isBuffer(new Uint8Array(1)));
  assert_equals(constants.MAX_LENGTH, 2 ** 31 - 1);
}, "Buffer subclasses Uint8Array and is a global");

test(() => {
  assert_array_equals(bytes(Buffer.from("héllo")), [104, 195, 169, 108, 108, 111]);
  assert_equals(Buffer.from("héllo").toString(), "héllo");
  assert_equals(Buffer.from("68656c6c6f", "hex").toString(), "hello");
  assert_equals(Buffer.from("hello").toString("hex"), "68656c6c6f");
  assert_equals(Buffer.from("aGVsbG8=", "base64").toString(), "hello");
  assert_equals(Buffer.from("hello").toString("base64"), "aGVsbG8=");
  assert_equals(Buffer.from([0xfb, 0xff]).toString("base64url"), "-_8");
  assert_array_equals(bytes(Buffer.from("-_8", "base64url")), [0xfb, 0xff]);
  assert_array_equals(bytes(Buffer.from("+/8", "base64")), [0xfb, 0xff], "base64 decoding takes either alphabet");
  assert_equals(Buffer.from("é", "latin1").length, 1);
  assert_equals(Buffer.from([0xe9]).toString("latin1"), "é");
  assert_equals(Buffer.from([0xe9]).toString("binary"), "é");
  assert_equals(Buffer.from([0xe9, 0x41]).toString("ascii"), "iA", "ascii drops the high bit");
  assert_array_equals(bytes(Buffer.from("a€", "utf16le")), [0x61, 0, 0xac, 0x20]);
  assert_equals(Buffer.from([0x3d, 0xd8, 0x00, 0xde]).toString("utf16le"), "\u{1F600}");
  assert_equals(Buffer.from("\u{1F600}", "ucs2").toString("utf-16le"), "\u{1F600}");
}, "encodings: utf8, hex, base64, base64url, latin1/binary, ascii, utf16le");

test(() => {
  assert_array_equals(bytes(Buffer.from("abzz01", "hex")), [0xab], "hex stops at the first bad pair");
  assert_equals(Buffer.from("aGVs\nbG8=", "base64").toString(), "hello", "whitespace is skipped");
  assert_equals(Buffer.from([0xff, 0xfe]).toString(), "\ufffd\ufffd", "invalid utf8 becomes U+FFFD");
  assert_throws_js(TypeError, () => Buffer.from("x", "klingon"));
  assert_equals(assert_throws_js(TypeError, () => Buffer.from("x", "nope")).code, "ERR_UNKNOWN_ENCODING");
}, "lenient decoding and unknown encodings");

test(() => {
  assert_array_equals(bytes(Buffer.from([1, 2, 257, -1])), [1, 2, 1, 255]);
  const ab = new ArrayBuffer(8);
  const view = Buffer.from(ab, 2, 4);
  view[0] = 9;
  assert_equals(new Uint8Array(ab)[2], 9, "a Buffer from an ArrayBuffer shares its memory");
  assert_equals(view.length, 4);
  const copy = Buffer.from(view);
  copy[0] = 1;
  assert_equals(view[0], 9, "a Buffer from a Buffer is a copy");
  assert_equals(Buffer.from({ type: "Buffer", data: [1, 2] }).length, 2);
  assert_equals(Buffer.from(new String("hi")).toString(), "hi");
  assert_throws_js(TypeError, () => Buffer.from(5));
  assert_throws_js(TypeError, () => Buffer.from(null));
}, "Buffer.from: arrays, ArrayBuffers, buffers, objects, bad input");

test(() => {
  assert_array_equals(bytes(Buffer.alloc(3)), [0, 0, 0]);
  assert_array_equals(bytes(Buffer.alloc(5, "ab")), [97, 98, 97, 98, 97]);
  assert_array_equals(bytes(Buffer.alloc(2, 0x101)), [1, 1]);
  assert_equals(Buffer.alloc(4, "aGk=", "base64").toString(), "hihi");
  assert_equals(Buffer.allocUnsafe(10).length, 10);
  assert_throws_js(TypeError, () => Buffer.alloc("3"));
  assert_equals(assert_throws_js(RangeError, () => Buffer.alloc(-1)).code, "ERR_OUT_OF_RANGE");
}, "alloc, allocUnsafe and size checks");

test(() => {
  assert_equals(Buffer.byteLength("héllo"), 6);
  assert_equals(Buffer.byteLength("\u{1F600}"), 4);
  assert_equals(Buffer.byteLength("aGVsbG8=", "base64"), 5);
  assert_equals(Buffer.byteLength("abcd", "hex"), 2);
  assert_equals(Buffer.byteLength("ab", "utf16le"), 4);
  assert_equals(Buffer.byteLength(new ArrayBuffer(7)), 7);
  const c = Buffer.concat([Buffer.from("ab"), new Uint8Array([99]), Buffer.from("")]);
  assert_equals(c.toString(), "abc");
  assert_equals(Buffer.concat([Buffer.from("abc")], 2).toString(), "ab");
  assert_equals(Buffer.concat([Buffer.from("a")], 3).length, 3);
  assert_throws_js(TypeError, () => Buffer.concat([1]));
  assert_true(Buffer.isEncoding("UTF-8"));
  assert_false(Buffer.isEncoding("utf9"));
}, "byteLength, concat, isEncoding");

test(() => {
  const a = Buffer.from("abc"), b = Buffer.from("abd");
  assert_equals(Buffer.compare(a, b), -1);
  assert_equals(Buffer.compare(b, a), 1);
  assert_equals(Buffer.compare(a, Buffer.from("abc")), 0);
  assert_equals(Buffer.compare(Buffer.from("ab"), a), -1);
  assert_array_equals([b, a].sort(Buffer.compare).map(String), ["abc", "abd"]);
  assert_true(a.equals(Buffer.from("abc")));
  assert_false(a.equals(b));
  assert_equals(a.compare(b, 0, 2, 0, 2), 0);
}, "compare and equals");

test(() => {
  const b = Buffer.from("hello world");
  const s = b.slice(0, 5);
  s[0] = 72;
  assert_equals(b.toString(), "Hello world", "slice shares memory");
  assert_true(s instanceof Buffer);
  assert_equals(b.subarray(6).toString(), "world");
  assert_equals(b.slice(-5).toString(), "world");
  assert_equals(b.toString("utf8", 6, 8), "wo");
  assert_equals(b.toString(undefined, 20), "");
}, "slice and subarray share memory; toString with start/end");

test(() => {
  const b = Buffer.from("this is a buffer");
  assert_equals(b.indexOf("this"), 0);
  assert_equals(b.indexOf("is"), 2);
  assert_equals(b.indexOf(Buffer.from("a buffer")), 8);
  assert_equals(b.indexOf(97), 8);
  assert_equals(b.indexOf("is", 3), 5);
  assert_equals(b.indexOf("is", -11), 5);
  assert_equals(b.indexOf("nope"), -1);
  assert_equals(b.lastIndexOf("is"), 5);
  assert_equals(b.lastIndexOf("is", 4), 2);
  assert_equals(b.indexOf("7468", "hex"), 0);
  assert_true(b.includes("buffer"));
  assert_false(b.includes("buffer", 11));
}, "indexOf, lastIndexOf, includes");

test(() => {
  const b = Buffer.alloc(8);
  assert_equals(b.write("héllo"), 6);
  assert_equals(b.toString("utf8", 0, 6), "héllo");
  assert_equals(b.write("ff", 6, "hex"), 1);
  assert_equals(b[6], 255);
  const small = Buffer.alloc(2);
  assert_equals(small.write("é€"), 2, "no partial character is written");
  assert_equals(Buffer.alloc(2).write("€"), 0);
  assert_equals(Buffer.alloc(4).write("abcdef", 1, 2), 2);
}, "write with offset, length and encoding");

test(() => {
  const b = Buffer.alloc(6);
  b.fill("ab", 1, 5);
  assert_array_equals(bytes(b), [0, 97, 98, 97, 98, 0]);
  b.fill(0);
  assert_array_equals(bytes(b), [0, 0, 0, 0, 0, 0]);
  b.fill("6162", "hex");
  assert_equals(b.toString(), "ababab");
  const src = Buffer.from("xyz"), dst = Buffer.alloc(5, ".");
  assert_equals(src.copy(dst, 1), 3);
  assert_equals(dst.toString(), ".xyz.");
  assert_equals(src.copy(dst, 4, 1), 1);
  assert_equals(dst.toString(), ".xyzy");
}, "fill and copy");

test(() => {
  const b = Buffer.alloc(8);
  assert_equals(b.writeUInt16BE(0x1234, 0), 2);
  assert_equals(b.writeUInt16LE(0x1234, 2), 4);
  assert_array_equals(bytes(b.subarray(0, 4)), [0x12, 0x34, 0x34, 0x12]);
  assert_equals(b.readUInt16BE(0), 0x1234);
  assert_equals(b.readUint16LE(2), 0x1234);
  b.writeInt32LE(-2, 4);
  assert_equals(b.readInt32LE(4), -2);
  assert_equals(b.readUInt32LE(4), 0xfffffffe);
  b.writeUInt32BE(0xdeadbeef, 0);
  assert_equals(b.readUInt32BE(0), 0xdeadbeef);
  assert_equals(b.readInt8(0), -34);
  b.writeInt8(-1, 0);
  assert_equals(b.readUInt8(0), 255);
  b.writeInt16BE(-300, 0);
  assert_equals(b.readInt16BE(0), -300);
  b.writeUIntBE(0x123456, 0, 3);
  assert_equals(b.readUIntBE(0, 3), 0x123456);
  b.writeIntLE(-123456789, 0, 6);
  assert_equals(b.readIntLE(0, 6), -123456789);
}, "read/write (U)Int8/16/32 LE/BE and (U)IntLE/BE");

test(() => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(-5n);
  assert_equals(b.readBigInt64LE(), -5n);
  b.writeBigUInt64BE(2n ** 64n - 1n);
  assert_equals(b.readBigUInt64BE(0), 2n ** 64n - 1n);
  b.writeDoubleLE(1.5);
  assert_equals(b.readDoubleLE(0), 1.5);
  b.writeFloatBE(0.25, 4);
  assert_equals(b.readFloatBE(4), 0.25);
  assert_throws_js(TypeError, () => b.writeBigInt64LE(1));
}, "BigInt64, Float and Double");

test(() => {
  const b = Buffer.alloc(4);
  assert_equals(assert_throws_js(RangeError, () => b.readUInt32LE(1)).code, "ERR_OUT_OF_RANGE");
  assert_throws_js(RangeError, () => b.readUInt8(4));
  assert_throws_js(RangeError, () => b.writeUInt8(256, 0));
  assert_throws_js(RangeError, () => b.writeInt8(-129, 0));
  assert_throws_js(TypeError, () => b.readUInt8("0"));
  assert_throws_js(RangeError, () => b.readUInt8(0.5));
}, "reads and writes out of range throw RangeError");

test(() => {
  assert_equals(JSON.stringify(Buffer.from([1, 2])), '{"type":"Buffer","data":[1,2]}');
  const b = Buffer.from([1, 2, 3, 4]);
  b.swap16();
  assert_array_equals(bytes(b), [2, 1, 4, 3]);
  b.swap32();
  assert_array_equals(bytes(b), [3, 4, 1, 2]);
  assert_throws_js(RangeError, () => Buffer.from([1]).swap16());
  assert_true(isUtf8(Buffer.from("é")));
  assert_false(isUtf8(Buffer.from([0xff])));
  const m = Buffer.from("ab").map((x) => x + 1);
  assert_true(m instanceof Buffer, "typed array methods return Buffers");
  assert_equals(m.toString(), "bc");
}, "toJSON, swap, isUtf8, inherited typed array methods");
